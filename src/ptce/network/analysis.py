"""Communities, centralities, bridges and a layout for a projected network; deterministic by construction.

Determinism: algorithms run on a copy whose nodes are the integers 0..n-1 in IRI order and whose edges are added
sorted, so nothing depends on the iteration order of hashed strings (PYTHONHASHSEED); Louvain and the layout use
a fixed seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import networkx as nx
import numpy as np

# Okabe–Ito (colour-blind safe), then Tableau's "10" for more groups.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
)  # fmt: skip
BETWEENNESS_SAMPLES = 300  # source nodes of the betweenness estimate of larger networks (exact below)
MEASURES = {"degree", "strength", "eigenvector", "betweenness", "participation"}  # each node's, in a Shape
LAYOUT_WHOLE = 500  # nodes laid out as one graph; beyond, community by community (`layout`)


@dataclass(frozen=True)
class Community:
    """A community: its number (1 = largest), a name from what characterises it, its members sorted by label."""

    number: int
    name: str
    members: tuple[str, ...]
    color: str


def _integer_copy(g: nx.Graph) -> tuple[nx.Graph, list[str]]:
    """A copy with nodes 0..n-1 in sorted order and edges inserted sorted."""
    nodes = sorted(g)
    index = {node: k for k, node in enumerate(nodes)}
    h = nx.Graph()
    h.add_nodes_from(range(len(nodes)))
    edges = sorted((min(index[u], index[v]), max(index[u], index[v]), d) for u, v, d in g.edges(data="weight"))
    h.add_weighted_edges_from(edges)
    return h, nodes


def detect_communities(g: nx.Graph, method: str = "louvain", resolution: float = 1.0, seed: int = 42):
    """(communities as sorted lists of nodes, largest first, modularity or None when there is no edge)."""
    h, nodes = _integer_copy(g)
    if h.number_of_edges() == 0:
        parts = [{k} for k in h]
    elif method == "louvain":
        parts = nx.community.louvain_communities(h, weight="weight", resolution=resolution, seed=seed)
    else:
        parts = nx.community.greedy_modularity_communities(h, weight="weight", resolution=resolution)
    modularity = (
        nx.community.modularity(h, parts, weight="weight", resolution=resolution) if h.number_of_edges() else None
    )
    communities = sorted((sorted(nodes[k] for k in part) for part in parts), key=lambda c: (-len(c), c[0]))
    return communities, modularity


def community_name(g: nx.Graph, members: list[str]) -> str:
    """PTCE communities are named by their most common themes, theme communities by their strongest themes."""
    if g.graph.get("project") == "ptce":
        counts = Counter(theme for m in members for theme in g.nodes[m].get("themes", []))
        top = sorted(counts, key=lambda t: (-counts[t], t.casefold()))[:2]
    else:
        top = [g.nodes[m]["label"] for m in sorted(members, key=lambda m: (-g.nodes[m]["strength"], m))[:2]]
    return " · ".join(top) or g.nodes[members[0]]["label"]


def centralities(g: nx.Graph, seed: int = 42) -> dict[str, dict[str, float]]:
    """Degree, strength (sum of weights), eigenvector (weighted), betweenness (on distances 1/weight).

    Betweenness is exact up to BETWEENNESS_SAMPLES nodes; beyond, it is estimated from that many source nodes
    drawn with `seed` (Brandes' pivots: exact costs one shortest-path search per node)."""
    h, nodes = _integer_copy(g)
    for u, v in h.edges():
        h[u][v]["distance"] = 1.0 / h[u][v]["weight"]
    eigen = nx.eigenvector_centrality(h, weight="weight", max_iter=2000, tol=1e-10) if h.number_of_edges() else {}
    samples = BETWEENNESS_SAMPLES if len(h) > BETWEENNESS_SAMPLES else None
    between = nx.betweenness_centrality(h, k=samples, weight="distance", normalized=True, seed=seed)
    return {
        "degree": {nodes[k]: float(d) for k, d in h.degree()},
        "strength": {nodes[k]: float(s) for k, s in h.degree(weight="weight")},
        "eigenvector": {nodes[k]: float(eigen.get(k, 0.0)) for k in h},
        "betweenness": {nodes[k]: float(between[k]) for k in h},
    }


def participation(g: nx.Graph, community_of: dict[str, int]) -> dict[str, float]:
    """Participation coefficient 1 - Σ_c (s_ic / s_i)²: 0 when all of a node's links stay in one community."""
    out = {}
    for node in sorted(g):
        by_community: Counter = Counter()
        for other, w in g[node].items():
            by_community[community_of[other]] += w["weight"]
        total = sum(by_community.values())
        out[node] = 1.0 - sum((s / total) ** 2 for s in by_community.values()) if total else 0.0
    return out


def layout(g: nx.Graph, seed: int = 42, communities: list[list[str]] | None = None) -> dict[str, tuple[float, float]]:
    """Spring layout with a fixed seed, on the sorted integer copy; coordinates in [-1, 1], rounded.

    Above LAYOUT_WHOLE nodes, with `communities` (lists of nodes), each community is laid out on its own, in a disc
    whose area grows with its size, around its place in a spring layout of the communities (linked by the sum of
    the weights between them): a spring layout of the whole graph costs the square of its nodes at each step
    (70 s for 3,520 PTCEs), this the sum of the squares of the communities'."""
    h, nodes = _integer_copy(g)
    if not nodes:
        return {}
    if len(nodes) == 1:
        pos = {0: (0.0, 0.0)}
    elif len(nodes) <= LAYOUT_WHOLE or not communities:
        pos = nx.spring_layout(h, seed=seed, weight="weight", iterations=200)
    else:
        index = {node: k for k, node in enumerate(nodes)}
        pos = _by_communities(h, [sorted(index[n] for n in c) for c in communities], seed)
    return {nodes[k]: (round(float(x), 5), round(float(y), 5)) for k, (x, y) in pos.items()}


def _by_communities(h: nx.Graph, parts: list[list[int]], seed: int) -> dict[int, tuple[float, float]]:
    """Positions of `h`'s nodes, community by community (see `layout`), scaled into [-1, 1]."""
    part_of = {node: k for k, part in enumerate(parts) for node in part}
    between = nx.Graph()
    between.add_nodes_from(range(len(parts)))
    for u, v, w in h.edges(data="weight"):
        a, b = part_of[u], part_of[v]
        if a != b:
            between.add_edge(min(a, b), max(a, b), weight=between.get_edge_data(a, b, {"weight": 0.0})["weight"] + w)
    centres = nx.spring_layout(between, seed=seed, weight="weight", iterations=200) if len(parts) > 1 else {0: (0, 0)}
    total = h.number_of_nodes()
    xy = np.zeros((total, 2))
    for k, part in enumerate(parts):
        radius = 0.5 * np.sqrt(len(part) / total)
        if len(part) == 1:
            local = {part[0]: (0.0, 0.0)}
        else:
            local = nx.spring_layout(h.subgraph(part), seed=seed, weight="weight", iterations=200)
        for node, (x, y) in local.items():
            xy[node] = np.asarray(centres[k]) + radius * np.asarray((x, y))
    xy = nx.rescale_layout(xy - xy.mean(axis=0), scale=1.0)
    return {node: (xy[node, 0], xy[node, 1]) for node in range(total)}


def department_colors(g: nx.Graph) -> dict[str, str]:
    """One palette colour per department (sorted by label); used by the web view's 'colour by department'."""
    labels = sorted({d.get("department_label", "") for _, d in g.nodes(data=True) if d.get("department_label")})
    return {label: PALETTE[k % len(PALETTE)] for k, label in enumerate(labels)}


@dataclass(frozen=True)
class Shape:
    """What the analysis finds from the graph's nodes, edges and weights alone, the same in every language:
    the communities (members by IRI, largest first), the modularity, each node's measures (centralities,
    participation) and its position. The betweenness and the layout are most of an analysis's time (20 s for the
    3,520 PTCEs of a 6M-triple build), so a build keeps the shape of its default network
    (`ptce.network.cotheme.write_shape`)."""

    communities: tuple[tuple[str, ...], ...]
    modularity: float | None
    measures: dict[str, dict[str, float]]
    positions: dict[str, tuple[float, float]]

    def fits(self, g: nx.Graph) -> bool:
        """Whether this is the shape of a graph with exactly `g`'s nodes."""
        nodes = set(g)
        members = [n for c in self.communities for n in c]
        return (
            self.measures.keys() == MEASURES
            and self.positions.keys() == nodes
            and all(m.keys() == nodes for m in self.measures.values())
            and len(members) == len(nodes)
            and set(members) == nodes
        )

    def as_json(self) -> dict:
        return {
            "communities": [list(c) for c in self.communities],
            "modularity": self.modularity,
            "measures": self.measures,
            "positions": {n: list(xy) for n, xy in self.positions.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Shape:
        """The shape `as_json` wrote; KeyError, TypeError or ValueError for anything else."""
        positions = {str(n): (float(x), float(y)) for n, (x, y) in data["positions"].items()}
        measures = {str(k): {str(n): float(v) for n, v in m.items()} for k, m in data["measures"].items()}
        communities = tuple(tuple(str(n) for n in c) for c in data["communities"])
        modularity = None if data["modularity"] is None else float(data["modularity"])
        return cls(communities, modularity, measures, positions)


def shape_of(g: nx.Graph, params) -> Shape:
    """Communities, centralities, participation and layout of `g` (`params`: method, resolution, seed)."""
    groups, modularity = detect_communities(g, params.method, params.resolution, params.seed)
    community_of = {node: k + 1 for k, members in enumerate(groups) for node in members}
    measures = centralities(g, params.seed)
    measures["participation"] = participation(g, community_of)
    positions = layout(g, params.seed, groups)
    return Shape(tuple(tuple(c) for c in groups), modularity, measures, positions)


def analyse(g: nx.Graph, params, shape: Shape | None = None) -> tuple[list[Community], float | None]:
    """Add community, centralities, participation, bridge flag, position and colours to every node of `g`.

    `shape`, when it fits `g`, is taken as `shape_of(g, params)` instead of computing it."""
    if shape is None or not shape.fits(g):
        shape = shape_of(g, params)
    groups, modularity, positions = [list(c) for c in shape.communities], shape.modularity, shape.positions
    community_of = {node: k + 1 for k, members in enumerate(groups) for node in members}
    for name, values in shape.measures.items():
        nx.set_node_attributes(g, values, name)
    dept_colors = department_colors(g)
    for node, data in g.nodes(data=True):
        linked = {community_of[o] for o in g[node]} - {community_of[node]}
        data.update(
            community=community_of[node],
            bridge=bool(linked),
            linked_communities=sorted(linked),
            color=PALETTE[(community_of[node] - 1) % len(PALETTE)],
            x=positions[node][0],
            y=positions[node][1],
        )
        if data.get("department_label"):
            data["department_color"] = dept_colors[data["department_label"]]
    communities = []
    for k, members in enumerate(groups):
        by_label = tuple(sorted(members, key=lambda m: (g.nodes[m]["label"].casefold(), m)))
        communities.append(Community(k + 1, community_name(g, members), by_label, PALETTE[k % len(PALETTE)]))
    for c in communities:
        for m in c.members:
            g.nodes[m]["community_name"] = c.name
    return communities, modularity


def bridges(g: nx.Graph) -> list[str]:
    """Nodes linking their community to others, by participation (highest first), then label."""
    nodes = [n for n, d in g.nodes(data=True) if d.get("bridge")]
    return sorted(nodes, key=lambda n: (-g.nodes[n]["participation"], g.nodes[n]["label"].casefold(), n))


def ranked(g: nx.Graph, measure: str, limit: int = 5) -> list[str]:
    """The `limit` nodes with the highest value of a centrality, ties by label."""
    return sorted(g, key=lambda n: (-g.nodes[n][measure], g.nodes[n]["label"].casefold(), n))[:limit]
