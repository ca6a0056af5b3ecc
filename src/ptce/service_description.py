"""The SPARQL 1.1 Service Description of the endpoint: https://www.w3.org/TR/sparql11-service-description/"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, VOID, XSD

from .formats import GRAPH_FORMATS, RESULT_FORMATS
from .namespaces import SD, Iris, bind_prefixes

FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
# W3C's IRIs for the formats the endpoint writes (https://www.w3.org/ns/formats/), by `formats` key.
W3C_FORMATS = {
    "json": FORMATS_NS.SPARQL_Results_JSON,
    "xml": FORMATS_NS.SPARQL_Results_XML,
    "csv": FORMATS_NS.SPARQL_Results_CSV,
    "tsv": FORMATS_NS.SPARQL_Results_TSV,
    "ttl": FORMATS_NS.Turtle,
    "nt": FORMATS_NS["N-Triples"],
    "rdf": FORMATS_NS.RDF_XML,
    "jsonld": FORMATS_NS["JSON-LD"],
}
assert set(W3C_FORMATS) == {f.key for f in (*RESULT_FORMATS, *GRAPH_FORMATS)}


def service_description(endpoint: str, iris: Iris, triples: int, named_graphs: dict[str, int]) -> Graph:
    """sd:Service for `endpoint`: language, result formats, and the default dataset with its triple counts."""
    g = Graph()
    bind_prefixes(g, iris)
    g.bind("formats", FORMATS_NS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for key in W3C_FORMATS.values():
        g.add((service, SD.resultFormat, key))
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
