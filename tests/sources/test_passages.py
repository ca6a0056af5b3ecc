"""Provenance to the passage: every fact read from the source points to the words of the document that support it.

The published graph is read through the SPARQL endpoint; the source text is read from the data folder on its own,
so an offset or a quote that does not match the document fails here whatever the code that wrote it.
"""

from __future__ import annotations

import re

from ptce.assets import DATA_DIR

from ..conftest import IRIS

TEXT = (DATA_DIR / "source" / "carte-regionale-ptce-hauts-de-france.txt").read_text(encoding="utf-8")
DOCUMENT = IRIS.source_document("carte-regionale-ptce-hauts-de-france")
PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#> PREFIX ptce: <https://w3id.org/ptce/ontology#>
"""


def select(client, query: str) -> list[dict[str, str]]:
    r = client.get(
        "/sparql", query_string={"query": PREFIXES + query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in r.get_json()["results"]["bindings"]]


def words(text: str) -> str:
    """Text with the source's emphasis marks and runs of white space set aside, as quotes are compared."""
    return " ".join(text.replace("*", "").split())


def test_every_quote_is_the_source_text_at_its_offsets(client):
    rows = select(
        client,
        """SELECT ?passage ?source ?exact ?prefix ?suffix ?start ?end WHERE {
            ?passage a oa:SpecificResource ; oa:hasSource ?source ; oa:hasSelector ?q , ?p .
            ?q a oa:TextQuoteSelector ; oa:exact ?exact . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
            OPTIONAL { ?q oa:prefix ?prefix } OPTIONAL { ?q oa:suffix ?suffix }
        }""",
    )
    assert len(rows) > 100
    for row in rows:
        start, end = int(row["start"]), int(row["end"])
        assert row["source"] == str(DOCUMENT)
        assert TEXT[start:end] == row["exact"], row["passage"]
        assert TEXT[:start].endswith(row.get("prefix", "")) and TEXT[end:].startswith(row.get("suffix", ""))
        assert row.get("prefix") or start == 0
        assert row["passage"].endswith(f"/id/passage/{start}-{end}")


def test_every_theme_link_and_role_has_its_passage(client):
    links = select(client, "SELECT ?ptce ?theme WHERE { ?ptce a ptce:PTCE ; dcterms:subject ?theme }")
    quoted = select(
        client,
        """SELECT ?ptce ?theme ?exact WHERE {
            ?ptce a ptce:PTCE . ?st rdf:subject ?ptce ; rdf:predicate dcterms:subject ; rdf:object ?theme ;
                prov:wasDerivedFrom [ a oa:SpecificResource ; oa:hasSelector [ oa:exact ?exact ] ] }""",
    )
    assert len(links) >= 80
    assert {(r["ptce"], r["theme"]) for r in quoted} == {(r["ptce"], r["theme"]) for r in links}
    roles = select(client, "SELECT ?m WHERE { ?m a org:Membership }")
    supported = select(
        client, "SELECT ?m ?exact WHERE { ?m a org:Membership ; prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }"
    )
    assert roles and {r["m"] for r in supported} == {r["m"] for r in roles}
    said = {r["m"].rsplit("/", 1)[1]: r["exact"] for r in supported}
    assert said["auton-hommes--collectif-phare"] == "porté par le collectif PHARE"
    assert said["noeux-environnement--noeux-environnement"] == "animé par une association"


def test_every_initiative_figure_year_and_quoted_text_has_its_passage(client):
    facts = select(
        client,
        """SELECT ?s ?p ?o ?exact WHERE {
            ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }""",
    )
    by_kind: dict[str, list[dict]] = {}
    for f in facts:
        by_kind.setdefault(f["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1], []).append(f)
    for kind in ("description", "objective", "axis"):  # quoted texts: the passage is the text itself
        assert by_kind[kind], kind
        for f in by_kind[kind]:
            assert words(f["o"]) == words(f["exact"]), f
    for kind in ("partnerShopCount", "collectiveApproachSince"):  # figures and years: the passage gives the value
        assert by_kind[kind], kind
        for f in by_kind[kind]:
            assert re.search(rf"\b{f['o']}\b", f["exact"]), f
    initiatives = select(client, "SELECT ?i WHERE { ?i a ptce:Initiative }")
    derived = select(client, "SELECT ?i WHERE { ?i a ptce:Initiative ; prov:wasDerivedFrom/a oa:SpecificResource }")
    assert len(initiatives) >= 7 and {r["i"] for r in derived} == {r["i"] for r in initiatives}
    (year,) = select(
        client,
        """SELECT ?exact WHERE { ?e a ptce:Recognition ; dcterms:date ?d ;
            prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }""",
    )
    assert year["exact"] == "est labellisé PTCE en 2015"


def test_a_passage_keeps_the_source_spelling_and_emphasis(client):
    (row,) = select(
        client,
        """SELECT ?exact WHERE { ?st rdf:subject <https://w3id.org/ptce/id/projet/mon-shopping-c-est-calais> ;
            rdf:predicate ptce:partnerShopCount ; prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }""",
    )
    assert row["exact"] == "qui regroupe à ce jour 104 partenaires commerçants"
    (row,) = select(
        client,
        """SELECT ?exact WHERE { ?st rdf:subject <https://w3id.org/ptce/id/projet/mon-shopping-c-est-calais> ;
            rdf:predicate dcterms:description ; prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }""",
    )
    assert "la market place *Mon shopping c'est calais* qui regroupe" in row["exact"]
