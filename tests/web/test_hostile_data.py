"""Hostile literals in the data (markup, quotes, bidi overrides, 100k-character texts) are shown as text everywhere.

The data folder is edited through its YAML sources, built and published like any other: every HTML page of the
dataset, the map and network data and views, and the security headers of every route are checked.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, URIRef

from ptce.assets import DATA_DIR
from ptce.build.pipeline import publish_build
from ptce.rdf.namespaces import Iris
from ptce.sources import fields
from ptce.web import create_app
from ptce.web.bidi import close_bidi

from ..live_server import threaded_server
from ..routes import route_paths
from ..source_text import add_to_section

IRIS = Iris()
NAME = "CoHose <img src=x onerror=\"alert('n')\"> \u202eesoHoC 'q' & \"dq\""
DESCRIPTION = '<script>alert("d")</script></p><a href="javascript:alert(1)">x</a> \u2067' + "long " * 20_000
DEPARTMENT = "Aisne <b onmouseover=alert(1)>\u202d"
ORGANISATION = "collectif </script><script>alert('o')</script>"
RAW = ("<img", "<script>alert", "<b onmouseover", "</script><script>", 'href="javascript:')


def edit(path: Path, change) -> None:
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(yaml.safe_dump(record, allow_unicode=True, width=1 << 20), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    """The sources refuse such texts (tests/sources/test_bad_input.py); the pages must hold all the same when they reach
    the graph another way (a remote store, a hand-made build), so this build gets past the source checks."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fields, "FORBIDDEN_RE", re.compile("(?!)"))
        patch.setattr(fields, "MAX_TEXT", 1 << 30)
        return _hostile_build(tmp_path_factory)


def _hostile_build(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(DATA_DIR, data)
    add_to_section(data, "CoHose", DESCRIPTION)  # a description is quoted from the source document
    edit(data / "ptce" / "cohose.yaml", lambda r: r.update(name=NAME, source_name="CoHose", description=DESCRIPTION))
    edit(data / "geography.yaml", lambda r: r["departements"][0].update(name=DEPARTMENT))
    edit(data / "organisations.yaml", lambda r: r["organisations"][0].update(name=ORGANISATION))
    publish_build(root / "dist", data)
    return root / "dist"


@pytest.fixture(scope="module")
def hostile_app(hostile_build):
    return create_app({"BUILD_DIR": str(hostile_build), "TESTING": True})


def assert_inert(body: str) -> None:
    for raw in RAW:
        assert raw not in body, raw
    shown = re.sub(r'<script type="application/ld\+json">.*?</script>', "", body, flags=re.S)  # data, not text
    for opener in ("\u202e", "\u202d", "\u2067"):  # every override or isolate the data opens is closed again
        for value in re.findall(f'{opener}[^<>"]*', shown):
            assert close_bidi(value) == value, repr(value[:40])


def test_the_hostile_data_is_published_as_given(hostile_build):
    graph = Graph().parse(hostile_build / "ptce.ttl")
    assert NAME in {str(o) for o in graph.objects()}
    assert DESCRIPTION.strip() in {str(o).strip() for o in graph.objects()}


def test_every_page_of_the_dataset_shows_hostile_literals_as_text(hostile_app, hostile_build):
    client = hostile_app.test_client()
    graph = Graph().parse(hostile_build / "ptce.ttl")
    things = {s for s in graph.subjects() if isinstance(s, URIRef) and IRIS.split(str(s))}
    paths = [IRIS.path_of(str(t)).replace("/id/", "/page/", 1) for t in things]
    pages = [*paths, "/", "/map", "/network", "/catalog", "/ontology", "/sparql"]
    seen = ""
    for path in pages:
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, path
        body = r.get_data(as_text=True)
        assert_inert(body)
        seen += body
    assert "&lt;img src=x onerror=&#34;alert(&#39;n&#39;)&#34;&gt;" in seen
    assert "&lt;script&gt;alert(&#34;d&#34;)&lt;/script&gt;" in seen
    assert "Aisne &lt;b onmouseover=alert(1)&gt;\u202d\u202c" in seen
    assert "\u202eesoHoC &#39;q&#39; &amp; &#34;dq&#34;\u202c" in seen


def test_map_and_network_data_carry_the_literals_unchanged(hostile_app):
    client = hostile_app.test_client()
    geo = client.get("/map.geojson")
    assert geo.headers["X-Content-Type-Options"] == "nosniff" and "json" in geo.mimetype
    names = {f["properties"]["name"] for f in geo.get_json()["features"]}
    assert NAME in names
    network = client.get("/network.json")
    assert "json" in network.mimetype
    assert NAME in {node.get("label") for node in network.get_json()["nodes"]}


def test_security_headers_on_every_route(hostile_app):
    client = hostile_app.test_client()
    for path in [*route_paths(hostile_app), "/nowhere", "/page/ptce/nowhere"]:
        r = client.get(path)
        assert "default-src 'self'" in r.headers["Content-Security-Policy"], path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


def test_close_bidi():
    assert close_bidi("plain") == "plain"
    assert close_bidi("a\u202eb") == "a\u202eb\u202c"
    assert close_bidi("a\u2067b\u202ec") == "a\u2067b\u202ec\u202c\u2069"
    assert close_bidi("a\u202eb\u202c") == "a\u202eb\u202c"
    assert close_bidi("a\u2066b\u202ec\u2069") == "a\u2066b\u202ec\u2069"


@pytest.mark.browser
@pytest.mark.server
def test_the_map_shows_hostile_names_as_text(hostile_app, browser):
    with threaded_server(hostile_app) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/map")
        page.wait_for_selector("#carte[data-ready=true]")
        marker = page.locator(".ptce-marker").filter(has=page.locator("xpath=self::*[contains(@title, 'CoHose')]"))
        marker.first.hover()
        tooltip = page.locator(".leaflet-tooltip-pane .leaflet-tooltip:not(.dept-label)")
        assert tooltip.inner_text().startswith("CoHose <img src=x")
        labels = page.locator(".leaflet-tooltip.dept-label").all_text_contents()
        assert any(label.startswith("Aisne <b onmouseover") for label in labels), labels
        assert page.locator(".leaflet-pane img[src='x'], .leaflet-pane b").count() == 0
        page.close()
