"""A headless Chromium walks the site by clicking links: home → PTCE → theme → another PTCE."""

from __future__ import annotations

import pytest

from ..live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(build_dir):
    with running_server(build_dir) as root:
        yield root


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_walk_home_ptce_theme_ptce(server, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript, locale="fr-FR")
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"{msg.text} {msg.location}"))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    try:
        page.goto(server + "/")
        assert "15" in page.locator("#chiffres").inner_text()

        page.locator("#departements").get_by_role("link", name="CoHose", exact=True).click()
        page.wait_for_url("**/page/ptce/cohose")
        assert page.locator("h1").inner_text() == "CoHose"
        assert "alimentation saine et de proximité" in page.locator("#description").inner_text()
        assert "Pas-de-Calais" in page.locator("dl.facts").inner_text()
        sharing = page.locator("#partage").inner_text()
        assert "Anima Grand Calais" in sharing and "Circuits courts" in sharing

        page.locator("#thematiques").get_by_role("link", name="Circuits courts").click()
        page.wait_for_url("**/page/theme/circuits-courts")
        assert page.locator("h1").inner_text() == "Circuits courts"
        assert "Alimentation" in page.locator("main").inner_text()  # its broader theme
        ptces = page.locator("#ptce")
        assert ptces.get_by_role("link", name="CoHose").count() == 1

        ptces.get_by_role("link", name="Anima Grand Calais").click()
        page.wait_for_url("**/page/ptce/anima-grand-calais")
        assert page.locator("h1").inner_text() == "Anima Grand Calais"
        initiatives = page.locator("#initiatives").inner_text()
        assert "Mon shopping c'est Calais" in initiatives and "104" in initiatives
        # "auprès du bailleur Terre d'Opale Habitat": an organisation of a realisation, not a partner of the PTCE
        assert "Terre d'Opale Habitat" in initiatives and page.locator("#organisations").count() == 0
        assert problems == []
    finally:
        context.close()
