"""The PTCE–PTCE links as linked data: one `ptce:ThemeLink` per pair, in the named graph `{base}graph/network`."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ptce.network.cotheme import Network, NetworkParams, build_network
from ptce.rdf.namespaces import Iris, bind_prefixes
from ptce.rdf.serialize import ntriples_lines
from ptce.store.engine import Store


def link_iri(iris: Iris, a: str, b: str) -> URIRef:
    """`{base}id/lien/{slug}--{slug}`, slugs in sorted order, so each pair has one IRI."""
    slugs = sorted(iris.split(x)[1] for x in (a, b))
    return iris.thing("lien", f"{slugs[0]}--{slugs[1]}")


def network_triples(net: Network, iris: Iris) -> Graph:
    """The links of a PTCE projection with their weights and shared themes, and a description of the graph."""
    if net.params.project != "ptce":
        raise ValueError("only the PTCE projection is published as linked data")
    g = Graph()
    bind_prefixes(g, iris)
    v, net_graph, m = iris.vocab, iris.network_graph, net.metadata
    g.add((net_graph, RDF.type, PROV.Entity))
    g.add((net_graph, RDFS.label, Literal("Réseau co-thématique des PTCE", lang="fr")))
    g.add((net_graph, RDFS.label, Literal("Co-theme network of the PTCEs", lang="en")))
    parameters = ", ".join(f"{k}={x}" for k, x in net.params.as_dict().items())
    kept = (
        f" Only each PTCE's {net.params.top_k} strongest links (by {net.params.weight}) are kept."
        if net.params.top_k
        else ""
    )
    description = (
        f"Two PTCEs are linked when they share at least one theme (dcterms:subject).{kept} Computed with "
        f"parameters {parameters} by ptce {m['software_version']} from build {m['build_version']}."
    )
    g.add((net_graph, DCTERMS.description, Literal(description, lang="en")))
    g.add((net_graph, DCTERMS.created, Literal(m["generated_at"], datatype=XSD.dateTime)))
    g.add((net_graph, PROV.wasDerivedFrom, iris.dataset))
    graph = net.graph
    for a, b, d in sorted(graph.edges(data=True), key=lambda e: sorted(e[:2])):
        link = link_iri(iris, a, b)
        names = sorted((graph.nodes[a]["label"], graph.nodes[b]["label"]), key=str.casefold)
        g.add((link, RDF.type, v.ThemeLink))
        g.add((link, RDFS.label, Literal(f"{names[0]} — {names[1]}", lang=net.params.lang)))
        g.add((link, v.linkedPTCE, URIRef(a)))
        g.add((link, v.linkedPTCE, URIRef(b)))
        for theme in d["shared_themes_iris"]:
            g.add((link, v.sharedTheme, URIRef(theme)))
        g.add((link, v.sharedThemeCount, Literal(d["shared"], datatype=XSD.integer)))
        g.add((link, v.jaccard, Literal(d["jaccard"], datatype=XSD.double)))
        g.add((link, v.newmanWeight, Literal(d["newman"], datatype=XSD.double)))
        g.add((link, v.pValue, Literal(d["p_value"], datatype=XSD.double)))
        g.add((link, PROV.wasDerivedFrom, iris.dataset))
    return g


def published_network(store: Store, build_version: str, generated_at: str) -> Network:
    """The network of a build, computed from its store through SPARQL (themes as given; all links up to
    LARGE_NETWORK PTCEs, each PTCE's AUTO_TOP_K strongest beyond), not analysed: its links are published."""
    params = NetworkParams()
    return build_network(store, params, build_version=build_version, generated_at=generated_at, analysed=False)


def write_network_dump(triples: Graph, path: Path, iris: Iris) -> None:
    """Write the links as N-Quads in the named graph `iris.network_graph` (N-Triples lines plus the graph IRI)."""
    suffix = f" <{iris.network_graph}> ."
    lines = sorted(line.removesuffix(" .\n") + suffix for line in ntriples_lines(triples))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
