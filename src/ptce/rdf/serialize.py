"""Graphs to bytes: every dump format through rdflib, JSON-LD compacted with the dataset's context."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from ptce.rdf.formats import Format
from ptce.rdf.namespaces import Iris, prefix_map


def jsonld_context(iris: Iris) -> dict:
    return {"@context": prefix_map(iris)}


def serialize_graph(graph: Graph, fmt: Format, iris: Iris, destination: Path | None = None) -> bytes | None:
    """The graph in one format (bytes, or written to `destination`); JSON-LD is compacted with the context."""
    options = {"context": jsonld_context(iris)["@context"], "auto_compact": True} if fmt.key == "jsonld" else {}
    data = graph.serialize(destination=destination, format=fmt.rdflib, encoding="utf-8", **options)
    return None if destination else data
