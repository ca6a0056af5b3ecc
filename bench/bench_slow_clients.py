"""Slow and greedy clients against `ptce serve` (its front, then gunicorn) and the same app under granian.

For each server:

- slow headers: N connections on loopback each send a request line and one header, then nothing more; then
  one simple query is sent on a new connection, and the time it takes to be answered is reported (or that it
  was not answered within the client's own limit);
- slow bodies: the same, each connection sending complete headers announcing a 100-byte body, then 3 bytes;
- greedy client: 8 threads sending cross products in a loop from 127.0.0.2 (each stopped by the time limit),
  while another client, 127.0.0.3, sends simple queries one after the other: their median and p99 latency,
  against the same client's when nobody else is there;
- repeated crashers: the same, the 8 threads sending queries that kill their query process (an engine panic:
  each costs a replacement process), then queries that hit its memory cap (each also burns a core while it
  grows to the cap). For comparison, the same with 8 threads looping simple queries: what 8 busy clients cost
  the other one on this machine when nothing crashes.

Every slow connection is closed at the end of its attack. Writes the "Serving: slow clients" section of
bench/RESULTS.md. Needs `granian` (PyPI) for the second server.

    python bench/bench_slow_clients.py --connections 200 --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from bench_endpoint import emit_section, free_port, machine, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_server import stop_process
from tests.sample_queries import MEMORY_BOMB, QUERIES_OF_DEATH, SORT_PANIC
from tests.waiting import busy_query_processes

from ptce.build.pipeline import publish_build

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
        cmd += ["--workers", str(workers), "--timeout", "5"]
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    else:
        (folder / "granian_app.py").write_text(
            f"from ptce.web import create_app\napp = create_app({{'BUILD_DIR': {str(build)!r}, 'QUERY_TIMEOUT': 5}})\n"
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


CROSS_PRODUCT = QUERIES_OF_DEATH["cross product"]  # in groups: it runs to the time limit (the plain one is refused)
GREEDY = [
    ("8 looping simple queries from another client (for comparison)", ["ASK { ?s ?p ?o }"], False),
    ("8 looping cross products from another client", [CROSS_PRODUCT], True),
    ("8 looping engine panics from another client", [SORT_PANIC], False),
    ("8 looping memory bombs from another client", [MEMORY_BOMB], False),
]


def timed_query(url: str, source: str, query: str, timeout: float = 60) -> float:
    """Seconds to get the answer to `query`, sent from the loopback address `source`."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source, 0))
    start = time.perf_counter()
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
        conn.getresponse().read()
    except OSError:
        pass
    finally:
        conn.close()
    return time.perf_counter() - start


def simple_latencies(url: str, count: int) -> tuple[float, float]:
    """Median and p99, in ms, of `count` simple queries from 127.0.0.3 (each a new query text: no cache)."""
    times = sorted(timed_query(url, "127.0.0.3", f"ASK {{ ?s ?p ?o }} # {i} {time.time_ns()}") for i in range(count))
    return statistics.median(times) * 1000, times[min(len(times) - 1, int(len(times) * 0.99))] * 1000


def greedy(url: str, process: subprocess.Popen, count: int, queries: list[str], busy: bool) -> str:
    """127.0.0.3's simple-query latencies, alone and while 8 threads of 127.0.0.2 send `queries` in turn.

    `busy`: wait until the greedy client's queries hold query processes before timing (queries that run long);
    queries that crash their process at once are timed from the start.
    """
    alone = simple_latencies(url, count)
    stop = threading.Event()
    sent = []

    def loop(offset: int):
        while not stop.is_set():
            query = queries[(offset + len(sent)) % len(queries)]
            timed_query(url, "127.0.0.2", query + f"\n# {time.time_ns()}")
            sent.append(1)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        live = SimpleNamespace(process=process)
        while busy and len(busy_query_processes(live)) < 2:  # the greedy client's queries are running
            time.sleep(0.05)
        before = len(sent)
        crowded = simple_latencies(url, count)
        during = len(sent) - before
    finally:
        stop.set()
        for t in threads:
            t.join()
    crashes = f"; {during} of its queries answered meanwhile" if not busy else ""
    return (
        f"median {crowded[0]:.1f} ms, p99 {crowded[1]:.1f} ms (alone: median {alone[0]:.1f} ms, p99 {alone[1]:.1f} ms)"
        + crashes
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--patience", type=float, default=20.0, help="seconds the simple query waits at most")
    parser.add_argument("--simple", type=int, default=100, help="simple queries timed for the greedy-client case")
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
            for name, queries, busy in GREEDY:
                waited = greedy(url, process, args.simple, queries, busy)
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
        "Time limit 5 s on both servers. The simple queries of the greedy-client case are each a new text, so no "
        "cache answers them.",
        "",
        "The looping cases compare with the first of them, 8 threads looping simple queries: what 8 busy clients "
        "cost the other one on this machine when nothing fails. A crashed query process is replaced by a fork of its "
        "pool's zygote, which holds the build already.",
        "",
        "| server | attack | the simple query |",
        "|---|---|---|",
        *(f"| {kind} | {name} | {waited} |" for kind, name, waited in rows),
        "",
    ]
    shutil.rmtree(work, ignore_errors=True)
    emit_section(lines, args.write, HEADING)


if __name__ == "__main__":
    main()
