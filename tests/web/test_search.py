"""Site search: /search and /search.json over the build's FTS5 index, as coordinators type their questions.

Accents, case, plurals and elisions do not matter; a PTCE is found from its name, its town, a word of its
description, or the source's own spelling of a name; results are ranked and the matching words marked in an
escaped passage; the index ships with the build and changes with it at reload; Chromium searches from the box.
"""

from __future__ import annotations

import shutil

import pytest

from ptce.build.pipeline import publish_build
from ptce.linkeddata.search import highlight, query_terms, stem
from ptce.web import create_app
from ptce.web.site import get_site

from ..source_text import rename_cohose

ECO_POLE = "https://w3id.org/ptce/id/ptce/eco-pole-alimentaire-d-audruicq"


def found(client, q: str) -> dict:
    r = client.get("/search.json", query_string={"q": q})
    assert r.status_code == 200, r.data
    return r.json


def first(client, q: str) -> dict:
    results = found(client, q)["results"]
    assert results, f"nothing found for {q!r}"
    return results[0]


def test_eco_pole_finds_the_eco_pole_whatever_the_accents_case_and_hyphens(client):
    for q in ("eco pole", "Éco-Pôle", "ECO POLE", "éco-pôle alimentaire"):
        hit = first(client, q)
        assert (hit["iri"], hit["kind"], hit["page"]) == (
            ECO_POLE,
            "ptce",
            "/page/ptce/eco-pole-alimentaire-d-audruicq",
        )


def test_plurals_elisions_and_prefixes_match_their_words(client):
    assert found(client, "territoires")["total"] == found(client, "territoire")["total"] > 0
    assert stem("sociaux") == stem("social") and stem("emplois") == stem("emploi")
    assert first(client, "audruicq d'audruicq")["iri"] in (
        ECO_POLE,
        "https://w3id.org/ptce/id/territoire/region-d-audruicq",
    )
    assert query_terms("l'agriculture et la ville") == ["agriculture", "ville"]  # elisions and stop words out
    assert "Alimentation" in [h["label"] for h in found(client, "alim")["results"]]  # a word being typed


def test_a_ptce_is_found_from_its_town_and_from_a_word_of_its_description(client):
    assert "https://w3id.org/ptce/id/ptce/pole-ressources" in [h["iri"] for h in found(client, "touquet")["results"]]
    assert first(client, "tâtonnements")["iri"] == ECO_POLE
    hit = first(client, "tatonnements empiriques")
    assert "<mark>tâtonnements</mark> <mark>empiriques</mark>" in hit["snippetHtml"]


def test_the_source_spelling_finds_the_corrected_name(client):
    labels = [h["label"] for h in found(client, "Termois")["results"]]
    assert "Transition Plurielle Montreuillois Ternois 7 Vallées" in labels


def test_names_rank_above_descriptions_and_ptces_above_others_among_equals(client):
    results = found(client, "alimentation")["results"]
    assert results[0]["label"] == "Alimentation" and results[0]["kind"] == "theme"
    scores = [h["score"] for h in results]
    assert scores == sorted(scores, reverse=True)
    kinds = {h["kind"] for h in found(client, "calais")["results"]}
    assert {"ptce", "territoire", "departement", "initiative"} <= kinds


def test_the_page_lists_hits_with_their_marked_passage_and_a_box_is_on_every_page(client):
    page = client.get("/search?q=eco+pole").get_data(as_text=True)
    assert "1 résultat pour « eco pole »" in page
    assert '<a href="/page/ptce/eco-pole-alimentaire-d-audruicq">Eco-Pôle Alimentaire d&#39;Audruicq</a>' in page
    assert "<mark>Eco</mark>-<mark>Pôle</mark>" in page
    for path in ("/", "/page/ptce/cohose", "/map", "/network", "/catalog", "/id/theme", "/search"):
        r = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True)
        assert 'role="search" action="/search"' in r.get_data(as_text=True), path


def test_passages_are_escaped_around_the_marks():
    marked, plain, matched = highlight('<script>alert("x")</script> pôle & co', ["pole"])
    assert matched and marked == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>pôle</mark> &amp; co"
    assert plain == '<script>alert("x")</script> pôle & co'


@pytest.mark.parametrize(
    "q", ['"', "NEAR(", "eco* OR pole", "a AND b NOT c", "^eco", "entries:eco", "'; DROP TABLE docs"]
)
def test_query_syntax_is_only_words(client, q):
    r = client.get("/search.json", query_string={"q": q})
    assert r.status_code == 200 and isinstance(r.json["results"], list)


def test_bad_requests_are_400_with_a_message(client):
    r = client.get("/search.json", query_string={"q": "x" * 201})
    assert r.status_code == 400 and "200 caractères" in r.json["message"]
    assert client.get("/search", query_string={"q": "eco", "page": "0"}).status_code == 400
    assert client.get("/search", query_string={"q": "eco", "page": "x"}).status_code == 400
    empty = client.get("/search")
    assert empty.status_code == 200 and "résultat" not in empty.get_data(as_text=True)


def test_the_index_changes_with_the_build_at_reload(data_copy, tmp_path):
    out = tmp_path / "dist"
    publish_build(out, data_copy)
    app = create_app({"BUILD_DIR": str(out), "TESTING": True})
    client = app.test_client()
    assert first(client, "cohose")["label"] == "CoHose"
    assert found(client, "Cohosa")["total"] == 0
    rename_cohose(data_copy, "Cohosa")
    publish_build(out, data_copy)
    assert first(client, "cohose")["label"] == "CoHose"  # the build in service until the reload
    get_site(app).reload()
    assert first(client, "cohosa")["label"] == "Cohosa"
    shutil.rmtree(out)  # the snapshot in service holds its own index
    assert first(client, "cohosa")["label"] == "Cohosa"


@pytest.mark.browser
@pytest.mark.server
def test_chromium_searches_from_the_box_of_the_home_page(browser, site_url, tmp_path):
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(site_url + "/")
        page.fill("header #recherche", "eco pole")
        page.press("header #recherche", "Enter")
        page.wait_for_selector("#resultats-statut")
        assert page.locator(".hits li a").first.inner_text() == "Eco-Pôle Alimentaire d'Audruicq"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)
        page.close()
