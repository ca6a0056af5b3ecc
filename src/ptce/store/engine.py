"""The query engine: a `Store` interface and its embedded Oxigraph implementation."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ptce.errors import PtceError
from ptce.query.guard import QueryRefused, analyse
from ptce.rdf.formats import GRAPH_FORMATS, RESULT_FORMATS
from ptce.rdf.namespaces import Iris, prefix_map

BY_KEY = {f.key: f for f in (*RESULT_FORMATS, *GRAPH_FORMATS)}


def rdf_format(key: str) -> ox.RdfFormat:
    """Oxigraph's writer for a graph format of `formats` (found by media type: no second table)."""
    return ox.RdfFormat.from_media_type(BY_KEY[key].media_type)


def results_format(key: str) -> ox.QueryResultsFormat:
    """Oxigraph's writer for a result format of `formats`."""
    return ox.QueryResultsFormat.from_media_type(BY_KEY[key].media_type)


def term_value(term: Any) -> Any:
    """A Python value for an Oxigraph term: str for IRIs and strings, int/float/bool for typed numbers."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        return literal_value(term.value, term.datatype.value)
    return term.value


def literal_value(lexical: str, datatype: str | None) -> Any:
    """A Python value for a literal: int/float/bool for typed numbers and booleans, else the text."""
    dtype = (datatype or "").rsplit("#", 1)[-1]
    if dtype in ("integer", "nonNegativeInteger", "int", "long", "positiveInteger"):
        return int(lexical)
    if dtype in ("decimal", "double", "float"):
        return float(lexical)
    if dtype == "boolean":
        return lexical in ("true", "1")
    return lexical


class UnwritableResult(PtceError, ValueError):
    """The result holds what the format asked for cannot express (RDF 1.2 triple terms in JSON-LD)."""


def json_term_value(term: dict | None) -> Any:
    """A Python value for a SPARQL JSON results term, as `term_value` gives for Oxigraph terms."""
    if term is None:
        return None
    if term["type"] in ("literal", "typed-literal"):
        return literal_value(term["value"], term.get("datatype"))
    return term["value"]


def rdflib_term(term):
    """An rdflib term for an Oxigraph term (plain strings keep no xsd:string datatype, as rdflib parses them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))
    return BNode(term.value)


def is_engine_iri(iri: str) -> bool:
    """Whether the engine takes `iri` as an IRI (its own check: percent-encoding, code points)."""
    try:
        ox.NamedNode(iri)
    except (ValueError, UnicodeError):
        return False
    return True


class Store(ABC):
    """Read access to the published graph through SPARQL.

    `iris`: the dataset's identifiers; `prefixes`: those predeclared in every query (`prefix_map`);
    `embedded`: the store is the build's own (its queries can run in walled-in processes that open the build),
    not a server elsewhere."""

    iris: Iris
    prefixes: dict[str, str]
    embedded: bool = False

    @abstractmethod
    def query(
        self,
        sparql: str,
        default_graph_uris: list[str] | None = None,
        named_graph_uris: list[str] | None = None,
        sort_keys: bool = False,
    ) -> Any:
        """Run a query; returns the engine's result object (solutions, boolean or triples). `sort_keys`: the query
        is the planner's and reads the build's sort keys graph (`ptce.store.sort_keys`)."""

    @abstractmethod
    def serialize(self, result: Any, format_key: str, output: Any = None) -> bytes | None:
        """Serialise a result with the engine's own writer (format keys from `formats`): returned as bytes, or
        written to `output` (a binary file-like object) as the engine produces it."""

    @abstractmethod
    def result_kind(self, result: Any) -> str:
        """What a query result is: "solutions", "boolean" or "graph"."""

    @abstractmethod
    def graph_names(self) -> frozenset[str]:
        """IRIs of the store's named graphs."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of quads in the store."""

    def select(self, sparql: str) -> list[dict[str, Any]]:
        """Rows of a SELECT query as dicts of Python values (for the app's own queries)."""
        data = json.loads(self.serialize(self.query(sparql), "json"))
        names = data["head"]["vars"]
        return [{n: json_term_value(row.get(n)) for n in names} for row in data["results"]["bindings"]]

    def ask(self, sparql: str) -> bool:
        return bool(json.loads(self.serialize(self.query(sparql), "json"))["boolean"])

    def construct_graph(self, sparql: str, graph: Graph) -> Graph:
        """Add the triples of a CONSTRUCT or DESCRIBE query to an rdflib graph; returns it."""
        data = self.serialize(self.query(sparql), "nt")
        if data.strip():
            graph.parse(data=data, format="nt")
        return graph


def load_dumps(store: ox.Store, *dumps: Path) -> None:
    """Bulk load dump files into an Oxigraph store, each in the format its extension names (nt, nq, ttl, ...)."""
    for dump in dumps:
        store.bulk_load(path=str(dump), format=ox.RdfFormat.from_extension(Path(dump).suffix.lstrip(".")))


class OxigraphStore(Store):
    """An embedded pyoxigraph store, in memory or on disk.

    The build's sort keys graph (`ptce.store.sort_keys`), when the store holds it, is no part of the published
    data: every query runs on a dataset named to the engine without it (the text's FROM and FROM NAMED, as the
    guard reads them, or the protocol's graphs, or the default graph and the other named graphs), so that no text,
    whatever the guard made of it, can reach it; only the planner's queries (`sort_keys`) get it among the named
    graphs. `graph_names` and `len` leave it out too."""

    embedded = True

    def __init__(self, store: ox.Store | None = None, iris: Iris | None = None):
        self.store = store if store is not None else ox.Store()
        self.iris = iris or Iris()
        self.prefixes = prefix_map(self.iris)
        keys = ox.NamedNode(str(self.iris.sort_keys_graph))
        self._keys = keys if self.store.contains_named_graph(keys) else None

    @classmethod
    def from_files(cls, *paths: Path, iris: Iris | None = None) -> OxigraphStore:
        """Load N-Triples / Turtle / N-Quads files into a new in-memory store."""
        store = ox.Store()
        load_dumps(store, *paths)
        return cls(store, iris=iris)

    def query(self, sparql, default_graph_uris=None, named_graph_uris=None, sort_keys=False):
        """Relative IRIs resolve against the dataset's base IRI. The protocol's graphs are the query's dataset, as
        FROM and FROM NAMED would be: naming only one kind leaves the other empty."""
        kwargs: dict[str, Any] = {"prefixes": self.prefixes, "base_iri": self.iris.base}
        if sort_keys and self._keys is None:
            raise ValueError("this store holds no sort keys")
        if self._keys is not None and not (default_graph_uris or named_graph_uris):
            default_graph_uris, named_graph_uris = self._own_dataset(sparql)
            if default_graph_uris is None:  # the store's: its default graph and named graphs, the keys left out
                kwargs["default_graph"] = ox.DefaultGraph()
                kwargs["named_graphs"] = [*self._named_graphs(), *([self._keys] if sort_keys else [])]
        if default_graph_uris or named_graph_uris:
            kwargs["default_graph"] = self._graphs(default_graph_uris)
            kwargs["named_graphs"] = self._graphs(named_graph_uris)
        return self.store.query(sparql, **kwargs)

    def _own_dataset(self, sparql: str) -> tuple[list[str] | None, list[str] | None]:
        """The query's FROM and FROM NAMED graphs as the guard reads them, relative ones resolved as the engine
        does; (None, None) when it names none (an unreadable text is refused by the engine, or reads no graph)."""
        if "from" not in sparql.casefold():
            return None, None
        try:
            own = analyse(sparql, self.prefixes)
        except QueryRefused:
            return None, None
        if not (own.from_graphs or own.from_named_graphs):
            return None, None
        resolve = self.iris.base
        return [urljoin(resolve, u) for u in own.from_graphs], [urljoin(resolve, u) for u in own.from_named_graphs]

    def _graphs(self, uris: list[str] | None) -> list[ox.NamedNode]:
        """The engine's graph names for IRIs, without the sort keys graph (nor what is no IRI to the engine: a
        FROM it cannot read, which it refuses)."""
        graphs = (ox.NamedNode(u) for u in uris or () if is_engine_iri(u))
        return [g for g in graphs if g != self._keys]

    def _named_graphs(self) -> list[ox.NamedNode]:
        return [g for g in self.store.named_graphs() if g != self._keys]

    def serialize(self, result, format_key, output=None):
        if not isinstance(result, ox.QueryTriples):
            return result.serialize(output, format=results_format(format_key))
        try:
            return result.serialize(output, format=rdf_format(format_key))
        except OSError as exc:  # the writer's own refusal (the same type as the store's read errors)
            if "does not support" in str(exc):
                raise UnwritableResult(f"{exc}: ask for Turtle or N-Triples") from None
            raise

    def select(self, sparql: str) -> list[dict[str, Any]]:
        result = self.query(sparql)
        names = [v.value for v in result.variables]
        return [{n: term_value(row[n]) for n in names} for row in result]

    def ask(self, sparql: str) -> bool:
        return bool(self.query(sparql))

    def construct_graph(self, sparql: str, graph: Graph) -> Graph:
        """Terms converted one by one: no text round trip."""
        graph.addN(
            (rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object), graph) for t in self.query(sparql)
        )
        return graph

    def result_kind(self, result):
        if isinstance(result, ox.QueryTriples):
            return "graph"
        return "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"

    def graph_names(self):
        return frozenset(g.value for g in self._named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store) - self._key_count

    @cached_property
    def _key_count(self) -> int:
        if self._keys is None:
            return 0
        counted = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {self._keys} {{ ?s ?p ?o }} }}")
        return int(next(iter(counted))[0].value)


def open_build(build_dir: Path) -> OxigraphStore:
    """The store of a published build (see `ptce.build.pipeline`): the default graph, the network graph and the sort
    keys. Large builds have an on-disk store (`store/`), opened read-only; others are loaded in memory from their
    dumps."""
    from ptce.build_folder import NETWORK_DUMP, SORT_KEYS, STORE_DIR, BuildInfo

    build_dir = Path(build_dir)
    info = BuildInfo.read(build_dir)
    if (build_dir / STORE_DIR).is_dir():
        return OxigraphStore(ox.Store.read_only(str(build_dir / STORE_DIR)), iris=Iris(info.base_iri))
    named = [build_dir / name for name in (NETWORK_DUMP, SORT_KEYS) if (build_dir / name).exists()]
    return OxigraphStore.from_files(build_dir / info.dumps["nt"], *named, iris=Iris(info.base_iri))
