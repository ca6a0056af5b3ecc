"""The dataset's VoID and DCAT descriptions, computed with SPARQL from a published build and written beside it.

VoID (https://www.w3.org/TR/void/) gives the counts, partitions, dumps, endpoint and links to Wikidata;
DCAT (https://www.w3.org/TR/vocab-dcat-3/) gives what portals such as data.gouv.fr harvest: title,
description, keywords, licence, dates, distributions and the SPARQL endpoint as a data service.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from ptce.build_folder import CATALOG_FILE, GZIP, NETWORK_DUMP, VOID_FILE, BuildInfo, Download, downloads
from ptce.rdf.formats import EU_FILE_TYPES, W3C_FORMATS
from ptce.rdf.namespaces import IANA, PREFIXES, SD, SHAPES, WD, Iris, bind_prefixes
from ptce.store.engine import Store

if TYPE_CHECKING:
    from ptce.sources.loader import Dataset

FORMATS_NS = Namespace(W3C_FORMATS)
EU_THEMES_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
EU_THEMES_SCHEME_NS = Namespace(f"{EU_THEMES_SCHEME}/")
EU_THEMES = ("ECON", "SOCI")  # the EU data themes of a directory of social-economy hubs: economy; population, society
FRENCH = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")

TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
       (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }
"""
ENTITIES = 'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "%s")) }'
CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
WIKIDATA_LINKS = 'SELECT (COUNT(*) AS ?n) WHERE { ?s owl:sameAs ?o FILTER(STRSTARTS(STR(?o), "%s")) }'
EXAMPLES = "SELECT ?s WHERE { ?s a ptce:PTCE } ORDER BY ?s LIMIT 3"


def _vocabulary(iri: str, iris: Iris) -> URIRef | None:
    if iri.startswith(str(iris.vocab)):
        return iris.ontology
    return next((URIRef(str(ns)) for ns in PREFIXES.values() if iri.startswith(str(ns))), None)


def _network_subset(g: Graph, iris: Iris, triples: int) -> None:
    """The co-theme network: a subset of the dataset, in its own named graph, with its own dump."""
    ds, network = iris.dataset, iris.dataset_part("network")
    g.add((ds, VOID.subset, network))
    g.add((network, RDF.type, VOID.Dataset))
    g.add((network, RDF.type, SD.NamedGraph))
    g.add((network, SD.name, iris.network_graph))
    g.add((network, DCTERMS.title, Literal("Réseau co-thématique des PTCE", lang="fr")))
    g.add((network, VOID.triples, Literal(triples, datatype=XSD.integer)))
    g.add((network, VOID.dataDump, iris.document(f"dumps/{NETWORK_DUMP}")))
    g.add((network, VOID.feature, FORMATS_NS["N-Quads"]))


def void_graph(
    store: Store,
    iris: Iris,
    info: BuildInfo,
    dataset: Dataset,
    files: list[Download],
    network_triples: int | None = None,
) -> Graph:
    """The VoID description of the dataset: counts, partitions, dumps, endpoint, vocabularies, Wikidata links."""
    g = Graph()
    ds = iris.dataset
    totals = store.select(TOTALS)[0]
    g.add((ds, RDF.type, VOID.Dataset))
    _describe_common(g, ds, iris, info, dataset)
    g.add((ds, FOAF.homepage, iris.document("")))
    g.add((ds, VOID.sparqlEndpoint, iris.document("sparql")))
    g.add((ds, DCTERMS.conformsTo, SHAPES))  # the SHACL shapes every build is validated against
    g.add((ds, VOID.uriSpace, Literal(iris.base)))
    g.add((ds, VOID.triples, Literal(totals["triples"], datatype=XSD.integer)))
    g.add((ds, VOID.entities, Literal(store.select(ENTITIES % iris.base)[0]["n"], datatype=XSD.integer)))
    g.add((ds, VOID.distinctSubjects, Literal(totals["subjects"], datatype=XSD.integer)))
    g.add((ds, VOID.distinctObjects, Literal(totals["objects"], datatype=XSD.integer)))
    g.add((ds, VOID.properties, Literal(totals["properties"], datatype=XSD.integer)))
    for download in files:
        if not download.compressed:
            g.add((ds, VOID.dataDump, iris.document(f"dumps/{download.name}")))
            g.add((ds, VOID.feature, FORMATS_NS[download.fmt.w3c]))
    for row in store.select(EXAMPLES):
        g.add((ds, VOID.exampleResource, URIRef(row["s"])))
    g.add((ds, VOID.rootResource, iris.theme_scheme))
    vocabularies = set()
    classes = store.select(CLASSES)
    g.add((ds, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    for row in classes:
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["c"])))
        g.add((part, VOID.entities, Literal(row["n"], datatype=XSD.integer)))
        vocabularies.add(_vocabulary(row["c"], iris))
    for row in store.select(PROPERTIES):
        part = BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["p"])))
        g.add((part, VOID.triples, Literal(row["n"], datatype=XSD.integer)))
        vocabularies.add(_vocabulary(row["p"], iris))
    for vocabulary in sorted(v for v in vocabularies if v is not None):
        g.add((ds, VOID.vocabulary, vocabulary))
    _wikidata_linkset(g, store, iris)
    if network_triples is not None:
        _network_subset(g, iris, network_triples)
    doc = iris.document(".well-known/void")
    g.add((doc, RDF.type, VOID.DatasetDescription))
    g.add((doc, FOAF.primaryTopic, ds))
    g.add((doc, DCTERMS.title, Literal("Description VoID du jeu de données des PTCE", lang="fr")))
    bind_prefixes(g, iris)
    g.bind("foaf", FOAF)
    return g


def _wikidata_linkset(g: Graph, store: Store, iris: Iris) -> None:
    linkset, wikidata = iris.dataset_part("wikidata-links"), iris.dataset_part("wikidata")
    g.add((iris.dataset, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.linkPredicate, OWL.sameAs))
    g.add((linkset, VOID.subjectsTarget, iris.dataset))
    g.add((linkset, VOID.objectsTarget, wikidata))
    g.add((linkset, VOID.triples, Literal(store.select(WIKIDATA_LINKS % WD)[0]["n"], datatype=XSD.integer)))
    g.add((wikidata, RDF.type, VOID.Dataset))
    g.add((wikidata, DCTERMS.title, Literal("Wikidata")))
    g.add((wikidata, FOAF.homepage, URIRef("https://www.wikidata.org/")))
    g.add((wikidata, VOID.uriSpace, Literal(str(WD))))


def _describe_common(g: Graph, node: URIRef, iris: Iris, info: BuildInfo, dataset: Dataset) -> None:
    """Title, description, licence, attribution and dates, shared by the VoID and DCAT descriptions."""
    for lang, text in dataset.title.items():
        g.add((node, DCTERMS.title, Literal(text, lang=lang)))
    for lang, text in dataset.description.items():
        g.add((node, DCTERMS.description, Literal(text, lang=lang)))
    g.add((node, DCTERMS.license, URIRef(dataset.license)))
    g.add((node, DCTERMS.source, iris.source_document))
    g.add((node, PROV.wasDerivedFrom, iris.source_document))
    rights = BNode()  # a statement, as DCAT-AP wants it: a resource, its text as label
    g.add((node, DCTERMS.rights, rights))
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    g.add((rights, RDFS.label, Literal(f"Attribution : « {dataset.source_title} ».", lang="fr")))
    g.add((node, DCTERMS.issued, Literal(dataset.issued.isoformat(), datatype=XSD.date)))
    g.add((node, DCTERMS.modified, Literal(info.built_at, datatype=XSD.dateTime)))


def catalog_graph(iris: Iris, info: BuildInfo, dataset: Dataset, files: list[Download]) -> Graph:
    """The DCAT catalog: one dataset with its distributions, and the SPARQL endpoint as a data service."""
    g = Graph()
    catalog, ds, service = iris.document("catalog"), iris.dataset, iris.document("sparql")
    g.add((catalog, RDF.type, DCAT.Catalog))
    _describe_common(g, catalog, iris, info, dataset)
    g.add((catalog, FOAF.homepage, iris.document("")))
    g.add((catalog, DCTERMS.language, FRENCH))
    g.add((catalog, DCAT.dataset, ds))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, DCTERMS.spatial, iris.thing("region", "hauts-de-france")))
    g.add((catalog, DCAT.themeTaxonomy, EU_THEMES_SCHEME))

    g.add((ds, RDF.type, DCAT.Dataset))
    _describe_common(g, ds, iris, info, dataset)
    g.add((ds, DCTERMS.identifier, Literal(str(ds))))
    g.add((ds, DCAT.landingPage, iris.document("")))
    g.add((ds, DCTERMS.conformsTo, SHAPES))
    g.add((ds, DCTERMS.language, FRENCH))
    g.add((ds, DCTERMS.spatial, iris.thing("region", "hauts-de-france")))
    for node in (ds, service):
        for keyword in dataset.keywords:
            g.add((node, DCAT.keyword, Literal(keyword, lang="fr")))
        for theme in EU_THEMES:
            g.add((node, DCAT.theme, EU_THEMES_SCHEME_NS[theme]))
    for download in files:
        dist = iris.dataset_part(download.name.replace(".", "-"))
        url = iris.document(f"dumps/{download.name}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        title = f"{download.fmt.label}{' (gzip)' if download.compressed else ''} : {download.name}"
        g.add((dist, DCTERMS.title, Literal(title, lang="fr")))
        packed = " (compressé avec gzip)" if download.compressed else ""
        text = f"Le jeu de données complet en {download.fmt.label}{packed}, tel que validé et publié par ptce build."
        g.add((dist, DCTERMS.description, Literal(text, lang="fr")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, IANA[download.fmt.media_type]))
        if download.compressed:
            g.add((dist, DCAT.compressFormat, IANA[GZIP]))
        g.add((dist, DCTERMS["format"], URIRef(EU_FILE_TYPES + download.fmt.eu)))
        g.add((dist, DCAT.byteSize, Literal(download.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, URIRef(dataset.license)))
        g.add((dist, DCTERMS.modified, Literal(info.built_at, datatype=XSD.dateTime)))

    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("Point d'accès SPARQL du jeu de données des PTCE", lang="fr")))
    g.add((service, DCTERMS.title, Literal("SPARQL endpoint of the PTCE dataset", lang="en")))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.endpointDescription, service))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, DCTERMS.license, URIRef(dataset.license)))
    bind_prefixes(g, iris)
    g.bind("foaf", FOAF)
    return g


def write_metadata(folder: Path, info: BuildInfo, dataset: Dataset, store: Store) -> None:
    """Write the VoID and DCAT descriptions of a build into its folder (after its dumps; `store` holds its data)."""
    folder = Path(folder)
    iris = Iris(info.base_iri)
    files = downloads(folder, info)
    network = folder / NETWORK_DUMP
    triples = sum(1 for line in network.open("rb") if line.strip()) if network.is_file() else None
    void = void_graph(store, iris, info, dataset, files, triples)
    void.serialize(destination=folder / VOID_FILE, format="turtle")
    catalog_graph(iris, info, dataset, files).serialize(destination=folder / CATALOG_FILE, format="turtle")
