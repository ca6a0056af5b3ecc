"""Validate a large graph by partition: pySHACL on batches of focus nodes in worker processes, one merged report.

pySHACL's time grows faster than the graph (see bench/RESULTS.md). SHACL evaluates each (shape, focus node)
pair on its own, and every result names its focus node, so validating the focus nodes batch by batch (each
worker sees the whole graph, inherited by `fork`, and evaluates the shapes' targets that fall in its batch)
and taking the union of the results gives the report of one run over the whole graph. Partitioning applies
when every focus node is an IRI; otherwise one plain run is made. tests/test_partition.py checks the
equivalence on the real data and on synthetic data with injected violations.
"""

from __future__ import annotations

import multiprocessing
import os

import pyshacl
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from .namespaces import SH
from .validate import PYSHACL_OPTIONS, ValidationReport, readable_report

# From this many triples, `validate_graph` partitions.
PARTITION_THRESHOLD = 50_000
BATCH_SIZE = 8_000

# The graphs a forked worker validates (set by the parent just before it forks).
_SHARED: dict[str, Graph] = {}


def focus_nodes(data: Graph, shapes: Graph) -> list | None:
    """The focus nodes of every shape's targets, sorted; None when one is not an IRI."""
    graph = DataGraph.from_rdflib(data)
    nodes: set = set()
    for shape in pyshacl.ShapesGraph(shapes).shapes:
        nodes.update(shape.focus_nodes(graph))
    if not all(isinstance(n, URIRef) for n in nodes):
        return None
    return sorted(nodes)


def _validate_batch(batch: list[URIRef]) -> tuple[bool, list[tuple]]:
    """Validate the focus nodes of one batch against the shared graphs; the report's triples (picklable).

    The loop of pySHACL's `Validator.run`, with each shape's targets cut down to the batch (pySHACL's own
    `focus_nodes` option also filters the value nodes of nested shapes, which would hide their results)."""
    options = {**PYSHACL_OPTIONS, "inplace": True}
    validator = pyshacl.Validator(
        DataGraph.from_rdflib(_SHARED["data"]), shacl_graph=_SHARED["shapes"], options=options
    )
    executor = validator.make_executor()
    graph = validator.data_graph
    wanted = set(batch)
    conforms, results = True, []
    for shape in validator.shacl_graph.shapes:
        focus = [n for n in shape.focus_nodes(graph) if n in wanted]
        if focus:
            ok, found = shape.validate(executor, graph, focus=focus)
            conforms = conforms and ok
            results.extend(found)
    report, _ = validator.create_validation_report(validator.shacl_graph, conforms, results)
    return conforms, list(report)


def merge_reports(parts: list[tuple[bool, list[tuple]]], shapes: Graph) -> tuple[bool, Graph]:
    """One SHACL validation report from the reports of the batches.

    Blank nodes of the shapes graph keep their identity; the others (reports, results) are renamed per batch,
    since forked workers draw the same blank node labels."""
    shape_bnodes = {t for triple in shapes for t in triple if isinstance(t, BNode)}
    merged = Graph()
    report = BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    conforms = all(ok for ok, _ in parts)
    merged.add((report, SH.conforms, Literal(conforms)))
    for _, triples in parts:
        renamed: dict[BNode, BNode] = {}

        def rename(term, renamed=renamed):
            if isinstance(term, BNode) and term not in shape_bnodes:
                return renamed.setdefault(term, BNode())
            return term

        reports = {s for s, p, o in triples if p == RDF.type and o == SH.ValidationReport}
        for s, p, o in triples:
            if s in reports:
                if p == SH.result:
                    merged.add((report, SH.result, rename(o)))
                continue
            merged.add((rename(s), p, rename(o)))
    return conforms, merged


def validate_partitioned(
    data: Graph, shapes: Graph, batch_size: int = BATCH_SIZE, workers: int | None = None
) -> ValidationReport:
    """Validate `data` in batches of focus nodes, on `workers` processes (default: the CPU count)."""
    nodes = focus_nodes(data, shapes)
    if nodes is None:
        conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, **PYSHACL_OPTIONS)
        return readable_report(bool(conforms), report, data, shapes)
    batches = [nodes[i : i + batch_size] for i in range(0, len(nodes), batch_size)] or [[]]
    workers = max(1, min(workers or os.cpu_count() or 1, len(batches)))
    _SHARED.update(data=data, shapes=shapes)
    try:
        if workers == 1:
            parts = [_validate_batch(b) for b in batches]
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_validate_batch, batches, chunksize=1)
    finally:
        _SHARED.clear()
    conforms, report = merge_reports(parts, shapes)
    return readable_report(conforms, report, data, shapes)
