"""The regional map: `/map` (Leaflet, GeoJSON layers only), `/map.geojson` and the department outlines."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, send_file

from ptce.build_folder import OUTLINES
from ptce.geo.mapdata import PRECISION_LABELS, read_map
from ptce.web.caching import cached
from ptce.web.site import get_site

bp = Blueprint("map", __name__)
GEOJSON = "application/geo+json"
# The page loads only its own scripts, styles and data (map.js fetches the two GeoJSON files).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


@bp.get("/map")
@cached
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
    return response


@bp.get("/map.geojson")
@cached
def geojson():
    """The PTCEs as a GeoJSON FeatureCollection (RFC 7946) for GIS tools."""
    data = read_map(get_site().build.store)
    response = Response(json.dumps(data.geojson(), ensure_ascii=False), mimetype=GEOJSON)
    response.headers["Content-Disposition"] = 'inline; filename="ptce-hauts-de-france.geojson"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/map/departements.geojson")
@cached
def outlines():
    """Outlines of the region and its departments, as published with the build."""
    path = get_site().build.folder / OUTLINES
    if not path.is_file():
        abort(404, description="This build has no department outlines; run `ptce build` again.")
    response = send_file(path, mimetype=GEOJSON, etag=False, conditional=False)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
