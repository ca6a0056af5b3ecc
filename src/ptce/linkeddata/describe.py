"""Resource descriptions: what the published graph says about one IRI, computed with SPARQL over the store.

A description is the resource's own triples, the labels and types of what it links to, the links pointing at
it (with their subjects' labels and types), the full description of the blank nodes and `#` IRIs it links to
(parts of the same document), the statements of its facts (`#` IRIs whose rdf:subject it is), and, for an
ontology or a concept scheme, the full description of every term it defines. Labels are picked in the page's
language (French by default), then in the usual order (`language_rank`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from ptce.i18n import N_, gettext
from ptce.rdf.namespaces import GEO, IGEO, OA, ORG, PREFIXES, SCHEMA, Iris, bind_prefixes, language_rank
from ptce.store.engine import Store, is_engine_iri

LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)

# Names of the external properties the dataset uses, in French (translated by the catalogue; the ontology's own
# terms carry their labels).
PROPERTY_LABELS = {
    RDF.type: N_("type"),
    RDFS.label: N_("libellé"),
    RDFS.isDefinedBy: N_("défini par"),
    SKOS.prefLabel: N_("nom"),
    SKOS.hiddenLabel: N_("graphie de la source"),
    SKOS.altLabel: N_("autre nom"),
    SKOS.definition: N_("définition"),
    SKOS.broader: N_("thématique plus large"),
    SKOS.narrower: N_("thématique plus précise"),
    SKOS.inScheme: N_("schéma"),
    SKOS.topConceptOf: N_("thématique principale de"),
    SKOS.hasTopConcept: N_("thématique principale"),
    DCTERMS.title: N_("titre"),
    DCTERMS.description: N_("description"),
    DCTERMS.subject: N_("thématique"),
    DCTERMS.date: N_("date"),
    DCTERMS.language: N_("langue"),
    DCTERMS.format: N_("format"),
    PROV.wasDerivedFrom: N_("source"),
    SCHEMA.areaServed: N_("territoire d'action"),
    SCHEMA.containedInPlace: N_("situé dans"),
    SCHEMA.location: N_("lieu"),
    ORG.hasMembership: N_("rôle dans un PTCE"),
    ORG.member: N_("membre"),
    ORG.organization: N_("organisation"),
    ORG.role: N_("rôle"),
    ORG.hasSubOrganization: N_("groupe de travail"),
    ORG.subOrganizationOf: N_("groupe de"),
    ORG.classification: N_("type d'organisation"),
    IGEO.codeINSEE: N_("code INSEE"),
    IGEO.nom: N_("nom officiel"),
    IGEO.subdivisionDe: N_("subdivision de"),
    OWL.sameAs: N_("même ressource que"),
    RDF.subject: N_("sujet"),
    RDF.predicate: N_("propriété"),
    RDF.object: N_("objet"),
    OA.hasSource: N_("document"),
    OA.hasSelector: N_("sélecteur"),
    OA.exact: N_("texte exact"),
    OA.prefix: N_("texte avant"),
    OA.suffix: N_("texte après"),
    OA.start: N_("début (caractère)"),
    OA.end: N_("fin (caractère)"),
    GEO.hasGeometry: N_("localisation"),
    GEO.hasDefaultGeometry: N_("contour"),
    GEO.asWKT: N_("coordonnées (WKT)"),
}
# French names of the outside vocabularies' classes, for types shown on pages (the ontology's own have labels).
CLASS_LABELS = {
    SKOS.Concept: N_("concept SKOS"),
    SKOS.ConceptScheme: N_("schéma de concepts"),
    IGEO.Departement: N_("département"),
    IGEO.Region: N_("région"),
    IGEO.Commune: N_("commune"),
    ORG.Organization: N_("organisation"),
    ORG.Membership: N_("rôle d'une organisation"),
    ORG.Role: N_("type de rôle"),
    GEO.Geometry: N_("géométrie"),
    OA.SpecificResource: N_("passage d'un document"),
    OA.TextQuoteSelector: N_("citation"),
    OA.TextPositionSelector: N_("position dans le texte"),
    RDF.Statement: N_("énoncé"),
    OWL.Ontology: N_("ontologie"),
    DCTERMS.Agent: N_("agent"),
}

_UNSAFE_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

# What a description holds: the resource's triples and the labels and types of what they link, the same for the
# links pointing at it, the terms defined by it or in it, its own fragments and blank nodes, and the statements
# about it. Every branch names the resources itself (`VALUES ?x` inside it, properties by filters rather than a
# second VALUES): Oxigraph 0.5 evaluates a branch before joining it with what is outside it, so a branch that
# leaves ?x open reads the whole store (seconds at 1M triples, for a resource of 40 triples). The triples of the
# nodes found (?m) are read in an OPTIONAL, which Virtuoso evaluates after what finds them: as a join it reads
# every triple first (3-4 s at 1M triples, for a resource with no fragment); a node found with no triple of its
# own adds nothing to the template.
_DESCRIBE_BRANCHES = (
    "?x ?p ?o",
    "?x ?p ?o . ?o ?olp ?ol FILTER(?olp IN (skos:prefLabel, rdfs:label))",
    "?x ?p ?o . ?o a ?ot",
    "?x ?p ?o . ?p rdfs:label ?pl",
    "?s ?ip ?x",
    "?s ?ip ?x . ?s ?slp ?sl FILTER(?slp IN (skos:prefLabel, rdfs:label))",
    "?s ?ip ?x . ?s a ?st",
    "?s ?ip ?x . ?ip rdfs:label ?ipl",
    "{ ?m rdfs:isDefinedBy ?x } UNION { ?m skos:inScheme ?x } OPTIONAL { ?m ?mp ?mo }",
    '?x ?p ?m FILTER(isBlank(?m) || STRSTARTS(STR(?m), CONCAT(STR(?x), "#"))) OPTIONAL { ?m ?mp ?mo }',
    '?m rdf:subject ?x FILTER(STRSTARTS(STR(?m), CONCAT(STR(?x), "#"))) OPTIONAL { ?m ?mp ?mo }',
)
DESCRIBE = (
    """
CONSTRUCT {
  ?x ?p ?o . ?o ?olp ?ol . ?o a ?ot . ?p rdfs:label ?pl .
  ?s ?ip ?x . ?s ?slp ?sl . ?s a ?st . ?ip rdfs:label ?ipl .
  ?m ?mp ?mo .
} WHERE {
  """
    + "\n  UNION ".join("{ VALUES ?x { %(nodes)s } " + branch + " }" for branch in _DESCRIBE_BRANCHES)
    + "\n}\n"
)

KNOWN = "ASK { { %(x)s ?p ?o } UNION { ?s ?p %(x)s } }"


def iri_ref(iri: str) -> str:
    """`<iri>` for a SPARQL query; ValueError for anything that is not a plain absolute IRI."""
    if ":" not in iri or _UNSAFE_IRI.search(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    if not is_engine_iri(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


def curie(iri: str) -> str:
    """A prefixed name for an IRI of a known vocabulary, else the IRI itself."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)) and len(iri) > len(str(ns)):
            return f"{prefix}:{iri[len(str(ns)) :]}"
    return iri


@dataclass(frozen=True)
class Value:
    """A value shown on a page: a link (with `href`) or a literal; `lang` is the language of its text."""

    label: str
    iri: str | None = None
    href: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Row:
    """One property of a resource and its values, for the full data table of a page."""

    prop: Value
    values: list[Value]


class Description:
    """The description of one resource as an rdflib graph, with helpers for pages in the language `lang`."""

    def __init__(self, iri: str, graph: Graph, iris: Iris, lang: str = "fr"):
        self.iri = URIRef(iri)
        self.graph = graph
        self.iris = iris
        self.lang = lang

    def best(self, literals) -> Literal:
        """The literal to show of several: in the page's language if one is, else in the usual order."""
        return min(literals, key=lambda o: ((o.language or "").lower() != self.lang, language_rank(o)))

    def related(self, iri: str) -> Description:
        """The description of another node of the same graph, in the same language."""
        return Description(iri, self.graph, self.iris, self.lang)

    @property
    def exists(self) -> bool:
        """Whether the published graph says anything about this IRI."""
        return len(self.graph) > 0

    @property
    def types(self) -> set[URIRef]:
        return set(self.graph.objects(self.iri, RDF.type))

    @property
    def type_links(self) -> list[Value]:
        """The resource's classes, as links."""
        return self.links(RDF.type)

    def is_a(self, cls: URIRef, node: URIRef | None = None) -> bool:
        return (node or self.iri, RDF.type, cls) in self.graph

    def labelled(self, node) -> tuple[str, str | None]:
        """The best label of a node and its language: in the page's language if it has one, else in the usual
        order; a known vocabulary term's name from the catalogue; else its short name."""
        for prop in LABEL_PROPERTIES:
            labels = [o for o in self.graph.objects(node, prop) if isinstance(o, Literal)]
            if labels:
                best = self.best(labels)
                return str(best), best.language
        if node in CLASS_LABELS or node in PROPERTY_LABELS:
            return gettext(self.lang, CLASS_LABELS.get(node) or PROPERTY_LABELS[node]), self.lang
        text = str(node)
        return (curie(text) if curie(text) != text else text.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]), None

    def label_of(self, node) -> str:
        return self.labelled(node)[0]

    @property
    def label(self) -> str:
        return self.label_of(self.iri)

    @property
    def label_language(self) -> str | None:
        return self.labelled(self.iri)[1]

    def value_of(self, node) -> Value:
        if isinstance(node, Literal):
            return Value(str(node), lang=node.language)
        href = self.iris.path_of(str(node)) or str(node)
        label, lang = self.labelled(node)
        return Value(label, iri=str(node), href=href, lang=lang)

    def property_value(self, prop: URIRef) -> Value:
        """A property as a link, named by the ontology's label or the catalogue's name of a known vocabulary term."""
        has_label = any(self.graph.objects(prop, RDFS.label))
        if has_label:
            label, lang = self.labelled(prop)
        elif prop in PROPERTY_LABELS:
            label, lang = gettext(self.lang, PROPERTY_LABELS[prop]), self.lang
        else:
            label, lang = curie(str(prop)), None
        return Value(label, iri=str(prop), href=self.iris.path_of(str(prop)) or str(prop), lang=lang)

    def text(self, prop: URIRef, node: URIRef | None = None) -> str | None:
        """The text of `text_value`, or None."""
        found = self.text_value(prop, node)
        return found.label if found else None

    def text_value(self, prop: URIRef, node: URIRef | None = None) -> Value | None:
        """The literal of a property to show (`best`) with its language, for a page to mark a French text on an
        English page; or None."""
        literals = [o for o in self.graph.objects(node or self.iri, prop) if isinstance(o, Literal)]
        if not literals:
            return None
        best = self.best(literals)
        return Value(str(best), lang=best.language)

    def texts(self, prop: URIRef, lang: str | None = None) -> list[str]:
        """Every literal of a property (optionally in one language), sorted."""
        return sorted(
            str(o)
            for o in self.graph.objects(self.iri, prop)
            if isinstance(o, Literal) and (lang is None or o.language == lang)
        )

    def links(self, prop: URIRef, node: URIRef | None = None) -> list[Value]:
        """The IRIs a property points to, as links sorted by label."""
        nodes = {o for o in self.graph.objects(node or self.iri, prop) if isinstance(o, URIRef)}
        return sorted((self.value_of(o) for o in nodes), key=lambda v: (v.label.casefold(), v.iri))

    def link(self, prop: URIRef, node: URIRef | None = None) -> Value | None:
        found = self.links(prop, node)
        return found[0] if found else None

    def inverse(self, prop: URIRef, cls: URIRef | None = None) -> list[Value]:
        """The resources pointing at this one through a property (optionally of one class), sorted by label."""
        nodes = {s for s in self.graph.subjects(prop, self.iri) if cls is None or self.is_a(cls, s)}
        return sorted((self.value_of(s) for s in nodes), key=lambda v: (v.label.casefold(), v.iri))

    def rows(self) -> list[Row]:
        """Every property of the resource with its values, for the full data table."""
        props = sorted(set(self.graph.predicates(self.iri, None)), key=str)
        names = set(self.graph.objects(self.iri, SKOS.prefLabel))
        rows = []
        for prop in props:
            objects = list(self.graph.objects(self.iri, prop))
            if prop == RDFS.label and set(objects) <= names:
                continue  # rdfs:label repeating the name: shown once, as the name
            values = [self.value_of(o) for o in objects]
            rows.append(Row(self.property_value(prop), sorted(values, key=lambda v: (v.label.casefold(), v.iri or ""))))
        return sorted(rows, key=lambda r: r.prop.label.casefold())

    def inverse_rows(self) -> list[Row]:
        """The links pointing at the resource, grouped by property."""
        props = {p for s, p in self.graph.subject_predicates(self.iri)}
        rows = [Row(self.property_value(p), self.inverse(p)) for p in props]
        return sorted(rows, key=lambda r: r.prop.label.casefold())


def describe_graph(store: Store, nodes: list[str], iris: Iris) -> Graph:
    """The descriptions of several IRIs in one graph; ValueError for a malformed IRI.

    One query on the embedded store; one per IRI on a remote one, since Virtuoso reads every triple for the links
    pointing at several resources named by one VALUES (1.5 s a branch at 1M triples, against milliseconds for
    one resource)."""
    graph = Graph()
    bind_prefixes(graph, iris)
    refs = [iri_ref(n) for n in nodes]
    for group in [refs] if store.embedded else [[ref] for ref in refs]:
        if group:
            store.construct_graph(DESCRIBE % {"nodes": " ".join(group)}, graph)
    return graph


def describe(store: Store, iri: str, iris: Iris, lang: str = "fr") -> Description:
    """The description of `iri` (empty when the graph does not know it), for pages in `lang`; ValueError for a
    malformed IRI."""
    return Description(iri, describe_graph(store, [iri], iris), iris, lang)


def known(store: Store, iri: str) -> bool:
    """Whether the published graph has any triple about, or pointing at, this IRI."""
    return store.ask(KNOWN % {"x": iri_ref(iri)})
