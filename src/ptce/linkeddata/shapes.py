"""The SHACL shapes a build was validated against, as a page: each node shape, what it targets, what it requires."""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection

from ptce.linkeddata.describe import curie
from ptce.linkeddata.pages import Page
from ptce.rdf.namespaces import SH, SHAPES, VOCAB, preferred_text

TARGETS = {
    SH.targetClass: "aux instances de",
    SH.targetNode: "au nœud",
    SH.targetSubjectsOf: "aux sujets de",
    SH.targetObjectsOf: "aux objets de",
}
LIMITS = {
    SH.minCount: "au moins {}",
    SH.maxCount: "au plus {}",
    SH.datatype: "type {}",
    SH["class"]: "instance de {}",
    SH.node: "conforme à {}",
    SH.hasValue: "valeur {}",
    SH.pattern: "motif {}",
    SH.minLength: "longueur d'au moins {}",
    SH.nodeKind: "nature {}",
}


def _shown(term) -> str:
    """A term as the page shows it: `ptce:PTCE`, `shape:Geometry`, `skos:Concept`, or a literal's text."""
    if not isinstance(term, URIRef):
        return str(term)
    for prefix, ns in (("ptce", str(VOCAB)), ("shape", f"{SHAPES}#"), ("sh", str(SH))):
        if str(term).startswith(ns):
            return f"{prefix}:{str(term)[len(ns) :]}"
    return curie(str(term))


def _constraints(graph: Graph, shape) -> list[str]:
    found = []
    for prop, text in LIMITS.items():
        found += [text.format(_shown(o)) for o in sorted(graph.objects(shape, prop), key=str)]
    for values in graph.objects(shape, SH["in"]):
        found.append("parmi " + ", ".join(_shown(v) for v in Collection(graph, values)))
    for values in graph.objects(shape, SH.languageIn):
        found.append("langue " + ", ".join(str(v) for v in Collection(graph, values)))
    return found


def shapes_page(graph: Graph) -> Page:
    """The page of the shapes graph: node shapes sorted by name, each with its targets and property shapes."""
    shapes = []
    for node in set(graph.subjects(RDF.type, SH.NodeShape)):
        if not isinstance(node, URIRef):
            continue
        properties = []
        for prop in graph.objects(node, SH.property):
            properties.append(
                {
                    "name": preferred_text(graph, prop, SH.name) or _shown(graph.value(prop, SH.path)),
                    "path": _shown(graph.value(prop, SH.path)),
                    "constraints": _constraints(graph, prop),
                    "message": preferred_text(graph, prop, SH.message),
                }
            )
        shapes.append(
            {
                "anchor": str(node).rsplit("#", 1)[-1],
                "label": preferred_text(graph, node, RDFS.label) or str(node).rsplit("#", 1)[-1],
                "targets": [(words, _shown(o)) for p, words in TARGETS.items() for o in graph.objects(node, p)],
                "constraints": _constraints(graph, node),
                "message": preferred_text(graph, node, SH.message),
                "properties": sorted(properties, key=lambda p: p["name"].casefold()),
            }
        )
    shapes.sort(key=lambda s: s["label"].casefold())
    return Page("shapes.html", "Formes SHACL du jeu de données", data={"iri": str(SHAPES), "shapes": shapes})
