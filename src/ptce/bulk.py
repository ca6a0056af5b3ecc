"""Large builds: bulk-load the graph into an on-disk Oxigraph store and write the dumps with Oxigraph's writers.

rdflib's serialisers take minutes on a million triples; Oxigraph writes the same formats in seconds and streams
them to the file. The store folder (`store/` in a build) is what `store.open_build` opens read-only, so serving
processes share it through the page cache instead of each loading the dump into memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .formats import GRAPH_FORMATS
from .namespaces import PREFIXES, Iris

STORE_DIR = "store"
# From this many triples, `ptce build` writes the on-disk store and uses Oxigraph's writers (see README).
ON_DISK_THRESHOLD = 100_000
_WRITERS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
assert set(_WRITERS) == {f.key for f in GRAPH_FORMATS}


def oxigraph_term(term, cache: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The Oxigraph term for an rdflib term (memoised: IRIs and literals repeat a lot)."""
    found = cache.get(term)
    if found is None:
        if isinstance(term, URIRef):
            found = ox.NamedNode(str(term))
        elif isinstance(term, BNode):
            found = ox.BlankNode(str(term))
        elif isinstance(term, Literal):
            if term.language:
                found = ox.Literal(str(term), language=term.language)
            elif term.datatype:
                found = ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
            else:
                found = ox.Literal(str(term))
        else:
            raise TypeError(f"unsupported RDF term {term!r}")
        cache[term] = found
    return found


def oxigraph_quads(graph: Graph) -> Iterator[ox.Quad]:
    """The triples of an rdflib graph as Oxigraph quads in the default graph."""
    cache: dict = {}
    default = ox.DefaultGraph()
    for s, p, o in graph:
        yield ox.Quad(oxigraph_term(s, cache), oxigraph_term(p, cache), oxigraph_term(o, cache), default)


def load_store(graph: Graph, path: Path) -> ox.Store:
    """A new on-disk store at `path` holding the graph (bulk loaded, then optimised for reading)."""
    store = ox.Store(str(path))
    store.bulk_extend(oxigraph_quads(graph))
    store.optimize()
    store.flush()
    return store


def prefixes(iris: Iris) -> dict[str, str]:
    return {**{p: str(ns) for p, ns in PREFIXES.items()}, "ptce": str(iris.vocab)}


def dump_store(store: ox.Store, folder: Path, iris: Iris, name: str) -> dict[str, str]:
    """Write every dump format from the store; returns {format key: file name}."""
    dumps = {}
    for fmt in GRAPH_FORMATS:
        file_name = f"{name}.{fmt.suffix}"
        store.dump(str(folder / file_name), _WRITERS[fmt.key], from_graph=ox.DefaultGraph(), prefixes=prefixes(iris))
        dumps[fmt.key] = file_name
    return dumps


def ntriples_version(path: Path) -> str:
    """A content hash of an N-Triples file: the same triples in any order give the same version."""
    with open(path, "rb") as f:
        lines = sorted(line.rstrip(b"\n") for line in f if line.strip())
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line + b"\n")
    return digest.hexdigest()[:16]
