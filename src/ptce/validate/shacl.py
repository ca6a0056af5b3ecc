"""Validate a graph against the SHACL shapes: one pySHACL run, or by partition for large graphs."""

from __future__ import annotations

import os
from pathlib import Path

from rdflib import Graph, URIRef

from ptce import build_folder
from ptce.assets import SHAPES_DIR
from ptce.graph import graph_of
from ptce.rdf.namespaces import DEFAULT_BASE_IRI, Iris
from ptce.validate import partition
from ptce.validate.report import ValidationReport


def load_shapes(iris: Iris, shapes_dir: Path = SHAPES_DIR) -> Graph:
    """All shapes files (each stands alone; together they are one shapes graph), for a deployment's IRIs.

    The files name instances (the theme scheme, the network graph) under the default base; for another base
    those IRIs are rebased. The ontology's and the shapes' own IRIs never move."""
    g = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        g.parse(path, format="turtle")
    if iris.base != DEFAULT_BASE_IRI:
        g = rebased(g, iris)
    return g


def rebased(graph: Graph, iris: Iris) -> Graph:
    """`graph` with the instance IRIs of the default base (`{default}id/...`, `{default}graph/...`) under iris.base."""
    moved = tuple(f"{DEFAULT_BASE_IRI}{part}" for part in ("id/", "graph/"))

    def move(term):
        if isinstance(term, URIRef) and str(term).startswith(moved):
            return URIRef(iris.base + str(term)[len(DEFAULT_BASE_IRI) :])
        return term

    out = Graph()
    for prefix, ns in graph.namespaces():
        out.bind(prefix, ns)
    out += ((move(s), move(p), move(o)) for s, p, o in graph)
    return out


def validate_graph(data: Graph, shapes: Graph) -> ValidationReport:
    """Run pySHACL (no inference: the data graph carries the ontology's subclass axioms).

    Always with the shapes hoisted (`partition.hoist`: the same report for half the work on the bundled data,
    0.47 s instead of 0.97 s); large graphs by batches on every core, small ones in this process."""
    if len(data) >= build_folder.LARGE_GRAPH:
        return partition.validate_partitioned(data, shapes)
    return partition.validate_partitioned(data, shapes, workers=1)


def start_validation(data: Graph, shapes: Graph) -> partition.Validation:
    """`validate_graph` under way, for a caller with work of its own meanwhile (a build's other steps, on one
    core): a large graph's batches are validated by forked workers on the other cores (one at least, and one at
    the lowest priority: `partition.start_partitioned`) while the caller goes on, and `result()` waits for the
    report; a small graph's report is ready on return."""
    if len(data) >= build_folder.LARGE_GRAPH:
        workers = max(1, (os.cpu_count() or 1) - 1)
        return partition.start_partitioned(data, shapes, workers=workers, beside=True)
    return partition.start_partitioned(data, shapes, workers=1)


def start_validation_beside(triples: list[tuple], iris: Iris, shapes: Graph) -> partition.Validation:
    """`start_validation` of a large graph the caller does not make: a forked process makes the rdflib graph of
    `triples` and validates it (`partition.Beside`), with its workers on the other cores (one at least, and one at
    the lowest priority), while the caller writes the dumps from the triples."""
    workers = max(1, (os.cpu_count() or 1) - 1)
    return partition.Beside(lambda: graph_of(triples, iris), shapes, workers)
