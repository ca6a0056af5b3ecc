"""The SHACL shapes a build was validated against, as a page: each node shape, what it targets, what it requires."""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection

from ptce.i18n import N_, gettext
from ptce.linkeddata.describe import curie
from ptce.linkeddata.pages import Page
from ptce.rdf.namespaces import SH, SHAPES, VOCAB, preferred_text

TARGETS = {
    SH.targetClass: N_("aux instances de"),
    SH.targetNode: N_("au nœud"),
    SH.targetSubjectsOf: N_("aux sujets de"),
    SH.targetObjectsOf: N_("aux objets de"),
}
LIMITS = {
    SH.minCount: N_("au moins {}"),
    SH.maxCount: N_("au plus {}"),
    SH.datatype: N_("type {}"),
    SH["class"]: N_("instance de {}"),
    SH.node: N_("conforme à {}"),
    SH.hasValue: N_("valeur {}"),
    SH.pattern: N_("motif {}"),
    SH.minLength: N_("longueur d'au moins {}"),
    SH.nodeKind: N_("nature {}"),
}


def _shown(term) -> str:
    """A term as the page shows it: `ptce:PTCE`, `shape:Geometry`, `skos:Concept`, or a literal's text."""
    if not isinstance(term, URIRef):
        return str(term)
    for prefix, ns in (("ptce", str(VOCAB)), ("shape", f"{SHAPES}#"), ("sh", str(SH))):
        if str(term).startswith(ns):
            return f"{prefix}:{str(term)[len(ns) :]}"
    return curie(str(term))


def _constraints(graph: Graph, shape, lang: str) -> list[str]:
    found = []
    for prop, text in LIMITS.items():
        found += [gettext(lang, text).format(_shown(o)) for o in sorted(graph.objects(shape, prop), key=str)]
    for values in graph.objects(shape, SH["in"]):
        found.append(gettext(lang, N_("parmi {}")).format(", ".join(_shown(v) for v in Collection(graph, values))))
    for values in graph.objects(shape, SH.languageIn):
        found.append(gettext(lang, N_("langue {}")).format(", ".join(str(v) for v in Collection(graph, values))))
    return found


def shapes_page(graph: Graph, lang: str = "fr") -> Page:
    """The page of the shapes graph in `lang`: node shapes sorted by name, each with its targets and property
    shapes (their names and messages in `lang` where the shapes give them)."""
    shapes = []
    for node in set(graph.subjects(RDF.type, SH.NodeShape)):
        if not isinstance(node, URIRef):
            continue
        properties = []
        for prop in graph.objects(node, SH.property):
            properties.append(
                {
                    "name": preferred_text(graph, prop, SH.name, lang) or _shown(graph.value(prop, SH.path)),
                    "path": _shown(graph.value(prop, SH.path)),
                    "constraints": _constraints(graph, prop, lang),
                    "message": preferred_text(graph, prop, SH.message, lang),
                }
            )
        shapes.append(
            {
                "anchor": str(node).rsplit("#", 1)[-1],
                "label": preferred_text(graph, node, RDFS.label, lang) or str(node).rsplit("#", 1)[-1],
                "targets": [
                    (gettext(lang, words), _shown(o)) for p, words in TARGETS.items() for o in graph.objects(node, p)
                ],
                "constraints": _constraints(graph, node, lang),
                "message": preferred_text(graph, node, SH.message, lang),
                "properties": sorted(properties, key=lambda p: p["name"].casefold()),
            }
        )
    shapes.sort(key=lambda s: s["label"].casefold())
    title = gettext(lang, N_("Formes SHACL du jeu de données"))
    return Page("shapes.html", title, data={"iri": str(SHAPES), "shapes": shapes})
