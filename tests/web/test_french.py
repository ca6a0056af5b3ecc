"""A French site: the site's own error pages (HTML for browsers, JSON or plain text otherwise), numbers, sizes and
dates written the French way, vocabulary terms named in French, labels not repeated, French download labels."""

from __future__ import annotations

import re

import pytest

from ptce.web.formatting import date, nombre, taille

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("path", "method", "code", "title"),
    [("/nowhere", "GET", 404, "Page introuvable"), ("/page/ptce/cohose", "POST", 405, "Méthode non permise")],
)
def test_errors_are_the_sites_own_in_french(client, path, method, code, title):
    page = client.open(path, method=method, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    body = page.get_data(as_text=True)
    assert page.status_code == code and page.mimetype == "text/html"
    assert f"<h1>{code} — {title}</h1>" in body and '<html lang="fr">' in body and 'role="search"' in body
    assert "requested URL" not in body and "Not Found" not in body  # none of Werkzeug's English
    plain = client.open(path, method=method, headers={"Accept": "*/*"})  # curl, scripts
    assert plain.mimetype == "text/plain" and plain.get_data(as_text=True).startswith(f"{code} {title}\n")
    data = client.open(path, method=method, headers={"Accept": "application/json"})
    assert data.json["status"] == code and data.json["error"] == title


def test_a_views_own_message_is_kept(client):
    r = client.get("/dumps/nothing.ttl", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Pas de fichier nothing.ttl" in r.get_data(as_text=True)


def test_numbers_sizes_and_dates_the_french_way():
    assert nombre(4307) == f"4{NNBSP}307" and nombre(1234567) == f"1{NNBSP}234{NNBSP}567" and nombre(0.25) == "0,25"
    assert taille(463408) == "453\u00a0Ko" and taille(2_500_000) == "2,4\u00a0Mo" and taille(12) == "12 octets"
    assert date("2026-12-02T01:02:00+00:00") == "2 décembre 2026 à 01 h 02 (UTC)"
    assert date("2026-11-01") == "1er novembre 2026" and date("pas une date") == "pas une date"


def test_the_catalog_and_home_pages_write_them_so(client):
    catalog = client.get("/catalog", headers={"Accept": "text/html"}).get_data(as_text=True)
    shown = re.search(r"<dt>Mis à jour le</dt><dd><time datetime=\"[^\"]+\">([^<]+)</time>", catalog)[1]
    assert re.fullmatch(r"(1er|\d{1,2}) [a-zéû]+ \d{4} à \d\d h \d\d \(UTC\)", shown), shown
    assert re.search(r"<data value=\"\d+\">[\d,\u202f]+\u00a0(Ko|Mo)</data>", catalog)
    assert "Taille (octets)" not in catalog
    home = client.get("/").get_data(as_text=True)
    assert re.search(rf"<strong>\d{NNBSP}\d{{3}}</strong> triplets", home)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/page/ptce/cohose", ["localisation"]),
        ("/page/theme/alimentation", ["concept SKOS"]),
        ("/page/departement/nord", ["département", "localisation"]),
        ("/page/organisation/collectif-phare", ["organisation"]),
    ],
)
def test_vocabulary_terms_are_named_in_french_and_names_said_once(client, path, words):
    body = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    text = re.sub(
        r"<[^>]+>", " ", re.sub(r"<script.*?</script>|<head>.*?</head>|<code.*?</code>", "", body, flags=re.S)
    )
    assert not re.findall(r"\b(geo|skos|igeo|org):[A-Z]?[a-z]+[A-Z]\w*\b|\b(skos|igeo|org|geo):[A-Z]\w+", text)
    for word in words:
        assert word in text
    assert "libellé" not in text  # rdfs:label only repeated the name


def test_network_downloads_are_labelled_in_french(client):
    page = client.get("/network", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Rapport (texte)" in page and "Figure PNG" in page and "Text report" not in page
