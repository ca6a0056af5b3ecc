"""English in headless Chromium: a browser set to English gets English pages, scripts included; a French visitor
switches with the link in the header and the choice follows them from page to page. Screenshots at 1280 and 390 px
are written to the test's folder."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_an_english_browser_gets_english_pages_and_scripts(browser, site_url, tmp_path):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site_url}/map")
    page.wait_for_selector("#carte[data-ready=true]")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("#carte-statut")).to_have_text("15 PTCEs shown of 15")
    expect(page.locator("#filtre-theme option").first).to_have_text("All themes")
    page.locator('.ptce-marker[title="Valorizons"]').click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("Department: Somme")
    expect(popup).to_contain_text("department (the source names no place)")
    assert popup.locator("a.ptce-link").get_attribute("lang") == "fr"  # the PTCE's own, French, name
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    page.screenshot(path=str(tmp_path / "map-en-1280.png"))

    page.goto(f"{site_url}/network")
    page.wait_for_selector("#network-graph[data-ready=true]")
    expect(page.locator("#network-count")).to_have_text("15 PTCE(s) shown of 15")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{site_url}/page/theme/alimentation")
    expect(page.locator("h1")).to_have_text("Food")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "theme-en-390.png"), full_page=True)
    assert errors == []
    context.close()


def test_a_french_visitor_switches_to_english_and_it_stays(browser, site_url, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 900})  # a French visitor (the fixture's locale)
    page.goto(f"{site_url}/page/ptce/cohose")
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("h2#description, #description h2")).to_have_text("Description")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/page/ptce/cohose?lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("#thematiques h2")).to_have_text("Themes")
    page.screenshot(path=str(tmp_path / "ptce-en-390.png"), full_page=True)
    page.get_by_role("link", name="Map", exact=True).click()  # an ordinary link: the choice was remembered
    page.wait_for_url(f"{site_url}/map")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("link", name="Français").click()
    page.wait_for_url("**/map?lang=fr")
    page.get_by_role("link", name="Accueil").click()
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.close()
