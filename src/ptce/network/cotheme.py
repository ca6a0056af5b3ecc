"""The co-theme network of the PTCEs, computed from the published graph through SPARQL.

Two PTCEs are linked when they share at least one theme (`dcterms:subject`). The bipartite PTCE–theme graph is
held as a sparse incidence matrix B (PTCEs × themes); the projections come from sparse products (B Bᵀ for PTCE
pairs, Bᵀ B for theme pairs), computed in row blocks so that no N×N structure is built, and optionally keeping
only each node's top-k neighbours. See the README section "Co-theme network" for what each weight means.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import networkx as nx
import numpy as np
import scipy.sparse as sp

from ptce import __version__
from ptce.build_folder import utc_now
from ptce.network.projection import WEIGHTS, project
from ptce.store.engine import Store

if TYPE_CHECKING:
    from ptce.network.analysis import Shape

PROJECTIONS = ("ptce", "theme")
METHODS = ("louvain", "greedy")
LANGUAGES = ("fr", "en")
# Above this many nodes, a network asked for without `top_k` keeps each node's AUTO_TOP_K strongest links: in a
# national directory most pairs of PTCEs share some theme, so the complete graph grows with the square of the
# number of PTCEs (232 synthetic PTCEs: 22,868 links, 250,000 triples beside 103,000 of data), which no layout,
# betweenness or page can use. `top_k` set explicitly is always obeyed.
LARGE_NETWORK = 100
AUTO_TOP_K = 10


@dataclass(frozen=True)
class NetworkParams:
    """Every choice behind a network; recorded in the metadata of each output."""

    project: str = "ptce"  # which side of the bipartite graph is projected: "ptce" or "theme"
    weight: str = "shared"  # edge weight used for communities, strength and layout
    min_weight: float = 0.0  # edges with a smaller weight are left out (explicitly, never by significance)
    broader: bool = False  # roll themes up to their top concept (skos:broader) first
    method: str = "louvain"  # community detection: "louvain" or "greedy" (Clauset–Newman–Moore)
    resolution: float = 1.0  # modularity resolution (above 1: smaller communities)
    seed: int = 42  # seed of Louvain and of the layout
    top_k: int | None = None  # keep only each node's k strongest neighbours (None: all, AUTO_TOP_K when large)
    lang: str = "fr"  # language of labels (French where a label has no other)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("project", self.project, PROJECTIONS),
            ("weight", self.weight, WEIGHTS),
            ("method", self.method, METHODS),
            ("lang", self.lang, LANGUAGES),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
        if not np.isfinite(self.min_weight) or self.min_weight < 0:
            raise ValueError(f"min_weight must be a number >= 0; got {self.min_weight!r}")
        if not np.isfinite(self.resolution) or self.resolution <= 0:
            raise ValueError(f"resolution must be a number > 0; got {self.resolution!r}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be an integer from 0 to 2**32 - 1; got {self.seed!r}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be a positive integer; got {self.top_k!r}")

    def as_dict(self) -> dict:
        return asdict(self)


# ---- input: the bipartite graph, from SPARQL ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """A node of the bipartite graph: a PTCE (group: its department) or a theme (group: its top concept)."""

    iri: str
    label: str
    group: str | None = None
    group_label: str | None = None


@dataclass(frozen=True)
class Bipartite:
    """PTCEs and themes (each sorted by IRI) and the sparse incidence matrix between them."""

    ptces: tuple[Item, ...]
    themes: tuple[Item, ...]
    incidence: sp.csr_matrix  # len(ptces) × len(themes), 1.0 where the PTCE has the theme

    def side(self, project: str) -> tuple[tuple[Item, ...], tuple[Item, ...], sp.csr_matrix]:
        """(rows, columns, incidence) with the projected side as rows."""
        if project == "ptce":
            return self.ptces, self.themes, self.incidence
        return self.themes, self.ptces, self.incidence.T.tocsr()


PTCES_QUERY = """
SELECT ?ptce (COALESCE(MIN(?l), MIN(?lf)) AS ?label) (MIN(?d) AS ?dept) (COALESCE(MIN(?dl), MIN(?dlf)) AS ?deptLabel)
WHERE {
  ?ptce a ptce:PTCE .
  OPTIONAL { ?ptce skos:prefLabel ?l FILTER(langMatches(lang(?l), "LANG") || lang(?l) = "") }
  OPTIONAL { ?ptce skos:prefLabel ?lf FILTER(langMatches(lang(?lf), "fr")) }
  OPTIONAL { ?ptce ptce:department ?d .
             OPTIONAL { ?d skos:prefLabel ?dl FILTER(langMatches(lang(?dl), "LANG") || lang(?dl) = "") }
             OPTIONAL { ?d skos:prefLabel ?dlf FILTER(langMatches(lang(?dlf), "fr")) } }
} GROUP BY ?ptce
"""
# The scheme has two levels (the sources and the shapes check it), so a theme's broader concept is its top one;
# no property path here: Virtuoso 7 drops the rows of an OPTIONAL with `skos:broader+`.
THEMES_QUERY = """
SELECT ?theme (COALESCE(MIN(?l), MIN(?lf)) AS ?label) (MIN(?t) AS ?top) WHERE {
  ?theme skos:inScheme <SCHEME> .
  OPTIONAL { ?theme skos:prefLabel ?l FILTER(langMatches(lang(?l), "LANG")) }
  OPTIONAL { ?theme skos:prefLabel ?lf FILTER(langMatches(lang(?lf), "fr")) }
  OPTIONAL { ?theme skos:broader ?t }
} GROUP BY ?theme
"""
PAIRS_QUERY = """
SELECT DISTINCT ?ptce ?theme WHERE { ?ptce a ptce:PTCE ; dcterms:subject ?theme . ?theme skos:inScheme <SCHEME> }
"""


def _fallback_label(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def load_bipartite(store: Store, broader: bool = False, lang: str = "fr") -> Bipartite:
    """The PTCE–theme graph from three SPARQL queries; `broader` maps each theme to its top concept.

    Every theme of the scheme is a column (a theme no PTCE has is an isolated node); it is the universe of the
    significance test.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}")
    scheme = str(store.iris.theme_scheme)
    rows = store.select(PTCES_QUERY.replace("LANG", lang))
    ptces = sorted(
        (Item(r["ptce"], r["label"] or _fallback_label(r["ptce"]), r["dept"], r["deptLabel"]) for r in rows),
        key=lambda it: it.iri,
    )
    rows = store.select(THEMES_QUERY.replace("LANG", lang).replace("SCHEME", scheme))
    labels = {r["theme"]: r["label"] or _fallback_label(r["theme"]) for r in rows}
    top = {r["theme"]: r["top"] for r in rows}
    themes = sorted(
        (Item(t, labels[t], top[t], labels.get(top[t])) for t in labels if not (broader and top[t])),
        key=lambda it: it.iri,
    )
    column = {item.iri: k for k, item in enumerate(themes)}
    row = {item.iri: k for k, item in enumerate(ptces)}
    pairs = set()
    for r in store.select(PAIRS_QUERY.replace("SCHEME", scheme)):
        theme = (top[r["theme"]] or r["theme"]) if broader else r["theme"]
        pairs.add((row[r["ptce"]], column[theme]))
    ordered = sorted(pairs)
    i = np.array([p[0] for p in ordered], dtype=np.int64)
    j = np.array([p[1] for p in ordered], dtype=np.int64)
    incidence = sp.csr_matrix((np.ones(len(ordered)), (i, j)), shape=(len(ptces), len(themes)))
    return Bipartite(tuple(ptces), tuple(themes), incidence)


def bipartite_graph(bip: Bipartite) -> nx.Graph:
    """The bipartite graph as networkx (attribute `bipartite`: 0 for PTCEs, 1 for themes), nodes sorted."""
    g = nx.Graph()
    for part, items in ((0, bip.ptces), (1, bip.themes)):
        for item in items:
            g.add_node(item.iri, label=item.label, kind=PROJECTIONS[part], bipartite=part)
    coo = bip.incidence.tocoo()
    g.add_edges_from(sorted((bip.ptces[i].iri, bip.themes[j].iri) for i, j in zip(coo.row, coo.col, strict=True)))
    return g


# ---- the projected graph, as networkx ---------------------------------------------------------------------------


def _node_attributes(item: Item, kind: str, members: list[Item]) -> dict:
    attrs = {"label": item.label, "kind": kind}
    if kind == "ptce":
        attrs.update(department=item.group, department_label=item.group_label)
    else:
        attrs.update(broader=item.group, broader_label=item.group_label)
    other = "themes" if kind == "ptce" else "ptces"
    attrs[other] = [m.label for m in members]
    attrs[f"{other}_iris"] = [m.iri for m in members]
    attrs[f"{other[:-1]}_count"] = len(members)
    return {k: v for k, v in attrs.items() if v is not None}


def _by_label(items) -> list[Item]:
    return sorted(items, key=lambda it: (it.label.casefold(), it.iri))


def shared_attribute(project: str) -> str:
    """Name of the edge attribute listing what two nodes share (labels); its IRIs are under `<name>_iris`."""
    return "shared_themes" if project == "ptce" else "shared_ptces"


def projection_graph(bip: Bipartite, params: NetworkParams, around: str | None = None) -> nx.Graph:
    """The projected graph: nodes sorted by IRI, one edge per pair sharing something, with every weight.

    With `around` (a node's IRI), only that node's edges: the same edges, weights and shared lists as in the whole
    graph, without making the others (146,454 edges for one PTCE page at 1M triples)."""
    rows, columns, incidence = bip.side(params.project)
    proj = project(incidence, top_k=params.top_k, rank_by=params.weight)
    if around is not None:
        proj = proj.touching(next((k for k, item in enumerate(rows) if item.iri == around), -1))
    g = nx.Graph()
    for k, item in enumerate(rows):
        members = _by_label(columns[c] for c in incidence.indices[incidence.indptr[k] : incidence.indptr[k + 1]])
        g.add_node(item.iri, **_node_attributes(item, params.project, members))
    overlap = proj.shared_columns()
    name = shared_attribute(params.project)
    chosen = proj.weights(params.weight)
    for k in range(len(proj.rows)):
        weight = float(chosen[k])
        if weight < params.min_weight:
            continue
        shared = _by_label(columns[c] for c in overlap.indices[overlap.indptr[k] : overlap.indptr[k + 1]])
        g.add_edge(
            rows[proj.rows[k]].iri,
            rows[proj.cols[k]].iri,
            shared=int(proj.shared[k]),
            jaccard=float(proj.jaccard[k]),
            newman=float(proj.newman[k]),
            p_value=float(proj.p_value[k]),
            weight=weight,
            distance=1.0 / weight,
            **{name: [it.label for it in shared], f"{name}_iris": [it.iri for it in shared]},
        )
    g.graph.update(project=params.project, weight=params.weight, shared_attribute=name)
    return g


# ---- the whole network, with metadata ----------------------------------------------------------------------------


@dataclass
class Network:
    """A projected, analysed network and the metadata every output carries."""

    graph: nx.Graph
    bipartite: Bipartite
    params: NetworkParams
    communities: list  # of network_analysis.Community
    modularity: float | None
    metadata: dict


def build_network(
    store: Store,
    params: NetworkParams | None = None,
    build_version: str | None = None,
    generated_at: str | None = None,
    analysed: bool = True,
    saved: SavedShape | None = None,
) -> Network:
    """Query the store, project, and (if `analysed`) detect communities, compute centralities and a layout.

    Without `top_k`, a projection of more than LARGE_NETWORK nodes keeps each node's AUTO_TOP_K strongest links;
    the network's `params` (and metadata) record the `top_k` actually used. `saved`, the shape a build kept
    (`read_shape`), is the analysis when it was made with these parameters (but the language) from this build
    and fits the graph's nodes; otherwise the analysis is computed."""
    from ptce.network.analysis import BETWEENNESS_SAMPLES, analyse

    params = params or NetworkParams()
    bip = load_bipartite(store, broader=params.broader, lang=params.lang)
    size = len(bip.ptces if params.project == "ptce" else bip.themes)
    if params.top_k is None and size > LARGE_NETWORK:
        params = replace(params, top_k=AUTO_TOP_K)
    g = projection_graph(bip, params)
    shape = saved.shape_for(params, build_version) if saved is not None else None
    communities, modularity = analyse(g, params, shape) if analysed else ([], None)
    metadata = {
        "title": f"Co-theme network of the PTCEs ({params.project} projection)",
        "parameters": params.as_dict(),
        "build_version": build_version,
        "software_version": __version__,
        "generated_at": generated_at or utc_now(),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "modularity": modularity,
    }
    if analysed:
        estimated = g.number_of_nodes() > BETWEENNESS_SAMPLES
        metadata["betweenness"] = (
            f"estimated from {BETWEENNESS_SAMPLES} sampled sources (seed {params.seed})" if estimated else "exact"
        )
    g.graph.update(metadata=metadata)
    return Network(g, bip, params, communities, modularity, metadata)


@dataclass(frozen=True)
class SavedShape:
    """The shape of a network's analysis (`ptce.network.analysis.Shape`) as a build keeps it, with the
    parameters and the build it was made from."""

    params: NetworkParams
    build_version: str | None
    shape: Shape

    def shape_for(self, params: NetworkParams, build_version: str | None) -> Shape | None:
        """The shape, for a network of these parameters (in any language) from this build; None for another."""
        if build_version != self.build_version or replace(params, lang=self.params.lang) != self.params:
            return None
        return self.shape


def write_shape(net: Network, path: Path) -> None:
    """Compute the shape of `net`'s analysis and keep it in a JSON file, with its parameters and build."""
    from ptce.network.analysis import shape_of

    data = {
        "parameters": net.params.as_dict(),
        "build_version": net.metadata.get("build_version"),
        "shape": shape_of(net.graph, net.params).as_json(),
    }
    Path(path).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def read_shape(path: Path) -> SavedShape | None:
    """The shape `write_shape` kept; None when there is no such file or it cannot be read (the analysis is then
    computed: a kept shape only saves time)."""
    from ptce.network.analysis import Shape

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return SavedShape(NetworkParams(**data["parameters"]), data["build_version"], Shape.from_json(data["shape"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class Neighbour(NamedTuple):
    """A PTCE sharing themes with another: its IRI, label, the shared theme labels and the link's weights."""

    iri: str
    label: str
    themes: list[str]
    weights: dict[str, float]


def ptces_sharing_themes(store: Store, ptce_iri: str, weight: str = "shared", lang: str = "fr") -> list[Neighbour]:
    """The PTCEs sharing at least one theme with `ptce_iri`, strongest first (by `weight`), then by label."""
    params = NetworkParams(weight=weight, lang=lang)
    g = projection_graph(load_bipartite(store, lang=lang), params, around=ptce_iri)
    if ptce_iri not in g:
        return []
    out = []
    for other, data in g[ptce_iri].items():
        weights = {key: data[key] for key in (*WEIGHTS, "p_value")}
        out.append(Neighbour(other, g.nodes[other]["label"], list(data["shared_themes"]), weights))
    return sorted(out, key=lambda n: (-n.weights[weight], n.label.casefold(), n.iri))
