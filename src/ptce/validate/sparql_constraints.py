"""SPARQL-based constraints (sh:sparql) answered by Oxigraph when rdflib's answer cannot differ.

pySHACL runs a constraint's SELECT with rdflib's engine over the data graph: shape:QuotedDocument's two queries
take 24 s at 1M triples, half of SHACL's time, on one core. While `exact_queries()` is on, a query whose algebra
(as rdflib reads it) only matches triple patterns of variables and IRIs, joins, unites or subtracts them, tests
their existence (FILTER EXISTS, NOT EXISTS) and binds IRIs is sent to an `ExactCopy` of the data graph, made once
per run: what it finds is what rdflib finds, since the copy's terms match as rdflib's do and such a query compares
no values. pySHACL then makes the results from those answers as from its own. Any other query, or a graph the
copy cannot hold, goes to rdflib as before. tests/validate/test_partition.py compares the reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint
from rdflib import Graph, URIRef, Variable
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from ptce.store.exact_copy import ExactCopy

_RDFLIB_QUERY = SPARQLBasedConstraint._validate_sparql_query
_COPIES: dict[int, ExactCopy | None] = {}  # id of the data graph -> its copy (None: it cannot be copied)

# algebra operators that only match, join, unite or subtract patterns; their expressions are checked apart
_PATTERN_OPERATORS = {"SelectQuery", "Project", "Distinct", "Reduced", "BGP", "Join", "Union", "Minus", "Filter"}
_EXISTENCE_TESTS = {"Builtin_EXISTS", "Builtin_NOTEXISTS"}


@lru_cache(maxsize=64)
def pattern_only(text: str) -> frozenset[str] | None:
    """The names of the variables a SELECT query projects if its answers depend on which terms are equal only,
    never on their values, else None: triple patterns of variables and IRIs (no literal, blank node or property
    path), joins, unions, MINUS, filters that are existence tests (or conjunctions of them), BIND of an IRI; no
    FROM, subquery, VALUES, OPTIONAL, ORDER BY, LIMIT or aggregate."""
    try:
        algebra = prepareQuery(text).algebra
    except Exception:  # rdflib cannot read it: let rdflib say so, as before
        return None
    if algebra.name != "SelectQuery" or not _only_patterns(algebra):
        return None
    return frozenset(str(v) for v in algebra.PV)


def _only_patterns(node) -> bool:
    if not isinstance(node, CompValue):
        return False
    if node.name == "SelectQuery" and dict.get(node, "datasetClause"):
        return False
    if node.name == "BGP":
        return all(isinstance(t, Variable | URIRef) for triple in node.triples for t in triple)
    if node.name == "Extend":
        return isinstance(node.expr, URIRef) and _only_patterns(node.p)
    if node.name == "Filter":
        return _existence_test(node.expr) and _only_patterns(node.p)
    if node.name not in _PATTERN_OPERATORS:
        return False
    parts = [dict.get(node, k) for k in ("p", "p1", "p2") if dict.get(node, k) is not None]
    return bool(parts) and all(_only_patterns(p) for p in parts)


def _existence_test(expr) -> bool:
    if not isinstance(expr, CompValue):
        return False
    if expr.name in _EXISTENCE_TESTS:
        return _only_patterns(expr.graph)
    if expr.name == "ConditionalAndExpression":
        return all(_existence_test(e) for e in [expr.expr, *(dict.get(expr, "other") or [])])
    return False


class _Answered:
    """What pySHACL reads of `graph.query(...)`: a Result of the copy's answers, its bindings pre-bound."""

    def __init__(self, copy: ExactCopy, substitutions: dict):
        self.copy, self.substitutions = copy, substitutions

    def query(self, text: str, initBindings: dict) -> Result:
        names, rows = self.copy.select(text, self.substitutions)
        result = Result("SELECT")
        result.vars = [Variable(n) for n in names]
        result.bindings = [{Variable(n): term for n, term in row.items()} for row in rows]
        return result


def _copy_of(target_graph) -> ExactCopy | None:
    """The run's copy of the data graph (pySHACL's DataGraph wraps the rdflib graph), made on first use."""
    graph = getattr(target_graph, "impl", target_graph)
    if type(graph) is not Graph:  # a dataset's queries see its named graphs: not copied
        return None
    if id(graph) not in _COPIES:
        try:
            _COPIES[id(graph)] = ExactCopy(graph)
        except ValueError:  # a term Oxigraph cannot hold
            _COPIES[id(graph)] = None
    return _COPIES[id(graph)]


def _validate_sparql_query(self, query, init_binds, target_graph):
    """pySHACL's own evaluation of one constraint's query, over the copy's answers when the query allows."""
    projected = pattern_only(query)
    # Oxigraph substitutes projected variables only: a query that binds others is rdflib's
    copy = _copy_of(target_graph) if projected is not None and set(map(str, init_binds)) <= projected else None
    if copy is not None:
        try:
            answered = _Answered(copy, copy.substitutions({str(k): v for k, v in init_binds.items()}))
            return _RDFLIB_QUERY(self, query, init_binds, answered)
        except (ValueError, SyntaxError):  # a value the copy cannot bind, a text Oxigraph does not read
            pass
    return _RDFLIB_QUERY(self, query, init_binds, target_graph)


@contextmanager
def exact_queries() -> Iterator[None]:
    """SPARQL-based constraints answered by the copy where they allow, for the block (one validation run); the
    copy is dropped at its end."""
    SPARQLBasedConstraint._validate_sparql_query = _validate_sparql_query
    try:
        yield
    finally:
        SPARQLBasedConstraint._validate_sparql_query = _RDFLIB_QUERY
        _COPIES.clear()
