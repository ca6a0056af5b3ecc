"""Large builds: N-Triples from the terms, the other dumps through Oxigraph, the on-disk store, opened read-only."""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from ptce import build_folder
from ptce.assets import DATA_DIR
from ptce.build import pipeline, spreadsheet
from ptce.build.pipeline import BuildFailed, publish_build
from ptce.build_folder import STORE_DIR, BuildInfo
from ptce.cli import main
from ptce.graph import graph_triples
from ptce.linkeddata.stats import graph_stats
from ptce.rdf.serialize import ntriples_lines
from ptce.store import bulk
from ptce.store.engine import OxigraphStore, open_build, rdflib_term


@pytest.fixture(scope="module")
def memory_build(tmp_path_factory, synth_dir):
    out = tmp_path_factory.mktemp("mem") / "dist"
    publish_build(out, synth_dir, on_disk=False)
    return out


def test_on_disk_build_has_store_and_same_version(synth_build, memory_build):
    assert (synth_build / STORE_DIR).is_dir()
    assert not (memory_build / STORE_DIR).exists()
    assert BuildInfo.read(synth_build).version == BuildInfo.read(memory_build).version


def triples(path, fmt):
    return {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=fmt)}


@pytest.mark.parametrize(
    "name,fmt",
    [("ptce.ttl", ox.RdfFormat.TURTLE), ("ptce.rdf", ox.RdfFormat.RDF_XML), ("ptce.jsonld", ox.RdfFormat.JSON_LD)],
)
def test_oxigraph_dumps_hold_the_same_graph(synth_build, memory_build, name, fmt):
    written = triples(synth_build / name, fmt)
    assert len(written) == BuildInfo.read(synth_build).triples
    assert written == triples(memory_build / "ptce.nt", ox.RdfFormat.N_TRIPLES)
    assert written == triples(synth_build / "ptce.nt", ox.RdfFormat.N_TRIPLES)


def test_dumps_keep_typed_counts(synth_build):
    graph = Graph().parse(synth_build / "ptce.ttl")
    counts = [o for o in graph.objects() if isinstance(o, Literal) and o.datatype == XSD.integer]
    assert counts, "the synthetic data has partner shop counts, typed xsd:integer"


def test_open_build_uses_the_on_disk_store_read_only(synth_build, memory_build):
    on_disk, in_memory = open_build(synth_build), open_build(memory_build)
    assert isinstance(on_disk, OxigraphStore)
    assert graph_stats(on_disk) == graph_stats(in_memory)
    triple = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("x"))
    with pytest.raises(RuntimeError, match="read-write"):
        on_disk.store.add(triple)
    assert dict(graph_stats(on_disk))["triples"] == BuildInfo.read(synth_build).triples
    network = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert on_disk.select(network) == in_memory.select(network), "the network graph is in the on-disk store too"


def test_two_readers_share_the_store(synth_build):
    first, second = open_build(synth_build), open_build(synth_build)
    assert first.ask("ASK { ?p a ptce:PTCE }") and second.ask("ASK { ?p a ptce:PTCE }")


def test_build_chooses_the_on_disk_store_from_the_threshold(runner, tmp_path, synth_dir, monkeypatch):
    monkeypatch.setattr(build_folder, "LARGE_GRAPH", 1000)
    result = runner.invoke(main, ["build", "--data", str(synth_dir), "--out", str(tmp_path / "auto")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "auto" / STORE_DIR).is_dir()
    result = runner.invoke(
        main, ["build", "--data", str(synth_dir), "--out", str(tmp_path / "mem"), "--store-in-memory"]
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "mem" / STORE_DIR).exists()


TRICKY = [
    (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal('quote " slash \\ tab \t nl \n cr \r')),
    (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("bell \x07 del \x7f ls \u2028 é ✓")),
    (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("Bonjour", lang="fr-FR")),
    (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("plain", datatype=XSD.string)),
    (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal(3, datatype=XSD.nonNegativeInteger)),
    (BNode("b1"), URIRef("http://example.org/p#x"), URIRef("http://example.org/o?a=1&b=%20")),
    (URIRef("http://example.org/société/é✓"), URIRef("http://example.org/p"), Literal("2024", datatype=XSD.gYear)),
]


def test_ntriples_lines_are_what_oxigraph_writes():
    """The lines parse in Oxigraph to the graph's terms, and its writer gives them back byte for byte."""
    text = "".join(ntriples_lines(TRICKY)).encode()
    parsed = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]
    assert [rdflib_term(t.object) for t in parsed][:2] == [o for _, _, o in TRICKY[:2]]
    assert ox.serialize(parsed, format=ox.RdfFormat.N_TRIPLES) == text


def test_ntriples_lines_match_the_build_dump(synth_build):
    graph = Graph().parse(synth_build / "ptce.nt", format="nt")
    with open(synth_build / "ptce.nt", encoding="utf-8") as f:
        assert sorted(ntriples_lines(graph)) == sorted(f)


@pytest.mark.parametrize(
    "term",
    [
        URIRef("http://example.org/a> <http://example.org/b"),
        URIRef("http://example.org/a b"),
        URIRef("no-scheme"),
        BNode("a b"),
        Literal("x", datatype=URIRef("http://example.org/t> .")),
    ],
)
def test_ntriples_refuses_terms_it_cannot_hold(term):
    """A term that would end early and start another triple is refused, never written."""
    triple = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), term)
    with pytest.raises(ValueError, match="N-Triples can hold"):
        list(ntriples_lines([triple]))
    if not isinstance(term, Literal):
        with pytest.raises(ValueError, match="N-Triples can hold"):
            list(ntriples_lines([(term, triple[1], triple[2])]))


def test_a_dump_failing_in_the_background_fails_the_build_and_keeps_the_last(tmp_path, monkeypatch):
    """The formats written by the forked process: its error reaches the build, and the previous build stays."""
    out = tmp_path / "dist"
    first = publish_build(out, DATA_DIR, on_disk=True)

    def no_writer(key):
        raise ValueError(f"no writer for {key} (injected) in process {os.getpid()}")

    monkeypatch.setattr(bulk, "rdf_format", no_writer)
    with pytest.raises(ValueError, match=r"no writer for \w+ \(injected\) in process (\d+)") as raised:
        publish_build(out, DATA_DIR, on_disk=True)
    assert int(raised.value.args[0].rsplit(" ", 1)[1]) != os.getpid(), "written by another process"
    assert BuildInfo.read(out).built_at == first.built_at
    assert (out / "ptce.ttl").stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == ["dist"], "the staged folder is removed"


def with_two_names(sources, iris):
    """The graph's triples with a PTCE given a second French name: shape:PTCE refuses it."""
    triples = graph_triples(sources, iris)
    ptce = min(s for s, p, o in triples if p == RDF.type and o == iris.vocab.PTCE)
    return [*triples, (ptce, SKOS.prefLabel, Literal("un second nom", lang="fr"))]


def test_a_large_build_validated_beside_its_other_steps_refuses_a_graph_that_fails(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    first = publish_build(out, DATA_DIR)
    monkeypatch.setattr(build_folder, "LARGE_GRAPH", 1)  # partitioned in workers while the dumps are written
    monkeypatch.setattr(pipeline, "graph_triples", with_two_names)
    with pytest.raises(BuildFailed, match=r"Exactly one name \(skos:prefLabel\) in French") as raised:
        publish_build(out, DATA_DIR)
    assert not raised.value.report.conforms
    assert BuildInfo.read(out).built_at == first.built_at
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


def test_the_graphs_faults_come_before_an_error_they_may_have_caused_later(tmp_path, monkeypatch):
    """A later step failing on a graph SHACL refuses: the build names SHACL's findings, not the later error."""
    monkeypatch.setattr(build_folder, "LARGE_GRAPH", 1)

    def no_spreadsheets(*args):
        raise RuntimeError("spreadsheets failed (injected)")

    monkeypatch.setattr(spreadsheet, "write_spreadsheets", no_spreadsheets)
    with pytest.raises(RuntimeError, match="spreadsheets failed"):
        publish_build(tmp_path / "good", DATA_DIR)
    monkeypatch.setattr(pipeline, "graph_triples", with_two_names)
    with pytest.raises(BuildFailed) as raised:
        publish_build(tmp_path / "bad", DATA_DIR)
    assert "spreadsheets failed" in str(raised.value.__context__)
    assert not (tmp_path / "good").exists() and not (tmp_path / "bad").exists()


def test_the_version_is_the_same_for_the_same_lines_in_any_order_and_changes_with_any_line():
    lines = [f"<http://example.org/s{n}> <http://example.org/p> {n} .".encode() for n in range(50)]
    version = bulk.lines_version(lines)
    assert bulk.lines_version(reversed(lines)) == version
    assert bulk.lines_version([b"", *(line + b"\n" for line in lines), b"  \n"]) == version
    changed = [lines[0].replace(b"s0", b"s00"), *lines[1:]]
    others = {bulk.lines_version(x) for x in (changed, lines[1:], lines * 2)}
    assert len(others | {version}) == 4, "a changed, a missing, a repeated line"
    assert len(version) == 16 and int(version, 16) >= 0


def test_ntriples_load_by_chunks_keeps_each_blank_node_one_node(tmp_path):
    lines = [f'<http://example.org/s{n}> <http://example.org/p> "{n}" .\n' for n in range(7)]
    lines[1] = '_:b1 <http://example.org/p> "first" .\n'
    lines[5] = "<http://example.org/s5> <http://example.org/q> _:b1 .\n"
    dump = tmp_path / "d.nt"
    dump.write_text("".join(lines), encoding="utf-8")
    store = ox.Store()
    bulk.load_ntriples(store, dump, chunk=2)
    assert len(store) == 7
    blank = {t for q in store for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    assert len(blank) == 1, "the same blank node in two chunks is one node"


def test_ntriples_load_by_chunks_names_the_file_and_lines_of_an_error(tmp_path):
    dump = tmp_path / "d.nt"
    dump.write_text('<http://example.org/s> <http://example.org/p> "1" .\n' * 3 + "not a triple\n", encoding="utf-8")
    with pytest.raises(SyntaxError, match=r"d\.nt, 2 lines of lines 3 to 4: "):
        bulk.load_ntriples(ox.Store(), dump, chunk=2)


def test_a_large_build_makes_no_rdflib_graph_in_its_own_process(tmp_path, monkeypatch):
    """Its dumps are written from the triples; the SHACL process makes the graph it validates."""
    from ptce.validate import shacl

    made_in = tmp_path / "made-in"

    def recording(graph_of):
        def wrapper(*args):
            with open(made_in, "a") as f:
                f.write(f"{os.getpid()}\n")
            return graph_of(*args)

        return wrapper

    monkeypatch.setattr(build_folder, "LARGE_GRAPH", 1)
    monkeypatch.setattr(shacl, "graph_of", recording(shacl.graph_of))
    monkeypatch.setattr(pipeline, "graph_of", recording(pipeline.graph_of))
    info = publish_build(tmp_path / "dist", DATA_DIR)
    pids = [int(p) for p in made_in.read_text().split()]
    assert pids and os.getpid() not in pids
    assert info.triples == len(Graph().parse(tmp_path / "dist" / "ptce.nt"))


@pytest.mark.parametrize("large", [False, True])
def test_links_that_fail_their_shapes_fail_the_build(tmp_path, monkeypatch, large):
    import ptce.network.rdf

    published = ptce.network.rdf.network_triples

    def with_a_bad_link(net, iris):
        links = published(net, iris)
        link = next(links.subjects(RDF.type, iris.vocab.ThemeLink))
        links.set((link, iris.vocab.jaccard, Literal(2.0)))
        return links

    if large:
        monkeypatch.setattr(build_folder, "LARGE_GRAPH", 1)
    monkeypatch.setattr(ptce.network.rdf, "network_triples", with_a_bad_link)
    with pytest.raises(BuildFailed, match="Jaccard") as raised:
        publish_build(tmp_path / "dist", DATA_DIR)
    assert [v.path for v in raised.value.report.violations] == ["ptce:jaccard"]
    assert not (tmp_path / "dist").exists()
