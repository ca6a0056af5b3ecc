"""The text report of a co-theme network: communities, central nodes, bridges and the strongest pairs."""

from __future__ import annotations

import networkx as nx

from ptce.network.analysis import bridges, ranked
from ptce.network.cotheme import Network

WEIGHT_MEANING = {
    "shared": "number of shared themes",
    "jaccard": "shared themes / themes of either (Jaccard)",
    "newman": "Newman: sum over shared themes of 1/(holders - 1), so a theme many hold counts little",
}
KIND = {"ptce": ("PTCE", "PTCEs", "theme", "themes"), "theme": ("theme", "themes", "PTCE", "PTCEs")}


def _label(g: nx.Graph, node: str) -> str:
    return g.nodes[node]["label"]


def _header(net: Network) -> list[str]:
    p, m, g = net.params, net.metadata, net.graph
    one, many, _, other_many = KIND[p.project]
    meaning = WEIGHT_MEANING[p.weight] if p.project == "ptce" else WEIGHT_MEANING[p.weight].replace("themes", "PTCEs")
    isolated = sum(1 for n in g if g.degree(n) == 0)
    modularity = "n/a" if net.modularity is None else f"{net.modularity:.3f}"
    return [
        m["title"],
        f"Build {m['build_version'] or 'unknown'}, ptce {m['software_version']}, computed {m['generated_at']}",
        f"Nodes: {many}" + (f", {other_many} rolled up to their broader concept" if p.broader else "") + ".",
        f"Weight: {p.weight} ({meaning}); min weight {p.min_weight:g}; "
        + ("all neighbours kept." if p.top_k is None else f"top {p.top_k} neighbours per {one} kept."),
        f"Communities: {p.method}, resolution {p.resolution:g}, seed {p.seed}; modularity {modularity}.",
        f"{g.number_of_nodes()} {many}, {g.number_of_edges()} links (density {nx.density(g):.2f}), "
        f"{isolated} isolated.",
    ]


def _communities(net: Network) -> list[str]:
    g = net.graph
    lines = ["", "Communities"]
    for c in net.communities:
        lines.append(f"  {c.number}. {c.name} ({len(c.members)}): " + ", ".join(_label(g, m) for m in c.members))
    return lines


def _central(net: Network) -> list[str]:
    g = net.graph
    many = KIND[net.params.project][1]
    lines = ["", f"Most central {many} (strength = sum of weights; eigenvector; betweenness on 1/weight)"]
    for n in ranked(g, "strength"):
        d = g.nodes[n]
        lines.append(
            f"  {d['label']}: degree {d['degree']:g}, strength {d['strength']:.3g}, "
            f"eigenvector {d['eigenvector']:.3f}, betweenness {d['betweenness']:.3f}"
        )
    ptce_side = net.params.project == "ptce"
    title = "Most central themes (number of PTCEs holding each)" if ptce_side else "PTCEs holding the most themes"
    lines += ["", title]
    rows, columns, incidence = net.bipartite.side(net.params.project)
    held = incidence.sum(axis=0).A1
    for k in sorted(range(len(columns)), key=lambda k: (-held[k], columns[k].label.casefold()))[:5]:
        lines.append(f"  {columns[k].label}: {int(held[k])} of {len(rows)} {many}")
    return lines


def _bridges(net: Network) -> list[str]:
    g = net.graph
    lines = ["", "Bridges between communities (participation: 0 = all links inside its community)"]
    found = bridges(g)[:5]
    for n in found:
        d = g.nodes[n]
        linked = ", ".join(str(c) for c in d["linked_communities"])
        lines.append(f"  {d['label']} (community {d['community']}): participation {d['participation']:.2f}, "
                     f"also linked to {linked}")  # fmt: skip
    if not found:
        lines.append("  none: no link crosses communities")
    return lines


def _pairs(net: Network, limit: int = 10) -> list[str]:
    g = net.graph
    shared = g.graph["shared_attribute"]
    lines = ["", "Strongest pairs (p: hypergeometric p-value of sharing that many by chance; reported, not filtered)"]
    edges = sorted(
        g.edges(data=True), key=lambda e: (-e[2]["weight"], _label(g, e[0]).casefold(), _label(g, e[1]).casefold())
    )
    for u, v, d in edges[:limit]:
        lines.append(
            f"  {_label(g, u)} — {_label(g, v)}: {d['shared']} shared, jaccard {d['jaccard']:.2f}, "
            f"newman {d['newman']:.2f}, p {d['p_value']:.3g}: " + ", ".join(d[shared])
        )
    if not edges:
        lines.append("  none")
    return lines


def report(net: Network) -> str:
    """A plain-text report for people: what the network says, with every parameter stated."""
    lines = _header(net) + _communities(net) + _central(net) + _bridges(net) + _pairs(net)
    return "\n".join(lines) + "\n"
