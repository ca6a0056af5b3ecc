"""Slow clients against `ptce serve` (its front, then gunicorn) and the same app under granian: what a query waits.

For each server and each attack, opens N connections on loopback that send a request slowly, then sends one
simple query from another connection and measures how long it takes to be answered (or that it was not answered
within the client's own limit):

- slow headers: each connection sends a request line and one header, then nothing more;
- slow bodies: each connection sends complete headers announcing a 100-byte body, then 3 bytes of it.

Every slow connection is closed at the end of its attack. Writes the "Serving: slow clients" section of
bench/RESULTS.md. Needs `granian` (PyPI) for the second server.

    python bench/bench_slow_clients.py --connections 200 --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_endpoint import free_port, machine, wait_for, write_section

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_server import stop_process

from ptce.publish import publish_build

HEADING = "Serving: slow clients"
ATTACKS = {
    "slow headers": b"GET /-/version HTTP/1.1\r\nHost: bench\r\n",
    "slow bodies": (
        b"POST /sparql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 100\r\n\r\nASK"
    ),
}
SIMPLE = "/sparql?query=ASK%20%7B%7D"


def start(kind: str, build: Path, workers: int, folder: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = (folder / f"{kind.replace(' ', '-')}.log").open("w")
    if kind == "ptce serve":
        cmd = [sys.executable, "-m", "ptce", "serve", "--build", str(build), "--port", str(port)]
        cmd += ["--workers", str(workers)]
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    else:
        (folder / "granian_app.py").write_text(
            f"from ptce.web import create_app\napp = create_app({{'BUILD_DIR': {str(build)!r}}})\n"
        )
        cmd = ["granian", "--interface", "wsgi", "--workers", str(workers), "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "granian_app:app"]
        process = subprocess.Popen(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/sparql")
    return url, process


def attack(url: str, payload: bytes, connections: int, patience: float) -> str:
    host, port = url.removeprefix("http://").split(":")
    slow = []
    try:
        for _ in range(connections):
            conn = socket.create_connection((host, int(port)), timeout=10)
            conn.sendall(payload)
            slow.append(conn)
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url + SIMPLE, timeout=patience) as r:
                r.read()
            return f"{(time.perf_counter() - start) * 1000:.1f} ms"
        except OSError:
            return f"not answered within {patience:g} s"
    finally:
        for conn in slow:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--patience", type=float, default=20.0, help="seconds the simple query waits at most")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    command = "python bench/bench_slow_clients.py " + " ".join(sys.argv[1:])
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="ptce-slow-"))
    build = work / "dist"
    publish_build(build)
    rows = []
    for kind in ("ptce serve", "granian"):
        url, process = start(kind, build, args.workers, work)
        try:
            with urllib.request.urlopen(url + SIMPLE, timeout=30) as r:
                r.read()
            for name, payload in ATTACKS.items():
                waited = attack(url, payload, args.connections, args.patience)
                rows.append((kind, name, waited))
                print(kind, name, waited, flush=True)
        finally:
            stop_process(process)
    lines = [
        f"## {HEADING}",
        "",
        f"Command: `{command}`. Machine: {info}.",
        "",
        f"{args.connections} connections each send part of a request and stall; then one `ASK {{}}` is sent on a new "
        f"connection. Both servers run the same app with {args.workers} workers: `ptce serve` (its asyncio front, "
        "which reads whole requests, then gunicorn's sync workers) and granian (`--interface wsgi`).",
        "",
        "| server | attack | the simple query |",
        "|---|---|---|",
        *(f"| {kind} | {name} | {waited} |" for kind, name, waited in rows),
        "",
    ]
    shutil.rmtree(work, ignore_errors=True)
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section(args.write, section, HEADING)


if __name__ == "__main__":
    main()
