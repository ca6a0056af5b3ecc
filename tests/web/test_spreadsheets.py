"""The directory as spreadsheets: /ptce.csv and /ptce.xlsx, one row per PTCE, described by /ptce.schema.json.

Checked against outside readers: Python's csv module, openpyxl (the XLSX), frictionless (the CSV against its Table
Schema, as schema.data.gouv.fr's validator does), and Chromium downloading them from the catalog page. The rows are
compared with what SPARQL says of the same build.
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

from ptce.build.spreadsheet import FIELDS, LIST_SEPARATOR, csv_safe, to_csv, to_xlsx
from ptce.store.engine import open_build

COHOSE = "https://w3id.org/ptce/id/ptce/cohose"


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def xlsx_rows(body: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


@pytest.fixture(scope="module")
def store(build_dir):
    return open_build(build_dir)


@pytest.fixture(scope="module")
def served(app):
    client = app.test_client()
    answers = {path: client.get(path) for path in ("/ptce.csv", "/ptce.xlsx", "/ptce.schema.json")}
    for path, r in answers.items():
        assert r.status_code == 200, path
    return answers


def test_the_csv_has_one_row_per_ptce_as_sparql_counts_them(served, store):
    rows = csv_rows(served["/ptce.csv"].data)
    assert served["/ptce.csv"].headers["Content-Type"] == "text/csv; charset=utf-8"
    ptces = {r["p"] for r in store.select("SELECT ?p WHERE { ?p a ptce:PTCE }")}
    assert len(rows) == len(ptces) == 15
    assert {r["iri"] for r in rows} == ptces
    assert list(rows[0]) == [f.name for f in FIELDS]
    names = [r["nom"] for r in rows]
    assert names.index("CoHose") < names.index("Eco-Pôle Alimentaire d'Audruicq")  # French order, accents aside


def test_a_row_says_what_the_graph_says(served, store):
    row = next(r for r in csv_rows(served["/ptce.csv"].data) if r["iri"] == COHOSE)
    themes = store.select(f'SELECT ?l WHERE {{ <{COHOSE}> dcterms:subject/skos:prefLabel ?l FILTER(LANG(?l) = "fr") }}')
    assert set(row["thematiques"].split(LIST_SEPARATOR)) == {t["l"] for t in themes}
    assert (row["departement"], row["code_departement"]) == ("Pas-de-Calais", "62")
    assert row["page"].endswith("/page/ptce/cohose")
    carried = next(r for r in csv_rows(served["/ptce.csv"].data) if r["porteurs"])
    members = store.select(
        f"SELECT ?l WHERE {{ ?m org:organization <{carried['iri']}> ; org:role ptce:CarrierRole ; "
        'org:member/skos:prefLabel ?l FILTER(LANG(?l) = "fr") }'
    )
    assert set(carried["porteurs"].split(LIST_SEPARATOR)) == {m["l"] for m in members}


def test_the_xlsx_holds_the_same_rows_under_a_header_of_titles(served):
    body = served["/ptce.xlsx"].data
    assert served["/ptce.xlsx"].headers["Content-Disposition"] == 'attachment; filename="ptce.xlsx"'
    table = xlsx_rows(body)
    assert table[0] == [f.title for f in FIELDS]
    assert table[1:] == [list(r.values()) for r in csv_rows(served["/ptce.csv"].data)]
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b


def test_the_csv_conforms_to_its_table_schema_by_frictionless(served, tmp_path, monkeypatch):
    frictionless = pytest.importorskip("frictionless")
    monkeypatch.chdir(tmp_path)  # frictionless reads only relative paths by default
    (tmp_path / "ptce.csv").write_bytes(served["/ptce.csv"].data)
    schema = json.loads(served["/ptce.schema.json"].data)
    assert [f["name"] for f in schema["fields"]] == [f.name for f in FIELDS]
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    report = frictionless.validate("ptce.csv", schema="schema.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    broken = served["/ptce.csv"].data.replace(b",62,", b",sixty-two,", 1)  # a code the pattern refuses
    (tmp_path / "broken.csv").write_bytes(broken)
    report = frictionless.validate("broken.csv", schema="schema.json")
    assert not report.valid and "constraint-error" in {e[0] for e in report.flatten(["type"])}


def test_the_schema_examples_are_values_of_the_rows(served):
    rows = csv_rows(served["/ptce.csv"].data)
    for field in json.loads(served["/ptce.schema.json"].data)["fields"]:
        if "example" in field:
            assert field["example"] in {r[field["name"]] for r in rows}, field["name"]


def test_the_catalog_lists_both_as_distributions_conforming_to_the_schema(client, served):
    catalog = Graph().parse(data=client.get("/catalog", headers={"Accept": "text/turtle"}).data, format="turtle")
    tables = set(catalog.subjects(DCTERMS.conformsTo, URIRef("https://w3id.org/ptce/ptce.schema.json")))
    assert len(tables) == 2
    for dist in tables:
        url = str(catalog.value(dist, DCAT.downloadURL))
        path = "/" + url.removeprefix("https://w3id.org/ptce/")
        assert int(catalog.value(dist, DCAT.byteSize)) == len(served[path].data)
    page = client.get("/catalog", headers={"Accept": "text/html"}).get_data(as_text=True)
    tableurs = page[page.index('id="tableurs"') : page.index('id="telechargements"')]
    assert 'href="/ptce.csv"' in tableurs and 'href="/ptce.xlsx"' in tableurs


def test_a_value_a_spreadsheet_would_evaluate_is_written_as_text():
    row = {f.name: "" for f in FIELDS} | {"nom": '=HYPERLINK("http://example.org")', "iri": "x", "page": "y"}
    assert csv_rows(to_csv([row]))[0]["nom"] == "'" + row["nom"]
    assert csv_safe("-1") == "'-1" and csv_safe("Eco-Pôle") == "Eco-Pôle"
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx([row]))).active
    assert sheet["A2"].value == row["nom"] and sheet["A2"].data_type == "s"  # text, never a formula


@pytest.mark.browser
@pytest.mark.server
def test_chromium_downloads_both_from_the_catalog_page(browser, site_url, tmp_path):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{site_url}/catalog")
    for name in ("ptce.csv", "ptce.xlsx"):
        with page.expect_download() as download:
            page.click(f'#tableurs a[href="/{name}"]', modifiers=["Alt"])  # Alt+click: save, do not show
        download.value.save_as(tmp_path / name)
    page.screenshot(path=str(tmp_path / "catalog.png"), full_page=True)
    context.close()
    assert len(csv_rows((tmp_path / "ptce.csv").read_bytes())) == 15
    assert len(xlsx_rows((tmp_path / "ptce.xlsx").read_bytes())) == 16
