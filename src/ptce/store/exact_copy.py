"""An in-memory Oxigraph copy of an rdflib graph whose terms match as rdflib's do, for pattern-matching queries.

Oxigraph stores a literal as its value: "05"^^xsd:integer matches "5"^^xsd:integer and xsd:nonNegativeInteger
becomes xsd:integer, where rdflib holds them apart (its terms are equal when lexical form, datatype and language,
in any case, are). In this copy a literal is an opaque key of those three, so a query that only matches patterns,
joins them and tests their existence (`ptce.validate.sparql_constraints` decides which) finds what rdflib finds,
and its answers are rdflib's own terms again. rdflib's engine takes 24 s for shape:QuotedDocument's two queries
at 1M triples; Oxigraph, with the copy made, 1 s.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from ptce.store.bulk import gc_paused

# the datatype of the opaque literals: never published, never a query's constant
_KEYED = ox.NamedNode("urn:x-ptce:rdflib-literal")


def _key(term: Literal) -> str:
    """An injective text of what rdflib compares: lengths first, so no separator can be faked."""
    language = (term.language or "").lower()
    datatype = str(term.datatype or "")
    return f"{len(language)}:{language}{len(datatype)}:{datatype}{term}"


class ExactCopy:
    """The copy of one rdflib graph (its default graph), made once; `select` answers a SELECT query in rdflib
    terms. ValueError (on making it) for a term Oxigraph cannot hold, such as an IRI with a space in it."""

    def __init__(self, graph: Graph):
        self._literals: dict[str, Literal] = {}
        self._terms: dict = {}
        self.store = ox.Store()
        with gc_paused():
            self.store.bulk_extend(ox.Quad(*map(self.term, triple)) for triple in graph)
        self._terms.clear()  # kept while copying: each term is converted once

    def term(self, term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """The copy's term for an rdflib term (a Literal's opaque key)."""
        found = self._terms.get(term)
        if found is None:
            if isinstance(term, URIRef):
                found = ox.NamedNode(term)
            elif isinstance(term, BNode):
                found = ox.BlankNode(term)
            elif isinstance(term, Literal):
                key = _key(term)
                self._literals.setdefault(key, term)
                found = ox.Literal(key, datatype=_KEYED)
            else:
                raise ValueError(f"not an RDF term of a graph: {term!r}")
            self._terms[term] = found
        return found

    def rdflib_term(self, term):
        """The rdflib term of one of the copy's terms (a literal: the graph's own Literal; of two that rdflib
        holds equal, such as "chat"@FR and "chat"@fr, the one the copy met first)."""
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return BNode(term.value)
        if isinstance(term, ox.Literal) and term.datatype == _KEYED:
            return self._literals[term.value]
        raise ValueError(f"not a term of the copied graph: {term}")

    def substitutions(self, bindings: dict) -> dict:
        """{Variable: the copy's term} of pre-bound values ({name: rdflib term}); ValueError for a literal the
        graph does not hold (no pattern can match it) or a term Oxigraph cannot hold."""
        out = {}
        for name, value in bindings.items():
            if isinstance(value, Literal) and _key(value) not in self._literals:
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
