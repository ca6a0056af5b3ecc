"""Why whole-graph aggregations are slow on the embedded store: the same answers asked in different forms.

Each slow sample query of tests/sample_queries.py is run as written and in equivalent forms that make Oxigraph
evaluate it another way: as `ptce.query.planner` writes it from the build's counts, as a join of two sub-SELECTs
(which it evaluates as a hash join, where it runs a basic graph pattern as nested loops, one index lookup per
row), and without the ORDER BY keys that compare IRIs. Equivalent
forms must give the same rows (checked); forms marked "part" time a piece of the query (a count of its join rows,
its groups) to show where the time goes. One process, the build's on-disk store opened read-only, after a warm-up:
median of --reps runs.

    python bench/bench_join_forms.py --build dist-1m --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from bench_endpoint import emit_section, machine  # noqa: E402
from tests.sample_queries import SAMPLE_QUERIES  # noqa: E402

from ptce.build_folder import BuildInfo  # noqa: E402
from ptce.query.planner import Statistics, plan  # noqa: E402
from ptce.rdf.namespaces import Iris, prefix_map  # noqa: E402

HEADING = "Aggregations on the embedded store: forms of the same query"
TYPES_HASH = "{ SELECT ?o WHERE { ?o a org:Organization } } { SELECT ?o ?type WHERE { ?o org:classification ?type } }"
PAIRS_BGP = "?a a ptce:PTCE ; dcterms:subject ?t . ?b a ptce:PTCE ; dcterms:subject ?t ."
PAIRS_HASH = (
    "{ SELECT ?a ?t WHERE { ?a a ptce:PTCE ; dcterms:subject ?t } } "
    "{ SELECT ?b ?t WHERE { ?b a ptce:PTCE ; dcterms:subject ?t } }"
)
PAIRS_GROUPED = "SELECT ?a ?b (COUNT(?t) AS ?shared) WHERE {{ {} FILTER(STR(?a) < STR(?b)) }} GROUP BY ?a ?b "
# (query, form, kind, SPARQL): "same" forms must answer what "as written" answers; "part" forms time a piece.
FORMS = [
    ("organisation-types", "as written", "same", SAMPLE_QUERIES["organisation-types"]),
    ("organisation-types", "hash join (two sub-SELECTs)", "same",
     f"SELECT ?type (COUNT(?o) AS ?n) WHERE {{ {TYPES_HASH} }} GROUP BY ?type ORDER BY ?type"),
    ("organisation-types", "part: the type pattern alone, counted", "part",
     "SELECT (COUNT(*) AS ?n) WHERE { ?o a org:Organization }"),
    ("organisation-types", "part: the classification pattern alone, counted", "part",
     "SELECT (COUNT(*) AS ?n) WHERE { ?o org:classification ?type }"),
    ("co-theme-pairs", "as written", "same", SAMPLE_QUERIES["co-theme-pairs"]),
    ("co-theme-pairs", "hash join (two sub-SELECTs)", "same",
     PAIRS_GROUPED.format(PAIRS_HASH) + "ORDER BY DESC(?shared) ?a ?b LIMIT 50"),
    ("co-theme-pairs", "part: join rows, as written, counted", "part",
     f"SELECT (COUNT(*) AS ?n) WHERE {{ {PAIRS_BGP} }}"),
    ("co-theme-pairs", "part: join rows, hash join, counted", "part",
     f"SELECT (COUNT(*) AS ?n) WHERE {{ {PAIRS_HASH} }}"),
    ("co-theme-pairs", "part: hash join, grouped, counted", "part",
     f"SELECT (COUNT(*) AS ?n) WHERE {{ {PAIRS_GROUPED.format(PAIRS_HASH)} }}"),
    ("co-theme-pairs", "part: hash join, grouped, ORDER BY DESC(?shared) only", "part",
     PAIRS_GROUPED.format(PAIRS_HASH) + "ORDER BY DESC(?shared) LIMIT 50"),
]  # fmt: skip


def run(store: ox.Store, prefixes: str, sparql: str) -> list[tuple]:
    """The rows of a SELECT, as tuples of terms."""
    return [tuple(solution) for solution in store.query(prefixes + sparql)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True, help="A build folder with an on-disk store.")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--write", type=Path, help="RESULTS.md to write the section into.")
    args = parser.parse_args()
    command = "python bench/bench_join_forms.py " + " ".join(sys.argv[1:])
    info = machine()
    store = ox.Store.read_only(str(args.build / "store"))
    triples = len(store)
    iris = Iris(BuildInfo.read(args.build).base_iri)
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefix_map(iris).items())  # as the endpoint declares
    stats = Statistics.of_build(args.build, iris.dataset)
    forms = []
    for name, form, kind, sparql in FORMS:  # the planner's form right after the query as written
        forms.append((name, form, kind, sparql))
        if form == "as written":
            forms.append((name, "as the planner writes it (`ptce.query.planner`)", "same",
                          plan(sparql, prefix_map(iris), stats)))  # fmt: skip
    rows, expected = [], {}
    for name, form, kind, sparql in forms:
        answer = run(store, prefixes, sparql)  # warm-up
        if kind == "same":
            expected.setdefault(name, answer)
            if answer != expected[name]:
                raise SystemExit(f"{name}, {form}: not the same answer as the query as written")
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            run(store, prefixes, sparql)
            times.append(time.perf_counter() - start)
        counted = kind == "part" and len(answer) == 1 and len(answer[0]) == 1
        shown = f"{int(answer[0][0].value):,}" if counted else f"{len(answer):,} rows"
        rows.append((name, form, shown, statistics.median(times) * 1000))
        print(rows[-1], flush=True)
    lines = [
        f"## {HEADING}",
        "",
        f'Command: `{command}` (a build as in "At 1M triples with the passages" above). Machine: {info}; '
        f"pyoxigraph {ox.__version__}. {triples:,} quads in the store.",
        "",
        "| query | form | answer | median ms |",
        "|---|---|---:|---:|",
        *(f"| {name} | {form} | {shown} | {ms:,.1f} |" for name, form, shown, ms in rows),
        "",
    ]
    emit_section(lines, args.write, HEADING)


if __name__ == "__main__":
    main()
