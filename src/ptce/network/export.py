"""Exports of a co-theme network: GEXF (Gephi), GraphML, node-link JSON, CSV edges, PNG/SVG figures, text report.

Every export carries the network's metadata (parameters, build version, date). GEXF and GraphML cannot hold
lists, so list attributes are joined with "; ".
"""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from ptce.network.cotheme import Network
from ptce.network.report import report
from ptce.rdf.formats import NETWORK_FORMATS

FORMATS = {f.key: f for f in NETWORK_FORMATS}
FIGURES = ("png", "svg")
JOIN = "; "


def _scalar(value):
    if isinstance(value, list | tuple):
        return JOIN.join(str(v) for v in value)
    return value


def _flat_metadata(net: Network) -> dict:
    meta = {k: v for k, v in net.metadata.items() if v is not None and k != "parameters"}
    meta["parameters"] = json.dumps(net.params.as_dict(), sort_keys=True)
    meta["communities"] = JOIN.join(f"{c.number}: {c.name}" for c in net.communities)
    return meta


def flat_graph(net: Network) -> nx.Graph:
    """A copy with list attributes joined, missing values dropped and metadata as scalar graph attributes."""
    g = net.graph
    h = nx.Graph()
    h.graph.update(_flat_metadata(net))
    for node, data in g.nodes(data=True):
        h.add_node(node, **{k: _scalar(v) for k, v in data.items() if v is not None})
    for u, v, data in g.edges(data=True):
        h.add_edge(u, v, **{k: _scalar(x) for k, x in data.items() if x is not None})
    return h


def _rgb(color: str) -> dict:
    return {"r": int(color[1:3], 16), "g": int(color[3:5], 16), "b": int(color[5:7], 16), "a": 1.0}


def node_size(g: nx.Graph, node: str, measure: str = "strength", smallest: float = 4.0, largest: float = 24.0) -> float:
    """A display size growing with a centrality (same scale in figures, GEXF and the web view)."""
    top = max((d.get(measure, 0.0) for _, d in g.nodes(data=True)), default=0.0) or 1.0
    return smallest + (largest - smallest) * g.nodes[node].get(measure, 0.0) / top


GRAPH_NAMES = {"ptce": "Réseau co-thématique des PTCE", "theme": "Réseau des thématiques des PTCE"}


def to_gexf(net: Network) -> bytes:
    """GEXF 1.2 with positions, colours (by community) and sizes (by strength) in `viz`, metadata in `meta`."""
    h = flat_graph(net)
    h.graph["name"] = GRAPH_NAMES[net.params.project]  # the GEXF schema wants a name on <graph>
    for node, data in h.nodes(data=True):
        data["viz"] = {
            "position": {"x": data["x"] * 500.0, "y": data["y"] * 500.0, "z": 0.0},
            "color": _rgb(data["color"]),
            "size": node_size(net.graph, node),
        }
    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph(h)
    meta = writer.xml.find("meta")
    description = meta.makeelement("description", {})
    description.text = json.dumps(net.metadata, sort_keys=True, ensure_ascii=False)
    meta.append(description)
    keywords = meta.makeelement("keywords", {})
    keywords.text = "PTCE, Hauts-de-France, co-theme network"
    meta.append(keywords)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def to_graphml(net: Network) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(flat_graph(net), buf, encoding="utf-8")
    return buf.getvalue()


def node_link(net: Network) -> dict:
    """Node-link data (networkx `node_link_data`, key "links"), with metadata and communities under "graph"."""
    data = nx.node_link_data(net.graph, edges="links")
    data["graph"] = {
        **data["graph"],
        "communities": [
            {"number": c.number, "name": c.name, "color": c.color, "members": list(c.members)} for c in net.communities
        ],
    }
    return data


def to_json(net: Network) -> bytes:
    return json.dumps(node_link(net), ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(net: Network) -> bytes:
    """One row per edge; '#' lines first carry the metadata (isolated nodes are not in an edge list)."""
    g = net.graph
    shared = g.graph["shared_attribute"]
    buf = io.StringIO()
    for key, value in _flat_metadata(net).items():
        buf.write(f"# {key}: {value}\n")
    columns = ["source", "target", "source_label", "target_label", "weight", "shared", "jaccard", "newman"]
    columns += ["p_value", shared, f"{shared}_iris", "source_community", "target_community"]
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for u, v, d in g.edges(data=True):
        ends = [u, v, g.nodes[u]["label"], g.nodes[v]["label"]]
        numbers = [repr(d["weight"]), d["shared"], repr(d["jaccard"]), repr(d["newman"]), repr(d["p_value"])]
        lists = [_scalar(d[shared]), _scalar(d[f"{shared}_iris"])]
        writer.writerow([*ends, *numbers, *lists, g.nodes[u]["community"], g.nodes[v]["community"]])
    return buf.getvalue().encode("utf-8")


def to_figure(net: Network, fmt: str = "png") -> bytes:
    """A static figure (matplotlib, no pyplot): fixed-seed layout, colours by community, sizes by strength."""
    from matplotlib import rc_context
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    g = net.graph
    nodes = sorted(g)
    fig = Figure(figsize=(11, 8.5), dpi=110)
    ax = fig.add_axes((0.02, 0.14, 0.96, 0.8))
    ax.set_axis_off()
    top = max((d["weight"] for *_, d in g.edges(data=True)), default=1.0)
    segments = [[(g.nodes[u]["x"], g.nodes[u]["y"]), (g.nodes[v]["x"], g.nodes[v]["y"])] for u, v in g.edges()]
    widths = [0.5 + 3.5 * d["weight"] / top for *_, d in g.edges(data=True)]
    ax.add_collection(LineCollection(segments, linewidths=widths, colors="#8a94a6", alpha=0.45, zorder=1))
    ax.scatter(
        [g.nodes[n]["x"] for n in nodes],
        [g.nodes[n]["y"] for n in nodes],
        s=[node_size(g, n) ** 2 for n in nodes],
        c=[g.nodes[n]["color"] for n in nodes],
        edgecolors="white",
        linewidths=1.0,
        zorder=2,
    )
    for n in nodes:
        ax.annotate(g.nodes[n]["label"], (g.nodes[n]["x"], g.nodes[n]["y"]), fontsize=7, ha="center",
                    va="bottom", xytext=(0, 7), textcoords="offset points", zorder=3)  # fmt: skip
    ax.margins(0.12)
    p = net.params
    fig.suptitle(f"{net.metadata['title']} — weight: {p.weight}, min weight {p.min_weight:g}", fontsize=11)
    shown = net.communities[:8]
    handles = [Line2D([], [], marker="o", linestyle="", color=c.color, markersize=7) for c in shown]
    fig.legend(handles, [f"{c.number}. {c.name} ({len(c.members)})" for c in shown], loc="lower left",
               bbox_to_anchor=(0.01, 0.035), ncols=2, fontsize=7, frameon=False,
               title=f"Communities ({p.method}, resolution {p.resolution:g}, seed {p.seed})",
               title_fontsize=7, alignment="left")  # fmt: skip
    fig.text(0.02, 0.015, _footer(net), fontsize=7, color="#5b6475")
    buf = io.BytesIO()
    description = json.dumps(net.metadata, sort_keys=True, ensure_ascii=False)
    metadata = {"Title": net.metadata["title"], "Description": description}
    if fmt == "svg":
        metadata["Date"] = net.metadata["generated_at"]
    with rc_context({"svg.hashsalt": "ptce-network", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


def _footer(net: Network) -> str:
    m = net.metadata
    return f"Build {m['build_version'] or 'unknown'} · ptce {m['software_version']} · computed {m['generated_at']}"


def export(net: Network, key: str) -> bytes:
    """The network in one of NETWORK_FORMATS (by key)."""
    if key not in FORMATS:
        raise ValueError(f"unknown format {key!r}; expected one of {', '.join(FORMATS)}")
    if key in FIGURES:
        return to_figure(net, key)
    writers = {"report": lambda n: report(n).encode("utf-8"), "gexf": to_gexf, "graphml": to_graphml,
               "json": to_json, "csv": to_csv}  # fmt: skip
    return writers[key](net)
