"""Build and validate time and peak memory at growing sizes of the synthetic national directory.

Each size runs in a fresh process (so peak RSS is that build's own): `ptce synth`, then the stages of
`ptce build` timed one by one (sources, graph, SHACL, dumps + on-disk store, the co-theme links with their
SHACL check), then the whole `ptce build` command as users run it, then a process that opens the build as a
server worker does and answers the sample queries but SKIP (its peak RSS). pySHACL is also run once over the whole
graph up to --whole-shacl-max triples, to compare with the partitioned validation, and by partition without
hoisting the property shapes (see src/ptce/partition.py) up to --unhoisted-max, to measure what hoisting saves.

    python bench/bench_scale.py --orgs 460 5800 59500 --whole-shacl-max 150000 --out bench/out/scale.json
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Left out of the serving probe: a self-join of every PTCE pair, whose time grows with the square of the PTCEs (14 s
# on the embedded store at 1M triples, where Virtuoso takes 0.5 s: see the query latency section of RESULTS.md).
SKIP = {"co-theme-pairs"}


def stages(data_dir: str, out_dir: str, whole_shacl_max: int, unhoisted_max: int) -> dict:
    """Run the build's stages in this process; seconds per stage and peak RSS (MB)."""
    import pyshacl

    from ptce.build.pipeline import publish_network
    from ptce.build_folder import LARGE_GRAPH, NETWORK_DUMP, STORE_DIR, BuildInfo
    from ptce.graph import build_graph
    from ptce.rdf.namespaces import Iris
    from ptce.sources.loader import load_sources
    from ptce.store import bulk
    from ptce.store.engine import OxigraphStore
    from ptce.validate import partition
    from ptce.validate.report import PYSHACL_OPTIONS
    from ptce.validate.shacl import load_shapes, validate_graph

    iris = Iris()
    times = {}
    gc.disable()  # as `publish.compile_graph` does
    t = time.perf_counter()
    sources = load_sources(data_dir)
    times["sources"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = build_graph(sources, iris)
    times["graph"] = time.perf_counter() - t
    shapes = load_shapes(iris)
    t = time.perf_counter()
    report = validate_graph(graph, shapes)
    times["shacl"] = time.perf_counter() - t
    assert report.conforms, report.as_text()[:2000]
    triples = len(graph)
    if triples <= whole_shacl_max:
        t = time.perf_counter()
        pyshacl.validate(graph, shacl_graph=shapes, **PYSHACL_OPTIONS)
        times["shacl_whole_graph"] = time.perf_counter() - t
    if triples >= LARGE_GRAPH and triples <= unhoisted_max:
        hoist = partition.hoist
        partition.hoist = lambda shapes: (shapes, {})  # the partitioned run without hoisting, for comparison
        t = time.perf_counter()
        validate_graph(graph, shapes)
        times["shacl_unhoisted"] = time.perf_counter() - t
        partition.hoist = hoist
    t = time.perf_counter()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    dumps = bulk.stream_dumps(graph, folder, iris, "ptce")
    store = bulk.loaded_store(folder / STORE_DIR, folder / dumps["nt"])
    times["dumps_and_store"] = time.perf_counter() - t
    info = BuildInfo("bench", triples, iris.base, "2026-01-01T00:00:00+00:00", "bench", dumps)
    t = time.perf_counter()
    validation = partition.Validation(graph, shapes, report)
    publish_network(validation, folder, info, OxigraphStore(store, iris))  # the links, and SHACL on them
    assert validation.links_report().conforms
    times["network"] = time.perf_counter() - t
    t = time.perf_counter()
    bulk.finish_store(store, folder / NETWORK_DUMP)
    times["dumps_and_store"] += time.perf_counter() - t
    rss_stages = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"triples": triples, "seconds": times, "peak_rss_mb": rss_stages}


def run_size(orgs: int, seed: int, work: Path, whole_shacl_max: int, unhoisted_max: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    data, out = work / f"synth-{orgs}", work / f"dist-{orgs}"
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ptce", "synth", "--orgs", str(orgs), "--seed", str(seed), "--out", data],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    synth_seconds = time.perf_counter() - t
    code = (
        f"import json,sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import bench_scale as b; "
        f"print(json.dumps(b.stages({str(data)!r}, {str(work / f'stages-{orgs}')!r}, {whole_shacl_max}, "
        f"{unhoisted_max})))"
    )
    found = json.loads(
        subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True).stdout
    )
    # The command as users run it: wall time, and peak RSS (the largest of the process and its workers).
    rss_file = work / f"rss-{orgs}"
    t = time.perf_counter()
    subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            "-o",
            rss_file,
            sys.executable,
            "-m",
            "ptce",
            "build",
            "--data",
            data,
            "--out",
            out,
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    found["build_command_seconds"] = time.perf_counter() - t
    found["build_command_peak_rss_mb"] = int(rss_file.read_text().split()[-1]) / 1024
    # Serving: a process that opens the build as a server worker does and answers the sample queries.
    code = (
        f"import resource,sys; sys.path.insert(0, {str(ROOT)!r}); from ptce.store.engine import open_build; "
        "from tests.sample_queries import SAMPLE_QUERIES as Q; "
        f"s = open_build({str(out)!r}); [s.serialize(s.query(q), 'json') for n, q in Q.items() if n not in {SKIP!r}]; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    served = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    found["serve_peak_rss_mb"] = int(served.stdout.split()[-1]) / 1024
    found["orgs"], found["synth_seconds"] = orgs, synth_seconds
    found["load_average_1min_after"] = os.getloadavg()[0]  # other processes competing for the cores
    return found


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def markdown(results: list[dict]) -> str:
    keys = ["sources", "graph", "shacl", "dumps_and_store", "network"]
    lines = [
        "| triples | orgs | synth s | "
        + " | ".join(f"{k} s" for k in keys)
        + " | stages total s | `ptce build` s | `ptce build` peak RSS MB | pySHACL whole graph s"
        + " | shacl without hoisting s"
        + " | serving peak RSS MB | load average |",
        "|---:|---:|---:|" + "---:|" * (len(keys) + 7),
    ]
    for r in results:
        s = r["seconds"]
        whole, unhoisted = s.get("shacl_whole_graph"), s.get("shacl_unhoisted")
        lines.append(
            f"| {r['triples']:,} | {r['orgs']:,} | {r['synth_seconds']:.1f} | "
            + " | ".join(f"{s[k]:.1f}" for k in keys)
            + f" | {sum(s[k] for k in keys):.1f} | {r['build_command_seconds']:.1f}"
            + f" | {r['build_command_peak_rss_mb']:.0f} | "
            + (f"{whole:.1f}" if whole else "not run")
            + " | "
            + (f"{unhoisted:.1f}" if unhoisted else "–")
            + f" | {r['serve_peak_rss_mb']:.0f} | {r['load_average_1min_after']:.1f} |"
        )
    lines += ["", "Growth (exponent k in time ∝ triples^k between consecutive sizes):", ""]
    for a, b in itertools.pairwise(results):
        ratio = math.log(b["triples"] / a["triples"])
        parts = [f"{k} {math.log(b['seconds'][k] / a['seconds'][k]) / ratio:.2f}" for k in keys]
        rss = math.log(b["build_command_peak_rss_mb"] / a["build_command_peak_rss_mb"]) / ratio
        lines.append(f"- {a['triples']:,} → {b['triples']:,}: " + ", ".join(parts) + f", peak RSS {rss:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, nargs="+", default=[460, 5800, 59500])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--whole-shacl-max", type=int, default=200_000, help="Largest graph validated whole too.")
    parser.add_argument("--unhoisted-max", type=int, default=2_000_000, help="Largest graph also validated unhoisted.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="ptce-bench-") as work:
        for orgs in args.orgs:
            results.append(run_size(orgs, args.seed, Path(work), args.whole_shacl_max, args.unhoisted_max))
            print(json.dumps(results[-1]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))
    print(json.dumps(machine()))
    print(markdown(results))


if __name__ == "__main__":
    main()
