"""Pages show why: each theme and role of a PTCE page with the source's words, each passage in its context."""

from __future__ import annotations

import html
import re

import pytest

from ptce.assets import DATA_DIR

from ..live_server import running_server

TEXT = (DATA_DIR / "source" / "carte-regionale-ptce-hauts-de-france.txt").read_text(encoding="utf-8")


def page(client, path: str) -> str:
    r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
    assert r.status_code == 200 and r.mimetype == "text/html", path
    return r.get_data(as_text=True)


def section(text: str, ident: str) -> str:
    start = text.index(f'id="{ident}"')
    return text[start : text.index("</section>", start)]


def test_every_theme_of_a_ptce_page_says_why_with_the_source_words(client):
    themes = section(page(client, "/page/ptce/cohose"), "thematiques")
    items = re.findall(r"<li>(.*?)</li>", themes, re.S)
    assert len(items) == 5
    for item in items:
        quote = html.unescape(re.search(r"<blockquote lang=\"fr\"[^>]*><p>« (.*?) »</p>", item, re.S).group(1))
        assert quote in TEXT.replace("*", "")
        assert "<summary>pourquoi ?</summary>" in item
        start, end = map(int, re.search(r'href="/id/passage/(\d+)-(\d+)"', item).groups())
        assert TEXT[start:end] == quote
    assert "Biodiversité</a></span><details" in themes and "« préserver la biodiversité »" in themes


def test_roles_quote_the_words_that_give_them(client):
    roles = section(page(client, "/page/ptce/noeux-environnement"), "organisations")
    assert '<th scope="col">Dans la source</th>' in roles
    assert re.search(r'<q lang="fr" cite="[^"]+/id/passage/\d+-\d+"><a href="/id/passage/\d+-\d+">animé par une', roles)


def test_a_passage_page_shows_its_words_in_context_and_what_they_establish(client):
    start = TEXT.index("préserver la biodiversité")
    end = start + len("préserver la biodiversité")
    text = page(client, f"/id/passage/{start}-{end}")
    assert "<mark>préserver la biodiversité</mark>" in text
    assert html.escape(TEXT[start - 20 : start], quote=True) in text  # the words before it
    assert f"caractères {start} à {end}" in text
    facts = section(text, "faits")
    assert re.search(r">CoHose</a></td><td>.*>thématique</a></td><td>.*>Biodiversité</a>", facts)


def test_a_passage_without_a_page_of_its_own_is_404(client):
    r = client.get("/id/passage/1-2", headers={"Accept": "text/html"})
    assert r.status_code == 404


@pytest.fixture(scope="module")
def server(build_dir):
    with running_server(build_dir) as root:
        yield root


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_pourquoi_opens_the_quote_and_leads_to_the_passage(server, browser, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page_ = context.new_page()
    try:
        page_.goto(server + "/page/ptce/auton-hommes")
        item = page_.locator("#thematiques li", has_text="Mobilité")
        quote = item.locator("blockquote")
        assert not quote.is_visible()
        item.get_by_text("pourquoi ?").click()
        quote.wait_for(state="visible")
        assert quote.inner_text() == "« EcoMobilité solidaire »"
        overflow = page_.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than the screen"
        page_.screenshot(path=str(tmp_path / f"ptce-pourquoi-{width}.png"), full_page=True)
        item.get_by_role("link", name="le passage dans la source").click()
        page_.wait_for_url("**/page/passage/*")
        assert page_.locator("mark").inner_text() == "EcoMobilité solidaire"
        assert "Auton'Hommes" in page_.locator("#faits").inner_text()
        page_.screenshot(path=str(tmp_path / f"passage-{width}.png"), full_page=True)
    finally:
        context.close()


def test_objectives_keep_the_order_of_the_document(client):
    text = page(client, "/page/ptce/amiens-metropole-une-ville-ideale")
    shown = [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", section(text, "objectifs"), re.S)]
    assert len(shown) == 4
    assert [TEXT.replace("*", "").index(o) for o in shown] == sorted(TEXT.replace("*", "").index(o) for o in shown)
    assert shown[-1].startswith("Les soutenir") and shown != sorted(shown)  # not the alphabetical order
