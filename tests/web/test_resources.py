"""Dereferencing and resource pages, through the test client, checked against the published graph."""

from __future__ import annotations

import html
import json
import re

import pyoxigraph
import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ptce.build.pipeline import publish_build
from ptce.graph import load_ontology
from ptce.network.cotheme import ptces_sharing_themes
from ptce.rdf.namespaces import ORG, SCHEMA
from ptce.web import create_app
from ptce.web.site import get_site

from ..conftest import IRIS
from ..source_text import add_to_section

V = IRIS.vocab
COHOSE = IRIS.thing("ptce", "cohose")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def text_of(response) -> str:
    """The visible text of an HTML page, tags removed and entities decoded."""
    body = re.sub(r"<script.*?</script>|<head>.*?</head>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def parse(response) -> Graph:
    fmt = RDF_TYPES[response.mimetype]
    return Graph().parse(data=response.get_data(as_text=True), format=fmt, publicID=str(IRIS.base))


def fr(graph, node, prop) -> str:
    return next(str(o) for o in graph.objects(node, prop) if getattr(o, "language", None) == "fr")


def ptce_names(graph, prop, node) -> list[str]:
    """Names of the PTCEs linked to `node` by `prop`."""
    return [fr(graph, p, SKOS.prefLabel) for p in graph.subjects(prop, node) if (p, RDF.type, V.PTCE) in graph]


# ---- dereferencing --------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [BROWSER, "text/html", None])
def test_id_redirects_browsers_to_the_page(client, accept):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/id/ptce/cohose", headers=headers)
    assert r.status_code == 303
    assert r.headers["Location"] == "/page/ptce/cohose"
    if accept:
        assert "Accept" in r.vary


@pytest.mark.parametrize(
    ("accept", "suffix"),
    [
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdf"),
        ("application/ld+json", "jsonld"),
        ("text/n3", "ttl"),
        ("application/x-turtle;q=0.9, text/html;q=0.1", "ttl"),
    ],
)
def test_id_redirects_rdf_clients_to_the_data(client, accept, suffix):
    r = client.get("/id/ptce/cohose", headers={"Accept": accept})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/data/ptce/cohose.{suffix}"
    assert "Accept" in r.vary
    data = client.get(r.headers["Location"])
    assert data.status_code == 200
    assert (COHOSE, SKOS.prefLabel, Literal("CoHose", lang="fr")) in parse(data)


def test_rdflib_accept_header_gets_turtle(client):
    """rdflib's own Accept header, with q-values everywhere equal, gets RDF, never HTML."""
    accept = "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json"
    assert client.get("/id/theme/alimentation", headers={"Accept": accept}).headers["Location"].startswith("/data/")
    weighted = "text/html;q=0.5, application/ld+json"
    assert client.get("/id/theme", headers={"Accept": weighted}).headers["Location"] == "/data/theme.jsonld"


@pytest.mark.parametrize("fmt", ["ttl", "nt", "rdf", "jsonld"])
def test_data_by_suffix_and_by_format_parameter_are_the_same_graph(client, fmt):
    by_suffix = client.get(f"/data/ptce/cohose.{fmt}")
    by_param = client.get(f"/data/ptce/cohose?format={fmt}")
    assert by_suffix.status_code == by_param.status_code == 200
    assert by_suffix.mimetype == by_param.mimetype
    assert "Accept" not in by_suffix.vary
    assert set(parse(by_suffix)) == set(parse(by_param))
    negotiated = client.get("/data/ptce/cohose", headers={"Accept": by_suffix.mimetype})
    assert "Accept" in negotiated.vary
    assert set(parse(negotiated)) == set(parse(by_suffix))


def test_description_has_labels_of_linked_things_and_inverse_links(client, graph):
    dept = IRIS.thing("departement", "somme")
    g = parse(client.get("/data/departement/somme.ttl"))
    assert set(graph.predicate_objects(dept)) <= set(g.predicate_objects(dept))
    ptces_here = set(graph.subjects(V.department, dept))
    assert ptces_here and {s for s in g.subjects(V.department, dept)} == ptces_here
    for ptce in ptces_here:  # who points here is named
        assert (ptce, SKOS.prefLabel, graph.value(ptce, SKOS.prefLabel)) in g
    region = IRIS.thing("region", "hauts-de-france")
    assert (region, SKOS.prefLabel, Literal("Hauts-de-France", lang="fr")) in g
    assert (V.department, RDFS.label, Literal("département", lang="fr")) in g


def test_unknown_iris_are_404_in_the_asked_format(client):
    page = client.get("/id/ptce/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "https://w3id.org/ptce/id/ptce/nowhere" in text_of(page)
    for accept, fmt in RDF_TYPES.items():
        r = client.get("/id/ptce/nowhere", headers={"Accept": accept})
        assert r.status_code == 404 and r.mimetype == accept
        assert len(Graph().parse(data=r.get_data(as_text=True), format=fmt)) == 0
    assert client.get("/data/ptce/nowhere.nt").status_code == 404
    assert client.get("/page/ptce/nowhere").status_code == 404
    assert client.get("/id/ptce/%3Cscript%3E").status_code == 404
    forged = client.get("/data/x%0D%3Chttp://a%3E%20%3Chttp://b%3E%20%3Chttp://c%3E%20..ttl")
    assert forged.status_code == 404 and len(Graph().parse(data=forged.get_data(as_text=True), format="turtle")) == 0
    assert client.get("/ontology/9.9.9").status_code == 404


def test_bad_format_and_unacceptable_accept(client):
    r = client.get("/data/ptce/cohose?format=pdf", headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert "jsonld" in r.get_json()["message"]
    assert client.get("/data/ptce/cohose", headers={"Accept": "image/png"}).status_code == 406


def test_ontology_and_scheme_by_accept(client, graph):
    ontology = load_ontology(IRIS)
    r = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and "Accept" in r.vary
    assert set(ontology) <= set(parse(r))
    assert client.get("/ontology.nt").mimetype == "application/n-triples"
    assert client.get("/ontology", headers={"Accept": BROWSER}).mimetype == "text/html"
    version = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 303 and version.headers["Location"] == "/ontology"
    scheme = parse(client.get(client.get("/id/theme", headers={"Accept": "text/turtle"}).headers["Location"]))
    concepts = set(graph.subjects(SKOS.inScheme, IRIS.theme_scheme))
    assert len(concepts) > 20
    for concept in concepts:
        assert set(graph.predicate_objects(concept)) <= set(scheme.predicate_objects(concept))


# ---- pages ----------------------------------------------------------------------------------------


def test_ptce_page_shows_what_the_graph_says(client, graph):
    slug = "anima-grand-calais"
    ptce = IRIS.thing("ptce", slug)
    r = client.get(f"/page/ptce/{slug}")
    assert r.status_code == 200
    text = text_of(r)
    assert fr(graph, ptce, DCTERMS.description) in text
    for axis in graph.objects(ptce, V.axis):
        assert str(axis) in text
    for node in [*graph.objects(ptce, DCTERMS.subject), *graph.objects(ptce, SCHEMA.areaServed)]:
        assert fr(graph, node, SKOS.prefLabel) in text
    assert fr(graph, graph.value(ptce, V.department), SKOS.prefLabel) in text
    for membership in graph.subjects(ORG.organization, ptce):
        assert fr(graph, graph.value(membership, ORG.member), SKOS.prefLabel) in text
        assert fr(graph, graph.value(membership, ORG.role), SKOS.prefLabel) in text  # "partenaire"
    shop = IRIS.thing("projet", "mon-shopping-c-est-calais")
    assert fr(graph, shop, SKOS.prefLabel) in text
    figure = graph.value(shop, V.partnerShopCount)
    assert f"{fr(graph, V.partnerShopCount, RDFS.label)} {figure}" in text
    assert "Carte régionale des Pôles Territoriaux de Coopération Économique" in text
    body = r.get_data(as_text=True)
    assert 'href="/id/theme/circuits-courts"' in body
    assert 'href="/id/departement/pas-de-calais"' in body


def test_ptces_sharing_themes_are_computed_from_the_graph(client, app, graph):
    def themes(p):
        return set(graph.objects(p, DCTERMS.subject))

    ptces = set(graph.subjects(RDF.type, V.PTCE))
    store = get_site(app).build.store
    for ptce in ptces:
        expected = {
            str(other): sorted(fr(graph, t, SKOS.prefLabel) for t in themes(ptce) & themes(other))
            for other in ptces - {ptce}
            if themes(ptce) & themes(other)
        }
        found = ptces_sharing_themes(store, str(ptce))  # the network library, as the page uses it
        assert {n.iri: sorted(n.themes) for n in found} == expected
        counts = [len(n.themes) for n in found]
        assert counts == sorted(counts, reverse=True)
    text = text_of(client.get("/page/ptce/cohose"))
    assert "Anima Grand Calais Alimentation durable, Circuits courts, Lutte contre la précarité alimentaire" in text


def test_organisation_page_lists_its_roles(client):
    text = text_of(client.get("/page/organisation/collectif-phare"))
    assert "Auton'Hommes porteur" in text
    assert "société coopérative d'intérêt collectif" in text_of(client.get("/page/organisation/scic-tilt"))


def test_department_pages_list_their_ptces_and_aisne_says_none(client, graph):
    for dept in graph.subjects(RDF.type, URIRef("http://rdf.insee.fr/def/geo#Departement")):
        slug = str(dept).rsplit("/", 1)[-1]
        text = text_of(client.get(f"/page/departement/{slug}"))
        ptces = ptce_names(graph, V.department, dept)
        for name in ptces:
            assert name in text
        assert ("Aucun PTCE" in text) == (not ptces)
    assert "Aucun PTCE de la carte régionale n'est situé dans ce département" in text_of(
        client.get("/page/departement/aisne")
    )
    assert 'href="http://www.wikidata.org/entity/Q3093"' in client.get("/page/departement/aisne").get_data(True)


def test_territory_page(client, graph):
    territory = IRIS.thing("territoire", "grand-calais")
    text = text_of(client.get("/page/territoire/grand-calais"))
    assert "Anima Grand Calais" in text
    assert fr(graph, graph.value(territory, V.department), SKOS.prefLabel) in text


def test_theme_pages_show_ptces_broader_and_narrower(client, graph):
    text = text_of(client.get("/page/theme/alimentation"))
    for narrower in graph.objects(IRIS.thing("theme", "alimentation"), SKOS.narrower):
        assert fr(graph, narrower, SKOS.prefLabel) in text
    text = text_of(client.get("/page/theme/circuits-courts"))
    assert "Thématique plus large : Alimentation" in text
    ptces = ptce_names(graph, DCTERMS.subject, IRIS.thing("theme", "circuits-courts"))
    assert ptces
    for name in ptces:
        assert name in text
    scheme = text_of(client.get("/page/theme"))
    assert f"Circuits courts ({len(ptces)} PTCE)" in scheme


def test_home_page_counts_and_links(client, graph):
    r = client.get("/")
    text = text_of(r)
    assert f"{len(set(graph.subjects(RDF.type, V.PTCE)))} PTCE" in text
    assert f"{len(graph):,} triplets".replace(",", " ") in text  # thousands apart, the French way (text_of: a space)
    assert f"{len(graph):,}".replace(",", "\u202f") in r.get_data(as_text=True)  # a narrow no-break space
    body = r.get_data(as_text=True)
    for href in ("/map", "/network", "/sparql", "/catalog#telechargements", "/ontology", "/id/ptce/cohose"):
        assert f'href="{href}"' in body
    assert "Aisne (0)" in text
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, flags=re.S)
    dataset = json.loads(block)
    assert dataset["@type"] == "Dataset" and len(dataset["distribution"]) == 10  # 4 dumps, 4 gzipped, 2 spreadsheets


def test_ontology_page_documents_every_term(client, graph):
    r = client.get("/ontology", headers={"Accept": "text/html"})
    body, text = r.get_data(as_text=True), text_of(r)
    terms = set(graph.subjects(RDFS.isDefinedBy, IRIS.ontology))
    assert len(terms) > 25
    for term in terms:
        anchor = str(term).rsplit("#", 1)[-1]
        assert f'id="{anchor}"' in body
        assert fr(graph, term, RDFS.label) in text
        assert fr(graph, term, RDFS.comment) in text


def test_pages_embed_schema_org_and_link_their_alternates(client):
    for path, kind in [
        ("/page/ptce/cohose", "Organization"),
        ("/page/theme/alimentation", "DefinedTerm"),
        ("/page/departement/somme", "AdministrativeArea"),
        ("/page/theme", "DefinedTermSet"),
    ]:
        body = client.get(path).get_data(as_text=True)
        blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, flags=re.S)
        assert len(blocks) == 1
        doc = json.loads(blocks[0])
        assert doc["@context"] == {"@vocab": "https://schema.org/"} and doc["@type"] == kind and doc["name"]
        for suffix, media in [("ttl", "text/turtle"), ("jsonld", "application/ld+json")]:
            stem = path.replace("/page/", "/data/")
            assert f'<link rel="alternate" type="{media}" href="{stem}.{suffix}"' in body
            assert client.get(f"{stem}.{suffix}").status_code == 200


def test_every_dataset_thing_has_a_page(client, graph):
    things = {s for s in graph.subjects() if isinstance(s, URIRef) and IRIS.split(str(s))}
    assert len(things) > 90
    for thing in things:
        r = client.get(IRIS.path_of(str(thing)).replace("/id/", "/page/", 1))
        assert r.status_code == 200, thing
        label = graph.value(thing, SKOS.prefLabel) or graph.value(thing, RDFS.label)
        assert label is None or f"{label} " in text_of(r)


# ---- escaping -------------------------------------------------------------------------------------


def test_literals_are_escaped(tmp_path, data_copy):
    """A description holding markup is shown as text: in the page and in its embedded JSON-LD."""
    path = data_copy / "ptce" / "cohose.yaml"
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    record["description"] = 'Attaque <script>alert("x")</script> & </script><img src=x onerror=alert(1)>'
    add_to_section(data_copy, "CoHose", record["description"])  # a description is quoted from the document
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "dist"
    publish_build(out, data_copy)
    client = create_app({"BUILD_DIR": str(out), "TESTING": True}).test_client()
    body = client.get("/page/ptce/cohose").get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<img" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, flags=re.S)
    assert json.loads(block)["description"] == record["description"]
    assert "<" not in block


def test_descriptions_include_their_parts_and_prefer_french_labels():
    """Blank nodes and `#` IRIs a resource links to are described with it; labels: French, else English."""
    from ptce.linkeddata.describe import describe
    from ptce.store.engine import OxigraphStore

    x, part = IRIS.thing("territoire", "x"), URIRef(f"{IRIS.thing('territoire', 'x')}#geometry")
    g = Graph()
    g.add((x, SKOS.prefLabel, Literal("Somewhere", lang="en")))
    g.add((x, URIRef("http://www.opengis.net/ont/geosparql#hasGeometry"), part))
    g.add((part, URIRef("http://www.opengis.net/ont/geosparql#asWKT"), Literal("POINT(2 50)")))
    g.add((IRIS.thing("ptce", "y"), SCHEMA.areaServed, x))
    g.add((IRIS.thing("ptce", "y"), SKOS.prefLabel, Literal("Y en français", lang="fr")))
    g.add((IRIS.thing("ptce", "y"), SKOS.prefLabel, Literal("Y in English", lang="en")))
    store = OxigraphStore(iris=IRIS)
    store.store.load(g.serialize(format="nt").encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    d = describe(store, str(x), IRIS)
    assert (part, URIRef("http://www.opengis.net/ont/geosparql#asWKT"), Literal("POINT(2 50)")) in d.graph
    assert d.label == "Somewhere"
    assert [v.label for v in d.inverse(SCHEMA.areaServed)] == ["Y en français"]


def test_every_ptce_page_quotes_its_texts_and_names_its_themes(client, graph):
    for ptce in graph.subjects(RDF.type, V.PTCE):
        text = text_of(client.get(IRIS.path_of(str(ptce)).replace("/id/", "/page/", 1)))
        quoted = [*graph.objects(ptce, DCTERMS.description), *graph.objects(ptce, V.objective)]
        for item in quoted + list(graph.objects(ptce, V.axis)):
            assert re.sub(r"\s+", " ", str(item)) in text, (ptce, item)
        for theme in graph.objects(ptce, DCTERMS.subject):
            assert fr(graph, theme, SKOS.prefLabel) in text


def test_a_top_theme_counts_the_ptces_of_its_narrower_themes(client, graph):
    """ "Alimentation" holds the PTCEs of "Circuits courts", "Alimentation durable", … as the map's filter does."""
    narrower = set(graph.objects(IRIS.thing("theme", "alimentation"), SKOS.narrower)) | {
        IRIS.thing("theme", "alimentation")
    }
    expected = {fr(graph, p, SKOS.prefLabel) for t in narrower for p in graph.subjects(DCTERMS.subject, t)}
    expected = {n for n in expected if n in ptce_names(graph, RDF.type, V.PTCE)}
    text = text_of(client.get("/page/theme/alimentation"))
    assert len(expected) >= 7 and all(name in text for name in expected)
    assert f"{len(expected)} PTCE en tout." in text
    scheme = text_of(client.get("/page/theme"))
    assert f"Alimentation ({len(expected)} PTCE)" in scheme
