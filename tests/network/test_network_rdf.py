"""The co-theme links as linked data: the named graph of a build, its ontology terms, its SHACL shape."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from ptce.build.pipeline import BuildFailed, publish_build
from ptce.build_folder import NETWORK_DUMP
from ptce.graph import load_ontology
from ptce.network import cotheme as network_module
from ptce.network import rdf as network_rdf
from ptce.network.cotheme import build_network
from ptce.store.engine import open_build
from ptce.validate.shacl import load_shapes, validate_graph

from ..checkout import ROOT as PROJECT_ROOT
from ..conftest import IRIS
from ..validate.test_shapes import test_constraint_catches_violation as check_violation

V = IRIS.vocab
NETWORK = str(IRIS.network_graph)
LINK = IRIS.thing("lien", "anima-grand-calais--cohose")
TERMS = ("ThemeLink", "linkedPTCE", "sharedTheme", "sharedThemeCount", "jaccard", "newmanWeight", "pValue")


@pytest.fixture(scope="module")
def store(build_dir):
    return open_build(build_dir)


@pytest.fixture(scope="module")
def links(build_dir) -> Graph:
    """The network dump of the build, its graph IRI dropped."""
    g = Graph()
    for line in (build_dir / NETWORK_DUMP).read_text(encoding="utf-8").splitlines():
        assert line.endswith(f" <{NETWORK}> ."), line
        g.parse(data=line.removesuffix(f" <{NETWORK}> .") + " .", format="nt")
    return g


def test_build_publishes_the_links_in_their_own_named_graph(build_dir, store, graph):
    assert store.ask(f"ASK {{ GRAPH <{NETWORK}> {{ ?l a ptce:ThemeLink }} }}")
    assert not store.ask("ASK { ?l a ptce:ThemeLink }"), "the default graph stays as it was"
    assert not list(graph.subjects(RDF.type, V.ThemeLink)) and not list(graph.subjects(V.linkedPTCE, None))
    named = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert [r["g"] for r in named] == [NETWORK]


def test_links_in_sparql_are_exactly_the_pairs_sharing_a_theme(store):
    """Checked with SPARQL alone: a developer's view of the network graph against the default graph."""
    missing = store.select(f"""
        SELECT ?a ?b WHERE {{
          ?a a ptce:PTCE ; dcterms:subject ?t . ?b a ptce:PTCE ; dcterms:subject ?t . FILTER(STR(?a) < STR(?b))
          FILTER NOT EXISTS {{ GRAPH <{NETWORK}> {{ ?l ptce:linkedPTCE ?a , ?b }} }}
        }}""")
    assert missing == []
    wrong = store.select(f"""
        SELECT ?l ?t WHERE {{
          GRAPH <{NETWORK}> {{ ?l ptce:sharedTheme ?t ; ptce:linkedPTCE ?p }}
          FILTER NOT EXISTS {{ ?p dcterms:subject ?t }}
        }}""")
    assert wrong == []
    unlisted = store.select(f"""
        SELECT ?l ?t WHERE {{
          GRAPH <{NETWORK}> {{ ?l ptce:linkedPTCE ?a , ?b FILTER(?a != ?b) }}
          ?a dcterms:subject ?t . ?b dcterms:subject ?t .
          FILTER NOT EXISTS {{ GRAPH <{NETWORK}> {{ ?l ptce:sharedTheme ?t }} }}
        }}""")
    assert unlisted == []
    counts = store.select(f"""
        SELECT ?l ?n (COUNT(?t) AS ?c) WHERE {{
          GRAPH <{NETWORK}> {{ ?l ptce:sharedThemeCount ?n ; ptce:sharedTheme ?t }}
        }} GROUP BY ?l ?n""")
    assert counts and all(r["n"] == r["c"] for r in counts)


def test_link_weights_are_the_librarys(store):
    net = build_network(store)
    rows = store.select(f"""
        SELECT ?a ?b ?n ?j ?w ?p WHERE {{ GRAPH <{NETWORK}> {{
          ?l a ptce:ThemeLink ; ptce:linkedPTCE ?a , ?b ; ptce:sharedThemeCount ?n ; ptce:jaccard ?j ;
             ptce:newmanWeight ?w ; ptce:pValue ?p FILTER(STR(?a) < STR(?b)) }} }}""")
    assert len(rows) == net.graph.number_of_edges()
    for r in rows:
        d = net.graph.edges[r["a"], r["b"]]
        assert (r["n"], r["j"], r["w"], r["p"]) == (d["shared"], d["jaccard"], d["newman"], d["p_value"])


def test_one_link_as_a_developer_reads_it(links):
    assert (LINK, RDF.type, V.ThemeLink) in links
    ends = {IRIS.thing("ptce", "cohose"), IRIS.thing("ptce", "anima-grand-calais")}
    assert set(links.objects(LINK, V.linkedPTCE)) == ends
    assert set(links.objects(LINK, V.sharedTheme)) == {
        IRIS.thing("theme", t) for t in ("alimentation-durable", "circuits-courts", "precarite-alimentaire")
    }
    assert links.value(LINK, V.sharedThemeCount) == Literal(3, datatype=XSD.integer)
    assert links.value(LINK, V.jaccard).datatype == XSD.double
    assert str(links.value(LINK, RDFS.label)) == "Anima Grand Calais — CoHose"
    assert links.value(IRIS.network_graph, RDFS.label, any=True) is not None


def test_ontology_documents_the_network_terms():
    onto = load_ontology(IRIS)
    for term in TERMS:
        node = V[term]
        assert (node, RDFS.isDefinedBy, IRIS.ontology) in onto, term
        for prop in (RDFS.label, RDFS.comment):
            assert {o.language for o in onto.objects(node, prop)} == {"fr", "en"}, (term, prop)
    assert (V.ThemeLink, RDF.type, OWL.Class) in onto
    assert onto.value(V.jaccard, RDFS.range) == XSD.double
    assert onto.value(V.sharedThemeCount, RDFS.range) == XSD.integer


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(IRIS)


@pytest.fixture(scope="module")
def real(graph, links) -> Graph:
    return graph + links


def test_published_links_conform(real, shapes):
    report = validate_graph(real, shapes)
    assert report.conforms, report.as_text()


def set_value(prop, value):
    def edit(g):
        g.remove((LINK, prop, None))
        if value is not None:
            g.add((LINK, prop, value))

    return edit


CASES = [
    (
        "one-ptce-only",
        lambda g: g.remove((LINK, V.linkedPTCE, IRIS.thing("ptce", "cohose"))),
        "ptce:linkedPTCE",
        "exactly two",
    ),
    (
        "linked-to-a-theme",
        lambda g: g.add((LINK, V.linkedPTCE, IRIS.thing("theme", "biodiversite"))),
        "ptce:linkedPTCE",
        "exactly two",
    ),
    ("no-shared-theme", set_value(V.sharedTheme, None), "ptce:sharedTheme", "at least one shared theme"),
    (
        "shared-theme-outside-scheme",
        lambda g: g.add((LINK, V.sharedTheme, URIRef("https://example.org/x"))),
        "ptce:sharedTheme",
        "theme scheme",
    ),
    ("count-as-string", set_value(V.sharedThemeCount, Literal("3")), "ptce:sharedThemeCount", "integer"),
    ("count-zero", set_value(V.sharedThemeCount, Literal(0)), "ptce:sharedThemeCount", "at least 1"),
    ("jaccard-above-one", set_value(V.jaccard, Literal(1.5)), "ptce:jaccard", "(0, 1]"),
    ("jaccard-missing", set_value(V.jaccard, None), "ptce:jaccard", "(0, 1]"),
    ("newman-negative", set_value(V.newmanWeight, Literal(-0.5)), "ptce:newmanWeight", "positive"),
    ("p-value-decimal-string", set_value(V.pValue, Literal("0.5")), "ptce:pValue", "probability"),
    ("p-value-above-one", set_value(V.pValue, Literal(2.0)), "ptce:pValue", "probability"),
    ("no-label", set_value(RDFS.label, None), "rdfs:label", "label"),
]


@pytest.mark.parametrize(("name", "edit", "path", "words"), CASES, ids=[c[0] for c in CASES])
def test_link_shape_catches_violation(real, shapes, name, edit, path, words):
    check_violation(real, shapes, name, edit, LINK, path, words)


def test_link_iri_pattern(real, shapes):
    g = Graph()
    for t in real:
        g.add(t)
    bad = URIRef(f"{IRIS.base}id/lien/CoHose")
    g.add((bad, RDF.type, V.ThemeLink))
    report = validate_graph(g, shapes)
    assert any(v.focus == str(bad) and "two PTCEs joined by --" in v.message_en for v in report.violations)


def test_build_refuses_links_that_do_not_conform_and_keeps_the_previous_build(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    publish_build(out)
    before = (out / NETWORK_DUMP).read_bytes()
    original = network_rdf.network_triples

    def broken(net, iris):
        g = original(net, iris)
        g.set((LINK, V.pValue, Literal(7.0)))
        return g

    monkeypatch.setattr(network_rdf, "network_triples", broken)
    with pytest.raises(BuildFailed, match="p-value is a probability"):
        publish_build(out)
    assert (out / NETWORK_DUMP).read_bytes() == before


def test_readme_query_of_the_network_graph_runs(store):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Co-theme network", 1)[1]
    query = section.split("```sparql\n", 1)[1].split("```", 1)[0]
    rows = store.select(query)
    assert [r["other"].rsplit("/", 1)[-1] for r in rows][:2] == ["anima-grand-calais", "noeux-environnement"]
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True) and len(rows) == 6


def test_large_builds_publish_each_ptces_strongest_links_only(tmp_path, monkeypatch, links):
    monkeypatch.setattr(network_module, "LARGE_NETWORK", 10)
    monkeypatch.setattr(network_module, "AUTO_TOP_K", 3)
    out = tmp_path / "dist"
    publish_build(out)
    kept = Graph()
    for line in (out / NETWORK_DUMP).read_text(encoding="utf-8").splitlines():
        kept.parse(data=line.removesuffix(f" <{NETWORK}> .") + " .", format="nt")
    pairs = {frozenset(kept.objects(link, V.linkedPTCE)) for link in kept.subjects(RDF.type, V.ThemeLink)}
    expected = build_network(open_build(out), network_module.NetworkParams(top_k=3), analysed=False)
    assert pairs == {frozenset({URIRef(a), URIRef(b)}) for a, b in expected.graph.edges}
    assert 0 < len(pairs) < len(set(links.subjects(RDF.type, V.ThemeLink)))
    description = str(kept.value(IRIS.network_graph, DCTERMS.description))
    assert "Only each PTCE's 3 strongest links (by shared) are kept." in description
