"""The query engine: a `Store` interface and its embedded Oxigraph implementation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .formats import GRAPH_FORMATS, RESULT_FORMATS
from .namespaces import PREFIXES, Iris

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
assert set(_RESULT_FORMATS) == {f.key for f in RESULT_FORMATS}
assert set(_GRAPH_FORMATS) == {f.key for f in GRAPH_FORMATS}


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


class UnwritableResult(ValueError):
    """The result holds what the format asked for cannot express (RDF 1.2 triple terms in JSON-LD)."""


def engine_prefixes(iris: Iris) -> dict[str, str]:
    """The prefixes predeclared for every query: the usual vocabularies, and `ptce:` for the ontology."""
    return {**{p: str(ns) for p, ns in PREFIXES.items()}, "ptce": str(iris.vocab)}


def json_term_value(term: dict | None) -> Any:
    """A Python value for a SPARQL JSON results term, as `term_value` gives for Oxigraph terms."""
    if term is None:
        return None
    if term["type"] in ("literal", "typed-literal"):
        return literal_value(term["value"], term.get("datatype"))
    return term["value"]


class Store(ABC):
    """Read access to the published graph through SPARQL."""

    @abstractmethod
    def query(
        self,
        sparql: str,
        default_graph_uris: list[str] | None = None,
        named_graph_uris: list[str] | None = None,
    ) -> Any:
        """Run a query; returns the engine's result object (solutions, boolean or triples)."""

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
        result = self.query(sparql)
        names = [v.value for v in result.variables]
        return [{n: term_value(row[n]) for n in names} for row in result]

    def ask(self, sparql: str) -> bool:
        return bool(self.query(sparql))


class OxigraphStore(Store):
    """An embedded pyoxigraph store, in memory or on disk."""

    def __init__(self, store: ox.Store | None = None, iris: Iris | None = None):
        self.store = store if store is not None else ox.Store()
        self.iris = iris or Iris()
        self.prefixes = engine_prefixes(self.iris)

    @classmethod
    def from_files(cls, *paths: Path, iris: Iris | None = None) -> OxigraphStore:
        """Load N-Triples / Turtle / N-Quads files into a new in-memory store."""
        s = cls(iris=iris)
        for path in paths:
            fmt = ox.RdfFormat.from_extension(Path(path).suffix.lstrip("."))
            s.store.bulk_load(path=str(path), format=fmt)
        return s

    def query(self, sparql, default_graph_uris=None, named_graph_uris=None):
        kwargs: dict[str, Any] = {"prefixes": self.prefixes}
        if default_graph_uris:
            kwargs["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris]
        if named_graph_uris:
            kwargs["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris]
        return self.store.query(sparql, **kwargs)

    def serialize(self, result, format_key, output=None):
        if not isinstance(result, ox.QueryTriples):
            return result.serialize(output, format=_RESULT_FORMATS[format_key])
        try:
            return result.serialize(output, format=_GRAPH_FORMATS[format_key])
        except OSError as exc:  # the writer's own refusal (the same type as the store's read errors)
            if "does not support" in str(exc):
                raise UnwritableResult(f"{exc}: ask for Turtle or N-Triples") from None
            raise

    def result_kind(self, result):
        if isinstance(result, ox.QueryTriples):
            return "graph"
        return "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"

    def graph_names(self):
        return frozenset(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)


def open_build(build_dir: Path) -> OxigraphStore:
    """The store of a published build (see `publish`): the default graph and the network graph. Large builds
    have an on-disk store (`store/`), opened read-only; others are loaded in memory from their dumps."""
    from .bulk import STORE_DIR
    from .publish import NETWORK_DUMP, BuildInfo

    build_dir = Path(build_dir)
    info = BuildInfo.read(build_dir)
    if (build_dir / STORE_DIR).is_dir():
        return OxigraphStore(ox.Store.read_only(str(build_dir / STORE_DIR)), iris=Iris(info.base_iri))
    named = [build_dir / NETWORK_DUMP] if (build_dir / NETWORK_DUMP).exists() else []
    return OxigraphStore.from_files(build_dir / info.dumps["nt"], *named, iris=Iris(info.base_iri))
