"""Dumps, VoID, DCAT, sitemap and robots.txt: parsed, counted and followed through the test client."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, VOID, XSD

from ptce.rdf.formats import GRAPH_FORMATS, TABLE_FORMATS
from ptce.rdf.namespaces import ETALAB_LICENCE, ORG, WD
from ptce.web import create_app
from ptce.web.site import get_site

from ..conftest import IRIS

V = IRIS.vocab
IANA = "https://www.iana.org/assignments/media-types/"


def local(client, iri) -> object:
    """GET the local path the app serves for an IRI under the base."""
    path = IRIS.path_of(str(iri))
    assert path, f"{iri} is not under the base IRI"
    return client.get(path)


@pytest.fixture(scope="module")
def void(app) -> Graph:
    r = app.test_client().get("/.well-known/void")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    return Graph().parse(data=r.get_data(as_text=True), format="turtle")


@pytest.fixture(scope="module")
def dcat(app) -> Graph:
    r = app.test_client().get("/catalog", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    return Graph().parse(data=r.get_data(as_text=True), format="turtle")


def endpoint_triples(app) -> set[str]:
    """Every triple the store (and so the SPARQL endpoint) serves, as sorted N-Triples lines."""
    store = get_site(app).build.store
    data = store.serialize(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "nt").decode()
    return set(Graph().parse(data=data, format="nt"))


# ---- dumps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.key)
def test_dumps_hold_exactly_the_endpoint_triples(client, app, fmt):
    expected = endpoint_triples(app)
    plain = client.get(f"/dumps/ptce.{fmt.suffix}")
    assert plain.status_code == 200 and plain.mimetype == fmt.media_type
    assert set(Graph().parse(data=plain.get_data(as_text=True), format=fmt.rdflib)) == expected
    packed = client.get(f"/dumps/ptce.{fmt.suffix}.gz")
    assert packed.status_code == 200 and packed.mimetype == "application/gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()


def test_dumps_refuse_other_files(client):
    for name in ("build.json", "validation-report.txt", "..%2Fbuild.json", "nothing.ttl"):
        assert client.get(f"/dumps/{name}").status_code == 404
    assert client.get("/dumps/context.jsonld").status_code == 200
    assert client.get("/dumps/").headers["Location"].endswith("/catalog#telechargements")


# ---- VoID -----------------------------------------------------------------------------------------


def count(graph, node, prop) -> int:
    return int(graph.value(node, prop))


def test_void_counts_are_those_of_the_published_graph(void, graph):
    ds = IRIS.dataset
    assert (ds, RDF.type, VOID.Dataset) in void
    assert count(void, ds, VOID.triples) == len(graph)
    assert count(void, ds, VOID.distinctSubjects) == len(set(graph.subjects()))
    assert count(void, ds, VOID.properties) == len(set(graph.predicates()))
    entities = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(IRIS.base)}
    assert count(void, ds, VOID.entities) == len(entities)
    classes = {
        void.value(p, VOID["class"]): count(void, p, VOID.entities) for p in void.objects(ds, VOID.classPartition)
    }
    assert classes[V.PTCE] == 15
    assert classes[ORG.Membership] == len(set(graph.subjects(RDF.type, ORG.Membership)))
    assert set(classes) == set(graph.objects(None, RDF.type))
    assert count(void, ds, VOID.classes) == len(classes)
    props = {
        void.value(p, VOID.property): count(void, p, VOID.triples) for p in void.objects(ds, VOID.propertyPartition)
    }
    assert sum(props.values()) == len(graph)
    assert props[DCTERMS.subject] == len(list(graph.triples((None, DCTERMS.subject, None))))


def test_void_links_dumps_endpoint_examples_and_vocabularies(void, client):
    ds = IRIS.dataset
    assert void.value(ds, VOID.sparqlEndpoint) == IRIS.document("sparql")
    assert void.value(ds, VOID.uriSpace) == Literal(IRIS.base)
    dumps = set(void.objects(ds, VOID.dataDump))
    assert len(dumps) == len(GRAPH_FORMATS)
    for dump in dumps:
        assert local(client, dump).status_code == 200
    examples = set(void.objects(ds, VOID.exampleResource))
    assert examples and all(IRIS.split(str(e))[0] == "ptce" for e in examples)
    for example in examples:
        assert local(client, example).status_code == 303
    vocabularies = set(void.objects(ds, VOID.vocabulary))
    assert {URIRef(str(ORG)), URIRef(str(SKOS)), IRIS.ontology} <= vocabularies
    assert void.value(ds, DCTERMS.license) == URIRef(ETALAB_LICENCE)
    assert void.value(ds, DCTERMS.source) == IRIS.source_document("carte-regionale-ptce-hauts-de-france")
    rights = void.value(ds, DCTERMS.rights)  # a rights statement (a resource, as DCAT-AP wants), its text as label
    assert "Carte régionale des Pôles Territoriaux" in str(void.value(rights, RDFS.label))


def test_void_links_to_wikidata(void, graph):
    (linkset,) = void.subjects(RDF.type, VOID.Linkset)
    assert void.value(linkset, VOID.linkPredicate) == OWL.sameAs
    target = void.value(linkset, VOID.objectsTarget)
    assert void.value(target, VOID.uriSpace) == Literal(str(WD))
    links = [o for o in graph.objects(None, OWL.sameAs) if str(o).startswith(str(WD))]
    assert len(links) == 6 == count(void, linkset, VOID.triples)


def test_void_in_other_formats(client, void):
    r = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert r.mimetype == "application/n-triples" and "Accept" in r.vary
    assert len(Graph().parse(data=r.get_data(as_text=True), format="nt")) == len(void)


# ---- DCAT -----------------------------------------------------------------------------------------


def test_dcat_catalog_has_what_portals_harvest(dcat, build_dir):
    catalog, ds = IRIS.document("catalog"), IRIS.dataset
    assert (catalog, RDF.type, DCAT.Catalog) in dcat
    assert (catalog, DCAT.dataset, ds) in dcat
    assert (ds, RDF.type, DCAT.Dataset) in dcat
    titles = {t.language: str(t) for t in dcat.objects(ds, DCTERMS.title)}
    assert titles["fr"] == "Pôles Territoriaux de Coopération Économique des Hauts-de-France"
    assert {d.language for d in dcat.objects(ds, DCTERMS.description)} == {"fr", "en"}
    assert {"PTCE", "Hauts-de-France"} <= {str(k) for k in dcat.objects(ds, DCAT.keyword)}
    assert dcat.value(ds, DCTERMS.license) == URIRef(ETALAB_LICENCE)
    assert dcat.value(ds, DCTERMS.issued) == Literal("2026-11-29", datatype=XSD.date)
    info = get_site(create_app({"BUILD_DIR": str(build_dir)})).build.info
    assert dcat.value(ds, DCTERMS.modified) == Literal(info.built_at, datatype=XSD.dateTime)


def test_dcat_distributions_download_what_they_say(dcat, client):
    dists = list(dcat.objects(IRIS.dataset, DCAT.distribution))
    assert len(dists) == 2 * len(GRAPH_FORMATS) + len(TABLE_FORMATS)  # each dump and its gzip; the spreadsheets
    for dist in dists:
        r = local(client, dcat.value(dist, DCAT.downloadURL))
        assert r.status_code == 200
        compressed = dcat.value(dist, DCAT.compressFormat)
        assert r.mimetype == (str(compressed) if compressed else str(dcat.value(dist, DCAT.mediaType))).removeprefix(
            IANA
        )
        assert int(dcat.value(dist, DCAT.byteSize)) == len(r.get_data())
        assert dcat.value(dist, DCTERMS.license) == URIRef(ETALAB_LICENCE)


def test_dcat_data_service_is_the_sparql_endpoint(dcat):
    service = IRIS.document("sparql")
    assert (service, RDF.type, DCAT.DataService) in dcat
    assert dcat.value(service, DCAT.endpointURL) == service
    assert dcat.value(service, DCAT.servesDataset) == IRIS.dataset
    assert (IRIS.document("catalog"), DCAT.service, service) in dcat


def test_licence_is_configurable(build_dir):
    other = "https://creativecommons.org/licenses/by/4.0/"
    client = create_app({"BUILD_DIR": str(build_dir), "DATASET_LICENSE": other}).test_client()
    for path in ("/.well-known/void", "/catalog.ttl"):
        g = Graph().parse(data=client.get(path).get_data(as_text=True), format="turtle")
        licences = set(g.objects(None, DCTERMS.license))
        assert licences == {URIRef(other)}
    assert other in client.get("/catalog", headers={"Accept": "text/html"}).get_data(as_text=True)


def test_catalog_page_and_dataset_identifier(client):
    page = client.get("/catalog", headers={"Accept": "text/html"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for fmt in GRAPH_FORMATS:
        assert f'href="/dumps/ptce.{fmt.suffix}"' in body and f'href="/dumps/ptce.{fmt.suffix}.gz"' in body
    assert "Licence Ouverte / Open Licence 2.0 (Etalab)" in body
    assert '"@type": "Dataset"' in body
    r = client.get("/id/dataset", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"] == "/catalog.ttl"
    assert client.get("/id/dataset", headers={"Accept": "text/html"}).headers["Location"] == "/catalog"


# ---- sitemap and robots ---------------------------------------------------------------------------


def test_sitemap_lists_every_page(client, graph):
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in ET.fromstring(r.get_data()).findall("s:url/s:loc", ns)}
    things = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(str(IRIS.document("id/")))}
    root = IRIS.base  # the public URL: by default the base IRI, never the request's Host
    assert {f"{root}page/" + str(t).removeprefix(str(IRIS.document("id/"))) for t in things} <= locs
    assert {root, f"{root}ontology", f"{root}catalog"} <= locs
    for loc in sorted(locs)[:20]:
        assert client.get("/" + loc.removeprefix(root)).status_code == 200


def test_robots_points_to_the_sitemap(client):
    r = client.get("/robots.txt")
    assert r.mimetype == "text/plain"
    assert f"Sitemap: {IRIS.base}sitemap.xml" in r.get_data(as_text=True)


def test_a_suffix_wins_over_accept(client):
    r = client.get("/catalog.ttl", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/turtle" and "Accept" not in r.vary


def test_a_build_without_metadata_still_serves_its_pages(tmp_path, build_dir):
    import shutil

    from ptce.build_folder import CATALOG_FILE, VOID_FILE

    old = tmp_path / "old"
    shutil.copytree(build_dir, old)
    (old / CATALOG_FILE).unlink()
    (old / VOID_FILE).unlink()
    client = create_app({"BUILD_DIR": str(old)}).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/page/ptce/cohose").status_code == 200
    missing = client.get("/.well-known/void")
    assert missing.status_code == 404 and "ptce build" in missing.get_data(as_text=True)
    assert client.get("/catalog").status_code == 404
