"""Sort keys: every subject of a build's default graph with its rank among them in code-point order.

Oxigraph 0.5 compares two IRIs (`ORDER BY ?x`, `FILTER(STR(?a) < STR(?b))`) by reading both texts back from the
store, about 2 µs each on the on-disk store: most of the 11 s `co-theme-pairs` took at 1M triples
(bench/bench_join_forms.py). An integer is held in the term itself and compares in nanoseconds. A published build
is immutable, so its subjects are ranked once, when it is built: `<iri> <Iris.sort_key> rank` in the graph
`Iris.sort_keys_graph`, written to the build's SORT_KEYS file and loaded with the data. Ranks order as the IRIs'
texts do (Python compares strings by code point, as Oxigraph compares them by UTF-8 byte, which is the same order).

The planner orders by the ranks instead of the IRIs where that gives the same answer (`ptce.query.planner`). No
user query sees the graph: `engine.OxigraphStore` leaves it out of every dataset but the planner's.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ptce.rdf.namespaces import Iris

XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def write_sort_keys(store: ox.Store, path: Path, iris: Iris) -> int | None:
    """Rank the subjects of `store`'s default graph into an N-Quads file at `path`; returns how many there are.

    None, and nothing written, when a subject is a blank node: keys must cover every subject, and a blank node has
    no text to rank by (the engine orders blank nodes by their identity in the store); or when there is none."""
    ranked = []  # the texts only, sorted in place: 1.2 million subjects at 6M triples
    for (subject,) in store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }"):
        if not isinstance(subject, ox.NamedNode):
            return None
        ranked.append(subject.value)
    if not ranked:
        return None
    ranked.sort()
    graph, key = ox.NamedNode(str(iris.sort_keys_graph)), ox.NamedNode(str(iris.sort_key))
    quads = (ox.Quad(ox.NamedNode(iri), key, ox.Literal(str(rank), datatype=XSD_INTEGER), graph)
             for rank, iri in enumerate(ranked))  # fmt: skip
    ox.serialize(quads, str(path), ox.RdfFormat.N_QUADS)
    return len(ranked)
