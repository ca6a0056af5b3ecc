"""Benchmark the SPARQL endpoint against Oxigraph server, Virtuoso and rdflib-endpoint on the same data and queries.

Starts every server on loopback, checks that all of them give the same number of rows for each query, then runs
`wrk` (8 connections) against each one in turn, query by query, for several rounds, so that a change in the load
of the machine touches every server alike. Reports the median over rounds of requests/s and of p50/p99 latency,
and the ratios, into the "SPARQL endpoint" section of bench/RESULTS.md.

ptce is measured twice: "cached" is `ptce serve` as it ships (wrk repeats one query, so after the first request
each answer comes from the front's cache of answers), "cold" the same server with both caches off, the front's
and the server processes' (every request goes through the front to a worker and is evaluated by a query
process). Two ceilings show what the HTTP stack alone costs: a Flask app and a raw WSGI
callable that return a constant body, under gunicorn with as many sync workers as `ptce serve`.

Needs: `wrk` and `virtuoso-opensource` (Debian packages), `oxigraph`, `rdflib-endpoint` and `uvicorn` (PyPI: the
`bench` extra).

    python bench/bench_endpoint.py --rounds 3 --duration 5 --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_server import free_port, stop_process

from ptce.build.pipeline import publish_build

PREFIXES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX igeo: <http://rdf.insee.fr/def/geo#>
PREFIX ptce: <https://w3id.org/ptce/ontology#>
"""
ID = "https://w3id.org/ptce/id/"
QUERIES = {
    "lookup": f"SELECT ?label WHERE {{ <{ID}ptce/cohose> skos:prefLabel ?label }}",
    "theme + department": f"""SELECT ?ptce ?name WHERE {{
  ?ptce a ptce:PTCE ; skos:prefLabel ?name ; dcterms:subject <{ID}theme/transition-ecologique> ;
    ptce:department/igeo:codeINSEE ?code .
  FILTER(?code = "62")
}} ORDER BY ?name""",
    "GROUP BY": """SELECT ?name (COUNT(?ptce) AS ?ptces) WHERE {
  ?department a igeo:Departement ; skos:prefLabel ?name .
  OPTIONAL { ?ptce a ptce:PTCE ; ptce:department ?department }
} GROUP BY ?name ORDER BY DESC(?ptces) ?name""",
    "co-theme (one PTCE)": f"""SELECT ?other (COUNT(?theme) AS ?shared) WHERE {{
  <{ID}ptce/cohose> dcterms:subject ?theme .
  ?other a ptce:PTCE ; dcterms:subject ?theme .
  FILTER(?other != <{ID}ptce/cohose>)
}} GROUP BY ?other ORDER BY DESC(?shared) ?other""",
}
ACCEPT = "application/sparql-results+json"


def ask(url: str, query: str, timeout: float = 30) -> dict:
    full = f"{url}?{urllib.parse.urlencode({'query': PREFIXES + query})}"
    with urllib.request.urlopen(urllib.request.Request(full, headers={"Accept": ACCEPT}), timeout=timeout) as r:
        return json.loads(r.read())


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            ask(url, "ASK { ?s ?p ?o }", timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@dataclass
class Server:
    name: str
    url: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for p in self.processes:
            stop_process(p, grace=20)


def start_ptce(build: Path, workers: int, cached: bool, log: Path) -> Server:
    port = free_port()
    config = {"BUILD_DIR": str(build), **({} if cached else {"RESULT_CACHE_BYTES": 0})}
    front = {} if cached else {"cache_bytes": 0}
    call = f"serve({config!r}, port={port}, workers={workers}, front_options={front!r})"
    code = f"from ptce.web.server import serve\n{call}\n"
    p = subprocess.Popen([sys.executable, "-c", code], stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Server("ptce, cached" if cached else "ptce, cold", f"http://127.0.0.1:{port}/sparql", [p])


CONSTANT = b'{"head":{"vars":["label"]},"results":{"bindings":[{"label":{"type":"literal","value":"CoHose"}}]}}'
CEILINGS = {
    "ceiling: Flask under gunicorn": (
        "from flask import Flask, Response\napp = Flask(__name__)\n"
        "@app.route('/sparql')\ndef constant():\n"
        f"    return Response({CONSTANT!r}, content_type='application/sparql-results+json')\n"
    ),
    "ceiling: raw WSGI under gunicorn": (
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/sparql-results+json'), "
        f"('Content-Length', '{len(CONSTANT)}')])\n"
        f"    return [{CONSTANT!r}]\n"
    ),
}
BEHIND_FRONT = "ceiling: raw WSGI behind ptce's front"


def start_ceiling(name: str, workers: int, folder: Path) -> Server:
    """A constant answer under gunicorn (sync workers, as `ptce serve`): what the HTTP stack alone costs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ceiling.py").write_text(CEILINGS[name])
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "ceiling:app"]
    p = subprocess.Popen(cmd, cwd=folder, stdout=(folder / "log").open("w"), stderr=subprocess.STDOUT)
    return Server(name, f"http://127.0.0.1:{port}/sparql", [p])


def start_ceiling_behind_front(build: Path, workers: int, folder: Path) -> Server:
    """The raw WSGI callable in ptce's own stack (the front, its fair share, gunicorn on a Unix socket), caches off."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ceiling.py").write_text(CEILINGS["ceiling: raw WSGI under gunicorn"])
    port = free_port()
    code = (
        "from ceiling import app\nfrom ptce.web.server import serve\n"
        f"serve({{'BUILD_DIR': {str(build)!r}}}, port={port}, workers={workers}, "
        "front_options={'cache_bytes': 0}, app_factory=lambda config: app)\n"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", code], cwd=folder, stdout=(folder / "log").open("w"), stderr=subprocess.STDOUT
    )
    return Server(BEHIND_FRONT, f"http://127.0.0.1:{port}/sparql", [p])


def start_oxigraph(build: Path, folder: Path) -> Server:
    """Oxigraph's own server (`oxigraph serve-read-only`, the same engine as ptce's, in Rust) on the build's triples."""
    exe = shutil.which("oxigraph") or "oxigraph"
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "store"
    subprocess.run([exe, "load", "--location", str(store), "--file", str(build / "ptce.nt")], check=True,
                   capture_output=True)  # fmt: skip
    port = free_port()
    cmd = [exe, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"]
    p = subprocess.Popen(cmd, stdout=(folder / "log").open("w"), stderr=subprocess.STDOUT)
    return Server("Oxigraph server", f"http://127.0.0.1:{port}/query", [p])


def start_rdflib_endpoint(build: Path, log: Path) -> Server:
    port = free_port()
    exe = shutil.which("rdflib-endpoint") or "rdflib-endpoint"
    cmd = [exe, "serve", str(build / "ptce.ttl"), "--host", "127.0.0.1", "--port", str(port)]
    p = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Server("rdflib-endpoint", f"http://127.0.0.1:{port}/", [p])


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
DirsAllowed = ., {d}, /usr/share/virtuoso-opensource-7/vad
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
MaxClientConnections = 20
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 20
MaxClientConnections = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


def start_virtuoso(build: Path, folder: Path) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    sql, http = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=folder, sql=sql, http=http))
    shutil.copy(build / "ptce.nt", folder / "ptce.nt")
    log = (folder / "stdout.log").open("w")
    p = subprocess.Popen(
        ["virtuoso-t", "+foreground", "+configfile", str(ini)], cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server("Virtuoso", f"http://127.0.0.1:{http}/sparql", [p])
    deadline = time.monotonic() + 120
    load = f"DB.DBA.TTLP_MT(file_to_string_output('{folder}/ptce.nt'), '', 'https://w3id.org/ptce/'); checkpoint;"
    while True:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{sql}", "dba", "dba", f"exec={load}"], capture_output=True, text=True
        )
        if done.returncode == 0 and "Error" not in done.stdout + done.stderr:
            break
        if time.monotonic() > deadline or p.poll() is not None:
            server.stop()
            raise RuntimeError(f"Virtuoso did not load the data:\n{done.stdout}{done.stderr}")
        time.sleep(1)
    return server


def wrk(url: str, query: str, duration: int, connections: int, lua: Path) -> dict:
    full = urllib.parse.urlsplit(f"{url}?{urllib.parse.urlencode({'query': PREFIXES + query})}")
    lua.write_text(f'wrk.path = "{full.path}?{full.query}"\nwrk.headers["Accept"] = "{ACCEPT}"\n')
    base = f"{full.scheme}://{full.netloc}"
    cmd = ["wrk", f"-c{connections}", "-t2", f"-d{duration}s", "--latency", "-s", str(lua), base]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": to_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": to_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def rows(url: str, query: str) -> int:
    return len(ask(url, query)["results"]["bindings"])


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal")) / 1024**2
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average before the run {load[0]:.2f}"
    )


def versions() -> str:
    def first_line(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    import gunicorn
    import pyoxigraph
    import rdflib

    return (
        f"pyoxigraph {pyoxigraph.__version__}, oxigraph {package_version('oxigraph')}, "
        f"gunicorn {gunicorn.__version__}, rdflib {rdflib.__version__}, "
        f"rdflib-endpoint {package_version('rdflib-endpoint')}, Virtuoso {first_line([*DPKG, 'virtuoso-opensource'])} "
        f"and wrk {first_line([*DPKG, 'wrk'])} (Debian packages)"
    )


DPKG = ["dpkg-query", "-W", "-f", "${Version}"]


def package_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def report(results, names, args, command, triples, info) -> str:
    def median(name, q, key):
        return statistics.median(r[key] for r in results[name][q])

    lines = [
        "## SPARQL endpoint",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['machine']}. Software: {info['versions']}.",
        "",
        f"Data: the bundled data as built by `ptce build` ({triples} triples). Each server answered each query with "
        f"the same number of rows before timing. `wrk -c{args.connections} -t2 -d{args.duration}s`, "
        f"{args.rounds} rounds, servers and queries interleaved; medians over rounds. ptce: `ptce serve` "
        f"(its asyncio front, then gunicorn with {args.workers} sync workers, each sending users' queries to its "
        "sandboxed query processes); "
        '"cached": as it ships, wrk repeating one query, so answers come from the front\'s cache after the first; '
        '"cold": both caches off, every request through the front to a worker and evaluated. '
        "Oxigraph server: `oxigraph serve-read-only` (the same engine, in Rust). Virtuoso: its anonymous /sparql "
        "endpoint, started on loopback with its own config and database folder. rdflib-endpoint: "
        "`rdflib-endpoint serve ptce.ttl` (one uvicorn process). Ceilings: a constant answer from Flask and from "
        "a raw WSGI callable under gunicorn with the same workers, and the raw callable behind ptce's front (the "
        "stack `ptce serve` uses, caches off): the same for every query. Other jobs may run "
        "on the machine (see the load average): absolute numbers "
        "are indicative, ratios from one run are the point.",
        "",
        "| query | server | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for q in QUERIES:
        for name in names:
            errs = sum(r["errors"] for r in results[name][q])
            lines.append(
                f"| {q} | {name} | {median(name, q, 'rps'):,.0f} | {median(name, q, 'p50'):.2f} | "
                f"{median(name, q, 'p99'):.2f} | {errs} |"
            )
    ours = [n for n in names if n.startswith("ptce")]
    others = [n for n in names if not n.startswith("ptce")]
    lines += ["", "Throughput ratios (ptce ÷ other, > 1 means ptce answers more requests per second):", ""]
    lines.append("| query | ptce | " + " | ".join(f"vs {n}" for n in others) + " |")
    lines.append("|---|---|" + "---:|" * len(others))
    for q in QUERIES:
        for mine in ours:
            cells = [f"{median(mine, q, 'rps') / median(n, q, 'rps'):.2f}×" for n in others]
            lines.append(f"| {q} | {mine.removeprefix('ptce, ')} | " + " | ".join(cells) + " |")
    lines += ["", f"Load average after the run: {os.getloadavg()[0]:.2f}.", ""]
    goals = []
    if "Oxigraph server" in names:
        ratio = median("ptce, cached", "lookup", "rps") / median("Oxigraph server", "lookup", "rps")
        goals.append(f"lookups ≥ 0.5× Oxigraph server's throughput: {ratio:.2f}× cached")
    if "Virtuoso" in names:
        met = [q for q in QUERIES if median("ptce, cached", q, "rps") >= 3 * median("Virtuoso", q, "rps")]
        goals.append(f"each query ≥ 3× Virtuoso's: met for {len(met)} of {len(QUERIES)} (cached)")
    if goals:
        lines += ["Goals: " + "; ".join(goals) + ".", ""]
    return "\n".join(lines)


def emit_section(lines: list[str], path: Path | None, heading: str) -> None:
    """Print a RESULTS.md section, and write it into `path` when given."""
    section = "\n".join(lines)
    print(section)
    if path:
        write_section(path, section, heading)


def write_section(path: Path, section: str, heading: str = "SPARQL endpoint") -> None:
    """Replace (or append) the "## HEADING" section of RESULTS.md, leaving other sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"## {re.escape(heading)}\n.*?(?=\n## |\Z)", re.DOTALL)
    text = (
        pattern.sub(lambda _: section.rstrip() + "\n", text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="ptce server processes")
    parser.add_argument("--skip", nargs="*", default=[], help="servers to leave out (virtuoso, rdflib-endpoint, ...)")
    parser.add_argument("--write", type=Path, help="update this RESULTS.md")
    args = parser.parse_args()
    command = "python bench/bench_endpoint.py " + " ".join(sys.argv[1:])
    info = {"machine": machine(), "versions": versions()}
    work = Path(tempfile.mkdtemp(prefix="ptce-bench-"))
    servers: list[Server] = []
    try:
        build = work / "dist"
        triples = publish_build(build).triples
        servers.append(start_ptce(build, args.workers, True, work / "ptce.log"))
        servers.append(start_ptce(build, args.workers, False, work / "ptce-cold.log"))
        if "oxigraph" not in args.skip:
            servers.append(start_oxigraph(build, work / "oxigraph"))
        if "virtuoso" not in args.skip:
            servers.append(start_virtuoso(build, work / "virtuoso"))
        if "rdflib-endpoint" not in args.skip:
            servers.append(start_rdflib_endpoint(build, work / "rdflib-endpoint.log"))
        if "ceilings" not in args.skip:
            for i, name in enumerate(CEILINGS):
                servers.append(start_ceiling(name, args.workers, work / f"ceiling-{i}"))
            servers.append(start_ceiling_behind_front(build, args.workers, work / "ceiling-front"))
        for s in servers:
            wait_for(s.url)
        for q, text in QUERIES.items():
            counts = {s.name: rows(s.url, text) for s in servers if not s.name.startswith("ceiling")}
            if len(set(counts.values())) != 1:
                raise SystemExit(f"servers disagree on {q!r}: {counts}")
            print(f"{q}: {counts['ptce, cached']} rows from every server", flush=True)
        results = {s.name: {q: [] for q in QUERIES} for s in servers}
        lua = work / "query.lua"
        for s in servers:  # warm-up
            for text in QUERIES.values():
                wrk(s.url, text, 1, args.connections, lua)
        for r in range(args.rounds):
            for q, text in QUERIES.items():
                for s in servers:
                    res = wrk(s.url, text, args.duration, args.connections, lua)
                    results[s.name][q].append(res)
                    print(
                        f"round {r + 1} {q:22} {s.name:24} {res['rps']:8.0f} req/s  p50 {res['p50']:.2f} ms", flush=True
                    )
        section = report(results, [s.name for s in servers], args, command, triples, info)
        print(section)
        if args.write:
            write_section(args.write, section)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
