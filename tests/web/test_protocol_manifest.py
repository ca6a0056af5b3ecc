"""The W3C SPARQL 1.1 Protocol test manifest, run as written against the endpoint (through the Flask test client).

Every test that applies to a read-only endpoint runs: those that preload data (`ut:graphData`) or expect an update
to succeed do not apply. The others send graphs the service does not hold (`http://kasei.us/...`): a graph the store
does not hold is an empty graph, never fetched.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from ..checkout import STANDARDS

MANIFEST = STANDARDS / "w3c" / "sparql11-protocol-manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
RESULT_TYPES = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": ("application/sparql-results+json", "application/sparql-results+xml", "text/csv"),
    "RDF": ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"),
}


def load_manifest() -> tuple[Graph, list[URIRef]]:
    if not MANIFEST.is_file():
        return Graph(), []
    g = Graph().parse(MANIFEST, format="turtle")
    (manifest,) = g.subjects(RDF.type, MF.Manifest)
    return g, list(Collection(g, g.value(manifest, MF.entries)))


GRAPH, ENTRIES = load_manifest()


def applies(entry: URIRef) -> bool:
    return (entry, UT.graphData, None) not in GRAPH and not entry.fragment.startswith("update_")


def requests_of(entry: URIRef) -> list:
    action = GRAPH.value(entry, MF.action)
    return list(Collection(GRAPH, GRAPH.value(action, HT.requests)))


def send(client, request):
    method = str(GRAPH.value(request, HT.methodName))
    path = str(GRAPH.value(request, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    headers = {}
    headers_list = GRAPH.value(request, HT.headers)
    if headers_list is not None:
        for header in Collection(GRAPH, headers_list):
            headers[str(GRAPH.value(header, HT.fieldName))] = str(GRAPH.value(header, HT.fieldValue))
    body = None
    if (content := GRAPH.value(request, HT.body)) is not None:
        encoding = str(GRAPH.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(GRAPH.value(content, CNT.chars)).encode(encoding)
    return client.open(path, method=method, headers=headers, data=body)


def status_matches(status: int, expected: set) -> bool:
    return any(str(code).endswith(f"StatusCode{status // 100}xx") for code in expected)


@pytest.mark.skipif(not ENTRIES, reason=f"the W3C protocol manifest is not there ({MANIFEST})")
def test_the_manifest_is_read_and_most_of_it_applies():
    applicable = [e for e in ENTRIES if applies(e)]
    assert len(ENTRIES) == 34 and len(applicable) >= 21


@pytest.mark.parametrize("entry", [e for e in ENTRIES if applies(e)], ids=lambda e: e.fragment)
def test_protocol(client, entry):
    for request in requests_of(entry):
        response = send(client, request)
        expected = GRAPH.value(request, HT.resp)
        statuses = set(GRAPH.objects(expected, MF.expectedStatus))
        assert status_matches(response.status_code, statuses), (response.status_code, response.get_data()[:300])
        if response.status_code >= 300:
            continue
        fmt = GRAPH.value(expected, MF.expectedFormat)
        if fmt is not None:
            assert response.mimetype in RESULT_TYPES[str(fmt)], response.mimetype
        boolean = GRAPH.value(expected, MF.expectedBoolean)
        if boolean is not None and response.mimetype == "application/sparql-results+json":
            assert json.loads(response.get_data())["boolean"] is boolean.toPython()


def test_a_graph_the_store_does_not_hold_is_empty_and_never_fetched(client):
    """The five tests the endpoint used to answer 400: kasei.us graphs in the protocol's dataset, or in FROM."""
    kasei = "http://kasei.us/2009/09/sparql/data/data1.rdf"
    for params in ({"default-graph-uri": kasei}, {"named-graph-uri": kasei}):
        query = "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        r = client.get("/sparql?" + urllib.parse.urlencode({"query": query, **params}))
        assert r.status_code == 200 and json.loads(r.get_data())["results"]["bindings"] == []
    r = client.get("/sparql?" + urllib.parse.urlencode({"query": f"ASK FROM <{kasei}> {{ ?s ?p ?o }}"}))
    assert r.status_code == 200 and json.loads(r.get_data())["boolean"] is False
