"""Site search at scale: SQLite FTS5 (what `ptce build` writes) against a linear scan of the same analysed texts.

For each synthetic directory (`ptce synth --orgs N`), built with `ptce build`: the time to write the index, its
size, and the median and p95 latency of a set of queries (names, places, words of descriptions, prefixes) through
`SearchIndex.search` (FTS5 MATCH + bm25, 20 hits) and through a plain Python scan that finds the entries holding
every query term as a word prefix (no ranking: a lower bound for any index-free search). Both see the same
analysed words (`ptce.linkeddata.search`), and must find the same number of entries.

    python bench/bench_search.py --orgs 5800 59500 --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_endpoint import emit_section, machine

from ptce.build.pipeline import publish_build
from ptce.build.search_index import write_search_index
from ptce.build_folder import SEARCH_INDEX, BuildInfo
from ptce.linkeddata.search import SearchIndex, query_terms
from ptce.store.engine import open_build
from ptce.synth import generate

HEADING = "Search: FTS5 against a scan"
QUERIES = ["alimentation", "eco pole", "territoire", "insertion emploi", "alim", "calais", "economie circulaire",
           "association", "mobilite douce", "numerique"]  # fmt: skip


def scan_entries(path: Path) -> list[list[str]]:
    """Every entry's analysed words (all columns), as the scan reads them."""
    db = sqlite3.connect(path)
    try:
        return [" ".join(row).split() for row in db.execute("SELECT label, names, places, texts FROM entries")]
    finally:
        db.close()


def scan(entries: list[list[str]], q: str) -> int:
    terms = query_terms(q)
    return sum(1 for words in entries if all(any(w.startswith(t) for w in words) for t in terms)) if terms else 0


def timed(fn, repeat: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * (len(times) - 1))] * 1000


def run(orgs: int, work: Path) -> dict:
    data, out = work / f"synth-{orgs}", work / f"dist-{orgs}"
    generate(data, orgs, seed=1)
    publish_build(out, data)
    store = open_build(out)
    again = work / f"index-{orgs}"
    again.mkdir()
    start = time.perf_counter()
    write_search_index(again, store, store.iris)
    build_s = time.perf_counter() - start
    index = SearchIndex(out / SEARCH_INDEX)
    entries = scan_entries(out / SEARCH_INDEX)
    fts, linear = [], []
    for q in QUERIES:
        found = index.search(q, 20)
        assert found.total == scan(entries, q), (q, found.total, scan(entries, q))
        fts.append(timed(lambda q=q: index.search(q, 20)))
        linear.append(timed(lambda q=q: scan(entries, q), repeat=3))
    triples = BuildInfo.read(out).triples
    return {"orgs": orgs, "triples": triples, "entries": len(entries), "build_s": build_s,
            "size_mb": (out / SEARCH_INDEX).stat().st_size / 2**20,
            "fts": statistics.median(m for m, _ in fts), "fts_p95": max(p for _, p in fts),
            "scan": statistics.median(m for m, _ in linear), "scan_p95": max(p for _, p in linear)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, nargs="+", default=[5800, 59500])
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    command = "python bench/bench_search.py " + " ".join(sys.argv[1:])
    info = machine()
    with tempfile.TemporaryDirectory(prefix="ptce-search-") as tmp:
        rows = []
        for n in args.orgs:
            rows.append(run(n, Path(tmp)))
            print(rows[-1], flush=True)
    lines = [
        f"## {HEADING}",
        "",
        f"Command: `{command}`. Machine: {info}.",
        "",
        f"Queries: {', '.join(QUERIES)} (each timed 7 times through FTS5, 3 times through the scan; medians of the "
        "per-query medians, and the worst p95). Both find the same number of entries for every query.",
        "",
        "| organisations | triples | entries | index written in s | index MB | FTS5 median ms | FTS5 p95 ms "
        "| scan median ms | scan p95 ms | scan ÷ FTS5 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['orgs']:,} | {r['triples']:,} | {r['entries']:,} | {r['build_s']:.2f} | {r['size_mb']:.1f} | "
            f"{r['fts']:.2f} | {r['fts_p95']:.2f} | {r['scan']:.1f} | {r['scan_p95']:.1f} | "
            f"{r['scan'] / r['fts']:.0f}× |"
            for r in rows
        ),
        "",
    ]
    emit_section(lines, args.write, HEADING)


if __name__ == "__main__":
    main()
