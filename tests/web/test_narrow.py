"""Every kind of page fits a 390 px wide phone in headless Chromium: nothing wider than the screen (tables that
must be wide scroll in their own box)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

PAGES = ["/", "/page/ptce/cohose", "/page/theme/alimentation", "/id/theme", "/page/departement/nord",
         "/page/organisation/collectif-phare", "/page/territoire/grand-calais", "/page/projet/jardin-de-cocagne",
         "/page/geometrie/departement-nord", "/page/geometrie/contour-departement-nord",
         "/page/source/carte-regionale-ptce-hauts-de-france", "/ontology",
         "/shapes", "/catalog", "/map", "/network", "/sparql", "/search?q=eco", "/api/", "/nowhere"]  # fmt: skip


def test_no_page_is_wider_than_a_phone(browser, site_url, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    wide = {}
    for path in PAGES:
        page.goto(site_url + path, wait_until="networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
            page.screenshot(path=str(tmp_path / f"{len(wide)}.png"), full_page=True)
    page.close()
    assert wide == {}
