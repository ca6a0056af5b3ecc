"""The regional map: `/map` (Leaflet, GeoJSON layers only), `/map.geojson` and the department outlines."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request, send_file

from ..locations import PRECISION_LABELS, read_map
from ..publish import OUTLINES
from . import get_site

bp = Blueprint("map", __name__)
GEOJSON = "application/geo+json"
# The page loads only its own scripts, styles and data (map.js fetches the two GeoJSON files).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


def _conditional(response: Response) -> Response:
    """ETag of the build: a client's cached copy stays valid until the next build."""
    response.set_etag(get_site().build.info.version)
    return response.make_conditional(request)


@bp.get("/map")
def page():
    """The map page; the list under the map carries the same content for readers without JavaScript."""
    build = get_site().build
    data = read_map(build.store)
    response = Response(
        render_template(
            "map.html",
            data=data,
            precisions=PRECISION_LABELS,
            local_path=build.iris.path_of,
            base_iri=build.info.base_iri,
        )
    )
    response.headers.setdefault("Content-Security-Policy", CSP)
    return _conditional(response)


@bp.get("/map.geojson")
def geojson():
    """The 15 PTCEs as a GeoJSON FeatureCollection (RFC 7946) for GIS tools."""
    data = read_map(get_site().build.store)
    response = Response(json.dumps(data.geojson(), ensure_ascii=False), mimetype=GEOJSON)
    response.headers["Content-Disposition"] = 'inline; filename="ptce-hauts-de-france.geojson"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _conditional(response)


@bp.get("/map/departements.geojson")
def outlines():
    """Outlines of the region and its departments, as published with the build."""
    path = get_site().build.folder / OUTLINES
    if not path.is_file():
        abort(404, description="This build has no department outlines; run `ptce build` again.")
    response = send_file(path, mimetype=GEOJSON, etag=False, conditional=False)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _conditional(response)
