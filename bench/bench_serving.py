"""Serving at national size: the same queries over HTTP against the servers below, holding the same 1M-triple build.

Servers, all on loopback, all asked with the same SPARQL Protocol GET (full query text with its PREFIXes):
- `ptce serve` embedded: `ptce serve --build DIR` (gunicorn; each worker opens the on-disk Oxigraph store read-only),
  as it ships: after the warm-up request of each query its answers come from the front's cache ("cached");
- `ptce serve, cold`: the same server with both caches of answers off (the front's and the workers'), so that
  every request is evaluated;
- `ptce serve --store`: the same command with `--store sparql:VIRTUOSO/sparql` (every query forwarded to Virtuoso);
- Virtuoso: its own /sparql, with `default-graph-uri` set to the dataset graph (the reference for the ratios);
- rdflib-endpoint: `rdflib-endpoint serve ptce.nt` (rdflib's in-memory store, one uvicorn process).

Virtuoso is a private instance (tests/virtuoso.py) loaded with `ptce.build.gsp.publish_to` (atomically: pieces into
a staging graph, then one MOVE). Two mixes: the sample queries of tests/sample_queries.py (aggregations over the
whole graph) and lookups of random PTCEs and organisations (what resource pages ask). Each server must give the
same number of rows for each query before anything is timed.
Latency: one client, one query at a time, servers interleaved query by query, after a warm-up. Throughput: `wrk`
with concurrent connections sending the mix in turn. The resident memory of each server's processes is sampled
all along (sum of RSS, which counts pages shared between gunicorn workers once per worker, and PSS, which shares
them out).

    python -m ptce synth --orgs 14700 --seed 1 --out data-1m
    python -m ptce build --data data-1m --out dist-1m --store-on-disk
    python bench/bench_serving.py --build dist-1m --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from bench_endpoint import machine, versions, write_section  # noqa: E402
from bench_load import load as wrk_load  # noqa: E402
from bench_queries import lookup_queries, p99  # noqa: E402
from tests import virtuoso  # noqa: E402
from tests.live_server import free_port, stop_process  # noqa: E402
from tests.sample_queries import SAMPLE_QUERIES  # noqa: E402

from ptce.build.gsp import publish_to  # noqa: E402
from ptce.build_folder import BuildInfo  # noqa: E402
from ptce.rdf.namespaces import Iris  # noqa: E402
from ptce.store.engine import open_build  # noqa: E402
from ptce.web.server import process_tree  # noqa: E402

ACCEPT = "application/sparql-results+json"
HEADING = "Serving at 1M triples: ptce serve, Virtuoso, rdflib-endpoint"
REFERENCE = "Virtuoso"
COLD = "ptce serve, cold"


@dataclass
class Server:
    """A server under test: its SPARQL URL, extra protocol parameters, and the process whose tree is measured."""

    name: str
    url: str
    process: subprocess.Popen | None
    params: dict[str, str] = field(default_factory=dict)
    pid: int | None = None
    peak: dict[str, int] = field(default_factory=lambda: {"rss": 0, "pss": 0})
    started: float = 0.0

    def path(self, sparql: str) -> str:
        """The request target (path and query string) of a GET for `sparql`."""
        split = urllib.parse.urlsplit(self.url)
        return f"{split.path}?{urllib.parse.urlencode({'query': sparql, **self.params})}"

    def base(self) -> str:
        split = urllib.parse.urlsplit(self.url)
        return f"{split.scheme}://{split.netloc}"

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace=30)


def ask(server: Server, sparql: str, timeout: float) -> bytes:
    request = urllib.request.Request(server.base() + server.path(sparql), headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def wait_for(server: Server, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            ask(server, "ASK { ?s ?p ?o }", timeout=10)
            return
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline or (server.process and server.process.poll() is not None):
                raise RuntimeError(f"{server.name} did not answer at {server.url}") from None
            time.sleep(1)


def memory(pid: int) -> dict[str, int]:
    """Summed RSS and PSS, in bytes, of a process tree (from /proc/PID/smaps_rollup)."""
    total = {"rss": 0, "pss": 0}
    for member in process_tree(pid):
        try:
            lines = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key = line.split(":", 1)[0].lower()
            if key in total:
                total[key] += int(line.split()[1]) * 1024
    return total


def sample_memory(servers: list[Server], stop: threading.Event, every: float = 0.5) -> None:
    """Keep the peak of each server's memory until `stop` is set."""
    while not stop.wait(every):
        for server in servers:
            if server.pid:
                now = memory(server.pid)
                for key, value in now.items():
                    server.peak[key] = max(server.peak[key], value)


def start_ptce(build: Path, work: Path, args, store: str | None = None) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "ptce", "serve", "--build", str(build), "--port", str(port)]
    cmd += ["--timeout", str(args.timeout), "--row-limit", str(args.row_limit)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if store:
        cmd += ["--store", f"sparql:{store}"]
    name = "ptce serve --store" if store else "ptce serve"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = (work / f"{'ptce-store' if store else 'ptce'}.log").open("w")
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    return Server(name, f"http://127.0.0.1:{port}/sparql", process, pid=process.pid, started=time.monotonic())


def start_ptce_cold(build: Path, work: Path, args, store: str | None = None, name: str = COLD) -> Server:
    """`ptce serve` with its two caches of answers off (the front's and the workers'): every request evaluated;
    over the embedded store, or `store` (a SPARQL endpoint's URL)."""
    port = free_port()
    config = {
        "BUILD_DIR": str(build),
        "QUERY_TIMEOUT": args.timeout,
        "ROW_LIMIT": args.row_limit,
        "RESULT_CACHE_BYTES": 0,
    }
    if store:
        config["STORE"] = f"sparql:{store}"
    call = f"serve({config!r}, port={port}, workers={args.workers!r}, front_options={{'cache_bytes': 0}})"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = (work / f"ptce-cold{'-store' if store else ''}.log").open("w")
    code = f"from ptce.web.server import serve\nraise SystemExit({call})\n"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT, env=env)
    return Server(name, f"http://127.0.0.1:{port}/sparql", process, pid=process.pid, started=time.monotonic())


def start_rdflib_endpoint(build: Path, work: Path) -> Server:
    port = free_port()
    exe = shutil.which("rdflib-endpoint") or "rdflib-endpoint"
    cmd = [exe, "serve", str(build / "ptce.nt"), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, stdout=(work / "rdflib-endpoint.log").open("w"), stderr=subprocess.STDOUT)
    return Server("rdflib-endpoint", f"http://127.0.0.1:{port}/", process, pid=process.pid, started=time.monotonic())


def latency(server: Server, sparql: str, args) -> dict:
    """Median and p99 of one client's sequential requests (at most `reps`, within `budget` seconds)."""
    try:
        for _ in range(args.warm_ups):
            ask(server, sparql, args.query_timeout)
    except (OSError, urllib.error.URLError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < args.reps:
        spent = time.perf_counter() - start
        if spent > args.budget and (len(times) >= args.min_reps or spent > 2 * args.budget):
            break
        t = time.perf_counter()
        ask(server, sparql, args.query_timeout)
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "p99": p99(times), "n": len(times)}


def _warm_ups(n: int) -> str:
    """How the results text says the warm-up."""
    return (
        "a warm-up request"
        if n == 1
        else f"{n} warm-up requests (as many as ptce serve has query processes, which keep their own engine caches)"
    )


def rows(server: Server, sparql: str, timeout: float) -> int | str:
    try:
        return len(json.loads(ask(server, sparql, timeout))["results"]["bindings"])
    except (OSError, urllib.error.URLError) as exc:
        return f"{type(exc).__name__}"


def lua(server: Server, queries: list[str]) -> str:
    """A wrk script sending the queries in turn as SPARQL Protocol GETs."""
    paths = ", ".join(f'"{server.path(q)}"' for q in queries)
    return (
        f"local paths = {{{paths}}}\nlocal i = 0\n"
        f'wrk.headers["Accept"] = "{ACCEPT}"\n'
        'request = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, required=True, help="A large build with ptce.nt (see the usage).")
    parser.add_argument("--reps", type=int, default=30, help="Most timed requests per query and server.")
    parser.add_argument("--min-reps", type=int, default=3, help="Fewest timed requests, even past the budget.")
    parser.add_argument("--budget", type=float, default=15.0, help="Seconds of timed requests per query and server.")
    parser.add_argument("--lookups", type=int, default=10, help="PTCEs and as many organisations in the lookup mix.")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for throughput.")
    parser.add_argument("--duration", type=int, default=20, help="wrk seconds per mix and server.")
    parser.add_argument("--workers", type=int, help="ptce serve processes (default: its own, 2 per CPU).")
    parser.add_argument("--warm-ups", type=int, default=1,
                        help="Untimed requests of each query before its timed ones, on every server (default 1). "
                        "ptce serve's query processes each keep their own engine cache: as many warm-ups as it "
                        "has query processes measure a server that has run for a while, one a fresh one.")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=120.0, help="ptce serve --timeout.")
    parser.add_argument("--row-limit", type=int, default=1_000_000, help="ptce serve --row-limit.")
    parser.add_argument("--query-timeout", type=float, default=300.0, help="Client timeout of one request.")
    parser.add_argument("--skip", nargs="*", default=[], help="Sample queries left out.")
    parser.add_argument("--servers", nargs="*", help="Only these servers besides Virtuoso (names as in the table).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "serving.json")
    parser.add_argument("--write", type=Path, help="Update this RESULTS.md.")
    parser.add_argument("--heading", default=HEADING, help="The section of RESULTS.md to write.")
    parser.add_argument("--orgs", type=int, default=14700, help="The `ptce synth --orgs` of the build, for the text.")
    args = parser.parse_args()
    # Folders by their name only: the command is shown in RESULTS.md, where this machine's paths mean nothing.
    shown = [Path(a).name if os.path.isabs(a) else a for a in sys.argv[1:]]
    command = "python bench/bench_serving.py " + shlex.join(shown)
    info = {"machine": machine(), "versions": versions()}
    build = args.build.resolve()
    triples = BuildInfo.read(build).triples
    graph = str(Iris(BuildInfo.read(build).base_iri).dataset)
    stop = threading.Event()
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="ptce-bench-serving-") as work:
        work = Path(work)
        store = virtuoso.start(work / "virtuoso", memory_gb=4)
        try:
            t = time.perf_counter()
            publish_to(store.gsp_url, build, graph, store.auth, update_url=store.update_url)
            publish_seconds = time.perf_counter() - t
            print(f"published {triples:,} triples to Virtuoso in {publish_seconds:.1f} s", file=sys.stderr)
            reference = Server(REFERENCE, store.sparql_url, None, {"default-graph-uri": graph}, store.process.pid)
            starters = {
                "ptce serve": lambda: start_ptce(build, work, args),
                COLD: lambda: start_ptce_cold(build, work, args),
                "ptce serve --store": lambda: start_ptce(build, work, args, store=store.sparql_url),
                REFERENCE: lambda: reference,
                "rdflib-endpoint": lambda: start_rdflib_endpoint(build, work),
            }
            wanted = set(args.servers or starters) | {REFERENCE}
            servers = [start() for name, start in starters.items() if name in wanted]
            sampler = threading.Thread(target=sample_memory, args=(servers, stop), daemon=True)
            sampler.start()
            ready = {}
            for server in servers:
                wait_for(server, 900)
                ready[server.name] = time.monotonic() - server.started if server.started else None
                print(f"{server.name} ready", file=sys.stderr)
            idle = {s.name: memory(s.pid) for s in servers}
            embedded = open_build(build)
            prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in embedded.prefixes.items())
            mixes = {
                "sample": {n: q for n, q in SAMPLE_QUERIES.items() if n not in args.skip},
                "lookup": lookup_queries(embedded, args.lookups, 1),
            }
            del embedded
            results: dict = {"queries": {}, "throughput": {}, "rows": {}}
            for mix, queries in mixes.items():
                for name, body in queries.items():
                    sparql = prefixes + body
                    counts = {s.name: rows(s, sparql, args.query_timeout) for s in servers}
                    results["rows"][name] = counts
                    expected = counts[REFERENCE]
                    per = {}
                    for server in servers:
                        if counts[server.name] != expected:
                            per[server.name] = {"error": f"{counts[server.name]} rows, {expected} expected"}
                        else:
                            per[server.name] = latency(server, sparql, args)
                    results["queries"][name] = {"mix": mix, **per}
                    shown = {k: round(v["median"] * 1000, 1) if "median" in v else v["error"] for k, v in per.items()}
                    print(name, shown, file=sys.stderr)
            script = work / "mix.lua"
            for mix, queries in mixes.items():
                results["throughput"][mix] = {}
                for server in servers:
                    script.write_text(lua(server, [prefixes + q for q in queries.values()]))
                    outcome = wrk_load(server.base(), args.duration, args.connections, script)
                    results["throughput"][mix][server.name] = outcome
                    print(mix, server.name, outcome, file=sys.stderr)
            stop.set()
            sampler.join()
            results["memory"] = {s.name: {"idle": idle[s.name], "peak": s.peak} for s in servers}
            results["ready_seconds"] = ready
        finally:
            stop.set()
            for server in servers:
                server.stop()
            store.stop()
    names = ("reps", "budget", "connections", "duration", "timeout", "row_limit", "warm_ups")
    settings = {k: getattr(args, k) for k in names}
    results.update(triples=triples, publish_seconds=publish_seconds, info=info, command=command, settings=settings)
    results.update(heading=args.heading, orgs=args.orgs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    section = report(results, [s.name for s in servers])
    print(section)
    if args.write:
        write_section(args.write, section, args.heading)


def table_head(title: str, first: str, names: list[str], others: list[str]) -> list[str]:
    """The heading and header rows of a table with a column per server and a ratio to Virtuoso per other one."""
    return [
        f"### {title} as a ratio to Virtuoso's",
        "",
        f"| {first} | " + " | ".join(names) + " | " + " | ".join(f"{n} ÷ Virtuoso" for n in others) + " |",
        "|---|" + "---:|" * (len(names) + len(others)),
    ]


def report(results: dict, names: list[str]) -> str:
    """The RESULTS.md section: latency per query, throughput per mix, memory, as ratios to Virtuoso."""
    args = argparse.Namespace(**{"warm_ups": 1, **results["settings"]})
    others = [n for n in names if n != REFERENCE]
    mib = 1024 * 1024
    lines = [
        f"## {results.get('heading', HEADING)}",
        "",
        f"Command: `{results['command']}`, on a build made as in the script's usage (`ptce synth --orgs "
        f"{results.get('orgs', 14700)}`, `ptce build --store-on-disk`).",
        "",
        f"Machine: {results['info']['machine']}. Software: {results['info']['versions']}.",
        "",
        f"Data: {results['triples']:,} triples, published to Virtuoso with `publish_to` in "
        f"{results['publish_seconds']:.0f} s (pieces of 50,000 triples into a staging graph, then one `MOVE`). "
        "Every server gets the same GET `/sparql?query=…` with the full query "
        "text; each gave the same number of rows for each query before timing (a cell says so otherwise). Latency: "
        f"one client, sequential, after {_warm_ups(args.warm_ups)}, up to {args.reps} requests or {args.budget:g} s "
        "per query and "
        "server (at least 3), servers interleaved query by query; with 30 requests p99 is the slowest. Throughput: "
        f"`wrk -c{args.connections} -d{args.duration}s` sending the mix in turn. ptce serve: `--timeout "
        f"{args.timeout:g} --row-limit {args.row_limit}` so that no server truncates or cuts a query the others "
        "answer; gunicorn with its default workers (2 per CPU). `ptce serve` as it ships answers a query from its "
        "front's cache after the warm-up request (cached); `ptce serve, cold` has both caches of answers off, so "
        "every request is evaluated.",
        "",
        *table_head("Latency per query: median ms (p99 ms), and the median", "query", names, others),
    ]
    for name, per in results["queries"].items():
        ref = per[REFERENCE].get("median")
        cells = [
            f"{per[n]['median'] * 1000:.1f} ({per[n]['p99'] * 1000:.1f})" if "median" in per[n] else per[n]["error"]
            for n in names
        ]
        ratios = [f"{per[n]['median'] / ref:.2f}×" if "median" in per[n] and ref else "–" for n in others]
        lines.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    title = "Throughput per mix: requests/s (p50 / p99 ms, errors), and requests/s"
    lines += ["", *table_head(title, "mix", names, others)]
    for mix, per in results["throughput"].items():
        ref = per[REFERENCE]["rps"]
        cells = [f"{per[n]['rps']:.1f} ({per[n]['p50']:.0f} / {per[n]['p99']:.0f}, {per[n]['errors']})" for n in names]
        ratios = [f"{per[n]['rps'] / ref:.2f}×" for n in others]
        lines.append(f"| {mix} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    lines += [
        "",
        "### Resident memory of each server (all its processes), MiB",
        "",
        "| server | ready after | idle RSS | idle PSS | peak RSS | peak PSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n in names:
        mem, ready = results["memory"][n], results["ready_seconds"].get(n)
        lines.append(
            f"| {n} | {f'{ready:.0f} s' if ready else '–'} | {mem['idle']['rss'] / mib:,.0f} | "
            f"{mem['idle']['pss'] / mib:,.0f} | {mem['peak']['rss'] / mib:,.0f} | {mem['peak']['pss'] / mib:,.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
