"""Validate a graph against the SHACL shapes: one pySHACL run, or by partition for large graphs."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from ptce import build_folder
from ptce.assets import SHAPES_DIR
from ptce.rdf.namespaces import Iris
from ptce.validate import partition
from ptce.validate.report import ValidationReport, plain_validation


def load_shapes(iris: Iris, shapes_dir: Path = SHAPES_DIR) -> Graph:
    """All shapes files, with relative IRIs resolved against the base IRI."""
    g = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        g.parse(path, format="turtle", publicID=iris.base)
    return g


def validate_graph(data: Graph, shapes: Graph) -> ValidationReport:
    """Run pySHACL (no inference: the data graph carries the ontology's subclass axioms).

    Large graphs are validated by partition with the same report (see `partition`)."""
    if len(data) >= build_folder.LARGE_GRAPH:
        return partition.validate_partitioned(data, shapes)
    return plain_validation(data, shapes)
