"""Turn checked source records into the RDF knowledge graph (rdflib)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VANN, XSD

from ptce.assets import ONTOLOGY_FILE
from ptce.rdf.namespaces import GEO, IGEO, ORG, SCHEMA, WD, Iris, bind_prefixes
from ptce.rdf.slugs import slugify
from ptce.sources.loader import Initiative, Organisation, Place, Ptce, Sources

ROLE_TERMS = {"porteur": "CarrierRole", "animateur": "FacilitatorRole", "partenaire": "PartnerRole"}
ROLE_SHORTCUTS = {"porteur": "carriedBy", "animateur": "facilitatedBy", "partenaire": "partner"}
ORG_TYPE_TERMS = {
    "association": "Association",
    "collectif": "Collectif",
    "scic": "SCIC",
    "cae": "CAE",
    "bailleur": "Bailleur",
}


def load_ontology(iris: Iris, path: Path = ONTOLOGY_FILE) -> Graph:
    """The ontology (its IRIs are fixed: the same for every deployment)."""
    g = Graph()
    g.parse(path, format="turtle")
    g.add((iris.ontology, VANN.preferredNamespaceUri, Literal(str(iris.vocab))))
    return g


def of(name: str) -> str:
    """French "de" before a name, elided before a vowel: "de CoHose", "d'Eco-Pôle Alimentaire"."""
    return f"d'{name}" if name[:1].casefold() in "aàâeéèêiîoôuûy" else f"de {name}"


class _Builder:
    """Adds the triples of each kind of record to one graph."""

    def __init__(self, sources: Sources, iris: Iris):
        self.s = sources
        self.iris = iris
        self.v = iris.vocab
        self.g = Graph()
        self.lang = sources.dataset.source_language

    def add(self, s, p, o) -> None:
        self.g.add((s, p, o))

    def fr(self, text: str) -> Literal:
        return Literal(text, lang=self.lang)

    def name(self, node: URIRef, name: str, source_name: str | None) -> None:
        self.add(node, SKOS.prefLabel, self.fr(name))
        self.add(node, RDFS.label, self.fr(name))
        if source_name and source_name != name:
            self.add(node, SKOS.hiddenLabel, self.fr(source_name))

    def derived(self, node: URIRef) -> None:
        self.add(node, PROV.wasDerivedFrom, self.iris.source_document)

    def build(self) -> Graph:
        self.source_document()
        self.geography()
        self.themes()
        for org in self.s.organisations:
            self.organisation(org)
        for ptce in self.s.ptces:
            self.ptce(ptce)
        if self.s.geography:
            self.locations()
        return self.g

    def source_document(self) -> None:
        d = self.s.dataset
        doc = self.iris.source_document
        self.add(doc, RDF.type, self.v.SourceDocument)
        self.add(doc, DCTERMS.title, self.fr(d.source_title))
        self.add(doc, RDFS.label, self.fr(d.source_title))
        self.add(doc, DCTERMS.language, Literal(d.source_language))
        self.add(doc, DCTERMS.format, Literal("text/plain"))

    def geography(self) -> None:
        region = self.s.region
        r = self.iris.thing("region", region.slug)
        self.admin_unit(r, region, IGEO.Region)
        for dept in self.s.departements:
            d = self.iris.thing("departement", dept.slug)
            self.admin_unit(d, dept, IGEO.Departement)
            self.add(d, IGEO.subdivisionDe, r)
            self.add(d, SCHEMA.containedInPlace, r)
        for t in self.s.territoires:
            node = self.iris.thing("territoire", t.slug)
            self.add(node, RDF.type, self.v.Territory)
            self.name(node, t.name, t.source_name)
            self.add(node, self.v.department, self.iris.thing("departement", t.departement))
            self.add(node, SCHEMA.containedInPlace, self.iris.thing("departement", t.departement))
            if t.kind == "commune":
                self.add(node, RDF.type, IGEO.Commune)
                self.add(node, IGEO.codeINSEE, Literal(t.insee))
            self.derived(node)

    def locations(self) -> None:
        """A point geometry (GeoSPARQL) for each place, and for each PTCE the point of where it is placed."""
        geo = self.s.geography
        src = self.iris.thing("source", geo.source.slug)
        self.add(src, RDF.type, self.v.SourceDocument)
        self.add(src, DCTERMS.title, self.fr(geo.source.title))
        self.add(src, RDFS.label, self.fr(geo.source.title))
        self.add(src, RDFS.seeAlso, URIRef(geo.source.url))
        for loc in geo.locations.values():
            node = self.iris.thing("geometrie", loc.geometry_slug)
            self.add(node, RDF.type, GEO.Geometry)
            self.add(node, RDFS.label, self.fr(f"Localisation : {loc.name}"))
            self.add(node, GEO.asWKT, Literal(loc.wkt, datatype=GEO.wktLiteral))
            self.add(node, self.v.locationPrecision, Literal(loc.precision))
            self.add(node, self.v.locationMethod, Literal(loc.method, lang="en"))
            self.add(node, PROV.wasDerivedFrom, src)
            if loc.kind != "territoires":
                self.add(self.iris.thing(loc.kind, loc.slug), GEO.hasGeometry, node)
        for ptce in self.s.ptces:
            node = self.iris.thing("geometrie", geo.location_of(ptce).geometry_slug)
            self.add(self.iris.thing("ptce", ptce.slug), GEO.hasGeometry, node)

    def admin_unit(self, node: URIRef, place: Place, cls: URIRef) -> None:
        self.add(node, RDF.type, cls)
        self.name(node, place.name, None)
        self.add(node, IGEO.nom, self.fr(place.name))
        self.add(node, IGEO.codeINSEE, Literal(place.insee))
        self.add(node, OWL.sameAs, WD[place.wikidata])

    def themes(self) -> None:
        scheme = self.iris.theme_scheme
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        for lang, text in self.s.scheme["title"].items():
            self.add(scheme, SKOS.prefLabel, Literal(text, lang=lang))
            self.add(scheme, RDFS.label, Literal(text, lang=lang))
            self.add(scheme, DCTERMS.title, Literal(text, lang=lang))
        for lang, text in self.s.scheme["definition"].items():
            self.add(scheme, SKOS.definition, Literal(text, lang=lang))
        for theme in self.s.themes:
            c = self.iris.thing("theme", theme.slug)
            self.add(c, RDF.type, SKOS.Concept)
            self.add(c, SKOS.inScheme, scheme)
            for lang, text in theme.label.items():
                self.add(c, SKOS.prefLabel, Literal(text, lang=lang))
                self.add(c, RDFS.label, Literal(text, lang=lang))
            for lang, text in theme.definition.items():
                self.add(c, SKOS.definition, Literal(text, lang=lang))
            for lang, texts in theme.alt.items():
                for text in texts:
                    self.add(c, SKOS.altLabel, Literal(text, lang=lang))
            if theme.broader:
                b = self.iris.thing("theme", theme.broader)
                self.add(c, SKOS.broader, b)
                self.add(b, SKOS.narrower, c)
            else:
                self.add(c, SKOS.topConceptOf, scheme)
                self.add(scheme, SKOS.hasTopConcept, c)

    def organisation(self, org: Organisation) -> None:
        o = self.iris.thing("organisation", org.slug)
        self.add(o, RDF.type, ORG.Organization)
        self.name(o, org.name, org.source_name)
        for t in org.types:
            self.add(o, ORG.classification, self.v[ORG_TYPE_TERMS[t]])
        if org.description:
            self.add(o, DCTERMS.description, self.fr(org.description))
        if org.territoire:
            self.add(o, SCHEMA.location, self.iris.thing("territoire", org.territoire))
        self.derived(o)

    def ptce(self, ptce: Ptce) -> None:
        p = self.iris.thing("ptce", ptce.slug)
        self.add(p, RDF.type, self.v.PTCE)
        self.name(p, ptce.name, ptce.source_name)
        self.add(p, DCTERMS.description, self.fr(ptce.description))
        self.add(p, self.v.department, self.iris.thing("departement", ptce.departement))
        for t in ptce.territoires:
            self.add(p, SCHEMA.areaServed, self.iris.thing("territoire", t))
        for text in ptce.objectives:
            self.add(p, self.v.objective, self.fr(text))
        for text in ptce.axes:
            self.add(p, self.v.axis, self.fr(text))
        for theme in ptce.themes:
            self.add(p, DCTERMS.subject, self.iris.thing("theme", theme))
        if ptce.collective_approach_since:
            self.add(
                p,
                self.v.collectiveApproachSince,
                Literal(str(ptce.collective_approach_since), datatype=XSD.gYear),
            )
        if ptce.recognised:
            self.recognition(p, ptce)
        for role in ptce.roles:
            org = self.iris.thing("organisation", role.organisation)
            m = self.iris.thing("role", f"{ptce.slug}--{role.organisation}")
            self.add(m, RDF.type, ORG.Membership)
            self.add(m, ORG.organization, p)
            self.add(m, ORG.member, org)
            self.add(m, ORG.role, self.v[ROLE_TERMS[role.role]])
            self.add(m, RDFS.label, self.fr(f"{role.role} : {self.label_of(org)} — {ptce.name}"))
            self.add(org, ORG.hasMembership, m)  # the member's side: org:hasMembership is org:member's inverse
            self.add(p, self.v[ROLE_SHORTCUTS[role.role]], org)
            self.derived(m)
        for group in ptce.working_groups:
            self.working_group(p, ptce, group.name, group.themes)
        for initiative in ptce.initiatives:
            self.initiative(p, initiative)
        self.derived(p)

    def label_of(self, node: URIRef) -> str:
        return str(self.g.value(node, SKOS.prefLabel))

    def recognition(self, p: URIRef, ptce: Ptce) -> None:
        e = self.iris.thing("evenement", f"labellisation-{ptce.slug}-{ptce.recognised}")
        self.add(p, self.v.recognition, e)
        self.add(e, RDF.type, self.v.Recognition)
        self.add(e, RDFS.label, self.fr(f"Labellisation PTCE {of(ptce.name)} ({ptce.recognised})"))
        self.add(e, DCTERMS.date, Literal(str(ptce.recognised), datatype=XSD.gYear))
        self.derived(e)

    def working_group(self, p: URIRef, ptce: Ptce, name: str, themes: list[str]) -> None:
        w = self.iris.thing("groupe", f"{ptce.slug}-{slugify(name)}")
        self.add(w, RDF.type, self.v.WorkingGroup)
        self.name(w, name, None)
        self.add(w, ORG.subOrganizationOf, p)  # not org:unitOf: its range, FormalOrganization, a PTCE is not
        self.add(p, ORG.hasSubOrganization, w)
        for theme in themes:
            self.add(w, DCTERMS.subject, self.iris.thing("theme", theme))
        self.derived(w)

    def initiative(self, p: URIRef, item: Initiative) -> None:
        i = self.iris.thing("projet", item.slug)
        self.add(i, RDF.type, self.v.Initiative)
        self.name(i, item.name, item.source_name)
        self.add(i, self.v.initiativeType, self.fr(item.type))
        self.add(i, DCTERMS.description, self.fr(item.description))
        self.add(p, self.v.initiative, i)
        for theme in item.themes:
            self.add(i, DCTERMS.subject, self.iris.thing("theme", theme))
        for org in item.organisations:
            self.add(i, self.v.involves, self.iris.thing("organisation", org))
        if item.territoire:
            self.add(i, SCHEMA.location, self.iris.thing("territoire", item.territoire))
        if item.partner_shops is not None:
            self.add(i, self.v.partnerShopCount, Literal(item.partner_shops, datatype=XSD.integer))
        if item.subscribers is not None:
            self.add(i, self.v.subscriberCount, Literal(item.subscribers, datatype=XSD.integer))
        self.derived(i)


def build_graph(sources: Sources, iris: Iris | None = None, with_ontology: bool = True) -> Graph:
    """The dataset graph: instance data, the theme scheme and (by default) the ontology."""
    iris = iris or Iris()
    g = _Builder(sources, iris).build()
    if with_ontology:
        g += load_ontology(iris)
    bind_prefixes(g, iris)
    return g
