"""Small geometry helpers: WKT points, GeoJSON features, and point-in-polygon by ray casting.

Coordinates are longitude, latitude (WGS 84), the axis order of GeoJSON (RFC 7946) and of GeoSPARQL's
default reference system (CRS84) for `geo:wktLiteral`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT_RE = re.compile(
    rf"^\s*(?:<(?P<crs>[^>\s]+)>\s*)?POINT\s*\(\s*(?P<x>{_NUMBER})\s+(?P<y>{_NUMBER})\s*\)\s*$", re.IGNORECASE
)


def point_wkt(lon: float, lat: float) -> str:
    """The WKT text of a point, e.g. 'POINT(2.2571 50.51541)' (GeoSPARQL 1.1, section 8.5.1)."""
    return f"POINT({lon!r} {lat!r})"


def _ring_wkt(ring: Sequence[Sequence[float]]) -> str:
    return "(" + ", ".join(f"{x!r} {y!r}" for x, y, *_ in ring) + ")"


def outline_wkt(geometry: dict[str, Any]) -> str:
    """The WKT text of a GeoJSON Polygon or MultiPolygon, its coordinates unchanged: 'MULTIPOLYGON(((2.1 50.2, …)))'
    (rings in GeoJSON's order, exterior first)."""
    if geometry.get("type") == "Polygon":
        return "POLYGON(" + ", ".join(_ring_wkt(r) for r in geometry["coordinates"]) + ")"
    if geometry.get("type") == "MultiPolygon":
        polygons = ("(" + ", ".join(_ring_wkt(r) for r in rings) + ")" for rings in geometry["coordinates"])
        return "MULTIPOLYGON(" + ", ".join(polygons) + ")"
    raise ValueError(f"expected a Polygon or MultiPolygon, got {geometry.get('type')!r}")


def parse_point_wkt(text: str) -> tuple[float, float]:
    """(lon, lat) of a WKT point, optionally prefixed by the CRS84 IRI; ValueError for anything else."""
    match = _POINT_RE.match(text)
    if not match:
        raise ValueError(f"not a WKT point: {text!r:.80}")
    if match["crs"] and match["crs"] != CRS84:
        raise ValueError(f"unsupported coordinate reference system <{match['crs']}>")
    lon, lat = float(match["x"]), float(match["y"])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"coordinates out of range: {lon} {lat}")
    return lon, lat


def _in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting: does a ray from the point towards +x cross the ring an odd number of times?"""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[i - 1][0], ring[i - 1][1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def point_in_polygon(lon: float, lat: float, geometry: dict[str, Any]) -> bool:
    """Is the point inside a GeoJSON Polygon or MultiPolygon (holes excluded)?"""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"expected a Polygon or MultiPolygon, got {kind!r}")
    for rings in polygons:
        if rings and _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
            return True
    return False


def polygon_rings(geometry: dict[str, Any]) -> list[Sequence[Sequence[float]]]:
    """Every ring (exterior and holes) of a GeoJSON Polygon or MultiPolygon, for drawing outlines."""
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"expected a Polygon or MultiPolygon, got {geometry.get('type')!r}")


def point_feature(feature_id: str, lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature with a Point geometry (RFC 7946, section 3.2)."""
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def feature_collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946, section 3.3)."""
    return {"type": "FeatureCollection", "features": list(features)}


def features_by(collection: dict[str, Any], key: str, value: str) -> list[dict[str, Any]]:
    """The features of a collection whose property `key` equals `value`."""
    return [f for f in collection.get("features", []) if (f.get("properties") or {}).get(key) == value]
