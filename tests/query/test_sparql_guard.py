"""The token-level query analysis: forms, updates, outbound requests, dataset clauses, the row-limit rewrite."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptce.query.guard import analyse, count_rows, tokenize


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("select * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://e/> BASE <http://b/> ask { ?s ex:p ?o }", "ASK"),
        ("# a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://e/x>", "DESCRIBE"),
        ("PREFIX select: <http://e/> SELECT * { ?s select:p ?o }", "SELECT"),
        ("nonsense", None),
        ("", None),
    ],
)
def test_query_form(text, form):
    assert analyse(text).form == form
    assert not analyse(text).is_update


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
        "PREFIX ex: <http://e/>\ndelete where { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "clear all",
        "DROP GRAPH <http://e/g>",
        "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_recognised(text):
    assert analyse(text).is_update


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service<http://127.0.0.1:9/sparql>{ ?s ?p ?o } }",
        "SELECT * WHERE {\n  SeRvIcE\n\tSILENT\n<http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?x ?y ?z . { SELECT * { SERVICE ?endpoint { ?s ?p ?o } } } }",
        "SELECT * WHERE { FILTER(?a<?b) SERVICE <http://h/> { ?s ?p ?o } }",
    ],
)
def test_service_is_found_whatever_the_spelling(text):
    assert analyse(text).service


@pytest.mark.parametrize(
    "text",
    [
        'SELECT ?x WHERE { BIND("SERVICE <http://h/> { }" AS ?x) }',
        "SELECT ?x WHERE { BIND('''multi\nline SERVICE <http://h/>''' AS ?x) }",
        "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> } # SERVICE <http://h/> { }",
        "PREFIX service: <http://e/> SELECT ?service WHERE { ?service service:SERVICE ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o = 'it\\'s a SERVICE') }",
        # one prefixed name, local part "c.SERVICE", for the grammar and for the engine alike
        "PREFIX ex: <http://e/> SELECT * WHERE { ?a ex:b ex:c.SERVICE }",
    ],
)
def test_service_inside_strings_comments_iris_and_names_is_not_a_keyword(text):
    assert not analyse(text).service


def test_a_base_that_cannot_be_resolved_against_is_left_to_the_engine():
    """urljoin raises on an invalid IPv6 host: the guard keeps such names as written (the engine refuses them)."""
    a = analyse("BASE <http://[::1> PREFIX p: <x> SELECT * FROM <g> WHERE { ?s a p:y }")
    assert a.form == "SELECT" and a.from_graphs == ("<g>",) and a.prefixes["p"] == ""


def test_dataset_clauses_are_resolved():
    text = (
        "BASE <http://base.example/> PREFIX ex: <http://e/>\n"
        "SELECT * FROM ex:g FROM <relative> from named <http://e/named> FROM NAMED ex:n2 WHERE { ?s ?p ?o }"
    )
    a = analyse(text)
    assert a.from_graphs == ("http://e/g", "http://base.example/relative")
    assert a.from_named_graphs == ("http://e/named", "http://e/n2")
    assert analyse("SELECT * FROM ptce:x WHERE {}", {"ptce": "https://w3id.org/ptce/ontology#"}).from_graphs == (
        "https://w3id.org/ptce/ontology#x",
    )
    construct = analyse("CONSTRUCT { ?s ?p ?o } FROM <http://e/g> WHERE { ?s ?p ?o }")
    assert construct.from_graphs == ("http://e/g",)
    assert analyse("SELECT * WHERE { ?s <http://e/from> ?o }").from_graphs == ()


@pytest.fixture(scope="module")
def numbers():
    store = ox.Store()
    p = ox.NamedNode("http://e/value")
    for i in range(30):
        store.add(ox.Quad(ox.NamedNode(f"http://e/{i}"), p, ox.Literal(str(i), datatype=ox.NamedNode(XSD_INT))))
    return store


XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"


def values(store, text):
    return [int(row["v"].value) for row in store.query(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no LIMIT: one is added, after ORDER BY, so the first rows in order are kept
        ("SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY DESC(?v)", list(range(29, 19, -1))),
        # a LIMIT above the row limit is lowered, OFFSET kept
        ("SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v OFFSET 5 LIMIT 100", list(range(5, 15))),
        ("SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v LIMIT 100 OFFSET 5", list(range(5, 15))),
        # a subquery's LIMIT is its own; the outer query gets the row limit
        (
            "SELECT ?v WHERE { { SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v LIMIT 25 } } ORDER BY ?v",
            list(range(10)),
        ),
        # a trailing VALUES block and a final comment stay valid
        ("SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v VALUES ?v { 3 4 }", [3, 4]),
        ("SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v # the end", list(range(10))),
        # projection expressions and HAVING with braces do not confuse the outer clause
        (
            "SELECT ?v (EXISTS { ?s <http://e/none> ?o } AS ?e) WHERE { ?s <http://e/value> ?v } "
            "GROUP BY ?v HAVING (?v < 20) ORDER BY ?v",
            list(range(10)),
        ),
    ],
)
def test_row_limit_rewrite_keeps_the_query_meaning(numbers, text, expected):
    rewritten, clamped = analyse(text).with_row_limit(10)
    assert clamped
    assert values(numbers, rewritten) == expected


def test_a_small_enough_limit_is_left_alone(numbers):
    text = "SELECT ?v WHERE { ?s <http://e/value> ?v } ORDER BY ?v LIMIT 3"
    assert analyse(text).with_row_limit(10) == (text, False)
    ask = "ASK { ?s ?p ?o }"
    assert analyse(ask).with_row_limit(10) == (ask, False)


TRICKY = ['a "q"\n},{"x', "line\r\nbreak", ",<result>", "tab\there", "", "plain"]
FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def parsed_rows(body: bytes, key: str) -> int:
    """Rows as a real parser of each format counts them."""
    if key == "json":
        return len(json.loads(body)["results"]["bindings"])
    if key == "xml":
        return len(ET.fromstring(body).findall(".//{http://www.w3.org/2005/sparql-results#}result"))
    if key == "csv":
        return len(list(csv.reader(io.StringIO(body.decode(), newline="")))) - 1
    return len(body.decode().split("\n")) - 2


# Control characters other than tab and line breaks are left out: the engine writes them into XML as they are,
# which no XML parser accepts.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TRICKY), TEXT), max_size=12), st.sampled_from(list(FORMATS)))
def test_count_rows_matches_a_parser(literals, key):
    store = ox.Store()
    for i, text in enumerate(literals):
        store.add(ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"), ox.Literal(text)))
    for query in ("SELECT ?s ?o WHERE { ?s ?p ?o }", "SELECT ?x WHERE { ?s ?p ?o }"):
        body = store.query(query).serialize(format=FORMATS[key])
        assert count_rows(body, key) == parsed_rows(body, key) == len(literals)


def test_tokens_keep_strings_iris_and_names_whole():
    kinds = [(t.kind, t.text) for t in tokenize("SELECT ?x { <http://a/b#c> ex:d 'e f' } # g")]
    assert kinds == [
        ("word", "SELECT"),
        ("var", "?x"),
        ("punct", "{"),
        ("iri", "<http://a/b#c>"),
        ("pname", "ex:d"),
        ("string", "'e f'"),
        ("punct", "}"),
    ]
