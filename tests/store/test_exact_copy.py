"""The exact copy matches terms as rdflib does, where Oxigraph's own literals are values."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ptce.store.exact_copy import ExactCopy

S, P, Q = URIRef("urn:x:s"), URIRef("urn:x:p"), URIRef("urn:x:q")
JOIN = "SELECT ?s ?o WHERE { ?s <urn:x:p> ?o . ?t <urn:x:q> ?o }"


def test_literals_match_as_rdflib_terms_do():
    g = Graph()
    g.add((S, P, Literal("5", datatype=XSD.nonNegativeInteger)))
    g.add((URIRef("urn:x:t"), Q, Literal("5", datatype=XSD.integer)))
    g.add((S, P, Literal("chat", lang="FR")))
    g.add((URIRef("urn:x:t"), Q, Literal("chat", lang="fr")))
    g.add((S, P, Literal("a")))
    g.add((URIRef("urn:x:t"), Q, Literal("a", datatype=XSD.string)))
    expected = {(str(r.s), r.o) for r in g.query(JOIN)}
    assert expected == {(str(S), Literal("chat", lang="FR"))}  # rdflib: the integers and the strings differ
    names, rows = ExactCopy(g).select(JOIN, {})
    assert names == ["s", "o"]
    assert {(str(r["s"]), r["o"]) for r in rows} == expected
    assert rows[0]["o"].language in ("FR", "fr")  # one of the graph's own terms back
    own = ox.Store()
    own.add(ox.Quad(ox.NamedNode(S), ox.NamedNode(P), ox.Literal("5", datatype=ox.NamedNode(XSD.nonNegativeInteger))))
    own.add(ox.Quad(ox.NamedNode("urn:x:t"), ox.NamedNode(Q), ox.Literal("5", datatype=ox.NamedNode(XSD.integer))))
    assert len(list(own.query(JOIN))) == 1  # what the copy's keys are for: Oxigraph's literals are values


def test_blank_nodes_and_pre_bound_values_come_back_as_rdflib_terms():
    g = Graph()
    b = BNode()
    g.add((b, P, Literal("x", lang="fr")))
    g.add((S, Q, b))
    copy = ExactCopy(g)
    query = "SELECT $this ?o WHERE { $this <urn:x:q> ?b . ?b <urn:x:p> ?o }"
    _, rows = copy.select(query, copy.substitutions({"this": S}))
    assert rows == [{"this": S, "o": Literal("x", lang="fr")}]
    _, rows = copy.select("SELECT ?b $v WHERE { ?b <urn:x:p> $v }", copy.substitutions({"v": Literal("x", lang="FR")}))
    assert rows == [{"b": b, "v": Literal("x", lang="fr")}]
    with pytest.raises(ValueError, match="does not hold"):
        copy.substitutions({"v": Literal("not in the graph")})


def test_a_term_oxigraph_cannot_hold_is_refused():
    g = Graph()
    g.add((URIRef("urn:x:with space"), P, S))
    with pytest.raises(ValueError):
        ExactCopy(g)
