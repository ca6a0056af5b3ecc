"""The SPARQL 1.1 Service Description of the endpoint: https://www.w3.org/TR/sparql11-service-description/"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, VOID, XSD

from ptce.rdf.formats import GRAPH_FORMATS, RESULT_FORMATS
from ptce.rdf.namespaces import FORMATS, SD, Iris, bind_prefixes

ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")


def service_description(endpoint: str, iris: Iris, triples: int, named_graphs: dict[str, int]) -> Graph:
    """sd:Service for `endpoint`: language, result formats, and the default dataset with its triple counts."""
    g = Graph()
    bind_prefixes(g, iris)
    g.bind("formats", FORMATS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        g.add((service, SD.resultFormat, FORMATS[fmt.w3c]))
    dataset, default_graph = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, VOID.sparqlEndpoint, service))
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    g.add((default_graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for name, count in sorted(named_graphs.items()):
        node, graph = BNode(), BNode()
        g.add((dataset, SD.namedGraph, node))
        g.add((node, RDF.type, SD.NamedGraph))
        g.add((node, SD.name, URIRef(name)))
        g.add((node, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(count, datatype=XSD.integer)))
    return g
