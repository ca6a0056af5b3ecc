"""Vocabulary namespaces and the dataset's IRI scheme, defined once."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

DEFAULT_BASE_IRI = "https://w3id.org/ptce/"

ORG = Namespace("http://www.w3.org/ns/org#")
ROV = Namespace("http://www.w3.org/ns/regorg#")
SCHEMA = Namespace("https://schema.org/")
IGEO = Namespace("http://rdf.insee.fr/def/geo#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
VANN = Namespace("http://purl.org/vocab/vann/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")  # W3C's IRIs for formats (Format.w3c names them)
SH = Namespace("http://www.w3.org/ns/shacl#")
WD = Namespace("http://www.wikidata.org/entity/")
OA = Namespace("http://www.w3.org/ns/oa#")  # W3C Web Annotation: passages of the source text
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_LANGUAGES = {"fr": EU_LANGUAGE.FRA, "en": EU_LANGUAGE.ENG}  # ISO 639-1 code -> the EU authority's IRI
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
# The publisher's kind (dct:type of a dct:publisher, as DCAT-AP recommends): the ADMS publisher-type vocabulary.
ADMS_PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
PUBLISHER_TYPES = (
    "Academia-ScientificOrganisation",
    "Company",
    "IndustryConsortium",
    "LocalAuthority",
    "NationalAuthority",
    "NonGovernmentalOrganisation",
    "NonProfitOrganisation",
    "PrivateIndividual(s)",
    "RegionalAuthority",
    "StandardisationBody",
    "SupraNationalAuthority",
)
# How long a distribution stays available (dcatap:availability): the EU planned-availability authority table.
PLANNED_AVAILABILITY_TABLE = Namespace("http://publications.europa.eu/resource/authority/planned-availability/")
PLANNED_AVAILABILITY = {code: PLANNED_AVAILABILITY_TABLE[code.upper()] for code in
                        ("available", "experimental", "stable", "temporary")}  # fmt: skip

# Kinds of things, as they appear in IRIs: {base}id/{kind}/{slug}
KINDS = (
    "ptce",
    "organisation",
    "territoire",
    "departement",
    "region",
    "theme",
    "projet",
    "groupe",
    "role",
    "evenement",
    "source",
    "geometrie",
    "lien",
    "passage",
)

ETALAB_LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"  # the default licence of a dataset
LICENCE_NAMES = {ETALAB_LICENCE: "Licence Ouverte / Open Licence 2.0 (Etalab)"}
IANA = Namespace("https://www.iana.org/assignments/media-types/")

PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "rov": ROV,
    "schema": SCHEMA,
    "igeo": IGEO,
    "geo": GEO,
    "void": VOID,
    "dcat": DCAT,
    "vann": VANN,
    "sd": SD,
    "wd": WD,
    "oa": OA,
}


VOCAB = Namespace("https://w3id.org/ptce/ontology#")  # the ontology's terms, whatever the deployment
ONTOLOGY = URIRef("https://w3id.org/ptce/ontology")
SHAPES = URIRef("https://w3id.org/ptce/shapes")


@dataclass(frozen=True)
class Iris:
    """The IRIs of one deployment, all derived from its base IRI."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            raise ValueError(f"base IRI must end with '/': {self.base!r}")

    @property
    def vocab(self) -> Namespace:
        """The ontology namespace: the same for every deployment (only instance IRIs move with the base)."""
        return VOCAB

    @property
    def ontology(self) -> URIRef:
        return ONTOLOGY

    @property
    def theme_scheme(self) -> URIRef:
        return URIRef(f"{self.base}id/theme")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}id/dataset")

    def source_document(self, slug: str) -> URIRef:
        """The source document of slug `slug` (data/dataset.yaml's `source.slug`)."""
        return self.thing("source", slug)

    @property
    def network_graph(self) -> URIRef:
        return URIRef(f"{self.base}graph/network")

    @property
    def sort_keys_graph(self) -> URIRef:
        """The build's sort keys (`ptce.store.sort_keys`): a graph of the store that no user query sees."""
        return URIRef(f"{self.base}graph/sort-keys")

    @property
    def sort_key(self) -> URIRef:
        """The property of the sort keys graph: an IRI's rank in code-point order."""
        return URIRef(f"{self.sort_keys_graph}#rank")

    def document(self, path: str) -> URIRef:
        """IRI of a document the app serves under the base, e.g. document('dumps/ptce.ttl')."""
        return URIRef(f"{self.base}{path.lstrip('/')}")

    def dataset_part(self, name: str) -> URIRef:
        """IRI of a part of the dataset's description (a distribution, a linkset): {base}id/dataset#name."""
        return URIRef(f"{self.dataset}#{name}")

    def thing(self, kind: str, slug: str) -> URIRef:
        """IRI of a thing of a given kind, e.g. thing('ptce', 'cohose')."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        return URIRef(f"{self.base}id/{kind}/{slug}")

    def split(self, iri: str) -> tuple[str, str] | None:
        """Return (kind, slug) for a thing IRI of this dataset, else None."""
        prefix = f"{self.base}id/"
        if not iri.startswith(prefix):
            return None
        kind, _, slug = iri[len(prefix) :].partition("/")
        if kind not in KINDS or not slug or "/" in slug:
            return None
        return kind, slug

    def path_of(self, iri: str) -> str | None:
        """Local path (starting with '/') the app serves for a dataset IRI, else None."""
        return "/" + iri[len(self.base) :] if iri.startswith(self.base) else None

    def page_path(self, iri: str) -> str | None:
        """The path of the HTML page of a thing of the dataset ({base}id/kind/slug → /page/kind/slug), else None."""
        prefix = f"{self.base}id/"
        return "/page/" + iri[len(prefix) :] if iri.startswith(prefix) else None


def prefix_map(iris: Iris) -> dict[str, str]:
    """The usual prefixes and `ptce:` for the ontology: predeclared in queries, bound in dumps and contexts."""
    return {**{p: str(ns) for p, ns in PREFIXES.items()}, "ptce": str(iris.vocab)}


def bind_prefixes(graph, iris: Iris) -> None:
    """Bind the usual prefixes, plus the dataset's own, on an rdflib graph."""
    for prefix, ns in prefix_map(iris).items():
        graph.bind(prefix, ns, override=True)


LANGUAGES = ("fr", "en", "")  # the order texts are shown in: French first, then English, then untagged


def language_rank(literal: Literal) -> tuple[int, str]:
    """Sort key putting French first, then English, then untagged, then other languages."""
    lang = (getattr(literal, "language", None) or "").lower()
    return (LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES), str(literal))


def preferred_text(graph, node, prop, lang: str = "fr") -> str | None:
    """The text of `prop` on `node` in `lang` if there is one, else in the usual order (`language_rank`)."""
    values = [o for o in graph.objects(node, prop) if isinstance(o, Literal)]
    if not values:
        return None
    return str(min(values, key=lambda o: ((o.language or "").lower() != lang, language_rank(o))))
