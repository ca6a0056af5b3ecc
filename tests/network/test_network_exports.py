"""Network exports re-read with networkx (and a PNG/SVG reader) give the same graph; the CLI writes them."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from PIL import Image

from ptce.build_folder import BuildInfo
from ptce.cli import main
from ptce.network.cotheme import NetworkParams, build_network
from ptce.network.export import JOIN, export
from ptce.store.engine import open_build

EDGE_NUMBERS = ("weight", "shared", "jaccard", "newman", "p_value")
NODE_NUMBERS = ("community", "degree", "strength", "eigenvector", "betweenness", "participation")


@pytest.fixture(scope="module")
def net(build_dir):
    version = BuildInfo.read(build_dir).version
    return build_network(open_build(build_dir), NetworkParams(weight="jaccard"), build_version=version)


def assert_same_graph(net, other: nx.Graph, lists_joined: bool) -> None:
    g = net.graph
    assert set(other) == set(g)
    assert {frozenset(e) for e in other.edges()} == {frozenset(e) for e in g.edges()}
    for u, v, d in g.edges(data=True):
        o = other.edges[u, v]
        for key in EDGE_NUMBERS:
            assert o[key] == pytest.approx(d[key]), key
        expected = JOIN.join(d["shared_themes"]) if lists_joined else d["shared_themes"]
        assert o["shared_themes"] == expected
    for n, d in g.nodes(data=True):
        o = other.nodes[n]
        assert o["label"] == d["label"] and o["department_label"] == d["department_label"]
        for key in NODE_NUMBERS:
            assert float(o[key]) == pytest.approx(d[key]), key
        assert o["themes"] == (JOIN.join(d["themes"]) if lists_joined else d["themes"])


def test_gexf_round_trip_with_positions_colours_and_metadata(net):
    data = export(net, "gexf")
    back = nx.read_gexf(io.BytesIO(data))
    assert_same_graph(net, back, lists_joined=True)
    for n, d in net.graph.nodes(data=True):
        viz = back.nodes[n]["viz"]
        assert viz["position"]["x"] == pytest.approx(d["x"] * 500) and viz["position"]["y"] == pytest.approx(
            d["y"] * 500
        )
        assert "#{:02x}{:02x}{:02x}".format(*(viz["color"][c] for c in "rgb")) == d["color"]
        assert viz["size"] > 0
    meta = ET.fromstring(data).find("{http://www.gexf.net/1.2draft}meta")
    described = json.loads(meta.find("{http://www.gexf.net/1.2draft}description").text)
    assert (
        described["parameters"]["weight"] == "jaccard" and described["build_version"] == net.metadata["build_version"]
    )


def test_graphml_round_trip_with_metadata(net):
    back = nx.read_graphml(io.BytesIO(export(net, "graphml")))
    assert_same_graph(net, back, lists_joined=True)
    assert json.loads(back.graph["parameters"]) == net.params.as_dict()
    assert back.graph["build_version"] == net.metadata["build_version"]
    assert back.graph["generated_at"] == net.metadata["generated_at"]
    assert "1: " in back.graph["communities"]


def test_json_node_link_round_trip(net):
    data = json.loads(export(net, "json"))
    back = nx.node_link_graph(data, edges="links")
    assert_same_graph(net, back, lists_joined=False)
    assert back.graph["metadata"]["parameters"] == net.params.as_dict()
    assert [c["name"] for c in data["graph"]["communities"]] == [c.name for c in net.communities]
    assert all({"x", "y", "color", "community"} <= set(n) for n in data["nodes"])


def test_csv_edges_round_trip_with_metadata_lines(net):
    text = export(net, "csv").decode("utf-8")
    comments = [line for line in text.splitlines() if line.startswith("# ")]
    meta = dict(line[2:].split(": ", 1) for line in comments)
    assert json.loads(meta["parameters"]) == net.params.as_dict()
    assert meta["build_version"] == net.metadata["build_version"]
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    back = nx.Graph()
    for r in rows:
        back.add_edge(
            r["source"], r["target"], **{k: float(r[k]) for k in EDGE_NUMBERS}, shared_themes=r["shared_themes"]
        )
    g = net.graph
    assert {frozenset(e) for e in back.edges()} == {frozenset(e) for e in g.edges()}
    for u, v, d in g.edges(data=True):
        assert back.edges[u, v]["jaccard"] == d["jaccard"]  # written with repr: exact
        assert back.edges[u, v]["shared_themes"] == JOIN.join(d["shared_themes"])


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_figures_carry_the_metadata(net, fmt):
    data = export(net, fmt)
    if fmt == "png":
        image = Image.open(io.BytesIO(data))
        assert image.format == "PNG" and image.size[0] > 800
        assert json.loads(image.info["Description"])["parameters"]["weight"] == "jaccard"
    else:
        root = ET.fromstring(data)
        text = "".join(root.itertext())
        assert "Anima Grand Calais" in text and net.metadata["build_version"] in text
        assert net.communities[0].name in text


def test_report_names_communities_central_ptces_and_strongest_pairs(net):
    text = export(net, "report").decode("utf-8")
    for c in net.communities:
        assert f"{c.number}. {c.name} ({len(c.members)})" in text
    top = max(net.graph, key=lambda n: net.graph.nodes[n]["strength"])
    assert f"  {net.graph.nodes[top]['label']}: degree" in text
    u, v, d = max(net.graph.edges(data=True), key=lambda e: e[2]["weight"])
    pair = sorted((net.graph.nodes[u]["label"], net.graph.nodes[v]["label"]), key=str.casefold)
    line = next(line for line in text.splitlines() if line.startswith(f"  {pair[0]} — {pair[1]}:"))
    assert ", ".join(d["shared_themes"]) in line
    assert "Coopération territoriale: 8 of 15 PTCEs" in text  # the most held theme, counted from the data
    assert f"Build {net.metadata['build_version']}" in text and "jaccard" in text


def test_unknown_format_is_refused(net):
    with pytest.raises(ValueError, match="unknown format"):
        export(net, "xlsx")


def test_cli_network_report(runner, build_dir):
    result = runner.invoke(main, ["network", "--build", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert "Communities" in result.output and "Strongest pairs" in result.output
    assert "15 PTCEs" in result.output and BuildInfo.read(build_dir).version in result.output
    theme = runner.invoke(main, ["network", "--build", str(build_dir), "--project", "theme", "--broader"])
    assert theme.exit_code == 0 and "rolled up to their broader concept" in theme.output


@pytest.mark.parametrize("fmt", ["gexf", "graphml", "json", "csv", "png", "svg"])
def test_cli_network_writes_each_format(runner, build_dir, tmp_path, fmt):
    out = tmp_path / f"net.{fmt}"
    args = ["network", "--build", str(build_dir), "--weight", "newman", "--min-weight", "0.5", "--format", fmt]
    result = runner.invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    if fmt == "graphml":
        back = nx.read_graphml(out)
        assert back.number_of_edges() > 0
        assert all(d["weight"] >= 0.5 for *_, d in back.edges(data=True))
        assert json.loads(back.graph["parameters"])["min_weight"] == 0.5


def test_cli_network_refuses_bad_input_clearly(runner, build_dir, tmp_path):
    result = runner.invoke(main, ["network", "--build", str(build_dir), "--format", "png"])
    assert result.exit_code == 2 and "give --out FILE" in result.output
    result = runner.invoke(main, ["network", "--build", str(build_dir), "--min-weight", "-2"])
    assert result.exit_code == 2 and "min_weight must be a number >= 0" in result.output
    result = runner.invoke(main, ["network", "--build", str(tmp_path / "none")])
    assert result.exit_code == 1 and "ptce build" in result.output
    assert "Traceback" not in result.output


def test_cli_network_help_has_an_example(runner):
    result = runner.invoke(main, ["network", "--help"])
    assert result.exit_code == 0 and "Example:\n    ptce network" in result.output
