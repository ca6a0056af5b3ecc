"""The co-theme network library, checked against the published data and against networkx's own projections."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from scipy.stats import hypergeom

from ptce.build.pipeline import publish_build
from ptce.build_folder import NETWORK_SHAPE, BuildInfo
from ptce.network import analysis as network_analysis
from ptce.network import cotheme as network_module
from ptce.network import projection as projection_module
from ptce.network.analysis import bridges, centralities, detect_communities, participation
from ptce.network.analysis import shape_of as real_shape_of
from ptce.network.cotheme import (
    NetworkParams,
    bipartite_graph,
    build_network,
    load_bipartite,
    projection_graph,
    ptces_sharing_themes,
    read_shape,
)
from ptce.network.projection import project
from ptce.store.engine import open_build

from ..conftest import IRIS

V = IRIS.vocab


@pytest.fixture(scope="module")
def store(build_dir):
    return open_build(build_dir)


@pytest.fixture(scope="module")
def facts(graph):
    """What the published Turtle dump says, read with rdflib (not through the library's SPARQL)."""
    scheme = IRIS.theme_scheme
    themes = {str(t) for t in graph.subjects(SKOS.inScheme, scheme)}
    top = {}
    for t in themes:
        broader = [str(b) for b in graph.objects(URIRef(t), SKOS.broader)]
        top[t] = broader[0] if broader else t
    ptces = {str(p) for p in graph.subjects(RDF.type, V.PTCE)}
    held = {p: {str(t) for t in graph.objects(URIRef(p), DCTERMS.subject) if str(t) in themes} for p in ptces}
    return {"themes": themes, "top": top, "held": held}


def expected_pairs(held: dict[str, set[str]], universe: int) -> dict[tuple[str, str], dict]:
    """Every pair sharing something, with its weights, computed by hand from the sets."""
    holders: dict[str, int] = {}
    for items in held.values():
        for t in items:
            holders[t] = holders.get(t, 0) + 1
    out = {}
    for a, b in itertools.combinations(sorted(held), 2):
        common = held[a] & held[b]
        if common:
            out[(a, b)] = {
                "shared_iris": common,
                "shared": len(common),
                "jaccard": len(common) / len(held[a] | held[b]),
                "newman": sum(1 / (holders[t] - 1) for t in common),
                "p_value": hypergeom.sf(len(common) - 1, universe, len(held[a]), len(held[b])),
            }
    return out


def edges_of(g: nx.Graph) -> dict[tuple[str, str], dict]:
    return {tuple(sorted((u, v))): d for u, v, d in g.edges(data=True)}


@pytest.mark.parametrize("weight", ["shared", "jaccard", "newman"])
def test_edge_exactly_when_two_ptces_share_a_theme(store, facts, weight):
    g = projection_graph(load_bipartite(store), NetworkParams(weight=weight))
    assert set(g) == set(facts["held"]) and len(g) == 15
    expected = expected_pairs(facts["held"], len(facts["themes"]))
    edges = edges_of(g)
    assert set(edges) == set(expected)
    assert len(expected) > 20  # the real data is well connected
    for pair, want in expected.items():
        got = edges[pair]
        assert set(got["shared_themes_iris"]) == want["shared_iris"]
        assert len(got["shared_themes"]) == got["shared"] == want["shared"]
        assert got["jaccard"] == pytest.approx(want["jaccard"])
        assert got["newman"] == pytest.approx(want["newman"])
        assert got["p_value"] == pytest.approx(want["p_value"])
        assert got["weight"] == pytest.approx(want[weight])
        assert got["distance"] == pytest.approx(1 / want[weight])


def test_shared_theme_labels_are_the_french_labels(store, graph):
    g = projection_graph(load_bipartite(store), NetworkParams())
    for *_, d in g.edges(data=True):
        labels = [
            str(next(lbl for lbl in graph.objects(URIRef(t), SKOS.prefLabel) if lbl.language == "fr"))
            for t in d["shared_themes_iris"]
        ]
        assert d["shared_themes"] == labels


def test_broader_rolls_themes_up_to_their_top_concept(store, facts):
    held = {p: {facts["top"][t] for t in items} for p, items in facts["held"].items()}
    tops = {t for t in facts["themes"] if facts["top"][t] == t}
    bip = load_bipartite(store, broader=True)
    assert {t.iri for t in bip.themes} == tops
    g = projection_graph(bip, NetworkParams(broader=True))
    expected = expected_pairs(held, len(tops))
    edges = edges_of(g)
    assert set(edges) == set(expected)
    for pair, want in expected.items():
        assert set(edges[pair]["shared_themes_iris"]) == want["shared_iris"]
        assert edges[pair]["p_value"] == pytest.approx(want["p_value"])


def test_theme_projection_links_themes_held_by_the_same_ptces(store, facts):
    by_theme = {t: {p for p, items in facts["held"].items() if t in items} for t in facts["themes"]}
    g = projection_graph(load_bipartite(store), NetworkParams(project="theme"))
    assert set(g) == facts["themes"]
    expected = expected_pairs(by_theme, len(facts["held"]))
    edges = edges_of(g)
    assert set(edges) == set(expected)
    for pair, want in expected.items():
        assert set(edges[pair]["shared_ptces_iris"]) == want["shared_iris"]
        assert edges[pair]["newman"] == pytest.approx(want["newman"])


@pytest.mark.parametrize("side", [0, 1])
def test_weights_match_networkx_bipartite_projections(store, side):
    bip = load_bipartite(store)
    b = bipartite_graph(bip)
    assert nx.is_bipartite(b) and b.number_of_edges() == bip.incidence.nnz
    nodes = [n for n, d in b.nodes(data=True) if d["bipartite"] == side]
    reference = {
        "shared": nx.bipartite.weighted_projected_graph(b, nodes),
        "jaccard": nx.bipartite.overlap_weighted_projected_graph(b, nodes, jaccard=True),
        "newman": nx.bipartite.collaboration_weighted_projected_graph(b, nodes),
    }
    mine = edges_of(projection_graph(bip, NetworkParams(project=("ptce", "theme")[side])))
    for name, ref in reference.items():
        assert set(edges_of(ref)) == set(mine)
        for pair, d in edges_of(ref).items():
            assert mine[pair][name] == pytest.approx(d["weight"]), (name, pair)


def brute_force(dense: np.ndarray):
    """All pairs' shared counts and Jaccard, with dense numpy (reference for the sparse code)."""
    shared = dense @ dense.T
    size = dense.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = shared / (size[:, None] + size[None, :] - shared)
    return shared, jaccard


def random_incidence(rows=300, cols=40, seed=7):
    rng = np.random.default_rng(seed)
    dense = (rng.random((rows, cols)) < rng.uniform(0.02, 0.15, size=cols)).astype(float)
    return dense


def test_sparse_projection_equals_dense_computation_in_any_block_size(monkeypatch):
    dense = random_incidence()
    shared, jaccard = brute_force(dense)
    whole = project(sp.csr_matrix(dense))
    pairs = {(i, j) for i, j in zip(*np.nonzero(np.triu(shared, 1)), strict=True)}
    assert set(zip(whole.rows.tolist(), whole.cols.tolist(), strict=True)) == pairs
    assert np.array_equal(whole.shared, shared[whole.rows, whole.cols])
    assert np.allclose(whole.jaccard, jaccard[whole.rows, whole.cols])
    monkeypatch.setattr(projection_module, "BLOCK_NNZ", 50)  # many small blocks
    blocked = project(sp.csr_matrix(dense))
    assert np.array_equal(blocked.rows, whole.rows) and np.array_equal(blocked.cols, whole.cols)
    assert np.array_equal(blocked.shared, whole.shared) and np.allclose(blocked.newman, whole.newman)


@pytest.mark.parametrize("rank_by", ["shared", "jaccard", "newman"])
def test_top_k_keeps_each_rows_strongest_neighbours(monkeypatch, rank_by):
    dense = random_incidence()
    exact = project(sp.csr_matrix(dense))
    weight = {}
    for k in range(len(exact.rows)):
        i, j = int(exact.rows[k]), int(exact.cols[k])
        weight[(i, j)] = weight[(j, i)] = float(exact.weights(rank_by)[k])
    k = 5
    expected = set()
    for i in range(dense.shape[0]):
        ranked = sorted((j for (a, j) in weight if a == i), key=lambda j: (-weight[(i, j)], j))[:k]
        expected |= {(min(i, j), max(i, j)) for j in ranked}
    monkeypatch.setattr(projection_module, "BLOCK_NNZ", 500)
    top = project(sp.csr_matrix(dense), top_k=k, rank_by=rank_by)
    kept = set(zip(top.rows.tolist(), top.cols.tolist(), strict=True))
    assert kept == expected
    assert len(kept) < len(exact.rows)
    index = {pair: n for n, pair in enumerate(zip(exact.rows.tolist(), exact.cols.tolist(), strict=True))}
    at = np.array([index[pair] for pair in zip(top.rows.tolist(), top.cols.tolist(), strict=True)])
    assert np.array_equal(top.shared, exact.shared[at])
    for name in ("jaccard", "newman", "p_value"):
        assert np.allclose(top.weights(name), exact.weights(name)[at]), name


def test_exact_projection_refuses_what_would_grow_with_the_square(monkeypatch):
    monkeypatch.setattr(projection_module, "EXACT_LIMIT", 100)
    with pytest.raises(ValueError, match="pass top_k"):
        project(sp.csr_matrix(random_incidence(rows=101)))
    assert len(project(sp.csr_matrix(random_incidence(rows=101)), top_k=3).rows) > 0


def test_min_weight_is_an_explicit_threshold_and_significance_never_filters(store, facts):
    expected = expected_pairs(facts["held"], len(facts["themes"]))
    g = projection_graph(load_bipartite(store), NetworkParams(weight="jaccard", min_weight=0.25))
    assert set(edges_of(g)) == {pair for pair, d in expected.items() if d["jaccard"] >= 0.25}
    everything = projection_graph(load_bipartite(store), NetworkParams())
    assert any(d["p_value"] > 0.5 for *_, d in everything.edges(data=True))  # kept, though not significant


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("project", "organisation", "project must be one of"),
        ("weight", "cosine", "weight must be one of"),
        ("min_weight", -1.0, "min_weight must be"),
        ("min_weight", float("nan"), "min_weight must be"),
        ("resolution", 0.0, "resolution must be"),
        ("seed", -3, "seed must be"),
        ("top_k", 0, "top_k must be"),
        ("method", "magic", "method must be one of"),
    ],
)
def test_parameters_are_checked(field, value, words):
    with pytest.raises(ValueError, match=words):
        NetworkParams(**{field: value})


SNAPSHOT = """
import json, sys
from ptce.network.cotheme import NetworkParams, build_network
from ptce.store.engine import open_build

def snapshot(net):
    return {
        "communities": [[c.name, list(c.members)] for c in net.communities],
        "modularity": net.modularity,
        "nodes": {n: [d[k] for k in ("community", "eigenvector", "betweenness", "participation", "x", "y")]
                  for n, d in net.graph.nodes(data=True)},
        "edges": sorted([u, v, d["weight"], d["p_value"]] for u, v, d in net.graph.edges(data=True)),
    }

if __name__ == "__main__":
    store = open_build(sys.argv[1])
    print(json.dumps({p: snapshot(build_network(store, NetworkParams(project=p))) for p in ("ptce", "theme")}))
"""


def test_communities_and_layout_identical_across_runs_and_hash_seeds(store, build_dir):
    runs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", SNAPSHOT, str(build_dir)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    namespace: dict = {}
    exec(SNAPSHOT, namespace)  # the same snapshot, in this process (its own hash seed)
    here = {p: namespace["snapshot"](build_network(store, NetworkParams(project=p))) for p in ("ptce", "theme")}
    assert runs[0] == runs[1] == json.loads(json.dumps(here))
    for side in ("ptce", "theme"):
        snap = runs[0][side]
        assert len(snap["communities"]) >= 2
        assert sum(len(members) for _, members in snap["communities"]) == len(snap["nodes"])


def test_communities_partition_the_nodes_and_modularity_is_networkx(store):
    net = build_network(store)
    g = net.graph
    members = [set(c.members) for c in net.communities]
    assert set().union(*members) == set(g) and sum(map(len, members)) == len(g)
    assert net.modularity == pytest.approx(nx.community.modularity(g, members, weight="weight"))
    assert net.modularity > 0
    assert [c.number for c in net.communities] == list(range(1, len(members) + 1))
    greedy = build_network(store, NetworkParams(method="greedy", resolution=1.5))
    assert greedy.metadata["parameters"]["method"] == "greedy"
    assert greedy.modularity == pytest.approx(
        nx.community.modularity(g, [set(c.members) for c in greedy.communities], weight="weight", resolution=1.5)
    )


def test_betweenness_reads_weights_as_similarities():
    """a–c and c–b are strong, a–b weak: the shortest 'distance' path from a to b goes through c."""
    g = nx.Graph()
    g.add_edge("a", "b", weight=1.0)
    g.add_edge("a", "c", weight=10.0)
    g.add_edge("c", "b", weight=10.0)
    values = centralities(g)
    assert values["betweenness"] == {"a": 0.0, "b": 0.0, "c": 1.0}
    assert values["strength"] == {"a": 11.0, "b": 11.0, "c": 20.0}
    assert values["degree"] == {"a": 2.0, "b": 2.0, "c": 2.0}
    assert max(values["eigenvector"], key=values["eigenvector"].get) == "c"


def test_bridges_are_nodes_linking_communities():
    g = nx.Graph(project="ptce")
    for group in (["a1", "a2", "a3"], ["b1", "b2", "b3"]):
        for u, v in itertools.combinations(group, 2):
            g.add_edge(u, v, weight=1.0)
    g.add_edge("a1", "b1", weight=1.0)
    groups, modularity = detect_communities(g)
    assert sorted(map(sorted, groups)) == [["a1", "a2", "a3"], ["b1", "b2", "b3"]]
    assert modularity > 0.3
    community_of = {n: k for k, members in enumerate(groups) for n in members}
    p = participation(g, community_of)
    assert p["a2"] == 0.0 and p["a1"] == pytest.approx(1 - (2 / 3) ** 2 - (1 / 3) ** 2)
    for n in g:
        g.nodes[n].update(label=n, participation=p[n], bridge=p[n] > 0)
    assert bridges(g) == ["a1", "b1"]


def test_every_output_carries_its_metadata(store, build_dir):
    from ptce.build_folder import BuildInfo

    version = BuildInfo.read(build_dir).version
    net = build_network(store, NetworkParams(weight="newman", min_weight=0.3), build_version=version)
    m = net.metadata
    assert m["parameters"]["weight"] == "newman" and m["parameters"]["min_weight"] == 0.3
    assert m["build_version"] == version
    assert m["generated_at"].startswith("20") and m["software_version"]
    assert net.graph.graph["metadata"] is m
    for _, d in net.graph.nodes(data=True):
        assert {"community", "community_name", "degree", "strength", "eigenvector", "betweenness"} <= set(d)
        assert -1.0 <= d["x"] <= 1.0 and -1.0 <= d["y"] <= 1.0 and d["color"].startswith("#")


def test_ptces_sharing_themes_for_a_ptce_page(store, facts):
    cohose = str(IRIS.thing("ptce", "cohose"))
    found = ptces_sharing_themes(store, cohose)
    mine = facts["held"][cohose]
    expected = {p for p, items in facts["held"].items() if p != cohose and items & mine}
    assert {n.iri for n in found} == expected
    for n in found:
        assert n.weights["shared"] == len(n.themes) == len(facts["held"][n.iri] & mine)
        assert set(n.weights) == {"shared", "jaccard", "newman", "p_value"}
    keys = [(-n.weights["shared"], n.label.casefold()) for n in found]
    assert keys == sorted(keys)
    iri, label, themes, weights = found[0]
    assert iri == str(IRIS.thing("ptce", "anima-grand-calais")) and label == "Anima Grand Calais"
    assert "Circuits courts" in themes and weights["shared"] == 3
    by_jaccard = ptces_sharing_themes(store, cohose, weight="jaccard")
    assert [n.weights["jaccard"] for n in by_jaccard] == sorted((n.weights["jaccard"] for n in found), reverse=True)
    assert ptces_sharing_themes(store, str(IRIS.thing("ptce", "nowhere"))) == []


@pytest.mark.parametrize("top_k", [None, 2])
def test_the_graph_around_a_node_holds_its_edges_of_the_whole_graph(store, top_k):
    bip = load_bipartite(store)
    for project_on, items in (("ptce", bip.ptces), ("theme", bip.themes)):
        params = NetworkParams(project=project_on, top_k=top_k, weight="jaccard")
        whole = projection_graph(bip, params)
        assert whole.number_of_edges() > len(items)  # enough pairs for the restriction to leave some out
        for item in items:
            around = projection_graph(bip, params, around=item.iri)
            assert dict(around.nodes(data=True)) == dict(whole.nodes(data=True))
            assert {frozenset(e) for e in around.edges} == {frozenset((item.iri, o)) for o in whole[item.iri]}
            for other, data in around[item.iri].items():
                assert data == whole.edges[item.iri, other]
    nowhere = projection_graph(bip, NetworkParams(), around=str(IRIS.thing("ptce", "nowhere")))
    assert nowhere.number_of_nodes() == len(bip.ptces) and nowhere.number_of_edges() == 0


def test_a_large_network_is_laid_out_community_by_community(store, monkeypatch):
    g = projection_graph(load_bipartite(store), NetworkParams())
    groups, _ = detect_communities(g)
    assert len(groups) > 1
    whole = network_analysis.layout(g, 42, groups)  # 15 PTCEs: one spring layout of the whole graph
    assert whole == network_analysis.layout(g, 42)
    monkeypatch.setattr(network_analysis, "LAYOUT_WHOLE", 5)
    apart = network_analysis.layout(g, 42, groups)
    assert apart != whole and apart == network_analysis.layout(g, 42, groups)
    assert set(apart) == set(g) and all(-1.0 <= c <= 1.0 for xy in apart.values() for c in xy)
    assert max(abs(c) for xy in apart.values() for c in xy) == pytest.approx(1.0, abs=1e-4)
    community = {n: k for k, members in enumerate(groups) for n in members}

    def mean_distance(same: bool) -> float:
        pairs = [(a, b) for a, b in itertools.combinations(sorted(g), 2) if (community[a] == community[b]) == same]
        return float(np.mean([np.hypot(*np.subtract(apart[a], apart[b])) for a, b in pairs]))

    assert mean_distance(True) < mean_distance(False) / 2  # each community drawn together, apart from the others


def _analysis(net) -> tuple:
    """What an analysed network shows: every node's attributes, the communities, the modularity."""
    return dict(net.graph.nodes(data=True)), net.communities, net.modularity


def _kept_and_fresh(build, lang: str, **params) -> tuple:
    store, version = open_build(build), BuildInfo.read(build).version
    saved = read_shape(build / NETWORK_SHAPE)
    kept = build_network(store, NetworkParams(lang=lang, **params), build_version=version, saved=saved)
    fresh = build_network(store, NetworkParams(lang=lang, **params), build_version=version)
    return saved, kept, fresh


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_shape_a_build_keeps_is_the_default_networks_analysis_in_every_language(build_dir, lang):
    saved, kept, fresh = _kept_and_fresh(build_dir, lang)
    assert saved is not None and saved.shape.fits(fresh.graph)
    assert saved.params == replace(NetworkParams(), lang="fr")
    assert _analysis(kept) == _analysis(fresh)
    assert {c.name for c in kept.communities} == {c.name for c in fresh.communities}  # named in `lang`
    assert any(d["betweenness"] > 0 for _, d in kept.graph.nodes(data=True))


def test_a_large_builds_kept_shape_is_that_of_its_strongest_links(tmp_path, monkeypatch):
    monkeypatch.setattr(network_module, "LARGE_NETWORK", 10)
    publish_build(tmp_path / "dist")
    saved, kept, fresh = _kept_and_fresh(tmp_path / "dist", "en")
    assert saved.params.top_k == network_module.AUTO_TOP_K == fresh.params.top_k
    assert _analysis(kept) == _analysis(fresh)


def test_a_kept_shape_serves_only_its_own_network(build_dir, monkeypatch):
    saved = read_shape(build_dir / NETWORK_SHAPE)
    version = BuildInfo.read(build_dir).version
    assert saved.shape_for(NetworkParams(lang="en"), version) is saved.shape
    for other in ({"weight": "jaccard"}, {"seed": 7}, {"top_k": 3}, {"broader": True}, {"resolution": 2.0}):
        assert saved.shape_for(NetworkParams(**other), version) is None
    assert saved.shape_for(NetworkParams(), "another build") is None
    computed = []
    monkeypatch.setattr(network_analysis, "shape_of", lambda g, p: computed.append(p) or real_shape_of(g, p))
    store = open_build(build_dir)
    build_network(store, NetworkParams(), build_version=version, saved=saved)
    assert computed == []  # the kept shape was the analysis
    fresh = build_network(store, NetworkParams(weight="jaccard"), build_version=version)
    assert computed  # another network's is computed
    kept = build_network(store, NetworkParams(weight="jaccard"), build_version=version, saved=saved)
    assert _analysis(kept) == _analysis(fresh)
    # a shape that does not hold the graph's nodes is computed again, never shown
    one = next(iter(saved.shape.positions))
    partial = replace(saved.shape, positions={n: xy for n, xy in saved.shape.positions.items() if n != one})
    assert not partial.fits(fresh.graph)
    fewer = replace(saved.shape, measures={k: m for k, m in saved.shape.measures.items() if k != "betweenness"})
    assert saved.shape.fits(fresh.graph) and not fewer.fits(fresh.graph)
    lacking = replace(saved, shape=partial)
    assert _analysis(build_network(store, NetworkParams(), build_version=version, saved=lacking)) == _analysis(
        build_network(store, NetworkParams(), build_version=version)
    )


def test_an_unreadable_kept_shape_is_none(tmp_path):
    assert read_shape(tmp_path / "missing.json") is None
    for text in ("", "{", "[]", '{"parameters": {}}', '{"parameters": {"weight": "nope"}, "build_version": 1}'):
        (tmp_path / "shape.json").write_text(text)
        assert read_shape(tmp_path / "shape.json") is None


def test_large_networks_keep_each_nodes_strongest_links_unless_top_k_is_given(store, monkeypatch):
    full = build_network(store, NetworkParams(), analysed=False)
    assert full.params.top_k is None and full.communities == [] and full.modularity is None
    monkeypatch.setattr(network_module, "LARGE_NETWORK", 10)
    monkeypatch.setattr(network_module, "AUTO_TOP_K", 3)
    auto = build_network(store, NetworkParams(), analysed=False)
    assert auto.params.top_k == 3 and auto.metadata["parameters"]["top_k"] == 3
    assert set(auto.graph.edges) == set(build_network(store, NetworkParams(top_k=3), analysed=False).graph.edges)
    assert 0 < auto.graph.number_of_edges() < full.graph.number_of_edges()
    explicit = build_network(store, NetworkParams(top_k=100), analysed=False)
    assert explicit.params.top_k == 100 and set(explicit.graph.edges) == set(full.graph.edges)


def test_betweenness_of_large_networks_is_estimated_from_seeded_samples(store, monkeypatch):
    exact = build_network(store, NetworkParams())
    assert exact.metadata["betweenness"] == "exact"
    monkeypatch.setattr(network_analysis, "BETWEENNESS_SAMPLES", 5)
    first, again = build_network(store, NetworkParams()), build_network(store, NetworkParams())
    assert first.metadata["betweenness"] == "estimated from 5 sampled sources (seed 42)"
    estimate = nx.get_node_attributes(first.graph, "betweenness")
    assert estimate == nx.get_node_attributes(again.graph, "betweenness")
    assert estimate != nx.get_node_attributes(exact.graph, "betweenness")
    other_seed = build_network(store, NetworkParams(seed=7))
    assert nx.get_node_attributes(other_seed.graph, "betweenness") != estimate
