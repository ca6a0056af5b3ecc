"""Reliability under load and under queries of death, against a real `ptce serve` on loopback.

1. Load: `wrk` with 64 connections for 60 s, each request one of the example queries of `queries/*.rq` in turn
   (a Lua script rotates them, POSTed as forms). Reports requests/s, p50/p99 latency, errors (non-2xx and
   socket errors), and the resident memory of the server's process tree before and after.
2. Queries of death: a cross product, a costly regex over one, a deep property path, each sent while a client
   keeps sending a simple query. Reports the time to the 503, how many simple queries were answered meanwhile
   (and their worst latency), and the resident memory before and after.

Writes the "Reliability: load and query of death" section of bench/RESULTS.md.

    python bench/bench_load.py --duration 60 --connections 64 --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench_endpoint import free_port, machine, to_ms, wait_for, write_section

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.sample_queries import QUERIES_OF_DEATH as DEATHS
from tests.sample_queries import SIMPLE_QUERY as SIMPLE

from ptce.build.pipeline import publish_build
from ptce.query.examples import load_examples
from ptce.web.server import process_tree_rss

HEADING = "Reliability: load and query of death"


def lua_script(queries: list[str]) -> str:
    """A wrk script sending the queries in turn, each as a form POST to /sparql."""
    bodies = ", ".join(f'"{urllib.parse.urlencode({"query": q})}"' for q in queries)
    return (
        f"local bodies = {{{bodies}}}\nlocal i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        'wrk.headers["Accept"] = "application/sparql-results+json, text/turtle"\n'
        "request = function()\n  i = i % #bodies + 1\n"
        '  return wrk.format(nil, "/sparql", nil, bodies[i])\nend\n'
    )


def load(url: str, duration: int, connections: int, script: Path) -> dict:
    cmd = ["wrk", f"-c{connections}", "-t4", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": to_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0),
    }


def post(url: str, query: str) -> tuple[int, float]:
    """(status, seconds) of one form POST."""
    start = time.perf_counter()
    data = urllib.parse.urlencode({"query": query}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}/sparql", data=data), timeout=120) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as err:
        status = err.code
    return status, time.perf_counter() - start


def query_of_death(url: str, query: str) -> dict:
    outcome: list[tuple[int, float]] = []
    death = threading.Thread(target=lambda: outcome.append(post(url, query)))
    death.start()
    during: list[float] = []
    while death.is_alive():
        status, seconds = post(url, SIMPLE)
        if status == 200 and death.is_alive():
            during.append(seconds)
    death.join()
    status, seconds = outcome[0]
    return {"status": status, "seconds": seconds, "answered": len(during), "worst": max(during, default=0.0)}


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: ptce serve's)")
    parser.add_argument("--timeout", type=float, default=2.0, help="query time limit of the server, seconds")
    parser.add_argument("--write", type=Path, help="write the section into this RESULTS.md")
    args = parser.parse_args()
    command = "python bench/bench_load.py " + " ".join(sys.argv[1:])

    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "dist"
        publish_build(build)
        port = free_port()
        serve = [sys.executable, "-m", "ptce", "serve", "--build", str(build), "--port", str(port)]
        serve += ["--timeout", str(args.timeout)] + (["--workers", str(args.workers)] if args.workers else [])
        server = subprocess.Popen(serve, stdout=(Path(tmp) / "serve.log").open("w"), stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/sparql")
            examples = load_examples()
            script = Path(tmp) / "rotate.lua"
            script.write_text(lua_script([e.text for e in examples]), encoding="utf-8")
            load(url, 3, args.connections, script)  # warm-up
            rss_before = process_tree_rss(server.pid)
            result = load(url, args.duration, args.connections, script)
            rss_after = process_tree_rss(server.pid)
            deaths = {}
            for name, query in DEATHS.items():
                before = process_tree_rss(server.pid)
                deaths[name] = query_of_death(url, query)
                for _ in range(8):
                    post(url, SIMPLE)
                deaths[name]["rss"] = (before, process_tree_rss(server.pid))
        finally:
            server.terminate()
            server.wait(30)

    lines = [
        f"## {HEADING}",
        "",
        f"Command: `{command}`. Machine: {machine()}.",
        "",
        f"**Load**: `ptce serve --timeout {args.timeout:g}` (the front, then gunicorn with "
        f"{args.workers or 'the default'} workers), `wrk "
        f"-c{args.connections} -t4 -d{args.duration}s` rotating the {len(examples)} example queries of `queries/` "
        "(form POSTs).",
        "",
        "| requests | requests/s | p50 | p99 | errors (non-2xx + socket) | resident memory before → after |",
        "|---|---|---|---|---|---|",
        f"| {result['requests']} | {result['rps']:.0f} | {result['p50']:.1f} ms | {result['p99']:.1f} ms | "
        f"{result['errors']} | {mib(rss_before)} → {mib(rss_after)} |",
        "",
        f"**Queries of death** (time limit {args.timeout:g} s), each while another client keeps sending `{SIMPLE}`:",
        "",
        "| query | answer | after | simple queries answered meanwhile | their worst latency | memory before → after |",
        "|---|---|---|---|---|---|",
    ]
    for name, d in deaths.items():
        lines.append(
            f"| {name} | {d['status']} | {d['seconds']:.2f} s | {d['answered']} | {d['worst'] * 1000:.0f} ms | "
            f"{mib(d['rss'][0])} → {mib(d['rss'][1])} |"
        )
    lines += [
        "",
        "Resident memory is that of the whole `ptce serve` process tree: the front, the gunicorn arbiter, its "
        "workers and their query processes (from /proc).",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        write_section(args.write, section, HEADING)


if __name__ == "__main__":
    main()
