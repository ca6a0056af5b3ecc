"""Where `ptce build` spends its time: each step of `publish_build`, timed inside one real build.

The build runs as `ptce build --store-on-disk` does (`ptce.build.pipeline.publish_build`), in this process; each
step's function is wrapped with a timer for the run, so the steps are the pipeline's own calls, in its order, and
their sum is shown beside the whole. The co-theme links' SHACL check is part of the links' step and is shown
inside it; the dump formats written by a forked process beside the next steps are timed there and shown apart.
Peak RSS is this process's.

    python -m ptce synth --orgs 14700 --seed 1 --out data-1m
    python bench/bench_build_steps.py --data data-1m --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_endpoint import emit_section, machine

import ptce.build.metadata
import ptce.build.search_index
import ptce.build.spreadsheet
import ptce.validate.shacl
from ptce.build import pipeline
from ptce.store import bulk

HEADING = "Build steps"
# (module, function, what it does), in the order publish_build calls them; `inside` steps are part of the one before.
STEPS = [
    (pipeline, "load_sources", "read and check the sources (YAML, passages)"),
    (pipeline, "graph_triples", "the graph's triples, from the records"),
    (pipeline, "start_validation_beside", "SHACL started: a forked process takes the triples"),
    (ptce.validate.shacl, "graph_of", "beside: the rdflib graph of the triples, made in that process for SHACL"),
    (bulk, "write_ntriples", "the N-Triples dump, from the triples' terms"),
    (bulk, "convert_dumps", "beside: Turtle, RDF/XML, JSON-LD from it, in a forked process while the next steps run"),
    (bulk, "ntriples_version", "the build's version (a hash of the N-Triples dump)"),
    (bulk, "loaded_store", "bulk-load of the on-disk store"),
    (pipeline, "publish_network", "the co-theme links: computed, checked, written"),
    (ptce.build.spreadsheet, "write_spreadsheets", "CSV and XLSX"),
    (ptce.build.search_index, "write_search_index", "the site's search index (SQLite FTS5)"),
    (ptce.build.metadata, "write_metadata", "VoID, DCAT catalog, statistics"),
    (pipeline, "write_sort_keys", "every subject ranked for the planner's sorts (`ptce.store.sort_keys`)"),
    (pipeline, "load_dumps", "the sort keys loaded into the on-disk store"),
    (pipeline, "conforming", "waiting for SHACL's report (the workers ran beside the steps since its start)"),
    (bulk, "finish_store", "the links added to the store, compacted"),
]
INSIDE = {"graph_of", "convert_dumps", "shacl"}
IN_CHILD = {"graph_of", "convert_dumps"}
SPAN = ("shacl", "beside: SHACL of the graph (its links included), from its start to its reports in hand")


def timed(module, name: str, seconds: dict, marks: dict) -> None:
    """Replace module.name with a wrapper adding its run time to seconds[name]; marks[name] is when it started
    (start_validation_beside) or last ended (the others)."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        if name == "start_validation_beside":
            marks.setdefault(name, start)
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            if name != "start_validation_beside":
                marks[name] = time.perf_counter()

    setattr(module, name, wrapper)


def timed_in_child(module, name: str, record: Path) -> None:
    """Replace module.name with a wrapper that appends its run time to `record` (it runs in a forked process)."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            with open(record, "a") as f:
                f.write(f"{time.perf_counter() - start}\n")

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="A data folder (e.g. from `ptce synth`).")
    parser.add_argument("--write", type=Path, help="RESULTS.md to write the section into.")
    args = parser.parse_args()
    command = "python bench/bench_build_steps.py " + " ".join(sys.argv[1:])
    info = machine()
    seconds: dict[str, float] = {}
    marks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ptce-steps-") as tmp:
        records = {name: Path(tmp) / f"{name}-seconds" for name in IN_CHILD}
        for module, name, _ in STEPS:
            if name in IN_CHILD:
                timed_in_child(module, name, records[name])
            else:
                timed(module, name, seconds, marks)
        start = time.perf_counter()
        built = pipeline.publish_build(Path(tmp) / "dist", args.data, on_disk=True)
        total = time.perf_counter() - start
        for name, record in records.items():
            seconds[name] = sum(float(x) for x in record.read_text().split())
    seconds[SPAN[0]] = marks["conforming"] - marks["start_validation_beside"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    own, forked = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    child_peak = forked.ru_maxrss / 1024  # the largest of its processes
    cpu_own, cpu_forked = own.ru_utime + own.ru_stime, forked.ru_utime + forked.ru_stime
    counted = sum(s for name, s in seconds.items() if name not in INSIDE)
    lines = [
        f"## {HEADING}",
        "",
        f"Command: `{command}` (a data folder of `ptce synth`, see the script). Machine: {info}.",
        "",
        f"{built.triples:,} triples; `publish_build` took {total:.1f} s in all, peak RSS {peak:,.0f} MB "
        f"(its forked processes: {child_peak:,.0f} MB at most). "
        f"The steps below add up to {counted:.1f} s; the rest ({total - counted:.1f} s) is what `publish_build` "
        "does between them (the small files: shapes, reports, context, outlines; moving the folder into place). "
        "Steps marked inside or beside are not in the sum: they are part of another step, or run on the other core "
        "during the ones after them. "
        f"CPU time: {cpu_own:.1f} s in the build's process, {cpu_forked:.1f} s in its forked ones (SHACL and the "
        f"dump formats), {cpu_own + cpu_forked:.1f} s in all: on {os.cpu_count()} cores no schedule of this work "
        f"ends before {(cpu_own + cpu_forked) / (os.cpu_count() or 1):.1f} s.",
        "",
        "| step | what | s | share |",
        "|---|---|---:|---:|",
        *(
            f"| `{name}` | {what} | {seconds.get(name, 0.0):.1f} | {seconds.get(name, 0.0) / total:.0%} |"
            for _, name, what in [*STEPS, (None, *SPAN)]
        ),
        "",
    ]
    emit_section(lines, args.write, HEADING)


if __name__ == "__main__":
    main()
