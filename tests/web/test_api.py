"""The REST API over the example queries: every operation of /api/openapi.json answers, the description
validates as OpenAPI 3.1 (openapi-spec-validator), parameters follow grlc's conventions and never become syntax."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF

from ptce.query.examples import BadParameter, load_examples, read_example
from ptce.query.guard import analyse

ALIMENTATION = "https://w3id.org/ptce/id/theme/alimentation"


@pytest.fixture(scope="module")
def spec(app):
    r = app.test_client().get("/api/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.json


def test_the_description_validates_as_openapi_3_1(spec):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)  # raises on any error
    assert spec["openapi"] == "3.1.0"
    assert len(spec["paths"]) == len(load_examples())


def test_every_operation_answers_its_declared_columns_in_json_and_csv(client, spec):
    for path, item in spec["paths"].items():
        columns = list(item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]["properties"])
        r = client.get(f"/api{path}")
        assert r.status_code == 200 and r.mimetype == "application/json", (path, r.data)
        rows = r.json
        assert rows and all(list(row) == columns for row in rows), path
        as_csv = client.get(f"/api{path}", headers={"Accept": "text/csv"})
        assert as_csv.mimetype == "text/csv" and as_csv.headers["Vary"] == "Accept"
        table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
        assert table[0] == columns and len(table) == len(rows) + 1, path
        assert client.get(f"/api{path}.csv").get_data() == as_csv.get_data()


def test_values_are_plain_json(client):
    rows = client.get("/api/ptce-per-department").json
    assert {r["name"]: r["ptces"] for r in rows}["Pas-de-Calais"] == 8  # a number, not "8"^^xsd:integer
    assert {r["name"]: r["code"] for r in rows}["Aisne"] == "02"
    (shopping,) = [r for r in client.get("/api/initiatives-with-figures").json if r["partnerShops"] is not None]
    assert shopping["partnerShops"] == 104 and shopping["subscribers"] is None  # unbound: null


def test_a_parameter_asks_the_same_as_the_query_with_its_value(client):
    example = next(e for e in load_examples() if e.operation == "ptce-on-a-theme")
    sparql = client.post("/sparql", data=example.bind({"theme": ALIMENTATION}), content_type="application/sparql-query")
    expected = [b["name"]["value"] for b in json.loads(sparql.data)["results"]["bindings"]]
    rows = client.get("/api/ptce-on-a-theme", query_string={"theme": ALIMENTATION}).json
    assert [r["name"] for r in rows] == expected and "CoHose" in expected
    default = client.get("/api/ptce-on-a-theme").json
    assert [r["name"] for r in default] != expected  # the default theme, the environment, is another question


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"theme": "alimentation"}, "une IRI absolue est attendue"),
        ({"theme": "http://a/> } SERVICE <http://127.0.0.1:1/x"}, "une IRI absolue est attendue"),
        ({"theme": ALIMENTATION, "x": "1"}, "x : paramètre inconnu"),
    ],
)
def test_a_wrong_parameter_is_a_400_saying_why(client, params, message):
    r = client.get("/api/ptce-on-a-theme", query_string=params)
    assert r.status_code == 400 and r.mimetype == "application/json" and message in r.json["message"]


def test_unknown_operations_and_formats_are_404_in_json(client):
    for path in ("/api/nope", "/api/ptce-per-department.xml"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "application/json", path


def test_answers_are_kept_with_an_etag(client):
    first = client.get("/api/ptce-per-department")
    etag = first.headers["ETag"]
    again = client.get("/api/ptce-per-department", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_grlc_parameters_of_every_type_become_terms_never_syntax(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(
        "# Test\n#+ defaults:\n#+   - n: 3\n#+ enumerate:\n#+   - kind:\n#+     - a\n#+     - b\n"
        "SELECT * WHERE { ?s ?p ?_label_fr . ?s ?q ?__n_integer . ?s ?r ?_kind . ?s ?t ?__flag_boolean }\n"
    )
    example = read_example(path)
    assert [(p.name, p.kind, p.required) for p in example.parameters] == [
        ("label", "fr", True), ("n", "integer", False), ("kind", "string", True), ("flag", "boolean", False)
    ]  # fmt: skip
    text = example.bind({"label": 'x" } ; DROP ALL ; # "', "kind": "a"})
    assert '?p "x\\" } ; DROP ALL ; # \\""@fr .' in text and "?q 3 ." in text and "?__flag_boolean" in text
    analyse(text, {})  # the guard reads one SELECT, whatever the label said
    with pytest.raises(BadParameter, match="kind : l'une des valeurs a, b"):
        example.bind({"label": "x", "kind": "c"})
    with pytest.raises(BadParameter, match="n : un nombre entier est attendu"):
        example.bind({"label": "x", "kind": "a", "n": "3; DROP"})
    with pytest.raises(BadParameter, match="label : obligatoire"):
        example.bind({"kind": "a"})


def test_the_page_lists_the_operations_and_the_catalog_the_service(client):
    page = client.get("/api/").get_data(as_text=True)
    assert 'href="/api/openapi.json"' in page
    for example in load_examples():
        assert f"GET /api/{example.operation}" in page
    catalog = Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).data, format="turtle")
    api = URIRef("https://w3id.org/ptce/api/")
    assert (api, RDF.type, DCAT.DataService) in catalog
    assert catalog.value(api, DCAT.endpointDescription) == URIRef("https://w3id.org/ptce/api/openapi.json")


@pytest.mark.browser
@pytest.mark.server
def test_chromium_reads_the_api_page_and_follows_an_example(browser, site_url, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(f"{site_url}/api/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "api-390.png"), full_page=True)
    with page.expect_navigation():
        page.click("#ptce_on_a_theme a[href^='/api/ptce-on-a-theme?']")
    rows = json.loads(page.inner_text("body"))
    assert rows and {"ptce", "name", "themes"} == set(rows[0])
    page.close()
