"""Query latency per backend on a large synthetic build: the embedded store against Virtuoso.

Backends, all answering SPARQL JSON bytes for the same queries, one client, one query at a time:
- `embedded`: the build's on-disk Oxigraph store opened read-only, in this process (what a worker does);
- `sparqlstore`: `ptce.store.remote.SparqlStore` over Virtuoso (the remote backend of `ptce serve --store`);
- `virtuoso`: Virtuoso's /sparql directly, a bare HTTP POST (the reference for the ratios).
Virtuoso is a private instance on loopback (tests/virtuoso.py), loaded with `publish_to` (timed).

    python bench/bench_queries.py --orgs 59500 --out bench/out/queries.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests import virtuoso  # noqa: E402
from tests.sample_queries import SAMPLE_QUERIES  # noqa: E402

from ptce.build.gsp import publish_to  # noqa: E402
from ptce.build_folder import BuildInfo  # noqa: E402
from ptce.rdf.namespaces import Iris  # noqa: E402
from ptce.store.engine import open_build  # noqa: E402
from ptce.store.remote import SparqlStore  # noqa: E402

GRAPH = str(Iris().dataset)


def lookup_queries(store, count: int, seed: int) -> dict[str, str]:
    """Describe-like lookups of random PTCEs and organisations (what resource pages do)."""
    rng = random.Random(seed)
    found = {}
    for cls in ("ptce:PTCE", "org:Organization"):
        iris = [r["x"] for r in store.select(f"SELECT ?x WHERE {{ ?x a {cls} }}")]
        for iri in rng.sample(iris, count):
            found[f"lookup {iri.rsplit('/', 1)[-1]}"] = (
                f"SELECT ?p ?o ?label WHERE {{ <{iri}> ?p ?o OPTIONAL {{ ?o skos:prefLabel ?label }} }}"
            )
    return found


def direct(endpoint: str, prefixes: str):
    """A bare SPARQL Protocol client for Virtuoso (the same prefixes as the stores declare)."""

    def run(sparql: str) -> bytes:
        body = urllib.parse.urlencode({"query": prefixes + sparql, "default-graph-uri": GRAPH}).encode()
        request = urllib.request.Request(endpoint, data=body, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.read()

    return run


def via_store(store):
    return lambda sparql: store.serialize(store.query(sparql), "json")


def timings(run, sparql: str, reps: int, budget: float) -> list[float]:
    run(sparql)  # warm-up
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < reps and (time.perf_counter() - start < budget or len(times) < 3):
        t = time.perf_counter()
        run(sparql)
        times.append(time.perf_counter() - t)
    return times


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def markdown(results: dict, backends: list[str]) -> str:
    lines = [
        "| query | " + " | ".join(f"{b} median ms (p99)" for b in backends) + " | embedded / virtuoso |",
        "|---|" + "---:|" * (len(backends) + 1),
    ]
    for name, per in results["queries"].items():
        cells = [f"{per[b]['median'] * 1000:.1f} ({per[b]['p99'] * 1000:.1f})" for b in backends]
        ratio = per["embedded"]["median"] / per["virtuoso"]["median"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f}× |")
    for mix in ("example", "lookup"):
        cells = [f"{results['throughput'][mix][b]:.0f} q/s" for b in backends]
        lines.append(f"| **{mix} mix, sequential throughput** | " + " | ".join(cells) + " | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=59500)
    parser.add_argument("--build", type=Path, help="An existing large build (default: synthesise and build one).")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--budget", type=float, default=15.0, help="Seconds per query and backend at most.")
    parser.add_argument("--lookups", type=int, default=10)
    parser.add_argument("--skip", nargs="*", default=[], help="Sample queries not to run.")
    parser.add_argument("--chunk", type=int, default=50_000, help="Triples per Graph Store Protocol request.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "queries.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ptce-bench-q-") as work:
        work = Path(work)
        build = args.build
        if build is None:
            build = work / "dist"
            cmd, env = [sys.executable, "-m", "ptce"], {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            subprocess.run([*cmd, "synth", "--orgs", str(args.orgs), "--out", work / "data"], check=True, env=env)
            subprocess.run(
                [*cmd, "build", "--data", work / "data", "--out", build, "--store-on-disk"], check=True, env=env
            )
        triples = BuildInfo.read(build).triples
        server = virtuoso.start(work / "virtuoso", memory_gb=4)
        try:
            print("publishing", file=sys.stderr)
            t = time.perf_counter()
            publish_to(server.gsp_url, build, GRAPH, server.auth, chunk=args.chunk)
            publish_seconds = time.perf_counter() - t
            print(f"published in {publish_seconds:.1f} s", file=sys.stderr)
            embedded = open_build(build)
            remote = SparqlStore(server.sparql_url, graph=GRAPH, timeout=300)
            prefixes = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in embedded.prefixes.items()) + "\n"
            runners = {
                "embedded": via_store(embedded),
                "sparqlstore": via_store(remote),
                "virtuoso": direct(server.sparql_url, prefixes),
            }
            example = {name: q for name, q in SAMPLE_QUERIES.items() if name not in args.skip}
            mixes = {"example": example, "lookup": lookup_queries(embedded, args.lookups, 1)}
            results: dict = {"triples": triples, "publish_seconds": publish_seconds, "queries": {}, "throughput": {}}
            for mix, queries in mixes.items():
                totals = dict.fromkeys(runners, 0.0)
                for name, sparql in queries.items():
                    rows = {b: len(json.loads(run(sparql))["results"]["bindings"]) for b, run in runners.items()}
                    assert len(set(rows.values())) == 1, f"{name}: backends disagree {rows}"
                    per = {}
                    for backend, run in runners.items():
                        times = timings(run, sparql, args.reps, args.budget)
                        per[backend] = {
                            "median": statistics.median(times),
                            "p99": p99(times),
                            "n": len(times),
                            "rows": rows[backend],
                        }
                        totals[backend] += statistics.median(times)
                    results["queries"][name] = per
                    print(name, {b: round(v["median"] * 1000, 1) for b, v in per.items()}, file=sys.stderr)
                results["throughput"][mix] = {b: len(queries) / totals[b] for b in runners}
        finally:
            server.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"{triples:,} triples; publish_to Virtuoso ({args.chunk:,} triples per request): {publish_seconds:.1f} s")
    print(markdown(results, list(runners)))


if __name__ == "__main__":
    main()
