"""Every example query in queries/ answers its question on the real data."""

from __future__ import annotations

import json
from itertools import pairwise
from math import asin, cos, radians, sin, sqrt

import pytest
from rdflib.namespace import RDF, SKOS

from ptce.query.examples import load_examples
from ptce.rdf.namespaces import GEO

from ..conftest import IRIS

EXAMPLES = {e.name: e for e in load_examples()}


def answer(client, name: str) -> list[dict[str, str]]:
    r = client.post("/sparql", data=EXAMPLES[name].text, content_type="application/sparql-query")
    assert r.status_code == 200, r.data
    data = json.loads(r.data)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def column(rows, name):
    return [row.get(name) for row in rows]


EXPECTED = {
    "01-ptce-per-department": lambda rows: (
        {r["name"]: int(r["ptces"]) for r in rows} == {"Pas-de-Calais": 8, "Oise": 3, "Nord": 2, "Somme": 2, "Aisne": 0}
    ),
    "02-departments-without-ptce": lambda rows: column(rows, "name") == ["Aisne"] and column(rows, "code") == ["02"],
    "03-ptce-on-a-theme": lambda rows: (
        column(rows, "name")
        == [
            "Auton'Hommes",
            "CoHose",
            "Emergence Hénin-Carvin",
            "Emergence Sud Oise",
            "Noeux Environnement",
            "Partage Travail",
            "Pôle Ressources",
            "Pôle de Coopération Oise Ouest",
            "Transition Plurielle Montreuillois Ternois 7 Vallées",
            "Valorizons",
        ]
        and "Biodiversité" in rows[1]["themes"]
    ),
    "04-themes-shared-by-two-ptces": lambda rows: (
        (rows[0]["first"], rows[0]["second"], rows[0]["shared"])
        == ("Auton'Hommes", "Pôle de Coopération Oise Ouest", "5")
        and all(int(a["shared"]) >= int(b["shared"]) for a, b in pairwise(rows))
        and len(rows) == 75
    ),
    "05-ptce-carried-by-an-association": lambda rows: (
        column(rows, "name") == ["Noeux Environnement"]
        and column(rows, "carrierName") == ["association Noeux Environnement"]
    ),
    "06-organisations-and-roles": lambda rows: (
        {(r["name"], r["role"], r["ptceName"]) for r in rows}
        == {
            ("association Noeux Environnement", "animateur", "Noeux Environnement"),
            ("collectif PHARE", "porteur", "Auton'Hommes"),
        }
    ),
    "07-initiatives-with-figures": lambda rows: (
        [(r["name"], r.get("partnerShops"), r.get("subscribers")) for r in rows]
        == [("Mon shopping c'est Calais", "104", None)]
    ),
    "08-nearest-ptces": lambda rows: (
        len(rows) == 5
        and "CoHose" not in column(rows, "name")
        and [float(r["km"]) for r in rows] == sorted(float(r["km"]) for r in rows)
    ),
    "09-ptces-in-a-department": lambda rows: len(rows) == 8 and "CoHose" in column(rows, "name"),
}


def test_every_example_has_a_checked_answer():
    assert set(EXPECTED) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_answers_its_question(client, name):
    assert EXPECTED[name](answer(client, name))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_has_a_title_and_a_comment(name):
    example = EXAMPLES[name]
    assert example.title and example.comment
    assert example.text.lstrip().startswith("# " + example.title)


def test_nearest_ptces_agree_with_the_haversine_distance(client, graph):
    """The engine's geof:distance (metres, on the WGS84 ellipsoid) against a great-circle distance computed here
    from the same points: the same five PTCEs in the same order, each within 1 %."""

    def point(node):
        lon, lat = map(float, str(graph.value(graph.value(node, GEO.hasGeometry), GEO.asWKT))[6:-1].split())
        return radians(lon), radians(lat)

    def km(a, b):
        (x1, y1), (x2, y2) = a, b
        h = sin((y2 - y1) / 2) ** 2 + cos(y1) * cos(y2) * sin((x2 - x1) / 2) ** 2
        return 2 * 6371.0088 * asin(sqrt(h))

    cohose = IRIS.thing("ptce", "cohose")
    others = [p for p in graph.subjects(RDF.type, IRIS.vocab.PTCE) if p != cohose]
    ranked = sorted(others, key=lambda p: km(point(cohose), point(p)))[:5]
    rows = answer(client, "08-nearest-ptces")
    assert column(rows, "name") == [str(graph.value(p, SKOS.prefLabel)) for p in ranked]
    for row, p in zip(rows, ranked, strict=True):
        assert abs(float(row["km"]) - km(point(cohose), point(p))) <= 0.01 * float(row["km"]) + 0.1


@pytest.mark.parametrize("department", ["aisne", "nord", "oise", "pas-de-calais", "somme"])
def test_the_ptces_within_a_departments_outline_are_its_ptces(client, graph, department):
    """geof:sfWithin between each PTCE's point and the department's outline (its default geometry) finds exactly
    the PTCEs the source puts in that department (their points were checked against the same outlines)."""
    dept = IRIS.thing("departement", department)
    r = client.get("/api/ptces-in-a-department", query_string={"departement": str(dept)})
    assert r.status_code == 200, r.data
    found = {row["ptce"] for row in r.json}
    ptces = set(graph.subjects(RDF.type, IRIS.vocab.PTCE))
    assert found == {str(p) for p in graph.subjects(IRIS.vocab.department, dept) if p in ptces}
    outline = graph.value(dept, GEO.hasDefaultGeometry)
    assert str(graph.value(outline, GEO.asWKT)).startswith(("POLYGON((", "MULTIPOLYGON((("))
