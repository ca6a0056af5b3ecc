"""Each SHACL constraint: the real data conforms, and one targeted edit makes it fail with the shape's message."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, SKOS, XSD

from ptce.assets import DATA_DIR
from ptce.graph import build_graph
from ptce.rdf.namespaces import GEO, IGEO, OA, ORG, SCHEMA
from ptce.sources.loader import load_sources
from ptce.validate.shacl import load_shapes, validate_graph

from ..conftest import IRIS

V = IRIS.vocab
P = IRIS.thing("ptce", "cohose")
AUTON = IRIS.thing("ptce", "auton-hommes")
SHOP = IRIS.thing("projet", "mon-shopping-c-est-calais")
NORD = IRIS.thing("departement", "nord")
THEME = IRIS.thing("theme", "biodiversite")
NOEUX = IRIS.thing("territoire", "noeux-les-mines")
MEMBERSHIP = IRIS.thing("role", "auton-hommes--collectif-phare")
EVENT = IRIS.thing("evenement", "labellisation-eco-pole-alimentaire-d-audruicq-2015")
NOWHERE = URIRef("https://example.org/nowhere")
POINT = IRIS.thing("geometrie", "territoire-noeux-les-mines")
OUTLINE = IRIS.thing("geometrie", "contour-departement-nord")
DOCUMENT = IRIS.source_document("carte-regionale-ptce-hauts-de-france")
THEME_LINK = URIRef(f"{P}#subject-biodiversite")  # the statement of (CoHose, dcterms:subject, Biodiversité)

LINK_PASSAGE = IRIS.thing("passage", "2784-2809")  # "préserver la biodiversité"
QUOTE, POSITION = URIRef(f"{LINK_PASSAGE}#quote"), URIRef(f"{LINK_PASSAGE}#position")


def passage_of(g, node):
    """The passage (oa:SpecificResource) a resource or statement is derived from."""
    return next(o for o in g.objects(node, PROV.wasDerivedFrom) if (o, RDF.type, OA.SpecificResource) in g)


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(IRIS)


@pytest.fixture(scope="module")
def real():
    return build_graph(load_sources(DATA_DIR), IRIS)


def test_real_data_conforms(real, shapes):
    report = validate_graph(real, shapes)
    assert report.conforms, report.as_text()


def remove_all(g, s, p):
    g.remove((s, p, None))


# (id, edit, focus node, path expected in the report, words of the English message)
CASES = [
    ("ptce-name-missing", lambda g: remove_all(g, P, SKOS.prefLabel), P, "skos:prefLabel", "Exactly one name"),
    (
        "ptce-name-twice",
        lambda g: g.add((P, SKOS.prefLabel, Literal("Autre", lang="fr"))),
        P,
        "skos:prefLabel",
        "Exactly one name",
    ),
    (
        "ptce-name-english",
        lambda g: (remove_all(g, P, SKOS.prefLabel), g.add((P, SKOS.prefLabel, Literal("CoHose", lang="en")))),
        P,
        "skos:prefLabel",
        "in French",
    ),
    (
        "ptce-hidden-label-plain",
        lambda g: g.add((P, SKOS.hiddenLabel, Literal("Cohose"))),
        P,
        "skos:hiddenLabel",
        "source spelling",
    ),
    (
        "ptce-no-provenance",
        lambda g: remove_all(g, P, PROV.wasDerivedFrom),
        P,
        "prov:wasDerivedFrom",
        "cite its source",
    ),
    (
        "ptce-provenance-not-a-document",
        lambda g: (remove_all(g, P, PROV.wasDerivedFrom), g.add((P, PROV.wasDerivedFrom, NOWHERE))),
        P,
        "prov:wasDerivedFrom",
        "cite its source",
    ),
    (
        "ptce-no-description",
        lambda g: remove_all(g, P, DCTERMS.description),
        P,
        "dcterms:description",
        "Exactly one description",
    ),
    (
        "ptce-description-untagged",
        lambda g: (remove_all(g, P, DCTERMS.description), g.add((P, DCTERMS.description, Literal("texte")))),
        P,
        "dcterms:description",
        "quoted in French",
    ),
    ("ptce-no-theme", lambda g: remove_all(g, P, DCTERMS.subject), P, "dcterms:subject", "at least one theme"),
    (
        "ptce-theme-outside-scheme",
        lambda g: g.add((P, DCTERMS.subject, NOWHERE)),
        P,
        "dcterms:subject",
        "concept of the theme scheme",
    ),
    ("ptce-no-department", lambda g: remove_all(g, P, V.department), P, "ptce:department", "exactly one department"),
    ("ptce-two-departments", lambda g: g.add((P, V.department, NORD)), P, "ptce:department", "exactly one department"),
    (
        "ptce-department-not-a-department",
        lambda g: (remove_all(g, P, V.department), g.add((P, V.department, THEME))),
        P,
        "ptce:department",
        "exactly one department",
    ),
    (
        "ptce-area-not-a-territory",
        lambda g: g.add((P, SCHEMA.areaServed, NORD)),
        P,
        "schema:areaServed",
        "ptce:Territory",
    ),
    ("ptce-objective-untagged", lambda g: g.add((P, V.objective, Literal("x"))), P, "ptce:objective", "French text"),
    ("ptce-axis-untagged", lambda g: g.add((P, V.axis, Literal("x"))), P, "ptce:axis", "French text"),
    (
        "ptce-carrier-not-an-organisation",
        lambda g: g.add((P, V.carriedBy, NOWHERE)),
        P,
        "ptce:carriedBy",
        "organisation",
    ),
    ("ptce-partner-not-an-organisation", lambda g: g.add((P, V.partner, THEME)), P, "ptce:partner", "organisation"),
    (
        "ptce-initiative-wrong-class",
        lambda g: g.add((P, V.initiative, NOWHERE)),
        P,
        "ptce:initiative",
        "ptce:Initiative",
    ),
    (
        "ptce-recognition-wrong-class",
        lambda g: g.add((P, V.recognition, NOWHERE)),
        P,
        "ptce:recognition",
        "ptce:Recognition",
    ),
    (
        "ptce-year-as-string",
        lambda g: g.add((P, V.collectiveApproachSince, Literal("2014"))),
        P,
        "ptce:collectiveApproachSince",
        "xsd:gYear",
    ),
    (
        "ptce-bad-slug",
        lambda g: g.add((URIRef(f"{IRIS.base}id/ptce/Bad_Slug"), RDF.type, V.PTCE)),
        URIRef(f"{IRIS.base}id/ptce/Bad_Slug"),
        None,
        "lower-case ASCII slug",
    ),
    (
        "membership-two-members",
        lambda g: g.add((MEMBERSHIP, ORG.member, IRIS.thing("organisation", "scic-tilt"))),
        MEMBERSHIP,
        "org:member",
        "exactly one organisation",
    ),
    (
        "membership-unknown-role",
        lambda g: (remove_all(g, MEMBERSHIP, ORG.role), g.add((MEMBERSHIP, ORG.role, NOWHERE))),
        MEMBERSHIP,
        "org:role",
        "carrier",
    ),
    (
        "membership-not-in-a-ptce",
        lambda g: remove_all(g, MEMBERSHIP, ORG.organization),
        MEMBERSHIP,
        "org:organization",
        "exactly one PTCE",
    ),
    (
        "organisation-type-outside-scheme",
        lambda g: g.add((IRIS.thing("organisation", "scic-tilt"), ORG.classification, THEME)),
        IRIS.thing("organisation", "scic-tilt"),
        "org:classification",
        "organisation type",
    ),
    (
        "initiative-count-as-string",
        lambda g: (remove_all(g, SHOP, V.partnerShopCount), g.add((SHOP, V.partnerShopCount, Literal("104")))),
        SHOP,
        "ptce:partnerShopCount",
        "non-negative integer",
    ),
    (
        "initiative-negative-count",
        lambda g: (
            remove_all(g, SHOP, V.partnerShopCount),
            g.add((SHOP, V.partnerShopCount, Literal(-1, datatype=XSD.integer))),
        ),
        SHOP,
        "ptce:partnerShopCount",
        "non-negative integer",
    ),
    (
        "initiative-without-type",
        lambda g: remove_all(g, SHOP, V.initiativeType),
        SHOP,
        "ptce:initiativeType",
        "exactly one type",
    ),
    ("initiative-orphan", lambda g: g.remove((None, V.initiative, SHOP)), SHOP, None, "exactly one PTCE"),
    (
        "recognition-without-date",
        lambda g: remove_all(g, EVENT, DCTERMS.date),
        EVENT,
        "dcterms:date",
        "exactly one date",
    ),
    (
        "department-bad-insee",
        lambda g: (remove_all(g, NORD, IGEO.codeINSEE), g.add((NORD, IGEO.codeINSEE, Literal("99")))),
        NORD,
        "igeo:codeINSEE",
        "valid INSEE code",
    ),
    ("department-no-wikidata", lambda g: remove_all(g, NORD, OWL.sameAs), NORD, "owl:sameAs", "Wikidata"),
    ("department-bad-wikidata", lambda g: g.add((NORD, OWL.sameAs, NOWHERE)), NORD, "owl:sameAs", "Wikidata"),
    (
        "commune-bad-insee",
        lambda g: (remove_all(g, NOEUX, IGEO.codeINSEE), g.add((NOEUX, IGEO.codeINSEE, Literal("6261")))),
        NOEUX,
        "igeo:codeINSEE",
        "five-character",
    ),
    (
        "territory-no-department",
        lambda g: remove_all(g, NOEUX, V.department),
        NOEUX,
        "ptce:department",
        "exactly one department",
    ),
    (
        "theme-no-english-label",
        lambda g: g.remove((THEME, SKOS.prefLabel, Literal("Biodiversity", lang="en"))),
        THEME,
        "skos:prefLabel",
        "one in English",
    ),
    (
        "theme-two-french-labels",
        lambda g: g.add((THEME, SKOS.prefLabel, Literal("Vivant", lang="fr"))),
        THEME,
        "skos:prefLabel",
        "one per language",
    ),
    ("theme-no-definition", lambda g: remove_all(g, THEME, SKOS.definition), THEME, "skos:definition", "definition"),
    (
        "theme-two-broader",
        lambda g: g.add((THEME, SKOS.broader, IRIS.thing("theme", "alimentation"))),
        THEME,
        "skos:broader",
        "at most one broader",
    ),
    ("theme-outside-scheme", lambda g: remove_all(g, THEME, SKOS.inScheme), THEME, "skos:inScheme", "theme scheme"),
    # locations (shapes/ptce-locations.ttl)
    ("geometry-no-wkt", lambda g: remove_all(g, POINT, GEO.asWKT), POINT, "geo:asWKT", "exactly one WKT point"),
    (
        "geometry-wkt-plain-string",
        lambda g: (remove_all(g, POINT, GEO.asWKT), g.add((POINT, GEO.asWKT, Literal("POINT(2.6 50.4)")))),
        POINT,
        "geo:asWKT",
        "geo:wktLiteral",
    ),
    (
        "geometry-wkt-not-a-point",
        lambda g: (
            remove_all(g, POINT, GEO.asWKT),
            g.add((POINT, GEO.asWKT, Literal("LINESTRING(2 50, 3 51)", datatype=GEO.wktLiteral))),
        ),
        POINT,
        "geo:asWKT",
        "POINT(longitude latitude)",
    ),
    (
        "geometry-unknown-precision",
        lambda g: (remove_all(g, POINT, V.locationPrecision), g.add((POINT, V.locationPrecision, Literal("ville")))),
        POINT,
        "ptce:locationPrecision",
        "commune, territoire or departement",
    ),
    (
        "geometry-two-precisions",
        lambda g: g.add((POINT, V.locationPrecision, Literal("territoire"))),
        POINT,
        "ptce:locationPrecision",
        "exactly one precision",
    ),
    ("geometry-no-method", lambda g: remove_all(g, POINT, V.locationMethod), POINT, "ptce:locationMethod", "computed"),
    (
        "geometry-method-untagged",
        lambda g: g.add((POINT, V.locationMethod, Literal("guessed"))),
        POINT,
        "ptce:locationMethod",
        "computed",
    ),
    ("geometry-no-provenance", lambda g: remove_all(g, POINT, PROV.wasDerivedFrom), POINT, None, "cite its source"),
    ("ptce-no-location", lambda g: remove_all(g, P, GEO.hasGeometry), P, "geo:hasGeometry", "exactly one location"),
    (
        "ptce-two-locations",
        lambda g: g.add((P, GEO.hasGeometry, POINT)),
        P,
        "geo:hasGeometry",
        "exactly one location",
    ),
    (
        "ptce-location-not-a-geometry",
        lambda g: (remove_all(g, P, GEO.hasGeometry), g.add((P, GEO.hasGeometry, NOWHERE))),
        P,
        "geo:hasGeometry",
        "exactly one location",
    ),
    (
        "ptce-without-place-given-a-commune",
        lambda g: (remove_all(g, P, GEO.hasGeometry), g.add((P, GEO.hasGeometry, POINT))),
        P,
        None,
        "placed at its department",
    ),
    ("territory-no-location", lambda g: remove_all(g, NOEUX, GEO.hasGeometry), NOEUX, "geo:hasGeometry", "location"),
    # provenance to the passage
    (
        "theme-link-without-statement",
        lambda g: g.remove((THEME_LINK, None, None)),
        DOCUMENT,
        None,
        "no passage that supports it (rdf:Statement): <https://w3id.org/ptce/id/ptce/cohose> dcterms:subject",
    ),
    (
        "statement-of-an-unpublished-fact",
        lambda g: g.remove((P, DCTERMS.subject, THEME)),
        DOCUMENT,
        None,
        f"supports a fact that is not published: <{THEME_LINK}>",
    ),
    (
        "statement-without-passage",
        lambda g: g.remove((THEME_LINK, PROV.wasDerivedFrom, None)),
        THEME_LINK,
        "prov:wasDerivedFrom",
        "derived from exactly one passage",
    ),
    (
        "statement-two-objects",
        lambda g: g.add((THEME_LINK, RDF.object, NOWHERE)),
        THEME_LINK,
        "rdf:object",
        "exactly one object",
    ),
    (
        "role-without-passage",
        lambda g: g.remove((MEMBERSHIP, PROV.wasDerivedFrom, passage_of(g, MEMBERSHIP))),
        MEMBERSHIP,
        "prov:wasDerivedFrom",
        "Exactly one passage of the source",
    ),
    (
        "initiative-without-passage",
        lambda g: g.remove((SHOP, PROV.wasDerivedFrom, passage_of(g, SHOP))),
        SHOP,
        "prov:wasDerivedFrom",
        "Exactly one passage of the source",
    ),
    (
        "ptce-two-passages",
        lambda g: g.add((P, PROV.wasDerivedFrom, LINK_PASSAGE)),
        P,
        "prov:wasDerivedFrom",
        "Exactly one passage of the source",
    ),
    (
        "recognition-without-passage",
        lambda g: g.remove((EVENT, PROV.wasDerivedFrom, passage_of(g, EVENT))),
        EVENT,
        "prov:wasDerivedFrom",
        "Exactly one passage of the source",
    ),
    (
        "ptce-passage-but-no-document",
        lambda g: g.remove((P, PROV.wasDerivedFrom, DOCUMENT)),
        P,
        "prov:wasDerivedFrom",
        "cite its source",
    ),
    (
        "statement-without-subject",
        lambda g: remove_all(g, THEME_LINK, RDF.subject),
        THEME_LINK,
        "rdf:subject",
        "exactly one subject",
    ),
    (
        "statement-predicate-a-literal",
        lambda g: (remove_all(g, THEME_LINK, RDF.predicate), g.add((THEME_LINK, RDF.predicate, Literal("subject")))),
        THEME_LINK,
        "rdf:predicate",
        "exactly one predicate, an IRI",
    ),
    (
        "passage-without-position",
        lambda g: g.remove((LINK_PASSAGE, OA.hasSelector, POSITION)),
        LINK_PASSAGE,
        "oa:hasSelector",
        "exactly one position",
    ),
    (
        "quote-two-prefixes",
        lambda g: g.add((QUOTE, OA.prefix, Literal("autre chose"))),
        QUOTE,
        "oa:prefix",
        "at most one text before it",
    ),
    (
        "quote-suffix-tagged",
        lambda g: (remove_all(g, QUOTE, OA.suffix), g.add((QUOTE, OA.suffix, Literal(" et in fine", lang="fr")))),
        QUOTE,
        "oa:suffix",
        "at most one text after it",
    ),
    (
        "position-without-end",
        lambda g: remove_all(g, POSITION, OA.end),
        POSITION,
        "oa:end",
        "exactly one end",
    ),
    (
        "position-negative-start",
        lambda g: (remove_all(g, POSITION, OA.start), g.add((POSITION, OA.start, Literal(-1, datatype=XSD.integer)))),
        POSITION,
        "oa:start",
        "an integer ≥ 0",
    ),
    (
        "passage-without-document",
        lambda g: remove_all(g, LINK_PASSAGE, OA.hasSource),
        LINK_PASSAGE,
        "oa:hasSource",
        "part of exactly one source document",
    ),
    (
        "passage-without-quote",
        lambda g: g.remove((LINK_PASSAGE, OA.hasSelector, QUOTE)),
        LINK_PASSAGE,
        "oa:hasSelector",
        "exactly one quote",
    ),
    (
        "quote-empty",
        lambda g: (
            remove_all(g, QUOTE, OA.exact),
            g.add((QUOTE, OA.exact, Literal(""))),
        ),
        QUOTE,
        "oa:exact",
        "exactly one exact text",
    ),
    (
        "position-ends-before-it-starts",
        lambda g: (
            remove_all(g, POSITION, OA.end),
            g.add((POSITION, OA.end, Literal(10, datatype=XSD.integer))),
        ),
        POSITION,
        "oa:start",
        "before its end",
    ),
    ("department-no-location", lambda g: remove_all(g, NORD, GEO.hasGeometry), NORD, "geo:hasGeometry", "location"),
    (
        "department-no-outline",
        lambda g: remove_all(g, NORD, GEO.hasDefaultGeometry),
        NORD,
        "geo:hasDefaultGeometry",
        "exactly one outline",
    ),
    (
        "outline-a-point",
        lambda g: (
            remove_all(g, OUTLINE, GEO.asWKT),
            g.add((OUTLINE, GEO.asWKT, Literal("POINT(3 50)", datatype=GEO.wktLiteral))),
        ),
        OUTLINE,
        "geo:asWKT",
        "POLYGON or MULTIPOLYGON",
    ),
    (
        "outline-given-a-precision",
        lambda g: g.add((OUTLINE, V.locationPrecision, Literal("departement"))),
        OUTLINE,
        "ptce:locationPrecision",
        "no precision",
    ),
    (
        "outline-as-a-location",
        lambda g: (remove_all(g, NORD, GEO.hasGeometry), g.add((NORD, GEO.hasGeometry, OUTLINE))),
        OUTLINE,
        "geo:asWKT",
        "POINT(longitude latitude)",
    ),
]


@pytest.mark.parametrize(("name", "edit", "focus", "path", "words"), CASES, ids=[c[0] for c in CASES])
def test_constraint_catches_violation(real, shapes, name, edit, focus, path, words):
    g = Graph()
    for t in real:
        g.add(t)
    g.namespace_manager = real.namespace_manager
    edit(g)
    report = validate_graph(g, shapes)
    assert not report.conforms, name
    hits = [v for v in report.violations if v.focus == str(focus) and (path is None or v.path == path)]
    assert hits, report.as_text()
    assert any(words in v.message_en for v in hits), [v.message_en for v in hits]
    assert all(v.message and v.message != v.message_en for v in hits), "French message present"
