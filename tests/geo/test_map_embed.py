"""The embeddable map: /map/embed in another site's frame, its filters from the URL, the code to copy on /map."""

from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import expect

from ptce.web import create_app

from ..live_server import threaded_server

EMBED = "/map/embed"


def test_any_site_may_frame_the_embed_and_only_the_embed(client):
    r = client.get(EMBED)
    assert r.status_code == 200
    policy = r.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy and "X-Frame-Options" not in r.headers
    assert "frame-ancestors 'self'" in client.get("/map").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]


def test_the_url_presets_the_filters(client):
    page = client.get(f"{EMBED}?theme=alimentation&departement=62").get_data(as_text=True)
    assert re.search(r'<option value="https://w3id.org/ptce/id/theme/alimentation"[^>]* selected[ >]', page)
    assert re.search(r'<option value="https://w3id.org/ptce/id/departement/pas-de-calais"[^>]* selected[ >]', page)
    same = client.get(f"{EMBED}?departement=pas-de-calais").get_data(as_text=True)
    assert re.search(r'<option value="https://w3id.org/ptce/id/departement/pas-de-calais"[^>]* selected[ >]', same)


@pytest.mark.parametrize(("query", "message"), [("theme=nope", "Thématique inconnue"), ("departement=75", "02, 59")])
def test_an_unknown_filter_is_400_saying_what_is_known(client, query, message):
    r = client.get(f"{EMBED}?{query}")
    assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_the_map_page_gives_the_code_to_copy_with_the_public_url(build_dir):
    app = create_app({"BUILD_DIR": str(build_dir), "PUBLIC_URL": "https://ptce.example.org"})
    page = app.test_client().get("/map").get_data(as_text=True)
    code = html.unescape(re.search(r'<textarea id="code-integration"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert code.startswith('<iframe src="https://ptce.example.org/map/embed" ')
    assert 'title="Carte des PTCE des Hauts-de-France"' in code


@pytest.fixture(scope="module")
def other_site(tmp_path_factory, site_url):
    """A page on another origin (another port) that frames the embed, filtered to the Pas-de-Calais."""
    from flask import Flask

    other = Flask("other")
    frame = f'<iframe src="{site_url}{EMBED}?departement=62" title="Carte" width="800" height="480"></iframe>'
    other.add_url_rule("/", "home", lambda: f"<!doctype html><title>Autre site</title><h1>CRESS</h1>{frame}")
    with threaded_server(other) as url:
        yield url


@pytest.mark.browser
@pytest.mark.server
def test_the_embed_renders_inside_a_frame_of_another_origin(browser, other_site, site_url, tmp_path):
    assert other_site.rsplit(":", 1)[1] != site_url.rsplit(":", 1)[1]
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(other_site)
    frame = page.frame_locator("iframe")
    expect(frame.locator("#carte[data-ready=true]")).to_have_count(1)
    expect(frame.locator(".leaflet-marker-pane .ptce-marker")).to_have_count(8)  # the 8 PTCEs of the Pas-de-Calais
    expect(frame.locator("#carte-statut")).to_have_text("8 PTCE affichés sur 15")
    frame.locator(".leaflet-marker-pane .ptce-marker").first.click()
    expect(frame.locator(".ptce-popup a.ptce-link")).to_have_attribute("target", "_blank")
    page.screenshot(path=str(tmp_path / "embed-in-frame.png"))
    assert errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.server
def test_the_code_to_copy_follows_the_filters(browser, site_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site_url}/map")
    page.wait_for_selector("#carte[data-ready=true]")
    page.select_option("#filtre-departement", "https://w3id.org/ptce/id/departement/nord")
    page.click("#integrer summary")
    code = page.input_value("#code-integration")
    assert 'src="https://w3id.org/ptce/map/embed?departement=nord"' in code  # the public URL: by default the base IRI
    page.close()
