"""The query UI in headless Chromium: example tabs, a query run against the real server, the row-limit notice."""

from __future__ import annotations

import os

import pytest

from ptce.query.examples import load_examples

from ..live_server import live_server

SCREENSHOT = os.environ.get("PTCE_SCREENSHOT")
pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--row-limit", "3", "--workers", "1")
    with live_server(tmp_path_factory.mktemp("serve-ui"), *args) as live:
        yield live


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.url}/sparql")
    yield page
    page.close()
    assert requested and all(url.startswith(server.url) for url in requested), requested


def run_tab(page, title: str) -> list[list[str]]:
    page.get_by_role("tab", name=title).click()
    panel = page.locator(".tabPanel.active")
    with page.expect_response(lambda r: "/sparql" in r.url and r.request.method == "POST"):
        panel.locator(".yasqe_queryButton").click()
    rows = panel.locator(".yasr table.dataTable tbody tr")
    rows.first.wait_for()
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]


def test_examples_are_tabs_and_a_query_shows_its_rows(page):
    tabs = [text.split("\n")[0] for text in page.get_by_role("tab").all_inner_texts()]
    assert tabs[:2] == ["PTCE par département", "Départements sans PTCE"]
    assert len(tabs) == len(load_examples())
    rows = run_tab(page, "Départements sans PTCE")
    assert len(rows) == 1
    assert "Aisne" in rows[0] and "02" in rows[0]  # literals as text, not RDF syntax
    assert page.locator(".tabPanel.active .yasr .literal", has_text="Aisne").get_attribute("title") == "langue : fr"
    assert page.locator("#truncated").is_hidden()


def test_cut_results_show_the_notice(page):
    rows = run_tab(page, "PTCE par département")
    assert len(rows) == 3
    assert rows[0][2:] == ["Pas-de-Calais", "62", "8"]
    count = page.locator(".tabPanel.active .yasr .literal", has_text="8").first
    assert count.get_attribute("title") == "type : xsd:integer"  # the datatype on hover
    assert page.locator("#truncated").is_visible()
    page.screenshot(path=str(SCREENSHOT)) if SCREENSHOT else None


def test_at_390_px_the_run_button_leaves_the_query_readable(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(f"{server.url}/sparql")
    panel = page.locator(".tabPanel.active")
    panel.locator(".yasqe_queryButton").wait_for()
    button, editor = panel.locator(".yasqe_queryButton").bounding_box(), panel.locator(".CodeMirror").bounding_box()
    assert button["y"] >= editor["y"] + editor["height"] - 1  # under the editor, not over the first lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_response(lambda r: "/sparql" in r.url and r.request.method == "POST"):
        panel.locator(".yasqe_queryButton").click()
    panel.locator(".yasr table.dataTable tbody tr").first.wait_for()
    page.screenshot(path=str(tmp_path / "sparql-390.png"), full_page=True)
    page.close()
