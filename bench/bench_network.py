"""Co-theme network at scale: ptce.network.projection vs networkx's bipartite.weighted_projected_graph.

Synthetic bipartite graphs of N organisations × 300 themes (N = 1k, 10k, 100k by default): each organisation
holds 1 + Poisson(4) themes (at most 30, mean about 5), drawn without replacement with popularity ∝ rank^-0.5,
so a few themes are common, as in real data. For each size, each method runs in its own process (single-threaded
BLAS), which first builds its input (not measured), then resets the kernel's peak-RSS counter and runs the
projection: the table reports wall time and peak memory above that baseline. networkx gets an address-space limit
(--limit-gb) and a time limit (--timeout); hitting either is reported, not hidden.

Methods:
- `ptce top-k`: ptce.network.projection.project(B, top_k=K): organisations, K strongest neighbours each (all weights,
  p-values); row blocks of B·Bᵀ bounded in non-zeros, never N×N;
- `ptce exact`: the same, every pair kept (only where N is small enough: the output itself grows with N²);
- `networkx`: nx.bipartite.weighted_projected_graph(B, organisations): every pair, shared count only;
- `ptce themes` / `networkx themes`: the theme projection (Bᵀ·B, 300 × 300); `ptce themes, no p-values` shows
  what the hypergeometric p-values cost when each theme is held by thousands of organisations.

Run: python bench/bench_network.py [--sizes 1000 10000 100000] [--write bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

SECTION = "## Co-theme network at scale"
LOAD_AT_START = os.getloadavg()


def synthetic(n: int, themes: int = 300, seed: int = 20261129):
    """The incidence matrix (CSR, n × themes) of a reproducible synthetic bipartite graph."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed + n)
    popularity = 1.0 / np.arange(1, themes + 1) ** 0.5
    popularity /= popularity.sum()
    degree = np.clip(rng.poisson(4, size=n) + 1, 1, 30)
    rows = np.repeat(np.arange(n), degree)
    cols = np.concatenate([rng.choice(themes, size=d, replace=False, p=popularity) for d in degree])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, themes))


def _status(key: str) -> int:
    """A /proc/self/status field, in kB."""
    return int(re.search(rf"^{key}:\s+(\d+)", Path("/proc/self/status").read_text(), re.M).group(1))


def run_one(method: str, n: int, top_k: int) -> dict:
    """Runs inside the child process: build the input, reset the peak RSS, run one method, measure."""
    import gc

    import networkx as nx

    from ptce.network.projection import project

    b = synthetic(n)
    if method.startswith("networkx"):
        g = nx.Graph()
        g.add_nodes_from(range(n), bipartite=0)
        g.add_nodes_from((f"t{t}" for t in range(b.shape[1])), bipartite=1)
        coo = b.tocoo()
        g.add_edges_from(zip(coo.row.tolist(), (f"t{t}" for t in coo.col.tolist()), strict=True))
        side = range(n) if method == "networkx" else [f"t{t}" for t in range(b.shape[1])]
        task = lambda: nx.bipartite.weighted_projected_graph(g, side).number_of_edges()  # noqa: E731
    else:
        matrix = b.T.tocsr() if method.startswith("ptce themes") else b
        k = top_k if method == "ptce top-k" else None
        with_p = "no p-values" not in method
        task = lambda: len(project(matrix, top_k=k, p_values=with_p).rows)  # noqa: E731
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status("VmRSS")
    start = time.perf_counter()
    edges = task()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": (_status("VmHWM") - baseline) / 1024, "edges": edges, "nnz": b.nnz}


def measure(method: str, n: int, top_k: int, limit_gb: float, timeout: float) -> dict:
    """Run one method in a child process with memory and time limits."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    limit = int(limit_gb * 2**30)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, __file__, "--child", method, str(n), str(top_k)]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, preexec_fn=cap)
    except subprocess.TimeoutExpired:
        return {"failed": f"did not finish in {timeout:.0f} s"}
    if done.returncode != 0:
        oom = "MemoryError" in done.stderr or done.returncode < 0
        reason = f"out of memory at the {limit_gb:g} GB limit" if oom else done.stderr.strip().splitlines()[-1]
        return {"failed": f"{reason} after {time.perf_counter() - start:.0f} s"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: list[dict], top_k: int) -> str:
    lines = [
        "| organisations | themes held | method | edges | time (s) | peak memory (MB) |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        m = r["result"]
        label = r["method"].replace("top-k", f"top-{top_k}")
        if "failed" in m:
            lines.append(f"| {r['n']:,} | | {label} | | {m['failed']} | |")
        else:
            lines.append(
                f"| {r['n']:,} | {m['nnz']:,} | {label} | {m['edges']:,} | {m['seconds']:.2f} | {m['peak_mb']:,.0f} |"
            )
    return "\n".join(lines)


def reading(results: list[dict]) -> str:
    """Ratios computed from the table, so the text always matches it."""
    by = {(r["n"], r["method"]): r["result"] for r in results}
    lines = []
    for n in sorted({r["n"] for r in results}):
        nx_run, exact, top = by.get((n, "networkx"), {}), by.get((n, "ptce exact"), {}), by.get((n, "ptce top-k"), {})
        if "failed" in nx_run:
            lines.append(f"- {n:,} organisations: networkx failed ({nx_run['failed']}); ptce top-k took "
                         f"{top['seconds']:.1f} s and {top['peak_mb']:,.0f} MB.")  # fmt: skip
        elif nx_run and exact and "failed" not in exact:
            lines.append(
                f"- {n:,} organisations: same {exact['edges']:,} edges; networkx took "
                f"{nx_run['seconds'] / exact['seconds']:.0f}× the time and "
                f"{nx_run['peak_mb'] / max(exact['peak_mb'], 1):.1f}× the memory of ptce exact."
            )
    return "\n".join(lines)


def environment() -> str:
    import networkx
    import numpy
    import scipy

    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20
    return (
        f"Python {platform.python_version()}, numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"networkx {networkx.__version__}; {os.cpu_count()} CPUs, {memory:.0f} GB RAM, {platform.machine()}; "
        f"run {time.strftime('%Y-%m-%d')}, load average {LOAD_AT_START[0]:.1f} at the start (other processes "
        "share the machine: times are indicative, peak memory is per process)."
    )


def write_section(path: Path, body: str) -> None:
    """Replace (or append) this benchmark's section of RESULTS.md, leaving other sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = f"{SECTION}\n\n{body.strip()}\n\n"
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--exact-up-to", type=int, default=10_000, help="largest N for `ptce exact`")
    parser.add_argument("--limit-gb", type=float, default=8.0, help="address-space limit of each run")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds allowed per run")
    parser.add_argument("--write", type=Path, help="update this RESULTS.md section")
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        methods = ["ptce top-k"] + (["ptce exact"] if n <= args.exact_up_to else []) + ["networkx"]
        for method in [*methods, "ptce themes", "ptce themes, no p-values", "networkx themes"]:
            result = measure(method, n, args.top_k, args.limit_gb, args.timeout)
            results.append({"n": n, "method": method, "result": result})
            print(f"{n:>7} {method:16} {result}", flush=True)
    command = "python bench/bench_network.py " + " ".join(sys.argv[1:])
    body = "\n\n".join(
        [
            "ptce.network.projection (sparse B·Bᵀ in bounded row blocks, top-k neighbours) against networkx's "
            "`bipartite.weighted_projected_graph`, on synthetic bipartite graphs of N organisations × 300 themes "
            "(each organisation holds 1 + Poisson(4) themes, popularity ∝ rank^-0.5). Each run is its own "
            "process; time and peak RSS are measured around the projection only (input built beforehand), with "
            f"single-threaded BLAS, a {args.limit_gb:g} GB address-space limit and a {args.timeout:.0f} s time "
            "limit. `ptce` computes shared count, Jaccard, Newman weight and p-value per pair; networkx the shared "
            "count only.",
            f"Command: `{command.strip()}`",
            environment(),
            table(results, args.top_k),
            reading(results),
        ]
    )
    print(body)
    if args.write:
        write_section(args.write, body)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(run_one(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
