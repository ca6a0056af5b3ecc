"""Graphs to bytes: every dump format through rdflib, JSON-LD compacted with the dataset's context; N-Triples lines
written directly from rdflib terms for large graphs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ptce.rdf.formats import Format
from ptce.rdf.namespaces import Iris, prefix_map

# N-Triples string escapes as Oxigraph writes them (the build's version hashes the lines): the named ones, and \\u
# with four hex digits for the other control characters.
_NAMED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_ESCAPES = str.maketrans({**{chr(c): f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}, **_NAMED_ESCAPES})
# What N-Triples cannot hold in an IRI or a blank node label: such a term is refused, never written (a ">" in an
# IRI would end it and start another triple).
_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")


def _iri(value: str) -> str:
    if _NOT_IN_IRI.search(value) or ":" not in value:
        raise ValueError(f"not an absolute IRI N-Triples can hold: {value!r}")
    return f"<{value}>"


def ntriples_term(term) -> str:
    """One rdflib term in N-Triples, as Oxigraph's writer puts it; ValueError for an IRI or blank node label that
    N-Triples cannot hold."""
    if isinstance(term, URIRef):
        return _iri(term)
    if isinstance(term, Literal):
        text = str.translate(term, _ESCAPES)
        if term.language:
            return f'"{text}"@{term.language.lower()}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^{_iri(term.datatype)}'
        return f'"{text}"'
    if isinstance(term, BNode):
        if not _BNODE_LABEL.fullmatch(term):
            raise ValueError(f"not a blank node label N-Triples can hold: {term!r}")
        return f"_:{term}"
    raise TypeError(f"unsupported RDF term {term!r}")


def ntriples_lines(triples: Iterable[tuple]) -> Iterator[str]:
    """The N-Triples lines of rdflib triples, in their order (a subject repeated in a row is converted once)."""
    last, subject = None, ""
    for s, p, o in triples:
        if s is not last:
            last, subject = s, ntriples_term(s)
        yield f"{subject} {ntriples_term(p)} {ntriples_term(o)} .\n"


def jsonld_context(iris: Iris) -> dict:
    return {"@context": prefix_map(iris)}


def serialize_graph(graph: Graph, fmt: Format, iris: Iris, destination: Path | None = None) -> bytes | None:
    """The graph in one format (bytes, or written to `destination`); JSON-LD is compacted with the context."""
    options = {"context": jsonld_context(iris)["@context"], "auto_compact": True} if fmt.key == "jsonld" else {}
    data = graph.serialize(destination=destination, format=fmt.rdflib, encoding="utf-8", **options)
    return None if destination else data
