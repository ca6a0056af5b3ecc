"""The map over HTTP (/map, /map.geojson, the outlines) and `ptce map`, all computed from the published build."""

from __future__ import annotations

import json
import math
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from ptce.build_folder import OUTLINES
from ptce.cli import main
from ptce.web import create_app
from ptce.web.site import get_site

PTCE_NAMES = """SELECT ?name WHERE { ?p a ptce:PTCE ; skos:prefLabel ?name } ORDER BY ?name"""
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)


@pytest.fixture
def fresh_app(build_dir):
    """An app of its own over the session build, whose in-memory store a test may change."""
    return create_app({"BUILD_DIR": str(build_dir), "TESTING": True})


def names_in_store(app):
    return sorted(r["name"] for r in get_site(app).build.store.select(PTCE_NAMES))


def test_geojson_is_valid_with_fifteen_features(client, app):
    response = client.get("/map.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection" and set(data) == {"type", "features"}
    features = data["features"]
    assert len(features) == 15
    assert len({f["id"] for f in features}) == 15
    for f in features:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]  # RFC 7946: longitude first, WGS 84
        assert all(isinstance(v, float) and math.isfinite(v) for v in (lon, lat))
        assert 1.3 < lon < 4.3 and 48.8 < lat < 51.1, f["properties"]["name"]
        p = f["properties"]
        assert f["id"] == p["iri"] and p["iri"].startswith("https://w3id.org/ptce/id/ptce/")
        assert p["department"] in {"Nord", "Pas-de-Calais", "Oise", "Somme"}
        assert p["themes"] and len(p["themes"]) == len(p["theme_iris"])
        assert p["precision"] in {"commune", "territoire", "departement"}
        assert re.fullmatch(r"#[0-9A-F]{6}", p["marker-color"])
    assert sorted(f["properties"]["name"] for f in features) == names_in_store(app)


def test_geojson_comes_from_the_store(fresh_app):
    """Change the published graph in the store: the GeoJSON follows it (no YAML is read by the web layer)."""
    store = get_site(fresh_app).build.store.store
    store.update(
        """PREFIX geo: <http://www.opengis.net/ont/geosparql#>
           DELETE { ?g geo:asWKT ?w } INSERT { ?g geo:asWKT "POINT(2.5 50.0)"^^geo:wktLiteral }
           WHERE { <https://w3id.org/ptce/id/ptce/valorizons> geo:hasGeometry ?g . ?g geo:asWKT ?w }"""
    )
    features = fresh_app.test_client().get("/map.geojson").get_json(force=True)["features"]
    (valorizons,) = [f for f in features if f["id"].endswith("/valorizons")]
    assert valorizons["geometry"]["coordinates"] == [2.5, 50.0]


def test_map_page_lists_every_ptce_with_local_links(client):
    response = client.get("/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    links = re.findall(r'<li data-iri="[^"]+">.*?<a href="(/id/ptce/[a-z0-9-]+)">', html, re.S)
    assert len(links) == 15
    assert 'id="filtre-theme"' in html and 'id="filtre-departement"' in html
    assert re.search(r'<option value="https://w3id.org/ptce/id/departement/aisne" disabled>Aisne', html)
    # a top theme matches its narrower themes; a narrower one only itself
    top = re.search(r'<option value="https://w3id.org/ptce/id/theme/alimentation" data-match="([^"]+)"', html)
    assert "https://w3id.org/ptce/id/theme/circuits-courts" in top.group(1).split()
    assert "Légende" in html and "la source ne nomme pas de lieu" in html


def test_map_page_loads_nothing_from_elsewhere_and_no_inline_script(client):
    response = client.get("/map")
    html = response.get_data(as_text=True)
    scripts = SCRIPT_TAG.findall(html)
    assert scripts, "the page has scripts"
    code = [(attrs, body) for attrs, body in scripts if 'type="application/json"' not in attrs]  # JSON is data
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in code)
    # links and <link rel="alternate"> (the page in another language, for search engines) name pages, load nothing
    named = re.sub(r'<a [^>]*>|<link rel="alternate" [^>]*>', "", html)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', named)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for path in ("/static/map.js", "/static/map.css", "/static/vendor/leaflet/leaflet.js"):
        assert client.get(path).status_code == 200, path


def test_names_are_escaped(fresh_app):
    store = get_site(fresh_app).build.store.store
    store.update(
        """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
           DELETE { ?p skos:prefLabel ?n } INSERT { ?p skos:prefLabel "<img src=x onerror=alert(1)>"@fr }
           WHERE { BIND(<https://w3id.org/ptce/id/ptce/cohose> AS ?p) ?p skos:prefLabel ?n }"""
    )
    html = fresh_app.test_client().get("/map").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_outlines_are_served_from_the_build(build_dir, tmp_path, client):
    response = client.get("/map/departements.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert response.data == (build_dir / OUTLINES).read_bytes()
    kinds = sorted(f["properties"]["kind"] for f in json.loads(response.data)["features"])
    assert kinds == ["departement"] * 5 + ["region"]
    # Another build folder, another file: the web layer reads the build, not data/.
    other = tmp_path / "dist"
    shutil.copytree(build_dir, other)
    (other / OUTLINES).write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    app = create_app({"BUILD_DIR": str(other), "TESTING": True})
    assert app.test_client().get("/map/departements.geojson").get_json(force=True)["features"] == []
    (other / OUTLINES).unlink()  # a build made before outlines were published
    assert app.test_client().get("/map/departements.geojson").status_code == 200  # the snapshot in service
    app = create_app({"BUILD_DIR": str(other), "TESTING": True})
    assert app.test_client().get("/map/departements.geojson").status_code == 404


def test_map_answers_are_cacheable_per_build(client):
    first = client.get("/map.geojson")
    assert first.headers["ETag"]
    again = client.get("/map.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# ---- ptce map -------------------------------------------------------------------------------------


def test_cli_map_svg_has_every_ptce_and_a_legend(runner, build_dir, tmp_path, app):
    out = tmp_path / "carte.svg"
    result = runner.invoke(main, ["map", "--build", str(build_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "15 PTCEs" in result.output
    svg = out.read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert len(set(re.findall(r'id="(ptce-\d+)"', svg))) == 15
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for name in names_in_store(app):
        assert name in texts, name
    for label in ("Aisne (0)", "Nord (2)", "Oise (3)", "Pas-de-Calais (8)", "Somme (2)", "commune"):
        assert label in texts, label


def test_cli_map_png(runner, build_dir, tmp_path):
    out = tmp_path / "carte.img"
    result = runner.invoke(main, ["map", "--build", str(build_dir), "--out", str(out), "--format", "png"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (2200, 1500)


def test_cli_map_without_a_build(runner, tmp_path):
    result = runner.invoke(main, ["map", "--build", str(tmp_path / "none"), "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "Run `ptce build` first" in result.output


def test_cli_map_help_has_an_example(runner):
    result = runner.invoke(main, ["map", "--help"])
    assert result.exit_code == 0 and "Example:\n    ptce map" in result.output


def test_outlines_served_when_the_build_folder_is_given_relative(build_dir, monkeypatch):
    """Regression: a relative BUILD_DIR (as `ptce serve --build dist` gives) was resolved against the package."""
    monkeypatch.chdir(build_dir.parent)
    app = create_app({"BUILD_DIR": build_dir.name})
    response = app.test_client().get("/map/departements.geojson")
    assert response.status_code == 200
    assert len(response.get_json(force=True)["features"]) == 6
