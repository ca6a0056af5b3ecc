"""The SHACL shapes a build was validated against are published with it: a file, a page, RDF, and the metadata."""

from __future__ import annotations

from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SH, VOID

from ptce.rdf.namespaces import SHAPES, Iris
from ptce.validate.shacl import load_shapes

SHAPE = "https://w3id.org/ptce/shapes#"


def test_the_build_holds_the_shapes_it_was_validated_against(build_dir):
    assert isomorphic(Graph().parse(build_dir / "shapes.ttl"), load_shapes(Iris()))


def test_shapes_are_negotiated_as_a_page_or_rdf(client):
    page = client.get("/shapes", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html" and "Accept" in page.headers["Vary"]
    text = page.get_data(as_text=True)
    for label in ("PTCE", "Rôle", "Groupe de travail", "Thématique du schéma"):
        assert f">{label} <code>shape:" in text
    assert "Un rôle relie exactement une organisation." in text and "aux instances de <code>ptce:PTCE</code>" in text
    turtle = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert (URIRef(SHAPE + "PTCE"), RDF.type, SH.NodeShape) in graph
    jsonld = client.get("/shapes.jsonld")
    assert jsonld.status_code == 200 and isomorphic(Graph().parse(data=jsonld.data, format="json-ld"), graph)
    raw = client.get("/dumps/shapes.ttl")
    assert raw.status_code == 200 and raw.mimetype == "text/turtle"


def test_the_catalog_and_void_point_to_the_shapes(client):
    for path, kind in (("/catalog.ttl", None), ("/.well-known/void", VOID.Dataset)):
        graph = Graph().parse(data=client.get(path).get_data(as_text=True), format="turtle")
        dataset = Iris().dataset
        assert (dataset, DCTERMS.conformsTo, SHAPES) in graph, path
        assert kind is None or (dataset, RDF.type, kind) in graph
    assert "/shapes" in client.get("/sitemap.xml").get_data(as_text=True)
