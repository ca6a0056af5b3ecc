"""English on request: pages in English when the browser asks (Accept-Language) or the visitor chooses (a link on
every page, remembered in a cookie); theme and vocabulary names in English; the source's French words kept in French
and marked `lang="fr"`; the catalogue complete, its placeholders intact; caches keep the languages apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS, SKOS

from ptce.i18n import LOCALE_DIR, CatalogueError, best_language, catalogue, context_key, npgettext, read_po
from ptce.rdf.namespaces import Iris
from ptce.web.formatting import date, nombre, taille
from ptce.web.i18n import missing_messages, template_messages

from ..live_server import live_server
from .test_front import get

IRIS = Iris()
EN = {"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9"}
PAGES = ["/", "/page/ptce/cohose", "/page/theme/alimentation", "/id/theme", "/page/departement/nord",
         "/page/organisation/collectif-phare", "/page/territoire/grand-calais", "/ontology", "/shapes", "/catalog",
         "/map", "/map/embed", "/network", "/sparql", "/search?q=eco+pole", "/api/"]  # fmt: skip


def html_lang(body: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', body).group(1)


def follow(client, path: str, headers: dict):
    r = client.get(path, headers=headers)
    return client.get(r.headers["Location"], headers=headers) if r.status_code == 303 else r


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE, en;q=0.5, fr;q=0.4", "en"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US;q=0.8, fr;q=0.9", "fr"),
        ("de, es", None),
        ("*", "fr"),
        ("en;q=0", None),
        ("en;q=2", None),
        ("<script>, en;q=x", None),
        ("", None),
        (None, None),
    ],
)
def test_the_language_a_browser_asks_for(header, expected):
    assert best_language(header) == expected


@pytest.mark.parametrize("path", PAGES)
def test_a_browser_asking_for_english_gets_english_pages(client, path):
    french = follow(client, path, {"Accept": "text/html"})
    english = follow(client, path, EN)
    assert french.status_code == english.status_code == 200
    body = english.get_data(as_text=True)
    assert html_lang(body) == "en" and html_lang(french.get_data(as_text=True)) == "fr"
    assert english.headers["Content-Language"] == "en" and french.headers["Content-Language"] == "fr"
    assert {"Accept-Language", "Cookie"} <= set(english.vary)
    if "ETag" in french.headers:
        assert english.headers["ETag"] != french.headers["ETag"]  # a cache keeps both
    if path != "/map/embed":
        assert '<a href="/map">Map</a>' in body and 'placeholder="Search…"' in body
        # the way back to French, on the same page
        assert re.search(r'<a href="\?[^"]*lang=fr" hreflang="fr" lang="fr">Français</a>', body)


def test_a_page_in_english_keeps_the_sources_french_words_in_french(client, graph):
    anima = IRIS.thing("ptce", "anima-grand-calais")
    body = client.get("/page/ptce/anima-grand-calais", headers=EN).get_data(as_text=True)
    assert "<h2>Themes</h2>" in body and "<h2>Initiatives</h2>" in body and "<summary>why?</summary>" in body
    for theme in graph.objects(anima, DCTERMS.subject):
        english = next(o for o in graph.objects(theme, SKOS.prefLabel) if o.language == "en")
        french = next(o for o in graph.objects(theme, SKOS.prefLabel) if o.language == "fr")
        assert f">{english}</a>" in body.replace("&#39;", "'")
        if str(french) != str(english):
            assert f">{french}</a>" not in body.replace("&#39;", "'")
    # the PTCE's name, its description and the quotes are French, and say so
    name = next(o for o in graph.objects(anima, SKOS.prefLabel))
    assert f'<h1 lang="fr">{name}</h1>' in body
    description = str(graph.value(anima, DCTERMS.description))
    assert re.search(r'<blockquote lang="fr"><p>' + re.escape(description[:40]), body.replace("&#39;", "'"))
    assert body.count('<blockquote lang="fr"') >= 2
    roles = client.get("/page/ptce/noeux-environnement", headers=EN).get_data(as_text=True)
    assert '<th scope="col">Role</th><th scope="col">In the source</th>' in roles and '<q lang="fr"' in roles


def test_a_theme_page_in_english_names_it_in_english_and_gives_its_french_name(client, graph):
    theme = IRIS.thing("theme", "alimentation")
    labels = {o.language: str(o) for o in graph.objects(theme, SKOS.prefLabel)}
    english = client.get("/page/theme/alimentation", headers=EN).get_data(as_text=True)
    assert f"<h1>{labels['en']}</h1>" in english
    assert f'<p class="muted other-label" lang="fr">{labels["fr"]}</p>' in english
    assert "<h2>Narrower themes</h2>" in english and "And on a narrower theme:" in english
    french = client.get("/page/theme/alimentation").get_data(as_text=True)
    assert f"<h1>{labels['fr']}</h1>" in french
    assert f'<p class="muted other-label" lang="en">{labels["en"]}</p>' in french


def test_vocabulary_terms_and_plurals_in_english(client):
    body = client.get("/page/departement/nord", headers=EN).get_data(as_text=True)
    assert re.search(r"<p>\d+ PTCEs:</p>", body) and "INSEE code" in body
    data = client.get("/page/ptce/anima-grand-calais", headers=EN).get_data(as_text=True)
    assert ">area served</a>" in data and ">name</a>" in data  # schema:areaServed, skos:prefLabel
    scheme = client.get("/page/theme", headers=EN).get_data(as_text=True)
    assert re.search(r"\(1 PTCE\)", scheme) and re.search(r"\([02-9]\d* PTCEs\)", scheme)
    shapes = client.get("/shapes", headers=EN).get_data(as_text=True)
    assert "Applies to the instances of" in shapes and "at least 1" in shapes and "au moins" not in shapes
    home = client.get("/", headers=EN).get_data(as_text=True)
    assert re.search(r"<strong>15</strong> PTCEs</li>", home) and re.search(r"</strong> triples</li>", home)


def test_a_chosen_language_is_remembered(client):
    chosen = client.get("/?lang=en", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert html_lang(chosen.get_data(as_text=True)) == "en"
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=Lax" in cookie and "Max-Age" in cookie
    assert "private" in chosen.headers["Cache-Control"] and "public" not in chosen.headers["Cache-Control"]
    later = client.get("/map", headers={"Accept": "text/html", "Accept-Language": "fr"})  # the cookie goes along
    assert html_lang(later.get_data(as_text=True)) == "en" and "Set-Cookie" not in later.headers
    back = client.get("/map?lang=fr", headers={"Accept": "text/html"})
    assert html_lang(back.get_data(as_text=True)) == "fr" and back.headers["Set-Cookie"].startswith("lang=fr;")
    assert html_lang(client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)) == "fr"
    # a language the site does not speak is no choice: the remembered one stays, else the headers decide
    odd = client.get("/?lang=de", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert html_lang(odd.get_data(as_text=True)) == "fr" and "Set-Cookie" not in odd.headers
    client.delete_cookie("lang")
    odd = client.get("/?lang=de", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert html_lang(odd.get_data(as_text=True)) == "en" and "Set-Cookie" not in odd.headers


def test_an_embedded_map_in_english_sets_no_cookie(client):
    embed = client.get("/map/embed?lang=en&departement=62", headers={"Accept": "text/html"})
    assert html_lang(embed.get_data(as_text=True)) == "en" and "Set-Cookie" not in embed.headers
    assert "public" in embed.headers["Cache-Control"]


def test_the_language_switch_keeps_the_page_and_its_parameters(client):
    body = client.get("/search?q=eco+pole&page=1").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" hreflang="en" lang="en">English</a>', body).group(1)
    assert link.replace("&amp;", "&") == "?q=eco+pole&page=1&lang=en"  # the same page: only its query string
    assert html_lang(client.get("/search" + link.replace("&amp;", "&")).get_data(as_text=True)) == "en"
    alternate = (
        '<link rel="alternate" hreflang="en" href="https://w3id.org/ptce/search?q=eco+pole&amp;page=1&amp;lang=en">'
    )
    assert alternate in body  # for search engines: the English page, absolute
    # a path that a browser would read as another host's (//host) gives no link there
    odd = client.get("//example.org/x", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<a href="?lang=en" hreflang="en" lang="en">English</a>' in odd and "//example.org/x?" not in odd


def test_errors_in_english(client):
    page = client.get("/nowhere", headers=EN)
    assert page.status_code == 404 and "<h1>404 — Page not found</h1>" in page.get_data(as_text=True)
    plain = client.get("/nowhere", headers={"Accept": "*/*", "Accept-Language": "en"})
    assert plain.mimetype == "text/plain" and plain.get_data(as_text=True).startswith("404 Page not found\n")
    assert plain.headers["Content-Language"] == "en"
    data = client.get("/search.json?q=" + "x" * 300, headers={"Accept-Language": "en"})
    assert data.status_code == 400 and data.json["message"] == "A search is limited to 200 characters."
    unknown = client.get("/page/ptce/nothing-here", headers=EN).get_data(as_text=True)
    assert "The dataset does not describe the resource https://w3id.org/ptce/id/ptce/nothing-here." in unknown


def test_map_and_network_data_in_english(client, graph):
    points = client.get("/map.geojson?lang=en").json
    themes = {t for f in points["features"] for t in f["properties"]["themes"]}
    english = {str(o) for o in graph.objects(None, SKOS.prefLabel) if isinstance(o, Literal) and o.language == "en"}
    assert themes and themes <= english
    assert client.get("/map.geojson?lang=xx").status_code == 400
    page = client.get("/map", headers=EN).get_data(as_text=True)
    assert 'data-points="/map.geojson?lang=en"' in page and "/map/embed?lang=en" in page
    net = client.get("/network", headers=EN).get_data(as_text=True)
    src = re.search(r'data-src="([^"]+)"', net).group(1).replace("&amp;", "&")
    assert "lang=en" in src
    nodes = client.get(src).json["nodes"]
    assert {t for n in nodes for t in n["themes"]} <= english
    assert all(n["label"] for n in nodes)  # PTCE names are French only: they stay, never an IRI's slug


def test_numbers_sizes_and_dates_the_english_way():
    assert nombre(4307, "en") == "4,307" and nombre(0.25, "en") == "0.25"
    assert taille(463408, "en") == "453\u00a0KB" and taille(2_500_000, "en") == "2.4\u00a0MB"
    assert taille(12, "en") == "12 bytes"
    assert date("2026-12-02T01:02:00+00:00", lang="en") == "2 December 2026, 01:02 (UTC)"
    assert date("2026-11-01", lang="en") == "1 November 2026"


# ---- the catalogue ---------------------------------------------------------------------------------------


def test_the_catalogue_translates_every_word_of_the_site_and_nothing_else():
    missing, stale = missing_messages("en")
    assert missing == set() and stale == set()


def test_the_check_sees_a_word_added_to_a_template(tmp_path):
    (tmp_path / "page.html").write_text('<p>{{ _("Un mot nouveau") }}</p>{% trans n=1 %}{{ n }} chose{% endtrans %}')
    found = template_messages(tmp_path)
    assert found == {"Un mot nouveau", "%(n)s chose"}
    assert not found <= set(catalogue("en").messages)


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s|\{\w*\}", text))


def test_translations_keep_the_placeholders_and_the_markup():
    book = catalogue("en")
    for french, english in book.messages.items():
        assert placeholders(english) == placeholders(french), french
        assert re.findall(r"</?\w+", english) == re.findall(r"</?\w+", french), french
    for (singular, plural), forms in book.plurals.items():
        assert all(placeholders(f) == placeholders(singular) == placeholders(plural) for f in forms), singular


def test_a_word_in_a_context_is_its_own_entry(tmp_path):
    po = tmp_path / "en.po"
    po.write_text('msgid "PTCE"\nmsgstr "PTCE"\n\nmsgctxt "compte"\nmsgid "PTCE"\nmsgid_plural "PTCE"\n'
                  'msgstr[0] "PTCE"\nmsgstr[1] "PTCEs"\n', encoding="utf-8")  # fmt: skip
    book = read_po(po, "en")
    assert book.ngettext(context_key("compte", "PTCE"), "PTCE", 15) == "PTCEs" and book.gettext("PTCE") == "PTCE"
    assert npgettext("fr", "compte", "triplet", "triplets", 2) == "triplets"  # French: the words as written
    assert npgettext("en", "compte", "triplet", "triplets", 1) == "triple"


def test_english_plurals_differ_at_one_only():
    book = catalogue("en")
    assert [book.ngettext("%(num)s PTCE", "%(num)s PTCE", n) for n in (0, 1, 2)] == [
        "%(num)s PTCEs", "%(num)s PTCE", "%(num)s PTCEs"]  # fmt: skip
    assert catalogue("fr").ngettext("%(n)s chose", "%(n)s choses", 0) == "%(n)s chose"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('msgid "a"\nmsgstr ""\n"b\n', "expected a quoted string"),
        ('msgid "a"\nmsgstr "b\n', "expected msgid, msgid_plural, msgstr or msgstr"),
        ('msgid "a"\nmsgstr "b\\q"\n', "unknown escape"),
        ('msgid "a"\nmsgid_plural "as"\nmsgstr[0] "b"\nmsgstr[2] "c"\n', "two plural forms"),
        ('msgid "a"\n', "without msgstr"),
        ('"a"\n', "outside an entry"),
        ("msgfoo 1\n", "expected msgid"),
        ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', "already an entry .line 3.; use msgctxt"),
    ],
)
def test_a_broken_catalogue_names_its_file_and_line(tmp_path, text, error):
    po = tmp_path / "en.po"
    po.write_text("# header\n\n" + text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=rf"{re.escape(str(po))}:\d+: .*{error}"):
        read_po(po, "en")


def test_a_fuzzy_or_empty_translation_falls_back_to_french(tmp_path):
    po = tmp_path / "en.po"
    po.write_text('#, fuzzy\nmsgid "Carte"\nmsgstr "Mapp"\n\nmsgid "Réseau"\nmsgstr ""\n\n'
                  'msgid "Accueil"\nmsgstr ""\n"Ho"\n"me"\n', encoding="utf-8")  # fmt: skip
    book = read_po(po, "en")
    assert [book.gettext(m) for m in ("Carte", "Réseau", "Accueil")] == ["Carte", "Réseau", "Home"]


def test_gnu_gettext_reads_the_catalogue_as_we_do(tmp_path):
    """msgfmt (GNU gettext) checks the file and compiles it; Python's gettext reads the result: every translation,
    plural forms included, is what ptce's own reader found."""
    import gettext
    import shutil
    import subprocess

    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext's msgfmt is not installed (apt-get install gettext)")
    mo = tmp_path / "en.mo"
    done = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(mo), str(LOCALE_DIR / "en.po")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "fuzzy" not in done.stderr and "untranslated" not in done.stderr
    with mo.open("rb") as handle:
        gnu = gettext.GNUTranslations(handle)
    book = catalogue("en")
    for message, english in book.messages.items():
        context, _, msgid = message.rpartition("\x04")
        assert (gnu.pgettext(context, msgid) if context else gnu.gettext(msgid)) == english
    for (singular, plural), forms in book.plurals.items():
        context, _, msgid = singular.rpartition("\x04")
        for n, form in ((1, forms[0]), (2, forms[1]), (0, forms[1])):
            got = gnu.npgettext(context, msgid, plural, n) if context else gnu.ngettext(msgid, plural, n)
            assert got == form


def test_the_catalogue_ships_with_the_package():
    assert (LOCALE_DIR / "en.po").is_file()
    packaged = Path(__file__).parents[2] / "pyproject.toml"
    assert '"locale/*.po"' in packaged.read_text()


# ---- caches ----------------------------------------------------------------------------------------------


@pytest.mark.server
def test_the_front_keeps_each_language_apart(build_dir, tmp_path):
    with live_server(tmp_path, "--build", str(build_dir), "--workers", "1") as live:
        answers = {}
        for lang in ("en", "fr", "en", "fr"):
            status, headers, body = get(
                live, "/page/theme/alimentation", Accept="text/html", **{"Accept-Language": lang}
            )
            assert status == 200 and headers["Content-Language"] == lang
            assert html_lang(body.decode()) == lang
            answers.setdefault(lang, []).append(headers.get("X-Front-Cache"))
        assert answers == {"en": [None, "hit"], "fr": [None, "hit"]}
        # a visitor who chose a language (a cookie) is answered by the server, in that language
        status, headers, body = get(live, "/page/theme/alimentation", Accept="text/html", Cookie="lang=en")
        assert html_lang(body.decode()) == "en" and "X-Front-Cache" not in headers
