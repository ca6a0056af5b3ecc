"""The dataset's VoID and DCAT descriptions, computed with SPARQL from a published build and written beside it.

VoID (https://www.w3.org/TR/void/) gives the counts, partitions, dumps, endpoint and links to Wikidata;
DCAT (https://www.w3.org/TR/vocab-dcat-3/) gives what portals such as data.gouv.fr harvest: title,
description, keywords, licence, dates, distributions and the SPARQL endpoint as a data service.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, VOID, XSD

from ptce.build_folder import (
    CATALOG_FILE,
    GZIP,
    NETWORK_DUMP,
    OUTLINES,
    TABLE_FILES,
    TABLE_SCHEMA,
    VOID_FILE,
    BuildInfo,
    Download,
    downloads,
)
from ptce.rdf.formats import EU_FILE_TYPES
from ptce.rdf.geometry import features_by
from ptce.rdf.namespaces import (
    ADMS_PUBLISHER_TYPE,
    DCATAP,
    EU_LANGUAGES,
    FORMATS,
    GEO,
    IANA,
    PLANNED_AVAILABILITY,
    PREFIXES,
    SD,
    SHAPES,
    VCARD,
    WD,
    Iris,
    bind_prefixes,
)
from ptce.store.engine import Store

if TYPE_CHECKING:
    from ptce.sources.loader import Dataset

EU_THEMES_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
EU_THEMES_SCHEME_NS = Namespace(f"{EU_THEMES_SCHEME}/")
EU_THEMES = ("ECON", "SOCI")
# Rebuilt when the source changes, on no schedule (EU frequency vocabulary).
FREQUENCY = URIRef("http://publications.europa.eu/resource/authority/frequency/IRREG")
LOCN = Namespace(
    "http://www.w3.org/ns/locn#"
)  # the EU data themes of a directory of social-economy hubs: economy; population, society
FRENCH = EU_LANGUAGES["fr"]
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
OPENAPI = URIRef("https://spec.openapis.org/oas/v3.1.0")  # the REST API's description follows it

TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
       (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }
"""
ENTITIES = 'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "%s")) }'
CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
# Triples of each property whose subject is an instance of each class: VoID's property partitions nested in a
# class partition. The query planner reads them (`ptce.query.planner`): where a class's partition of a property
# holds all its triples, every subject of the property is an instance of the class.
CLASS_PROPERTIES = "SELECT ?c ?p (COUNT(*) AS ?n) WHERE { ?s a ?c ; ?p ?o } GROUP BY ?c ?p ORDER BY ?c ?p"
WIKIDATA_LINKS = 'SELECT (COUNT(*) AS ?n) WHERE { ?s owl:sameAs ?o FILTER(STRSTARTS(STR(?o), "%s")) }'
EXAMPLES = "SELECT ?s WHERE { ?s a ptce:PTCE } ORDER BY ?s LIMIT 3"
TOP_THEMES = """
SELECT ?label WHERE { <%s> skos:hasTopConcept ?t . ?t skos:prefLabel ?label FILTER(lang(?label) = "fr") }
ORDER BY ?label
"""


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
    g.add((network, VOID.feature, FORMATS["N-Quads"]))


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
            g.add((ds, VOID.feature, FORMATS[download.fmt.w3c]))
    for row in store.select(EXAMPLES):
        g.add((ds, VOID.exampleResource, URIRef(row["s"])))
    g.add((ds, VOID.rootResource, iris.theme_scheme))
    vocabularies = set()
    classes = store.select(CLASSES)
    g.add((ds, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    class_parts = {}
    for row in classes:
        part = class_parts[row["c"]] = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["c"])))
        g.add((part, VOID.entities, Literal(row["n"], datatype=XSD.integer)))
        vocabularies.add(_vocabulary(row["c"], iris))
    for row in store.select(CLASS_PROPERTIES):
        part = BNode()
        g.add((class_parts[row["c"]], VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["p"])))
        g.add((part, VOID.triples, Literal(row["n"], datatype=XSD.integer)))
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
    g.add((node, DCTERMS.source, iris.source_document(dataset.source_slug)))
    g.add((node, PROV.wasDerivedFrom, iris.source_document(dataset.source_slug)))
    rights = BNode()  # a statement, as DCAT-AP wants it: a resource, its text as label
    g.add((node, DCTERMS.rights, rights))
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    g.add((rights, RDFS.label, Literal(f"Attribution : « {dataset.source_title} ».", lang="fr")))
    g.add((node, DCTERMS.issued, Literal(dataset.issued.isoformat(), datatype=XSD.date)))
    g.add((node, DCTERMS.modified, Literal(info.built_at, datatype=XSD.dateTime)))


def catalog_graph(
    iris: Iris,
    info: BuildInfo,
    dataset: Dataset,
    files: list[Download],
    extent: tuple | None = None,
    themes: list[str] = (),
    folder: Path | None = None,
) -> Graph:
    """The DCAT catalog: one dataset with its distributions, and the SPARQL endpoint as a data service.

    `extent` (`region_extent`) gives the region a geometry, which harvesters such as data.gouv.fr's map; `themes`
    (the scheme's top themes) are keywords too, where data.gouv.fr takes its tags from; the build `folder`'s
    spreadsheets are distributions too."""
    g = Graph()
    catalog, ds, service, api = iris.document("catalog"), iris.dataset, iris.document("sparql"), iris.document("api/")
    region = iris.thing("region", "hauts-de-france")
    g.add((region, RDF.type, DCTERMS.Location))
    g.add((region, RDFS.label, Literal("Hauts-de-France", lang="fr")))
    if extent:
        (west, south, east, north), (x, y) = extent
        wkt = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
        g.add((region, DCAT.bbox, Literal(wkt, datatype=GEO.wktLiteral)))
        g.add((region, LOCN.geometry, Literal(wkt, datatype=GEO.wktLiteral)))
        g.add((region, DCAT.centroid, Literal(f"POINT({x} {y})", datatype=GEO.wktLiteral)))
    g.add((catalog, RDF.type, DCAT.Catalog))
    _describe_common(g, catalog, iris, info, dataset)
    g.add((catalog, FOAF.homepage, iris.document("")))
    g.add((catalog, DCTERMS.language, FRENCH))
    g.add((catalog, DCAT.dataset, ds))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, DCAT.service, api))
    g.add((catalog, DCTERMS.spatial, region))
    g.add((catalog, DCAT.themeTaxonomy, EU_THEMES_SCHEME))

    g.add((ds, RDF.type, DCAT.Dataset))
    _describe_common(g, ds, iris, info, dataset)
    g.add((ds, DCTERMS.identifier, Literal(str(ds))))
    g.add((ds, DCAT.landingPage, iris.document("")))
    g.add((ds, DCTERMS.conformsTo, SHAPES))
    g.add((ds, DCTERMS.language, FRENCH))
    g.add((ds, DCTERMS.spatial, region))
    g.add((ds, DCTERMS.accrualPeriodicity, FREQUENCY))
    for node in (ds, service, api):
        for keyword in [*dataset.keywords, *themes]:
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

    _spreadsheets(g, iris, info, dataset, folder)
    _publisher_facts(g, iris, dataset, catalog, ds, service, api)

    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("Point d'accès SPARQL du jeu de données des PTCE", lang="fr")))
    g.add((service, DCTERMS.title, Literal("SPARQL endpoint of the PTCE dataset", lang="en")))
    g.add((service, DCTERMS.identifier, Literal(str(service))))  # harvesters skip a service without one
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.endpointDescription, service))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, DCTERMS.license, URIRef(dataset.license)))

    g.add((api, RDF.type, DCAT.DataService))
    g.add((api, DCTERMS.title, Literal("API REST des PTCE (les requêtes d'exemple)", lang="fr")))
    g.add((api, DCTERMS.title, Literal("REST API of the PTCE dataset (the example queries)", lang="en")))
    text = "Chaque requête SPARQL d'exemple est une opération GET qui rend ses lignes en JSON ou en CSV."
    g.add((api, DCTERMS.description, Literal(text, lang="fr")))
    g.add((api, DCTERMS.identifier, Literal(str(api))))
    g.add((api, DCAT.endpointURL, api))
    g.add((api, DCAT.endpointDescription, iris.document("api/openapi.json")))
    g.add((api, DCAT.servesDataset, ds))
    g.add((api, DCTERMS.conformsTo, OPENAPI))
    g.add((api, DCTERMS.license, URIRef(dataset.license)))
    bind_prefixes(g, iris)
    g.bind("foaf", FOAF)
    return g


def _publisher_facts(g: Graph, iris: Iris, dataset: Dataset, catalog, ds, *services) -> None:
    """What the publisher states in dataset.yaml, where DCAT-AP and data.gouv.fr read it: the publisher (catalog,
    dataset, services), the contact point (dataset, services), the period covered (dataset) and the planned
    availability (every distribution). Nothing is written for a fact not stated."""
    p = dataset.publisher
    if p is not None:
        agent = URIRef(p.uri) if p.uri else iris.dataset_part("publisher")
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, Literal(p.name)))
        g.add((agent, DCTERMS.type, ADMS_PUBLISHER_TYPE[p.type]))
        if p.homepage:
            g.add((agent, FOAF.homepage, URIRef(p.homepage)))
        for node in (catalog, ds, *services):
            g.add((node, DCTERMS.publisher, agent))
    c = dataset.contact
    if c is not None:
        kind = iris.dataset_part("contact")
        g.add((kind, RDF.type, VCARD.Organization))
        g.add((kind, VCARD.fn, Literal(c.name)))
        if c.email:
            g.add((kind, VCARD.hasEmail, URIRef(f"mailto:{c.email}")))
        if c.url:
            g.add((kind, VCARD.hasURL, URIRef(c.url)))
        for node in (ds, *services):
            g.add((node, DCAT.contactPoint, kind))
    if dataset.temporal is not None:
        start, end = dataset.temporal
        period = iris.dataset_part("period")
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(start.isoformat(), datatype=XSD.date)))
        if end is not None:
            g.add((period, DCAT.endDate, Literal(end.isoformat(), datatype=XSD.date)))
        g.add((ds, DCTERMS.temporal, period))
    if dataset.availability is not None:
        for dist in list(g.objects(ds, DCAT.distribution)):
            g.add((dist, DCATAP.availability, PLANNED_AVAILABILITY[dataset.availability]))


def _spreadsheets(g: Graph, iris: Iris, info: BuildInfo, dataset: Dataset, folder: Path | None) -> None:
    """The CSV and XLSX directory (one row per PTCE) as distributions that conform to their Table Schema."""
    schema = iris.document(TABLE_SCHEMA)
    for name, fmt in TABLE_FILES.items():
        if folder is None or not (folder / name).is_file():
            continue
        dist, url = iris.dataset_part(name.replace(".", "-")), iris.document(name)
        g.add((iris.dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"Annuaire des PTCE, {fmt.label} : {name}", lang="fr")))
        text = ("Une ligne par PTCE : nom, département, territoires, thématiques, structures porteuses, animatrices et "
                "partenaires, identifiant et page web ; colonnes décrites par le schéma (Table Schema).")  # fmt: skip
        g.add((dist, DCTERMS.description, Literal(text, lang="fr")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, IANA[fmt.media_type]))
        g.add((dist, DCTERMS["format"], URIRef(EU_FILE_TYPES + fmt.eu)))
        g.add((dist, DCAT.byteSize, Literal((folder / name).stat().st_size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.conformsTo, schema))
        g.add((dist, DCTERMS.license, URIRef(dataset.license)))
        g.add((dist, DCTERMS.modified, Literal(info.built_at, datatype=XSD.dateTime)))
    if folder is not None and (folder / TABLE_SCHEMA).is_file():
        g.add((schema, RDF.type, DCTERMS.Standard))
        g.add((schema, DCTERMS.title, Literal("Schéma de l'annuaire des PTCE (Table Schema)", lang="fr")))


def region_extent(outlines: Path) -> tuple[tuple[float, ...], tuple[float, float]] | None:
    """The region's bounding box (west, south, east, north) and the centroid of its outer ring, from the build's
    GeoJSON (rounded to 1e-4 degree); None without an outline."""
    if not outlines.is_file():
        return None
    collection = json.loads(outlines.read_text(encoding="utf-8"))
    region = features_by(collection, "kind", "region")
    if not region:
        return None
    points = list(_points(region[0]["geometry"]["coordinates"]))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    ring = _outer_ring(region[0]["geometry"])
    cross = [(a[0] * b[1] - b[0] * a[1], a, b) for a, b in pairwise(ring)]
    area = sum(c for c, _, _ in cross) / 2
    cx = sum(c * (a[0] + b[0]) for c, a, b in cross) / (6 * area)
    cy = sum(c * (a[1] + b[1]) for c, a, b in cross) / (6 * area)
    return tuple(round(v, 4) for v in (min(xs), min(ys), max(xs), max(ys))), (round(cx, 4), round(cy, 4))


def _outer_ring(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"][0]
    return max((polygon[0] for polygon in geometry["coordinates"]), key=len)  # MultiPolygon: its largest part


def _points(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield coordinates
    else:
        for part in coordinates:
            yield from _points(part)


def write_metadata(folder: Path, info: BuildInfo, dataset: Dataset, store: Store) -> None:
    """Write the VoID and DCAT descriptions of a build into its folder (after its dumps; `store` holds its data)."""
    folder = Path(folder)
    iris = Iris(info.base_iri)
    files = downloads(folder, info)
    network = folder / NETWORK_DUMP
    triples = sum(1 for line in network.open("rb") if line.strip()) if network.is_file() else None
    void = void_graph(store, iris, info, dataset, files, triples)
    void.serialize(destination=folder / VOID_FILE, format="turtle")
    themes = [row["label"] for row in store.select(TOP_THEMES % iris.theme_scheme)]
    catalog = catalog_graph(iris, info, dataset, files, region_extent(folder / OUTLINES), themes, folder)
    catalog.serialize(destination=folder / CATALOG_FILE, format="turtle")
