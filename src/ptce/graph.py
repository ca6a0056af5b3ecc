"""Turn checked source records into the RDF knowledge graph: its triples (rdflib terms), and the rdflib graph of
them where one is needed (validation, small dumps, tests). A large build writes its N-Triples straight from the
triples (`ptce.store.bulk`): indexing a million of them in an rdflib graph takes three times as long as making
them, and only the SHACL workers need that graph."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VANN, XSD

from ptce.assets import ONTOLOGY_FILE
from ptce.rdf.geometry import outline_wkt
from ptce.rdf.namespaces import EU_LANGUAGES, GEO, IANA, IGEO, OA, ORG, SCHEMA, WD, Iris, bind_prefixes
from ptce.rdf.slugs import slugify
from ptce.sources.loader import Initiative, Organisation, Place, Ptce, Sources, WorkingGroup
from ptce.sources.passages import Passage

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
    """Adds the triples of each kind of record to one collection, each once (as a graph holds them), in order."""

    def __init__(self, sources: Sources, iris: Iris):
        self.s = sources
        self.iris = iris
        self.v = iris.vocab
        self.triples: dict[tuple, None] = {}
        self.labels: dict[URIRef, str] = {}
        self.lang = sources.dataset.source_language
        self.document = iris.source_document(sources.dataset.source_slug)
        self.passages: set[URIRef] = set()

    def add(self, s, p, o) -> None:
        self.triples[s, p, o] = None

    def fr(self, text: str) -> Literal:
        return Literal(text, lang=self.lang)

    def name(self, node: URIRef, name: str, source_name: str | None) -> None:
        self.labels.setdefault(node, name)
        self.add(node, SKOS.prefLabel, self.fr(name))
        self.add(node, RDFS.label, self.fr(name))
        if source_name and source_name != name:
            self.add(node, SKOS.hiddenLabel, self.fr(source_name))

    def derived(self, node: URIRef, passage: Passage | None = None) -> None:
        """`node` comes from the source document, and from `passage` of it where one is known."""
        self.add(node, PROV.wasDerivedFrom, self.document)
        if passage is not None:
            self.add(node, PROV.wasDerivedFrom, self.passage(passage))

    def passage(self, p: Passage) -> URIRef:
        """The passage as a Web Annotation specific resource: its text with context, and its character offsets."""
        node = self.iris.thing("passage", f"{p.start}-{p.end}")
        if node in self.passages:
            return node
        self.passages.add(node)
        self.add(node, RDF.type, OA.SpecificResource)
        self.add(node, OA.hasSource, self.document)
        words = " ".join(p.exact.split())
        self.add(node, RDFS.label, self.fr(f"« {words if len(words) <= 80 else words[:79] + '…'} »"))
        quote, position = URIRef(f"{node}#quote"), URIRef(f"{node}#position")
        self.add(node, OA.hasSelector, quote)
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(p.exact))
        if p.prefix:
            self.add(quote, OA.prefix, Literal(p.prefix))
        if p.suffix:
            self.add(quote, OA.suffix, Literal(p.suffix))
        self.add(node, OA.hasSelector, position)
        self.add(position, RDF.type, OA.TextPositionSelector)
        # xsd:integer, not the xsd:nonNegativeInteger of the Web Annotation model: Oxigraph stores the derived
        # integer types as xsd:integer, and the dumps say what the endpoint says (shapes: ≥ 0).
        self.add(position, OA.start, Literal(p.start, datatype=XSD.integer))
        self.add(position, OA.end, Literal(p.end, datatype=XSD.integer))
        return node

    def supported(self, s: URIRef, p: URIRef, o, passage: Passage | None, name: str) -> None:
        """Add (s p o) and, with its passage, the statement `s#name` that says which words of the source support it."""
        self.add(s, p, o)
        if passage is None:
            return
        statement = URIRef(f"{s}#{name}")
        self.add(statement, RDF.type, RDF.Statement)
        self.add(statement, RDF.subject, s)
        self.add(statement, RDF.predicate, p)
        self.add(statement, RDF.object, o)
        self.add(statement, PROV.wasDerivedFrom, self.passage(passage))

    def build(self) -> dict[tuple, None]:
        self.source_document()
        self.geography()
        self.themes()
        for org in self.s.organisations:
            self.organisation(org)
        for ptce in self.s.ptces:
            self.ptce(ptce)
        if self.s.geography:
            self.locations()
        return self.triples

    def source_document(self) -> None:
        d = self.s.dataset
        doc = self.document
        self.add(doc, RDF.type, self.v.SourceDocument)
        self.add(doc, DCTERMS.title, self.fr(d.source_title))
        self.add(doc, RDFS.label, self.fr(d.source_title))
        if d.source_language in EU_LANGUAGES:
            self.add(doc, DCTERMS.language, EU_LANGUAGES[d.source_language])
        self.add(doc, DCTERMS.format, IANA["text/plain"])

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
                self.add(node, IGEO.codeINSEE, Literal(t.insee, datatype=XSD.token))
            self.derived(node)

    def locations(self) -> None:
        """A point geometry (GeoSPARQL) for each place, and for each PTCE the point of where it is placed; each
        department's outline as its default geometry (`geo:hasDefaultGeometry`, GeoSPARQL 1.1: what `geof:`
        functions such as sfWithin compare a PTCE's point with)."""
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
        names = {d.slug: d.name for d in self.s.departements}
        for slug, outline in sorted(geo.outlines.items()):
            node = self.iris.thing("geometrie", f"contour-departement-{slug}")
            self.add(node, RDF.type, GEO.Geometry)
            self.add(node, RDFS.label, self.fr(f"Contour : {names[slug]}"))
            self.add(node, GEO.asWKT, Literal(outline_wkt(outline), datatype=GEO.wktLiteral))
            self.add(node, PROV.wasDerivedFrom, src)
            self.add(self.iris.thing("departement", slug), GEO.hasDefaultGeometry, node)

    def admin_unit(self, node: URIRef, place: Place, cls: URIRef) -> None:
        self.add(node, RDF.type, cls)
        self.name(node, place.name, None)
        # typed as INSEE's geographic ontology gives their range (xsd:token)
        self.add(node, IGEO.nom, Literal(place.name, datatype=XSD.token))
        self.add(node, IGEO.codeINSEE, Literal(place.insee, datatype=XSD.token))
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
            self.supported(o, ORG.classification, self.v[ORG_TYPE_TERMS[t]], org.passage, f"classification-{t}")
        if org.description:
            self.supported(o, DCTERMS.description, self.fr(org.description), org.description_passage, "description")
        if org.territoire:
            self.add(o, SCHEMA.location, self.iris.thing("territoire", org.territoire))
        self.derived(o, org.passage)

    def ptce(self, ptce: Ptce) -> None:
        p = self.iris.thing("ptce", ptce.slug)
        self.add(p, RDF.type, self.v.PTCE)
        self.name(p, ptce.name, ptce.source_name)
        quoted = ptce.passages.get
        self.supported(p, DCTERMS.description, self.fr(ptce.description), quoted("description"), "description")
        self.add(p, self.v.department, self.iris.thing("departement", ptce.departement))
        for t in ptce.territoires:
            self.add(p, SCHEMA.areaServed, self.iris.thing("territoire", t))
        for n, text in enumerate(ptce.objectives, 1):
            self.supported(p, self.v.objective, self.fr(text), quoted(f"objective:{n}"), f"objective-{n}")
        for n, text in enumerate(ptce.axes, 1):
            self.supported(p, self.v.axis, self.fr(text), quoted(f"axis:{n}"), f"axis-{n}")
        for theme in ptce.themes:
            self.supported(
                p, DCTERMS.subject, self.iris.thing("theme", theme), quoted(f"theme:{theme}"), f"subject-{theme}"
            )
        if ptce.collective_approach_since:
            since = Literal(str(ptce.collective_approach_since), datatype=XSD.gYear)
            self.supported(
                p, self.v.collectiveApproachSince, since, quoted("collective_approach_since"), "collectiveApproachSince"
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
            self.derived(m, role.passage)
        for group in ptce.working_groups:
            self.working_group(p, ptce, group)
        for initiative in ptce.initiatives:
            self.initiative(p, initiative)
        self.derived(p, quoted("section"))

    def label_of(self, node: URIRef) -> str:
        return self.labels[node]

    def recognition(self, p: URIRef, ptce: Ptce) -> None:
        e = self.iris.thing("evenement", f"labellisation-{ptce.slug}-{ptce.recognised}")
        self.add(p, self.v.recognition, e)
        self.add(e, RDF.type, self.v.Recognition)
        self.add(e, RDFS.label, self.fr(f"Labellisation PTCE {of(ptce.name)} ({ptce.recognised})"))
        self.add(e, DCTERMS.date, Literal(str(ptce.recognised), datatype=XSD.gYear))
        self.derived(e, ptce.passages.get("recognised"))

    def working_group(self, p: URIRef, ptce: Ptce, group: WorkingGroup) -> None:
        w = self.iris.thing("groupe", f"{ptce.slug}-{slugify(group.name)}")
        self.add(w, RDF.type, self.v.WorkingGroup)
        self.name(w, group.name, None)
        self.add(w, ORG.subOrganizationOf, p)  # not org:unitOf: its range, FormalOrganization, a PTCE is not
        self.add(p, ORG.hasSubOrganization, w)
        for theme in group.themes:
            node = self.iris.thing("theme", theme)
            self.supported(w, DCTERMS.subject, node, group.theme_passages.get(theme), f"subject-{theme}")
        self.derived(w, group.passage)

    def initiative(self, p: URIRef, item: Initiative) -> None:
        i = self.iris.thing("projet", item.slug)
        self.add(i, RDF.type, self.v.Initiative)
        self.name(i, item.name, item.source_name)
        self.add(i, self.v.initiativeType, self.fr(item.type))
        self.supported(i, DCTERMS.description, self.fr(item.description), item.passage, "description")
        self.add(p, self.v.initiative, i)
        quoted = item.passages.get
        for theme in item.themes:
            self.supported(
                i, DCTERMS.subject, self.iris.thing("theme", theme), quoted(f"theme:{theme}"), f"subject-{theme}"
            )
        for org in item.organisations:
            node = self.iris.thing("organisation", org)
            self.supported(i, self.v.involves, node, quoted(f"organisation:{org}"), f"involves-{org}")
        if item.territoire:
            self.add(i, SCHEMA.location, self.iris.thing("territoire", item.territoire))
        for count, field, name in (
            (item.partner_shops, "partner_shops", "partnerShopCount"),
            (item.subscribers, "subscribers", "subscriberCount"),
        ):
            if count is not None:
                self.supported(i, self.v[name], Literal(count, datatype=XSD.integer), quoted(field), name)
        self.derived(i, item.passage)


def graph_triples(sources: Sources, iris: Iris | None = None, with_ontology: bool = True) -> list[tuple]:
    """The dataset graph's triples, each once: instance data, the theme scheme and (by default) the ontology."""
    iris = iris or Iris()
    builder = _Builder(sources, iris)
    triples = builder.build()
    if with_ontology:
        triples.update(dict.fromkeys(load_ontology(iris)))
    return list(triples)


def graph_of(triples: list[tuple], iris: Iris) -> Graph:
    """The rdflib graph of `graph_triples`, with the dataset's prefixes bound (added through its store: the
    graph's own checks that each is a triple of terms cost a fifth of the time, and the builder made them so)."""
    g = Graph()
    g.store.addN((s, p, o, g) for s, p, o in triples)
    bind_prefixes(g, iris)
    return g


def build_graph(sources: Sources, iris: Iris | None = None, with_ontology: bool = True) -> Graph:
    """The dataset graph: instance data, the theme scheme and (by default) the ontology."""
    iris = iris or Iris()
    return graph_of(graph_triples(sources, iris, with_ontology), iris)
