"""Large builds: write the dumps streaming and bulk-load an on-disk Oxigraph store.

rdflib's serialisers take minutes on a million triples; N-Triples written straight from the terms, and Oxigraph's
writers for the other formats, take seconds and stream to the file. The store folder (`store/` in a build) is what
`store.open_build` opens read-only, so serving processes share it through the page cache instead of each loading
the dump into memory.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from ptce.forked import Forked
from ptce.rdf.formats import GRAPH_FORMATS
from ptce.rdf.namespaces import Iris, prefix_map
from ptce.rdf.serialize import ntriples_lines
from ptce.store.engine import load_dumps, rdf_format


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


def stream_dumps(graph: Iterable[tuple], folder: Path, iris: Iris, name: str, skip: frozenset[str] = frozenset(),
                 sort: bool = False) -> dict[str, str]:  # fmt: skip
    """Write every dump format but those in `skip`: N-Triples from the terms of a graph or of its triples, each
    once (`ntriples_lines`), the others
    with Oxigraph's streaming writers from it; returns {format key: file name}. `sort` orders the lines (by subject,
    predicate and object: a small graph, whose Turtle and RDF/XML dumps then read the same for the same triples).

    The dumps are written from parsed terms, never read back from a store: Oxigraph's storage turns
    integer subtypes such as xsd:nonNegativeInteger into xsd:integer, which the shapes would reject."""
    names = dump_names(name, skip)
    write_ntriples(graph, folder / names["nt"], sort)
    convert_dumps(folder, names, iris)
    return names


def dump_names(name: str, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """{format key: file name} of the dumps called `name`, but those in `skip`."""
    return {f.key: f"{name}.{f.suffix}" for f in GRAPH_FORMATS if f.key not in skip}


def write_ntriples(graph: Iterable[tuple], path: Path, sort: bool = False) -> None:
    """The N-Triples dump of a graph, or of triples each given once, from their terms; `sort` orders the
    lines."""
    with gc_paused(), open(path, "w", encoding="utf-8", newline="\n") as out:
        lines = ntriples_lines(graph)
        out.writelines(sorted(lines) if sort else lines)


def convert_dumps(folder: Path, names: dict[str, str], iris: Iris) -> None:
    """Write the dumps in `names` other than N-Triples from the N-Triples one, with Oxigraph's writers."""
    for key, file_name in names.items():
        if key != "nt":
            triples = ox.parse(path=str(folder / names["nt"]), format=ox.RdfFormat.N_TRIPLES)
            ox.serialize(triples, str(folder / file_name), rdf_format(key), prefixes=prefix_map(iris))


@contextmanager
def dumps_streaming(graph: Iterable[tuple], folder: Path, iris: Iris, name: str) -> Iterator[dict[str, str]]:
    """`stream_dumps` for a large build whose next steps use one core: the N-Triples dump is written first, the
    other formats by a forked process while the block runs (they need only that file); at the end of the block
    it is waited for, and its error, if any, raised here. A failing block stops it."""
    names = dump_names(name)
    write_ntriples(graph, folder / names["nt"])
    with gc_paused():  # the child starts without the collector: it never walks (and copies) the parent's heap
        converting = Forked(convert_dumps, folder, names, iris)
    try:
        yield names
        converting.wait()
    finally:
        converting.close()


# N-Triples lines per bulk load: Oxigraph's loader holds a whole call's input in its buffers (at 1M triples, 863 MB
# for the dump in one call, 290 MB in calls of 250,000 lines, in the same time).
LOAD_CHUNK = 250_000


def loaded_store(path: Path | None, *dumps: Path) -> ox.Store:
    """A new store, on disk at `path` (or in memory), with the dumps bulk loaded (N-Triples ones by chunks of
    lines, `load_ntriples`); see `finish_store`."""
    store = ox.Store(str(path)) if path is not None else ox.Store()
    for dump in dumps:
        if Path(dump).suffix == ".nt":
            load_ntriples(store, Path(dump))
        else:
            load_dumps(store, dump)
    return store


def load_ntriples(store: ox.Store, path: Path, chunk: int = LOAD_CHUNK) -> None:
    """Bulk load an N-Triples file `chunk` lines at a time. Oxigraph gives the blank nodes of each call new
    identities, so the lines that name one (those holding "_:") are loaded together, in one last call."""
    blank: list[bytes] = []
    first = 1
    with open(path, "rb") as f:
        while lines := list(itertools.islice(f, chunk)):
            named = [line for line in lines if b"_:" not in line]
            blank += [line for line in lines if b"_:" in line]
            _bulk_load(store, named, f"{path}, {len(named):,} lines of lines {first:,} to {first + len(lines) - 1:,}")
            first += len(lines)
    _bulk_load(store, blank, f"{path}, its {len(blank):,} lines naming blank nodes")


def _bulk_load(store: ox.Store, lines: list[bytes], where: str) -> None:
    if lines:
        try:
            store.bulk_load(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:  # its line numbers count from the chunk's first line
            raise SyntaxError(f"{where}: {exc}") from exc


def finish_store(store: ox.Store, *dumps: Path) -> None:
    """Bulk load more dumps into an on-disk store, then compact it and write it out (the store is then done)."""
    load_dumps(store, *dumps)
    store.optimize()
    store.flush()


def lines_version(lines: Iterable[bytes]) -> str:
    """A content hash of N-Triples lines: the same triples in any order give the same version.

    The sum of the lines' SHA-256 digests modulo 2**256 (an additive multiset hash), its first 16 hex digits: no
    sort of the dump (3.0 s at 1M triples with the sort, 1.1 s without)."""
    total = 0
    for line in lines:
        line = line.strip()
        if line:
            total += int.from_bytes(hashlib.sha256(line).digest(), "big")
    return f"{total % 2**256:064x}"[:16]


def ntriples_version(path: Path) -> str:
    """`lines_version` of an N-Triples file."""
    with open(path, "rb") as f:
        return lines_version(f)
