"""Large builds: write the dumps with Oxigraph's streaming writers and bulk-load an on-disk Oxigraph store.

rdflib's serialisers take minutes on a million triples; Oxigraph writes the same formats in seconds and streams
them to the file. The store folder (`store/` in a build) is what `store.open_build` opens read-only, so serving
processes share it through the page cache instead of each loading the dump into memory.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .formats import GRAPH_FORMATS
from .namespaces import PREFIXES, Iris
from .store import _GRAPH_FORMATS as _WRITERS

STORE_DIR = "store"
# From this many triples, `ptce build` writes the on-disk store and uses Oxigraph's writers (see README).
ON_DISK_THRESHOLD = 50_000


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


def oxigraph_triples(graph: Graph) -> Iterator[ox.Triple]:
    """The triples of an rdflib graph as Oxigraph triples (in the graph's order: grouped by subject)."""
    cache: dict = {}
    for s, p, o in graph:
        yield ox.Triple(oxigraph_term(s, cache), oxigraph_term(p, cache), oxigraph_term(o, cache))


def prefixes(iris: Iris) -> dict[str, str]:
    return {**{p: str(ns) for p, ns in PREFIXES.items()}, "ptce": str(iris.vocab)}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large graph is built or converted: the millions of objects
    allocated all live on, and collecting over them took a third of the build time at 1M triples (see
    bench/RESULTS.md). Reference counting still frees everything else; forked SHACL workers inherit the pause."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_dumps(graph: Graph, folder: Path, iris: Iris, name: str) -> dict[str, str]:
    """Write every dump format, streaming: N-Triples from the graph, the others converted from it.

    The dumps are written from parsed terms, never read back from a store: Oxigraph's storage turns
    integer subtypes such as xsd:nonNegativeInteger into xsd:integer, which the shapes would reject."""
    names = {f.key: f"{name}.{f.suffix}" for f in GRAPH_FORMATS}
    nt = folder / names["nt"]
    with gc_paused():
        ox.serialize(oxigraph_triples(graph), str(nt), ox.RdfFormat.N_TRIPLES)
    for key, file_name in names.items():
        if key != "nt":
            triples = ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
            ox.serialize(triples, str(folder / file_name), _WRITERS[key], prefixes=prefixes(iris))
    return names


def load_store(path: Path, *dumps: Path) -> None:
    """Create the on-disk store at `path` from dumps (N-Triples, N-Quads…; bulk loaded, then compacted)."""
    finish_store(loaded_store(path, *dumps))


def loaded_store(path: Path | None, *dumps: Path) -> ox.Store:
    """A new store, on disk at `path` (or in memory), with the dumps bulk loaded; see `finish_store`."""
    store = ox.Store(str(path)) if path is not None else ox.Store()
    for dump in dumps:
        store.bulk_load(path=str(dump), format=ox.RdfFormat.from_extension(Path(dump).suffix.lstrip(".")))
    return store


def finish_store(store: ox.Store, *dumps: Path) -> None:
    """Bulk load more dumps into an on-disk store, then compact it and write it out (the store is then done)."""
    for dump in dumps:
        store.bulk_load(path=str(dump), format=ox.RdfFormat.from_extension(Path(dump).suffix.lstrip(".")))
    store.optimize()
    store.flush()


def lines_version(lines: Iterable[bytes]) -> str:
    """A content hash of N-Triples lines: the same triples in any order give the same version."""
    digest = hashlib.sha256()
    for line in sorted(line.strip() for line in lines if line.strip()):
        digest.update(line + b"\n")
    return digest.hexdigest()[:16]


def ntriples_version(path: Path) -> str:
    """`lines_version` of an N-Triples file."""
    with open(path, "rb") as f:
        return lines_version(f)
