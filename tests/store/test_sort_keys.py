"""The build's sort keys: every subject ranked as the engine orders IRIs, loaded with the data, read by no user
query."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ptce.build_folder import NETWORK_DUMP, SORT_KEYS, STORE_DIR, BuildInfo
from ptce.rdf.namespaces import Iris
from ptce.store.engine import OxigraphStore, open_build
from ptce.store.remote import SparqlStore
from ptce.store.sort_keys import write_sort_keys

IRIS = Iris()
KEYS, RANK = str(IRIS.sort_keys_graph), str(IRIS.sort_key)
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


def _ranks(path) -> dict[str, int]:
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    assert {(q.predicate.value, q.graph_name.value) for q in quads} == {(RANK, KEYS)}
    return {q.subject.value: int(q.object.value) for q in quads}


def test_every_subject_of_the_default_graph_is_ranked_once(build_dir):
    ranks = _ranks(build_dir / SORT_KEYS)
    store = ox.Store()
    store.bulk_load(path=str(build_dir / BuildInfo.read(build_dir).dumps["nt"]), format=ox.RdfFormat.N_TRIPLES)
    subjects = {row[0].value for row in store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }")}
    assert set(ranks) == subjects
    assert sorted(ranks.values()) == list(range(len(subjects)))


def test_the_ranks_order_iris_as_the_engine_does(tmp_path):
    """Code points, not UTF-16 units: a supplementary character sorts after U+FFE0, which UTF-16 order (surrogates
    first) would put after it; accents after ASCII; a prefix before its extensions."""
    texts = ["z", "é", "\uffe0", "\U0001f600", "a", "a/b", "A", "%C3%A9", "~", "\u00ff", "\u0100"]
    store = ox.Store()
    for text in texts:
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{text}"), ox.NamedNode("http://example.org/p"),
                          ox.Literal("x")))  # fmt: skip
    assert write_sort_keys(store, tmp_path / SORT_KEYS, IRIS) == len(texts)
    ranks = _ranks(tmp_path / SORT_KEYS)
    engine_order = [row[0].value for row in store.query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")]
    assert sorted(ranks, key=ranks.get) == engine_order
    by_text = store.query("SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?p ?y FILTER(STR(?a) < STR(?b)) }")
    assert {(a.value, b.value) for a, b in by_text} == {(a, b) for a in ranks for b in ranks if ranks[a] < ranks[b]}


def test_no_keys_when_a_subject_is_a_blank_node(tmp_path):
    """Keys must cover every subject, and a blank node has no text to rank by: no file, and no rewrite."""
    store = ox.Store()
    store.add(ox.Quad(ox.BlankNode(), ox.NamedNode("http://example.org/p"), ox.Literal("x")))
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("x")))
    assert write_sort_keys(store, tmp_path / SORT_KEYS, IRIS) is None
    assert not (tmp_path / SORT_KEYS).exists()


@pytest.mark.parametrize("build", ["build_dir", "synth_build"])
def test_the_store_holds_the_keys_and_counts_only_the_data(request, build):
    """In memory (loaded from the file) and on disk (loaded at build time): the keys are there for the planner,
    while `len` and the graph names are those of the published data and its network."""
    folder = request.getfixturevalue(build)
    assert (folder / STORE_DIR).is_dir() == (build == "synth_build")
    store = open_build(folder)
    ranks = _ranks(folder / SORT_KEYS)
    assert sum(1 for _ in store.store.quads_for_pattern(None, None, None, ox.NamedNode(KEYS))) == len(ranks)
    network = sum(1 for _ in ox.parse(path=str(folder / NETWORK_DUMP), format=ox.RdfFormat.N_QUADS))
    assert len(store) == BuildInfo.read(folder).triples + network
    assert store.graph_names() == {str(IRIS.network_graph)}


ESCAPED = KEYS.replace("-", "\\u002D")
HIDING = {
    "GRAPH": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{KEYS}> {{ ?s ?p ?o }} }}",
    "GRAPH ?g": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{RANK}> ?o }} }}",
    "the default graph": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{RANK}> ?o }}",
    "FROM": f"SELECT (COUNT(*) AS ?n) FROM <{KEYS}> WHERE {{ ?s ?p ?o }}",
    "FROM NAMED": f"SELECT (COUNT(*) AS ?n) FROM NAMED <{KEYS}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "an escaped IRI": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ESCAPED}> {{ ?s ?p ?o }} }}",
    "an escaped IRI in FROM": f"SELECT (COUNT(*) AS ?n) FROM <{ESCAPED}> WHERE {{ ?s ?p ?o }}",
    "a relative IRI": "SELECT (COUNT(*) AS ?n) FROM <graph/sort-keys> WHERE { ?s ?p ?o }",
    "BASE": "BASE <https://w3id.org/ptce/graph/> SELECT (COUNT(*) AS ?n) FROM NAMED <sort-keys> "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
    "a prefixed name": "PREFIX g: <https://w3id.org/ptce/graph/> SELECT (COUNT(*) AS ?n) FROM g:sort-keys "
    "WHERE { ?s ?p ?o }",
    "lower-case keywords": f"select (count(*) as ?n) from <{KEYS}> from named <{KEYS}> "
    "where { { ?s ?p ?o } union { graph ?g { ?s ?p ?o } } }",
}  # fmt: skip


def _count(client, query, **params) -> int:
    response = client.get("/sparql", query_string={"query": query, **params}, headers=SPARQL_JSON)
    assert response.status_code == 200, response.text
    return int(response.json["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("name", HIDING)
def test_no_query_reaches_the_keys(client, app, name):
    """However the query names the keys' graph, it reads an empty graph; the store does hold it."""
    assert app.extensions["ptce"].build.store.store.contains_named_graph(ox.NamedNode(KEYS))
    assert _count(client, HIDING[name]) == 0


def test_neither_do_the_protocols_graphs(client):
    everything = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    assert _count(client, everything, **{"default-graph-uri": KEYS}) == 0
    assert _count(client, everything, **{"named-graph-uri": KEYS}) == 0
    network = str(IRIS.network_graph)
    assert _count(client, everything, **{"named-graph-uri": [KEYS, network]}) > 0


def test_the_other_graphs_stay_within_reach(client, build_dir):
    """The network graph, by GRAPH, FROM and FROM NAMED; the default graph as published."""
    network = str(IRIS.network_graph)
    links = sum(1 for _ in ox.parse(path=str(build_dir / NETWORK_DUMP), format=ox.RdfFormat.N_QUADS))
    assert _count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{network}> {{ ?s ?p ?o }} }}") == links
    assert _count(client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == links
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM <{network}> WHERE {{ ?s ?p ?o }}") == links
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{network}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert _count(client, named) == links
    assert _count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == BuildInfo.read(build_dir).triples


def test_the_service_description_does_not_name_the_keys(client):
    description = client.get("/sparql", headers={"Accept": "text/turtle"}).text
    assert "sort-keys" not in description and str(IRIS.network_graph) in description


def test_only_the_planners_queries_read_the_keys(build_dir):
    store = open_build(build_dir)
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{KEYS}> {{ ?s <{RANK}> ?o }} }}"
    assert store.select(query) == [{"n": 0}]
    counted = next(iter(store.query(query, sort_keys=True)))[0]
    assert int(counted.value) == len(_ranks(build_dir / SORT_KEYS))


def test_a_store_without_keys_refuses_a_query_that_reads_them(tmp_path):
    with pytest.raises(ValueError, match="no sort keys"):
        OxigraphStore(ox.Store()).query("ASK { ?s ?p ?o }", sort_keys=True)
    with pytest.raises(ValueError, match="no sort keys"):
        SparqlStore("http://127.0.0.1:9/sparql").query("ASK { ?s ?p ?o }", sort_keys=True)


def test_a_key_variable_named_inside_what_the_tokenizer_reads_as_an_iri_stays_unbound(client):
    """Found by review: `<xsd:integer(?s_rank),?s_rank,0>` is one IRI token to the guard's tokenizer, two
    comparisons to the engine; a key variable of that name would have read every subject's rank."""
    query = "SELECT DISTINCT ?s (IF(-1<xsd:integer(?s_rank),?s_rank,0>1) AS ?rank) WHERE { ?s ?p ?o } ORDER BY ?s"
    response = client.get("/sparql", query_string={"query": query}, headers=SPARQL_JSON)
    assert response.status_code == 200, response.text
    bindings = response.json["results"]["bindings"]
    assert bindings and not any("rank" in row for row in bindings)
