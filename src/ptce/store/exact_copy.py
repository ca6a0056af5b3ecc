"""An in-memory Oxigraph copy of an rdflib graph whose terms match as rdflib's do, for pattern-matching queries.

Oxigraph stores a literal as its value: "5"^^xsd:nonNegativeInteger becomes "5"^^xsd:integer and matches it,
where rdflib holds them apart (its literals are equal when lexical form, datatype and language, in any case, are).
In this copy a literal is an opaque number, one per literal rdflib holds apart, so a query that only matches
patterns, joins them and tests their existence (`ptce.validate.sparql_constraints` decides which) finds what
rdflib finds, and its answers are rdflib's own terms again. rdflib's engine takes 24 s for shape:QuotedDocument's
two queries at 1M triples; Oxigraph 1 s, and 9 to 12 s to make the copy.
"""

from __future__ import annotations

from itertools import islice

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from ptce.store.bulk import gc_paused

# the datatype of the opaque literals: never published, never a query's constant
_KEYED = ox.NamedNode("urn:x-ptce:rdflib-literal")
_CHUNK = 100_000


class ExactCopy:
    """The copy of one rdflib graph (its default graph), made once; `select` answers a SELECT query in rdflib
    terms. ValueError (on making it) for a term Oxigraph cannot hold, such as an IRI with a space in it."""

    def __init__(self, graph: Graph):
        # each literal of the graph numbered, rdflib's equal ones alike (a dict's keys compare as rdflib does)
        self._numbers: dict[Literal, str] = {}
        self._literals: list[Literal] = []
        self._predicates: dict[URIRef, ox.NamedNode] = {}  # few, and in every triple
        self.store = ox.Store()
        term, predicate = self.term, self._predicate
        with gc_paused():
            triples = iter(graph)
            # by chunks: the store holds its own copy of each term, the quads of a chunk are freed after it
            while chunk := [ox.Quad(term(s), predicate(p), term(o)) for s, p, o in islice(triples, _CHUNK)]:
                self.store.bulk_extend(chunk)

    def _predicate(self, iri: URIRef) -> ox.NamedNode:
        found = self._predicates.get(iri)
        if found is None:
            found = self._predicates[iri] = self.term(iri)
        return found

    def term(self, term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """The copy's term for an rdflib term (a Literal's number)."""
        if isinstance(term, URIRef):
            return ox.NamedNode(term)
        if isinstance(term, BNode):
            return ox.BlankNode(term)
        if isinstance(term, Literal):
            number = self._numbers.get(term)
            if number is None:
                number = self._numbers[term] = str(len(self._literals))
                self._literals.append(term)
            return ox.Literal(number, datatype=_KEYED)
        raise ValueError(f"not an RDF term of a graph: {term!r}")

    def rdflib_term(self, term):
        """The rdflib term of one of the copy's terms (a literal: the graph's own Literal; of two that rdflib
        holds equal, such as "chat"@FR and "chat"@fr, the one the copy met first)."""
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if isinstance(term, ox.Literal) and term.datatype == _KEYED:
            return self._literals[int(term.value)]
        raise ValueError(f"not a term of the copied graph: {term}")

    def substitutions(self, bindings: dict) -> dict:
        """{Variable: the copy's term} of pre-bound values ({name: rdflib term}); ValueError for a literal the
        graph does not hold (no pattern can match it) or a term Oxigraph cannot hold."""
        out = {}
        for name, value in bindings.items():
            if isinstance(value, Literal) and value not in self._numbers:
                raise ValueError(f"a literal the copied graph does not hold: {value!r}")
            out[ox.Variable(name)] = self.term(value)
        return out

    def select(self, text: str, substitutions: dict) -> tuple[list[str], list[dict]]:
        """(variable names, one {name: rdflib term} per solution) of a SELECT query, with `substitutions`
        pre-bound as SEP-0007 says. SyntaxError for a text Oxigraph does not read."""
        solutions = self.store.query(text, substitutions=substitutions)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            rows.append({n: self.rdflib_term(t) for n, t in zip(names, solution, strict=True) if t is not None})
        return names, rows
