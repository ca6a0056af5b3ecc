"""SPARQL 1.1 Protocol at /sparql through the test client: operations, formats, negotiation, limits, safety."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS, VOID

from ptce.rdf.namespaces import SD, Iris
from ptce.web import create_app

from ..sample_queries import QUERIES_OF_DEATH

# rdflib's JSON-LD parser still builds a ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
IRIS = Iris()
COHOSE = IRIS.thing("ptce", "cohose")
SRX = "{http://www.w3.org/2005/sparql-results#}"
LABELS = "SELECT ?name WHERE { ?p a ptce:PTCE ; skos:prefLabel ?name } ORDER BY ?name"
ROW_LIMIT = 10
MAX_BYTES = 4096
DEATH = QUERIES_OF_DEATH["cross product"]


@pytest.fixture(scope="module")
def client(build_dir):
    config = {
        "BUILD_DIR": str(build_dir),
        "TESTING": True,
        "QUERY_TIMEOUT": 1,
        "ROW_LIMIT": ROW_LIMIT,
        "MAX_CONTENT_LENGTH": MAX_BYTES,
    }
    return create_app(config).test_client()


def get(client, query, accept=None, **params):
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql", query_string={"query": query, **params}, headers=headers)


def rows_of(response) -> list[list[str]]:
    """The rows of a SELECT result in any of the four formats, as lists of plain values."""
    body = response.get_data(as_text=True)
    kind = response.mimetype
    if kind == "application/sparql-results+json":
        data = json.loads(body)
        names = data["head"]["vars"]
        return [[b[n]["value"] for n in names if n in b] for b in data["results"]["bindings"]]
    if kind == "application/sparql-results+xml":
        root = ET.fromstring(body)
        return [
            [v.text for v in r.iter() if v.tag in (f"{SRX}literal", f"{SRX}uri")] for r in root.iter(f"{SRX}result")
        ]
    if kind == "text/csv":
        return list(csv.reader(io.StringIO(body, newline="")))[1:]
    assert kind == "text/tab-separated-values"
    return [
        [cell.split('"')[1] if cell.startswith('"') else cell for cell in line.split("\t")]
        for line in body.splitlines()[1:]
    ]


# --- operations -----------------------------------------------------------------------------------------


def test_get_select_answers_json_by_default(client, graph):
    r = get(client, LABELS)
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    ptces = graph.subjects(RDF.type, IRIS.vocab.PTCE)
    expected = sorted(str(graph.value(p, SKOS.prefLabel)) for p in ptces)
    assert [row[0] for row in rows_of(r)] == expected[:ROW_LIMIT]


def test_the_three_ways_to_send_a_query_agree(client):
    query = f"SELECT ?name WHERE {{ <{COHOSE}> skos:prefLabel ?name }}"
    by_get = get(client, query)
    by_form = client.post("/sparql", data={"query": query})
    by_body = client.post("/sparql", data=query.encode(), content_type="application/sparql-query; charset=utf-8")
    for r in (by_get, by_form, by_body):
        assert r.status_code == 200, r.data
        assert rows_of(r) == [["CoHose"]]


@pytest.mark.parametrize(
    ("accept", "param", "mimetype"),
    [
        ("application/sparql-results+json", None, "application/sparql-results+json"),
        ("application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("text/csv", None, "text/csv"),
        ("text/tab-separated-values", None, "text/tab-separated-values"),
        (None, "json", "application/sparql-results+json"),
        (None, "xml", "application/sparql-results+xml"),
        (None, "csv", "text/csv"),
        (None, "tsv", "text/tab-separated-values"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "csv", "text/csv"),
        ("application/json", None, "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", None, "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values;q=0.9", None, "text/tab-separated-values"),
        ("*/*", None, "application/sparql-results+json"),
    ],
)
def test_select_in_every_format_by_accept_or_parameter(client, accept, param, mimetype):
    query = "SELECT ?code ?name WHERE { ?d a igeo:Departement ; igeo:codeINSEE ?code ; skos:prefLabel ?name }"
    query += " ORDER BY ?code"
    r = get(client, query, accept, **({"format": param} if param else {}))
    assert r.status_code == 200, r.data
    assert r.mimetype == mimetype
    assert rows_of(r) == [["02", "Aisne"], ["59", "Nord"], ["60", "Oise"], ["62", "Pas-de-Calais"], ["80", "Somme"]]
    assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize(
    ("query", "expected"), [("ASK { ?p a ptce:PTCE }", True), ("ASK { ?p a ptce:Nothing }", False)]
)
def test_ask_in_json_and_xml(client, query, expected):
    assert json.loads(get(client, query).data)["boolean"] is expected
    root = ET.fromstring(get(client, query, "application/sparql-results+xml").data)
    assert root.find(f"{SRX}boolean").text == str(expected).lower()


@pytest.mark.parametrize(
    ("accept", "param", "mimetype", "rdflib_format"),
    [
        (None, None, "text/turtle", "turtle"),
        ("text/turtle", None, "text/turtle", "turtle"),
        ("application/n-triples", None, "application/n-triples", "nt"),
        ("application/rdf+xml", None, "application/rdf+xml", "xml"),
        ("application/ld+json", None, "application/ld+json", "json-ld"),
        (None, "nt", "application/n-triples", "nt"),
        (None, "jsonld", "application/ld+json", "json-ld"),
        ("application/rdf+xml;q=0.2, text/turtle;q=0.1", None, "application/rdf+xml", "xml"),
    ],
)
def test_construct_and_describe_in_every_graph_format(client, graph, accept, param, mimetype, rdflib_format):
    expected = Graph()
    for triple in graph.triples((COHOSE, None, None)):
        expected.add(triple)
    params = {"format": param} if param else {}
    for query in (f"CONSTRUCT WHERE {{ <{COHOSE}> ?p ?o }}", f"DESCRIBE <{COHOSE}>"):
        r = get(client, query, accept, **params)
        assert r.status_code == 200, r.data
        assert r.mimetype == mimetype
        assert isomorphic(Graph().parse(data=r.data, format=rdflib_format), expected)


@pytest.mark.parametrize(
    ("query", "accept", "param"),
    [
        (LABELS, "image/png", None),
        (LABELS, "text/turtle", None),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/sparql-results+json", None),
        (LABELS, None, "ttl"),
        ("DESCRIBE <http://e/x>", None, "csv"),
    ],
)
def test_406_when_no_format_fits(client, query, accept, param):
    r = get(client, query, accept, **({"format": param} if param else {}))
    assert r.status_code == 406
    assert "available as" in r.get_data(as_text=True)


# --- service description and UI --------------------------------------------------------------------------


def test_bare_get_is_the_service_description(client, graph):
    r = client.get("/sparql")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    sd = Graph().parse(data=r.data, format="turtle")
    service = URIRef("https://w3id.org/ptce/sparql")  # the public URL: by default the base IRI
    assert (service, RDF.type, SD.Service) in sd
    assert (service, SD.endpoint, service) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    formats = {str(o).rsplit("/", 1)[1] for o in sd.objects(service, SD.resultFormat)}
    assert formats == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    }
    dataset = sd.value(service, SD.defaultDataset)
    default_graph = sd.value(dataset, SD.defaultGraph)
    assert sd.value(default_graph, VOID.triples) == Literal(len(graph))
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert isomorphic(Graph().parse(data=jsonld.data, format="json-ld"), sd)


def test_a_browser_gets_the_query_ui_with_the_examples(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "vendor/yasgui/yasgui.min.js" in html and "/static/sparql.js" in html
    assert "<script>" not in html, "no inline script: the Content-Security-Policy forbids them"
    script = client.get("/static/sparql.js").get_data(as_text=True)
    assert "populateFromUrl: false" in script and "prefixCcApi: null" in script
    assert '["variables", "prefixes"]' in script
    assert "PTCE par département" in html and "Départements sans PTCE" in html
    assert "https://" not in html.split('<script type="application/json"')[0].split("<body>")[1]


# --- dataset and safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", {}),
        ("select * from named <http://127.0.0.1:9/g> where { graph ?g { ?s ?p ?o } }", {}),
        ("PREFIX ex: <http://127.0.0.1:9/> SELECT * FROM ex:g WHERE { ?s ?p ?o }", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": "http://127.0.0.1:9/g"}),
        ("SELECT * WHERE { ?s ?p ?o }", {"named-graph-uri": "http://127.0.0.1:9/g"}),
    ],
)
def test_unknown_graphs_are_empty(client, query, params):
    """A graph the store does not hold is an empty graph (never fetched: see test_server and test_outbound)."""
    r = get(client, query, **params)
    assert r.status_code == 200 and rows_of(r) == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { service silent<http://127.0.0.1:9/sparql>{?s ?p ?o} }",
        "SELECT * WHERE { { SELECT ?s { SERVICE ?x { ?s ?p ?o } } } }",
    ],
)
def test_service_is_refused(client, query):
    for r in (get(client, query), client.post("/sparql", data={"query": query})):
        assert r.status_code == 400
        assert "SERVICE is not allowed" in r.get_data(as_text=True)


def test_keywords_inside_strings_and_iris_are_harmless(client):
    r = get(client, 'SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:9/> {}" AS ?x) } # FROM <http://h/>')
    assert r.status_code == 200
    assert rows_of(r) == [["SERVICE <http://127.0.0.1:9/> {}"]]


def test_a_graph_the_store_holds_may_be_named(build_dir):
    import pyoxigraph as ox

    app = create_app({"BUILD_DIR": str(build_dir), "TESTING": True})
    graph_iri = str(IRIS.network_graph)
    app.extensions["ptce"].build.store.store.add(
        ox.Quad(ox.NamedNode(str(COHOSE)), ox.NamedNode("http://e/p"), ox.Literal("x"), ox.NamedNode(graph_iri))
    )
    query = f"SELECT * FROM <{graph_iri}> WHERE {{ ?s ?p ?o }}"
    assert get(app.test_client(), query).status_code == 200
    assert get(app.test_client(), "SELECT * WHERE { ?s ?p ?o }", **{"named-graph-uri": graph_iri}).status_code == 200


UPDATE = f"INSERT DATA {{ <{COHOSE}> <http://e/p> 'changed' }}"


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql", query_string={"update": UPDATE}),
        lambda c: c.post("/sparql", data={"update": UPDATE}),
        lambda c: c.post("/sparql", data=UPDATE, content_type="application/sparql-update"),
        lambda c: c.get("/sparql", query_string={"query": UPDATE}),
        lambda c: c.post("/sparql", data={"query": UPDATE}),
        lambda c: c.post("/sparql", data="DROP ALL", content_type="application/sparql-query"),
        lambda c: c.get("/sparql", query_string={"query": "LOAD <http://127.0.0.1:9/x.ttl>"}),
    ],
)
def test_updates_are_refused_and_change_nothing(client, graph, send):
    r = send(client)
    assert r.status_code == 403
    assert "read-only" in r.get_data(as_text=True)
    assert json.loads(get(client, "ASK { ?s <http://e/p> ?o }").data)["boolean"] is False
    count = get(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert rows_of(count) == [[str(len(graph))]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * WHERE { ?s ?p ?o ", "error at 1:"),
        ("SELECT * WHERE { ?s unknown:p ?o }", "Prefix not found"),
        ("nonsense", "error at 1:"),
    ],
)
def test_malformed_queries_get_400_with_the_parser_message(client, query, message):
    for r in (get(client, query), client.post("/sparql", data=query, content_type="application/sparql-query")):
        assert r.status_code == 400
        assert r.mimetype == "text/plain"
        assert message in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda c: c.get("/sparql", query_string=[("query", "ASK {}"), ("query", "ASK {}")]), 400),
        (lambda c: c.post("/sparql", data="ASK {}", content_type="text/plain"), 415),
        (lambda c: c.post("/sparql"), 415),
        (lambda c: c.put("/sparql", data="ASK {}", content_type="application/sparql-query"), 405),
        (lambda c: c.post("/sparql", data={"format": "json"}), 400),
        (lambda c: c.post("/sparql", data=b"\xff\xfe", content_type="application/sparql-query"), 400),
        (lambda c: c.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": "not an iri"}), 400),
    ],
)
def test_bad_requests_are_client_errors(client, send, status):
    assert send(client).status_code == status


def test_an_unresolvable_base_is_a_client_error(client):
    r = get(client, "BASE <http://[::1> PREFIX p: <x> SELECT * WHERE { ?s a p:y }")
    assert r.status_code == 400 and r.get_data(as_text=True).startswith("Malformed query: error at 1:")


# --- limits -----------------------------------------------------------------------------------------------


def test_a_runaway_query_times_out_with_503_and_the_endpoint_still_answers(client):
    r = get(client, DEATH)
    assert r.status_code == 503
    assert r.get_data(as_text=True).strip() == "Query timed out after 1 s."
    assert json.loads(get(client, "ASK { ?p a ptce:PTCE }").data)["boolean"] is True


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_results_past_the_row_limit_are_cut_and_flagged(client, fmt):
    eleven = "SELECT ?x WHERE { VALUES ?x { 11 10 9 8 7 6 5 4 3 2 1 } } ORDER BY ?x"
    r = get(client, eleven, format=fmt)
    assert r.headers["X-SPARQL-Results-Truncated"] == "true"
    assert r.headers["X-SPARQL-Row-Limit"] == str(ROW_LIMIT)
    assert [row[0] for row in rows_of(r)] == [str(i) for i in range(1, 11)]
    ten = get(client, "SELECT ?x WHERE { VALUES ?x { 1 2 3 4 5 6 7 8 9 10 } }", format=fmt)
    assert "X-SPARQL-Results-Truncated" not in ten.headers
    assert len(rows_of(ten)) == 10
    limited = get(client, eleven + " LIMIT 4", format=fmt)
    assert "X-SPARQL-Results-Truncated" not in limited.headers
    assert len(rows_of(limited)) == 4


def test_requests_over_the_size_limit_get_413(client):
    big = "ASK { ?s ?p ?o } #" + "x" * MAX_BYTES
    assert client.post("/sparql", data=big, content_type="application/sparql-query").status_code == 413
    assert client.post("/sparql", data={"query": big}).status_code == 413
    assert get(client, big).status_code == 413


# --- CORS and operations ----------------------------------------------------------------------------------


def test_cors_on_answers_errors_and_preflight(client):
    for r in (get(client, LABELS), get(client, "SELECT * {"), client.get("/-/health"), client.get("/sparql")):
        assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-SPARQL-Results-Truncated" in get(client, LABELS).headers["Access-Control-Expose-Headers"]
    pre = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert pre.headers["Access-Control-Allow-Headers"] == "content-type"


def test_health_reports_the_store(client, graph, build_dir):
    body = client.get("/-/health").get_json()
    assert body["status"] == "ok"
    assert body["triples"] == len(graph)
    assert body["build"] == json.loads((build_dir / "build.json").read_text())["version"]


def test_relative_iris_resolve_against_the_dataset_base(client):
    """What Virtuoso's SERVICE probes send, and what a user may write: relative IRIs are IRIs."""
    r = get(client, "SELECT ?n WHERE { <id/ptce/cohose> skos:prefLabel ?n }")
    assert r.status_code == 200 and rows_of(r) == [["CoHose"]]
    probe = get(client, "ASK { ?s <no-such-p-qazxswedc> ?o }")
    assert probe.status_code == 200 and probe.get_json()["boolean"] is False
    own = get(client, "BASE <https://w3id.org/ptce/id/> SELECT ?n WHERE { <ptce/cohose> skos:prefLabel ?n }")
    assert rows_of(own) == [["CoHose"]]
