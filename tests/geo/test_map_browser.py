"""The map in headless Chromium against a real local server: markers, filters, popups, keyboard, no outside request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.server]
PTCE_PAGE = re.compile(r"/(id|page)/ptce/[a-z0-9-]+$")


@pytest.fixture(scope="module")
def server(site_url):
    return site_url


@pytest.fixture
def open_map(browser, server):
    """Open /map in a new page; returns (page, every URL the page requested, console errors)."""
    pages = []

    def opener(**context):
        ctx = browser.new_context(**context)
        page = ctx.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/map")
        page.wait_for_selector("#carte[data-ready=true]")
        pages.append(ctx)
        return page, requests, errors

    yield opener
    for ctx in pages:
        ctx.close()


def outside(requests, server):
    return [u for u in requests if not u.startswith(server + "/") and not u.startswith("data:")]


def test_markers_filter_popup_and_link(open_map, server):
    page, requests, errors = open_map(viewport={"width": 1280, "height": 900})
    markers = page.locator(".leaflet-marker-pane .ptce-marker")
    expect(markers).to_have_count(15)
    expect(page.locator("#carte-statut")).to_have_text("15 PTCE affichés sur 15")
    page.locator('.ptce-marker[title="Auton\'Hommes"]').hover()
    expect(page.locator(".leaflet-tooltip-pane .leaflet-tooltip:not(.dept-label)")).to_have_text("Auton'Hommes")

    # Filter by a theme: only the PTCEs having it (or a narrower theme) stay on the map and in the list.
    page.select_option("#filtre-theme", "https://w3id.org/ptce/id/theme/precarite-alimentaire")
    expect(markers).to_have_count(3)
    expect(page.locator("#liste-ptce li:visible")).to_have_count(3)
    expect(page.locator("#carte-statut")).to_have_text("3 PTCE affichés sur 15")
    shown = sorted(markers.evaluate_all("els => els.map(e => e.getAttribute('title'))"))
    assert shown == ["Anima Grand Calais", "CoHose", "Pôle Ressources"]

    # Department filter combines with the theme filter.
    page.select_option("#filtre-departement", "https://w3id.org/ptce/id/departement/oise")
    expect(markers).to_have_count(0)
    page.select_option("#filtre-theme", "")
    expect(markers).to_have_count(3)

    # Open a popup and follow its link to the PTCE's page.
    page.select_option("#filtre-departement", "")
    page.locator('.ptce-marker[title="Pôle Ressources"]').click()
    popup = page.locator(".leaflet-popup-content")
    assert "Le Touquet-Paris-Plage (commune)" in popup.inner_text()
    link = popup.locator("a.ptce-link")
    assert link.inner_text() == "Pôle Ressources"
    link.click()
    page.wait_for_url(PTCE_PAGE, wait_until="commit")  # the condition, whatever the page's own loading takes
    assert page.url.startswith(server)

    assert outside(requests, server) == [], "every request goes to the local server"
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_markers_work_with_the_keyboard(open_map, server):
    page, requests, _ = open_map(viewport={"width": 1280, "height": 900})
    page.locator("#filtre-departement").focus()  # the last filter; Tab goes to the map, then to its markers
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "carte"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('ptce-marker')")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "button"
    name = page.evaluate("document.activeElement.getAttribute('title')")
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    assert name in popup.inner_text()
    # The popup's link takes the focus, so Enter again follows it.
    assert page.evaluate("document.activeElement.classList.contains('ptce-link')")
    page.keyboard.press("Enter")
    page.wait_for_url(PTCE_PAGE, wait_until="commit")
    assert outside(requests, server) == []


def test_map_fits_a_phone(open_map, server):
    page, requests, _ = open_map(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    expect(page.locator(".ptce-marker")).to_have_count(15)
    box = page.locator("#carte").bounding_box()
    assert box["width"] <= 375 and box["height"] >= 300
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator('.ptce-marker[title="Valorizons"]').tap()
    assert "département (la source ne nomme pas de lieu)" in page.locator(".leaflet-popup-content").inner_text()
    assert outside(requests, server) == []
