"""/network in headless Chromium against a real HTTP server: 15 nodes, filters, hover, click."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ptce.network.cotheme import ptces_sharing_themes
from ptce.store.engine import open_build

from ..conftest import IRIS

pytestmark = [pytest.mark.browser, pytest.mark.server]

COHOSE = str(IRIS.thing("ptce", "cohose"))
CIRCUITS_COURTS = str(IRIS.thing("theme", "circuits-courts"))
VISIBLE = "() => document.getElementById('network-graph').dataset.visibleNodes"


@pytest.fixture(scope="module")
def server(site_url):
    return site_url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.errors, pg.hosts = [], set()
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: pg.hosts.add(urlsplit(r.url).netloc))
    pg.goto(f"{server}/network")
    pg.wait_for_function("() => window.ptceNetwork || document.getElementById('network-graph').dataset.error")
    yield pg
    context.close()


def ptces_with(store, theme=None, department=None) -> set[str]:
    where = f"dcterms:subject <{theme}> ;" if theme else ""
    where += f" ptce:department <{department}> ;" if department else ""
    return {r["p"] for r in store.select(f"SELECT ?p WHERE {{ ?p {where} a ptce:PTCE }}")}


def shown(page) -> set[str]:
    """Nodes sigma draws (not hidden by the reducers)."""
    return set(
        page.evaluate(
            """() => { const {graph, renderer} = window.ptceNetwork;
                 return graph.nodes().filter(n => !renderer.getNodeDisplayData(n).hidden); }"""
        )
    )


def test_loads_the_15_ptces(page, server):
    assert page.evaluate("() => document.getElementById('network-graph').dataset.error") is None
    assert page.evaluate("() => window.ptceNetwork.graph.order") == 15
    assert page.evaluate(VISIBLE) == "15" and len(shown(page)) == 15
    assert page.locator("#network-table tbody tr:visible").count() == 15
    assert page.locator("#network-graph canvas").count() > 0
    assert page.locator("#network-count").inner_text() == "15 PTCE affiché(s) sur 15"
    assert page.errors == []
    assert page.hosts == {urlsplit(server).netloc}, "no request leaves the server"


def test_filters_by_theme_and_department(page, build_dir):
    store = open_build(build_dir)
    expected = ptces_with(store, theme=CIRCUITS_COURTS)
    assert 1 < len(expected) < 15
    page.select_option("#filter-theme", CIRCUITS_COURTS)
    assert page.evaluate(VISIBLE) == str(len(expected))
    assert shown(page) == expected
    rows = page.locator("#network-table tbody tr:visible")
    assert {rows.nth(k).get_attribute("data-node") for k in range(rows.count())} == expected
    pas_de_calais = str(IRIS.thing("departement", "pas-de-calais"))
    page.select_option("#filter-department", pas_de_calais)
    both = ptces_with(store, theme=CIRCUITS_COURTS, department=pas_de_calais)
    assert shown(page) == both and page.evaluate(VISIBLE) == str(len(both))
    page.select_option("#filter-theme", "")
    page.select_option("#filter-department", "")
    assert page.evaluate(VISIBLE) == "15"


def node_position(page, node: str) -> tuple[float, float]:
    xy = page.evaluate(
        "(n) => window.ptceNetwork.renderer.graphToViewport(window.ptceNetwork.graph.getNodeAttributes(n))", node
    )
    box = page.locator("#network-graph").bounding_box()
    return box["x"] + xy["x"], box["y"] + xy["y"]


def test_hover_shows_shared_themes_and_click_opens_the_ptce_page(page, build_dir):
    x, y = node_position(page, COHOSE)
    page.mouse.move(x, y)
    info = page.locator("#network-info")
    info.get_by_text("PTCE partagent des thématiques").wait_for()
    text = info.inner_text()
    assert text.startswith("CoHose")
    for neighbour in ptces_sharing_themes(open_build(build_dir), COHOSE):
        assert f"{neighbour.label} — {', '.join(neighbour.themes)}" in text
    page.mouse.click(x, y)
    page.wait_for_url("**/page/ptce/cohose")  # /id/ptce/cohose answers 303 to the HTML page
    assert page.locator("h1").inner_text() == "CoHose"


# Every label's box in the container's pixels, from the node positions sigma uses (measured with sigma's font).
LABEL_BOXES = """() => {
  const {graph, renderer} = window.ptceNetwork, frame = document.getElementById('network-graph');
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = 'normal 14px Arial';
  const boxes = graph.nodes().map(node => {
    const a = graph.getNodeAttributes(node), p = renderer.graphToViewport({x: a.x, y: a.y});
    const left = p.x + renderer.scaleSize(renderer.getNodeDisplayData(node).size) + 3;
    return {label: a.label, left, right: left + ctx.measureText(a.label).width, top: p.y - 7, bottom: p.y + 7};
  });
  return {boxes, width: frame.clientWidth, height: frame.clientHeight,
          drawn: renderer.getNodeDisplayedLabels().size, page: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_label_is_drawn_inside_the_frame_and_none_overlaps(browser, server, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.goto(f"{server}/network")
    pg.wait_for_selector("#network-graph[data-ready=true]")
    found = pg.evaluate(LABEL_BOXES)
    boxes = found["boxes"]
    assert found["drawn"] == len(boxes) == 15  # the large nodes' too
    for i, a in enumerate(boxes):
        assert a["left"] >= 0 and a["top"] >= 0, a
        assert a["right"] <= found["width"] and a["bottom"] <= found["height"], a
        for b in boxes[i + 1 :]:
            side_by_side = a["right"] <= b["left"] or b["right"] <= a["left"]
            assert side_by_side or a["bottom"] <= b["top"] or b["bottom"] <= a["top"], (a["label"], b["label"])
    assert found["page"] <= width  # the page itself fits (the table scrolls in its own box)
    pg.locator("#network-graph").screenshot(path=str(tmp_path / f"network-{width}.png"))
    context.close()
