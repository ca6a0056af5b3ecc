"""The one table of RDF and SPARQL result formats: media types, file suffixes, serialiser names."""

from __future__ import annotations

from dataclasses import dataclass

from ptce.i18n import N_


@dataclass(frozen=True)
class Format:
    key: str  # short name used in ?format= and file suffixes
    media_type: str
    suffix: str
    rdflib: str | None  # rdflib serialiser name (graph formats)
    label: str
    w3c: str | None = None  # local name of the format's IRI under http://www.w3.org/ns/formats/
    eu: str | None = None  # its code in the EU file-type vocabulary (DCAT-AP's dct:format)


GRAPH_FORMATS = (
    Format("ttl", "text/turtle", "ttl", "turtle", "Turtle", "Turtle", "RDF_TURTLE"),
    Format("nt", "application/n-triples", "nt", "nt", "N-Triples", "N-Triples", "RDF_N_TRIPLES"),
    Format("rdf", "application/rdf+xml", "rdf", "xml", "RDF/XML", "RDF_XML", "RDF_XML"),
    Format("jsonld", "application/ld+json", "jsonld", "json-ld", "JSON-LD", "JSON-LD", "JSON_LD"),
)
JSONLD = GRAPH_FORMATS[3]
RESULT_FORMATS = (
    Format("json", "application/sparql-results+json", "srj", None, "SPARQL JSON", "SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", "srx", None, "SPARQL XML", "SPARQL_Results_XML"),
    Format("csv", "text/csv", "csv", None, "CSV", "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", "tsv", None, "TSV", "SPARQL_Results_TSV"),
)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The directory as spreadsheets (`build.spreadsheet`): one row per PTCE.
TABLE_FORMATS = (
    Format("csv", "text/csv", "csv", None, "CSV", None, "CSV"),
    Format("xlsx", XLSX_MEDIA_TYPE, "xlsx", None, "Excel (XLSX)", None, "XLSX"),
)
# Exports of the co-theme network (`ptce network --format`, /network.<suffix>); labels as the site shows them.
NETWORK_FORMATS = (
    Format("report", "text/plain; charset=utf-8", "txt", None, N_("Rapport (texte)")),
    Format("gexf", "application/gexf+xml", "gexf", None, "GEXF (Gephi)"),
    Format("graphml", "application/graphml+xml", "graphml", None, "GraphML"),
    Format("json", "application/json", "json", None, N_("JSON (nœuds et liens)")),
    Format("csv", "text/csv; charset=utf-8", "csv", None, N_("CSV (liens)")),
    Format("png", "image/png", "png", None, N_("Figure PNG")),
    Format("svg", "image/svg+xml", "svg", None, N_("Figure SVG")),
)
# Other media types clients send for the same formats.
ALIASES = {
    "application/x-turtle": "ttl",
    "text/n3": "ttl",
    "text/plain": "nt",
    "application/xml": "xml",
    "application/json": "json",
    "text/xml": "xml",
    "application/rdf+json": "jsonld",
    "application/json+ld": "jsonld",
}


# The HTML view of a resource (pages, the query UI), negotiated next to the RDF formats.
HTML = Format("html", "text/html", "html", None, "HTML")

EU_FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
