"""View-models of the HTML pages: what each page shows, computed with SPARQL over the store (no Flask).

Each function returns a `Page`: the template to render, the title, the resource's description (for the
full data table), its schema.org JSON-LD and the page-specific fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from ptce.i18n import LANGUAGES, N_, gettext, npgettext
from ptce.linkeddata.describe import Description, Value, describe, describe_graph, iri_ref
from ptce.linkeddata.stats import COUNTS
from ptce.network.cotheme import ptces_sharing_themes
from ptce.rdf.namespaces import IGEO, LICENCE_NAMES, OA, ORG, SCHEMA, Iris
from ptce.store.engine import Store

NUMBER_TYPES = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.int, XSD.long, XSD.decimal}
DEPARTMENTS = "SELECT ?d WHERE { ?d a igeo:Departement ; igeo:codeINSEE ?code } ORDER BY ?code"
# The themes under each theme of the scheme are found first, in a sub-SELECT: Oxigraph evaluated the path from
# every PTCE's every theme otherwise (0.56 s at 1M triples, against 4 ms).
PTCES_PER_THEME = """
SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?c skos:inScheme %(scheme)s .
  OPTIONAL {
    { SELECT DISTINCT ?x ?c WHERE { ?c skos:inScheme %(scheme)s . ?x skos:broader* ?c } }
    ?p dcterms:subject ?x . ?p a %(cls)s
  }
} GROUP BY ?c
"""
PTCES_WITHIN_THEME = """
SELECT DISTINCT ?p ?label (LANG(?label) AS ?lang) WHERE {
  ?t skos:broader+ %(theme)s . ?p a %(cls)s ; dcterms:subject ?t ; skos:prefLabel ?label
}
"""
# The words of the source that support each fact about the given resources (their statements, `?p ?o`) and
# each of them as a whole (a role, an initiative: no `?p`).
SUPPORTING_WORDS = """
SELECT ?s ?p ?o ?passage ?exact ?start WHERE {
  VALUES ?s { %s }
  { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?passage }
  UNION { ?s prov:wasDerivedFrom ?passage }
  ?passage a oa:SpecificResource ; oa:hasSelector ?quote , ?position .
  ?quote a oa:TextQuoteSelector ; oa:exact ?exact . ?position a oa:TextPositionSelector ; oa:start ?start .
}
"""
ONTOLOGY_SECTIONS = {
    "classes": N_("Classes"),
    "proprietes-objet": N_("Propriétés d'objet"),
    "proprietes-valeur": N_("Propriétés de valeur"),
    "schemas": N_("Schémas de concepts"),
    "roles": N_("Rôles"),
    "concepts": N_("Concepts"),
}
HOME_COUNTS = {  # what the home page counts, by the key of its query in COUNTS: (lang, n) -> the word after n
    "PTCEs": lambda lang, n: npgettext(lang, "compte", "PTCE", "PTCE", n),
    "organisations (excluding PTCEs)": lambda lang, n: npgettext(lang, "compte", "organisation", "organisations", n),
    "initiatives": lambda lang, n: npgettext(lang, "compte", "initiative", "initiatives", n),
    "territories": lambda lang, n: npgettext(lang, "compte", "territoire", "territoires", n),
    "themes": lambda lang, n: npgettext(lang, "compte", "thématique", "thématiques", n),
    "triples": lambda lang, n: npgettext(lang, "compte", "triplet", "triplets", n),
}


@dataclass
class Page:
    """What a page template receives."""

    template: str
    title: str
    description: Description | None = None
    jsonld: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    title_lang: str | None = None  # the language of the title, when it is a label of the data


def resource_page(store: Store, iris: Iris, iri: str, lang: str = "fr") -> Page | None:
    """The page of any IRI of the dataset in the language `lang`, chosen by its type; None when the graph does
    not know it."""
    d = describe(store, iri, iris, lang)
    if not d.exists:
        return None
    v = iris.vocab
    for cls, builder in (
        (v.PTCE, _ptce),
        (ORG.Organization, _organisation),
        (IGEO.Departement, _department),
        (v.Territory, _territory),
        (SKOS.Concept, _theme),
        (SKOS.ConceptScheme, _scheme),
        (OWL.Ontology, _ontology),
        (OA.SpecificResource, _passage),
    ):
        if d.is_a(cls):
            page = builder(store, d)
            break
    else:
        page = Page("resource.html", d.label, d, schema_org(d))
    if page.title == d.label:
        page.title_lang = d.label_language
    return page


def _related(store: Store, d: Description, nodes: list[Value]) -> dict[str, Description]:
    """Descriptions of linked resources by IRI, fetched with one query."""
    graph = describe_graph(store, [n.iri for n in nodes], d.iris)
    return {n.iri: Description(n.iri, graph, d.iris, d.lang) for n in nodes}


def _figures(d: Description) -> list[tuple[str, int]]:
    """Numeric facts of a resource, named by their property's label."""
    return sorted(
        (d.property_value(p).label, int(o))
        for p, o in d.graph.predicate_objects(d.iri)
        if isinstance(o, Literal) and o.datatype in NUMBER_TYPES
    )


@dataclass(frozen=True)
class SupportingWords:
    """The source's words behind the facts about some resources: `fact(s, p, o)` and `of(node)` give a link
    to the passage, its text as label, or None."""

    facts: dict[tuple[str, str, str], Value]
    nodes: dict[str, Value]
    starts: dict[str, int]  # where each passage starts in the document, by IRI

    def fact(self, s: Any, p: Any, o: Any) -> Value | None:
        return self.facts.get((str(s), str(p), str(o)))

    def in_document_order(self, s: Any, p: Any, texts: list[str]) -> list[str]:
        """Texts of (s p) in the order the document gives them (objectives, axes); unquoted ones last."""

        def where(text: str) -> int:
            words = self.fact(s, p, text)
            return self.starts.get(words.iri, 1 << 62) if words and words.iri else 1 << 62

        return sorted(texts, key=where)

    def of(self, node: Any) -> Value | None:
        return self.nodes.get(str(node))


def supporting_words(store: Store, iris: Iris, nodes: list[Any]) -> SupportingWords:
    """The passages of the source that support the facts about `nodes`, with one query."""
    facts: dict[tuple[str, str, str], Value] = {}
    found: dict[str, Value] = {}
    starts: dict[str, int] = {}
    if nodes:
        for row in store.select(SUPPORTING_WORDS % " ".join(iri_ref(str(n)) for n in dict.fromkeys(nodes))):
            words = Value(" ".join(str(row["exact"]).split()), iri=row["passage"], href=iris.path_of(row["passage"]))
            starts[row["passage"]] = int(row["start"])
            if row["p"] is None:
                found[str(row["s"])] = words
            else:
                facts[(str(row["s"]), str(row["p"]), str(row["o"]))] = words
    return SupportingWords(facts, found, starts)


def _ptce(store: Store, d: Description) -> Page:
    v = d.iris.vocab
    memberships = d.inverse(ORG.organization)
    initiatives = d.links(v.initiative)
    groups = d.links(ORG.hasSubOrganization)
    recognitions = d.links(v.recognition)
    related = _related(store, d, memberships + initiatives + groups + recognitions)
    held = [related[m.iri] for m in memberships]
    quotes = supporting_words(store, d.iris, [d.iri, *(m.iri for m in memberships), *(i.iri for i in initiatives)])
    roles = [{"organisation": r.link(ORG.member), "role": r.link(ORG.role), "words": quotes.of(r.iri)} for r in held]
    sharing = [
        (Value(n.label, iri=n.iri, href=d.iris.path_of(n.iri)), sorted(n.themes, key=str.casefold))
        for n in ptces_sharing_themes(store, str(d.iri), lang=d.lang)
    ]
    data = {
        "source_name": d.text(SKOS.hiddenLabel),
        "text": d.text(DCTERMS.description),
        "objectives": quotes.in_document_order(d.iri, v.objective, d.texts(v.objective)),
        "axes": quotes.in_document_order(d.iri, v.axis, d.texts(v.axis)),
        "themes": d.links(DCTERMS.subject),
        "why": {t.iri: quotes.fact(d.iri, DCTERMS.subject, t.iri) for t in d.links(DCTERMS.subject)},
        "department": d.link(v.department),
        "territories": d.links(SCHEMA.areaServed),
        "roles": sorted(roles, key=lambda r: (r["role"].iri, r["organisation"].label)),  # carriers first
        "groups": [{"group": g, "themes": related[g.iri].links(DCTERMS.subject)} for g in groups],
        "initiatives": [_initiative(related[i.iri], i, quotes) for i in initiatives],
        "recognitions": [(r, related[r.iri].text(DCTERMS.date)) for r in recognitions],
        "since": d.text(v.collectiveApproachSince),
        "sources": d.links(PROV.wasDerivedFrom),
        "sharing": sharing,
    }
    return Page("ptce.html", d.label, d, schema_org(d), data)


def _initiative(i: Description, link: Value, quotes: SupportingWords) -> dict[str, Any]:
    v = i.iris.vocab
    return {
        "link": link,
        "words": quotes.of(i.iri),
        "type": i.text_value(v.initiativeType),
        "text": i.text(DCTERMS.description),
        "themes": i.links(DCTERMS.subject),
        "organisations": i.links(v.involves),
        "location": i.link(SCHEMA.location),
        "figures": _figures(i),
    }


def _passage(store: Store, d: Description) -> Page:
    """A passage of the source: its words in their context, and the facts it supports."""
    selectors = {t: n for n in d.graph.objects(d.iri, OA.hasSelector) for t in d.graph.objects(n, RDF.type)}
    quote, position = selectors.get(OA.TextQuoteSelector), selectors.get(OA.TextPositionSelector)
    derived = d.inverse(PROV.wasDerivedFrom)
    related = _related(store, d, derived)
    facts, things = [], []
    for v in derived:
        r = related[v.iri]
        if r.is_a(RDF.Statement):
            prop = r.link(RDF.predicate)
            named = r.property_value(URIRef(prop.iri)) if prop else None
            facts.append((r.link(RDF.subject), named, r.link(RDF.object)))
        else:
            things.append(v)
    data = {
        "exact": d.text(OA.exact, quote) if quote else None,
        "prefix": d.text(OA.prefix, quote) if quote else None,
        "suffix": d.text(OA.suffix, quote) if quote else None,
        "start": d.text(OA.start, position) if position else None,
        "end": d.text(OA.end, position) if position else None,
        "document": d.link(OA.hasSource),
        "facts": sorted(facts, key=lambda f: [x.label.casefold() if x else "" for x in f]),
        "things": things,
    }
    return Page("passage.html", gettext(d.lang, N_("Passage de la source")), d, schema_org(d), data)


def _organisation(store: Store, d: Description) -> Page:
    memberships = d.inverse(ORG.member)
    roles = [
        {"ptce": m.link(ORG.organization), "role": m.link(ORG.role)} for m in _related(store, d, memberships).values()
    ]
    data = {
        "types": d.links(ORG.classification),
        "text": d.text(DCTERMS.description),
        "location": d.link(SCHEMA.location),
        "roles": sorted(roles, key=lambda r: r["ptce"].label if r["ptce"] else ""),
        "initiatives": d.inverse(d.iris.vocab.involves),
        "sources": d.links(PROV.wasDerivedFrom),
    }
    return Page("organisation.html", d.label, d, schema_org(d), data)


def _department(store: Store, d: Description) -> Page:
    v = d.iris.vocab
    data = {
        "code": d.text(IGEO.codeINSEE),
        "region": d.link(IGEO.subdivisionDe),
        "same_as": d.links(OWL.sameAs),
        "ptces": d.inverse(v.department, v.PTCE),
        "territories": d.inverse(v.department, v.Territory),
    }
    return Page("department.html", d.label, d, schema_org(d), data)


def _territory(store: Store, d: Description) -> Page:
    v = d.iris.vocab
    data = {
        "commune": d.is_a(IGEO.Commune),
        "code": d.text(IGEO.codeINSEE),
        "department": d.link(v.department),
        "ptces": d.inverse(SCHEMA.areaServed, v.PTCE),
        "organisations": d.inverse(SCHEMA.location, ORG.Organization),
        "initiatives": d.inverse(SCHEMA.location, v.Initiative),
    }
    return Page("territory.html", d.label, d, schema_org(d), data)


def _ptces_within(store: Store, d: Description) -> list[Value]:
    """The PTCEs on one of the theme's narrower themes and not on the theme itself, sorted by name."""
    direct = {str(s) for s in d.graph.subjects(DCTERMS.subject, d.iri)}
    query = PTCES_WITHIN_THEME % {"theme": iri_ref(str(d.iri)), "cls": iri_ref(str(d.iris.vocab.PTCE))}
    labels: dict[str, list[Literal]] = {}
    for row in store.select(query):
        if row["p"] not in direct:
            labels.setdefault(row["p"], []).append(Literal(row["label"], lang=row["lang"] or None))
    found = [
        Value(str(best), iri=p, href=d.iris.path_of(p) or p, lang=best.language)
        for p, literals in labels.items()
        for best in [d.best(literals)]
    ]
    return sorted(found, key=lambda v: (v.label.casefold(), v.iri))


def _theme(store: Store, d: Description) -> Page:
    v = d.iris.vocab
    data = {
        "other_labels": _other_labels(d, SKOS.prefLabel),
        "definition": d.text_value(SKOS.definition),
        "alt": d.texts(SKOS.altLabel, d.lang) or d.texts(SKOS.altLabel, "fr") or d.texts(SKOS.altLabel),
        "scheme": d.link(SKOS.inScheme),
        "broader": d.links(SKOS.broader),
        "narrower": d.links(SKOS.narrower),
        "ptces": d.inverse(DCTERMS.subject, v.PTCE),
        "ptces_within": _ptces_within(store, d),
        "initiatives": d.inverse(DCTERMS.subject, v.Initiative),
        "groups": d.inverse(DCTERMS.subject, v.WorkingGroup),
    }
    return Page("theme.html", d.label, d, schema_org(d), data)


def _scheme(store: Store, d: Description) -> Page:
    query = PTCES_PER_THEME % {"scheme": iri_ref(str(d.iri)), "cls": iri_ref(str(d.iris.vocab.PTCE))}
    counts = {row["c"]: row["n"] for row in store.select(query)}
    tops = [
        {
            "theme": top,
            "count": counts.get(top.iri, 0),
            "narrower": [(n, counts.get(n.iri, 0)) for n in d.links(SKOS.narrower, URIRef(top.iri))],
        }
        for top in d.links(SKOS.hasTopConcept)
    ]
    data = {"definition": d.text_value(SKOS.definition), "tops": tops}
    return Page("scheme.html", d.label, d, schema_org(d), data)


def _ontology(store: Store, d: Description) -> Page:
    v = d.iris.vocab
    groups = {
        "classes": OWL.Class,
        "proprietes-objet": OWL.ObjectProperty,
        "proprietes-valeur": OWL.DatatypeProperty,
        "schemas": SKOS.ConceptScheme,
        "roles": ORG.Role,
    }
    terms = sorted(set(d.graph.subjects(RDFS.isDefinedBy, d.iri)), key=str)
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in [*groups, "concepts"]}
    hidden = {RDFS.label, SKOS.prefLabel, RDFS.comment, RDFS.isDefinedBy}
    for term in terms:
        t = d.related(term)
        section = next((name for name, cls in groups.items() if t.is_a(cls)), "concepts")
        sections[section].append(
            {
                "anchor": str(term).rsplit("#", 1)[-1],
                "iri": str(term),
                "label": t.label,
                "other_labels": _other_labels(t, RDFS.label),
                "comment": t.text_value(RDFS.comment),
                "other_comments": _other_labels(t, RDFS.comment),
                "rows": [r for r in t.rows() if URIRef(r.prop.iri) not in hidden],
            }
        )
    data = {
        "text": d.text_value(DCTERMS.description),
        "version": d.text(OWL.versionInfo),
        "license": _named_licence(d.link(DCTERMS.license)),
        "namespace": str(v),
        "prefix": d.text(URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix")),
        "sections": [(key, gettext(d.lang, ONTOLOGY_SECTIONS[key]), items) for key, items in sections.items() if items],
    }
    title = d.text(DCTERMS.title) or d.label
    return Page("ontology.html", title, d, schema_org(d), data)


def _named_licence(link: Value | None) -> Value | None:
    """A licence link named as people know it, when it is a known one."""
    if link is None or link.iri not in LICENCE_NAMES:
        return link
    return Value(LICENCE_NAMES[link.iri], iri=link.iri, href=link.href)


def _other_labels(d: Description, prop: URIRef) -> list[Value]:
    """The texts of `prop` in the site's other languages than the one shown (a theme's English name on a French
    page, its French name on an English one)."""
    shown = d.text_value(prop)
    return [
        Value(text, lang=lang)
        for lang in LANGUAGES
        if shown is None or lang != shown.lang
        for text in d.texts(prop, lang)[:1]
        if shown is None or text != shown.label
    ]


def home_page(store: Store, iris: Iris, lang: str = "fr") -> Page:
    """The home page: counts, and the PTCEs of each department."""
    numbers = {key: store.select(COUNTS[key])[0]["n"] for key in HOME_COUNTS}
    counts = [(word(lang, numbers[key]), numbers[key]) for key, word in HOME_COUNTS.items()]
    departments = [Value("", iri=row["d"]) for row in store.select(DEPARTMENTS)]
    graph = describe_graph(store, [d.iri for d in departments], iris)
    by_department = []
    for dept in departments:
        dd = Description(dept.iri, graph, iris, lang)
        by_department.append((dd.value_of(dd.iri), dd.inverse(iris.vocab.department, iris.vocab.PTCE)))
    title = gettext(lang, N_("PTCE des Hauts-de-France"))
    return Page("home.html", title, data={"counts": counts, "departments": by_department})


# ---- schema.org -------------------------------------------------------------------------------------

# An inline context: the page's JSON-LD expands to the https://schema.org/ terms the dumps use, offline.
SCHEMA_CONTEXT = {"@vocab": "https://schema.org/"}
# The properties whose schema.org domain does not take every type the pages use (by the @type chosen below).
SCHEMA_DOMAINS = {
    "keywords": {"Organization", "Project", "AdministrativeArea", "Place", "DefinedTermSet"},
    "isBasedOn": {"DefinedTermSet"},
    "containedInPlace": {"AdministrativeArea", "Place"},
    "areaServed": {"Organization", "Project"},
    "location": {"Organization", "Project"},
    "inDefinedTermSet": {"DefinedTerm"},
    "hasDefinedTerm": {"DefinedTermSet"},
}
SCHEMA_PROPERTIES = {
    DCTERMS.description: "description",
    SKOS.definition: "description",
    SKOS.altLabel: "alternateName",
    OWL.sameAs: "sameAs",
    IGEO.codeINSEE: "identifier",
    SCHEMA.containedInPlace: "containedInPlace",
    SCHEMA.areaServed: "areaServed",
    SCHEMA.location: "location",
    IGEO.subdivisionDe: "containedInPlace",
    DCTERMS.subject: "keywords",
    SKOS.inScheme: "inDefinedTermSet",
    SKOS.hasTopConcept: "hasDefinedTerm",
    PROV.wasDerivedFrom: "isBasedOn",
}


def schema_org(d: Description) -> dict[str, Any]:
    """The resource as schema.org JSON-LD, for search engines (embedded in its page)."""
    v = d.iris.vocab
    kinds = (
        (v.PTCE, "Organization"),
        (ORG.Organization, "Organization"),
        (IGEO.Departement, "AdministrativeArea"),
        (IGEO.Region, "AdministrativeArea"),
        (v.Territory, "Place"),
        (SKOS.Concept, "DefinedTerm"),
        (SKOS.ConceptScheme, "DefinedTermSet"),
        (OWL.Ontology, "DefinedTermSet"),
        (v.Initiative, "Project"),
    )
    kind = next((name for cls, name in kinds if d.is_a(cls)), "Thing")
    doc: dict[str, Any] = {"@context": SCHEMA_CONTEXT, "@type": kind, "@id": str(d.iri), "name": d.label}
    if d.is_a(v.PTCE):
        members = d.links(v.carriedBy) + d.links(v.partner)
        if members:
            doc["member"] = [{"@type": "Organization", "@id": m.iri, "name": m.label} for m in members]
        doc["location"] = [{"@id": x.iri, "name": x.label} for x in d.links(v.department)]
    for prop, key in SCHEMA_PROPERTIES.items():
        values = [o for o in d.graph.objects(d.iri, prop)]
        if not values or key in doc or kind not in SCHEMA_DOMAINS.get(key, {kind}):
            continue
        if isinstance(values[0], Literal):
            texts = d.texts(prop, "fr") or d.texts(prop)
            doc[key] = texts[0] if key in ("description", "identifier") else texts
        elif key == "keywords":
            doc[key] = [link.label for link in d.links(prop)]
        elif key == "sameAs":
            doc[key] = sorted(str(o) for o in values)
        else:
            doc[key] = [{"@id": link.iri, "name": link.label} for link in d.links(prop)]
    return doc
