"""Geometry: WKT points, point in polygon, and every PTCE of the published graph inside its department's outline."""

from __future__ import annotations

import json
import re

import pytest

from ptce.build_folder import OUTLINES
from ptce.rdf.geometry import parse_point_wkt, point_in_polygon, point_wkt
from ptce.store.engine import open_build

from ..checkout import ROOT as PROJECT_ROOT
from ..conftest import IRIS

# A 4×4 square with a 2×2 hole, and a second square apart: a MultiPolygon.
SQUARE = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
HOLE = [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]
ISLAND = [[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]
MULTI = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [ISLAND]]}

LOCATIONS = """
SELECT ?ptce ?name ?dept ?wkt ?precision WHERE {
  ?ptce a ptce:PTCE ; skos:prefLabel ?name ; ptce:department ?dept ; geo:hasGeometry ?g .
  ?g geo:asWKT ?wkt ; ptce:locationPrecision ?precision .
}
"""


@pytest.fixture(scope="module")
def store(build_dir):
    return open_build(build_dir)


@pytest.fixture(scope="module")
def outlines(build_dir):
    return json.loads((build_dir / OUTLINES).read_text(encoding="utf-8"))


def outline(outlines, slug):
    (feature,) = [f for f in outlines["features"] if f["properties"]["slug"] == slug]
    return feature["geometry"]


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (0.5, 0.5, True),  # in the square
        (2, 2, False),  # in the hole
        (3.5, 2, True),  # between hole and edge
        (10.5, 10.5, True),  # on the island
        (5, 2, False),  # between the two
        (-1, 2, False),
        (2, 4.5, False),
    ],
)
def test_point_in_multipolygon_with_hole(lon, lat, inside):
    assert point_in_polygon(lon, lat, MULTI) is inside


def test_point_in_polygon_rejects_other_geometries():
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        point_in_polygon(0, 0, {"type": "Point", "coordinates": [0, 0]})


def test_ray_casting_agrees_with_shapely_on_the_real_outlines(outlines):
    """Cross-check against GEOS on a grid over the region (shapely is only a test-time reference)."""
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape

    for feature in outlines["features"]:
        geometry = feature["geometry"]
        reference = shape(geometry)
        x0, y0, x1, y1 = reference.bounds
        for i in range(25):
            for j in range(25):
                x, y = x0 + (x1 - x0) * (i + 0.5) / 25, y0 + (y1 - y0) * (j + 0.5) / 25
                assert point_in_polygon(x, y, geometry) == reference.contains(shapely.Point(x, y)), (x, y)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("POINT(2.2571 50.51541)", (2.2571, 50.51541)),
        ("point ( -1.5   48 )", (-1.5, 48.0)),
        ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(2 50)", (2.0, 50.0)),
    ],
)
def test_parse_point_wkt(text, expected):
    assert parse_point_wkt(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "POINT(2 50 3)",
        "LINESTRING(0 0, 1 1)",
        "POINT(200 50)",
        "<http://www.opengis.net/def/crs/EPSG/0/4326> POINT(50 2)",
    ],
)
def test_parse_point_wkt_rejects(text):
    with pytest.raises(ValueError):
        parse_point_wkt(text)


def test_point_wkt_round_trip():
    assert point_wkt(2.2571, 50.51541) == "POINT(2.2571 50.51541)"
    assert parse_point_wkt(point_wkt(1.58653, 50.52093)) == (1.58653, 50.52093)


def test_every_ptce_lies_inside_its_department_outline(store, outlines):
    rows = store.select(LOCATIONS)
    assert len(rows) == 15
    for row in rows:
        _, slug = IRIS.split(row["dept"])
        lon, lat = parse_point_wkt(row["wkt"])
        assert point_in_polygon(lon, lat, outline(outlines, slug)), (row["name"], slug, lon, lat)
        others = [f["properties"]["slug"] for f in outlines["features"] if f["properties"]["kind"] == "departement"]
        assert [s for s in others if point_in_polygon(lon, lat, outline(outlines, s))] == [slug]
        assert point_in_polygon(lon, lat, outline(outlines, "hauts-de-france"))


def test_ptces_without_a_named_place_sit_at_their_department(store):
    rows = store.select(
        """SELECT ?slug ?precision WHERE {
             ?p a ptce:PTCE ; ptce:department ?d ; geo:hasGeometry ?g .
             ?d geo:hasGeometry ?g . ?g ptce:locationPrecision ?precision
             BIND(STRAFTER(STR(?p), "/id/ptce/") AS ?slug) } ORDER BY ?slug"""
    )
    assert [(r["slug"], r["precision"]) for r in rows] == [
        ("cohose", "departement"),
        ("partage-travail", "departement"),
        ("valorizons", "departement"),
    ]


def test_precision_and_method_are_published(store):
    rows = {
        r["slug"]: r
        for r in store.select(
            """SELECT ?slug ?precision ?method WHERE {
                 ?p a ptce:PTCE ; geo:hasGeometry ?g .
                 ?g ptce:locationPrecision ?precision ; ptce:locationMethod ?method ;
                    prov:wasDerivedFrom/dcterms:title ?source
                 BIND(STRAFTER(STR(?p), "/id/ptce/") AS ?slug) }"""
        )
    }
    assert rows["noeux-environnement"]["precision"] == "commune"
    assert "town-hall" in rows["noeux-environnement"]["method"]
    several = rows["transition-plurielle-montreuillois-ternois-7-vallees"]
    assert several["precision"] == "territoire"
    assert "union of the communes of the places montreuillois, ternois, 7-vallees" in several["method"]
    assert len(rows) == 15


def test_readme_map_query_runs(store):
    """The SPARQL example of the README's Map section answers with the 15 PTCEs."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Map", 1)[1].split("\n## ", 1)[0]
    (query,) = re.findall(r"```sparql\n(.*?)```", section, re.S)
    rows = store.select(query)
    assert len(rows) == 15
    assert all(parse_point_wkt(r["wkt"]) for r in rows)
