"""The regional map: `/map` (Leaflet, GeoJSON layers only), `/map.geojson` and the department outlines."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request, send_file

from ptce.build_folder import OUTLINES
from ptce.geo.mapdata import PRECISION_LABELS, read_map
from ptce.i18n import LANGUAGES, SOURCE_LANGUAGE
from ptce.web.caching import cached
from ptce.web.i18n import _, language, not_remembered
from ptce.web.site import get_site, public_url

bp = Blueprint("map", __name__)
GEOJSON = "application/geo+json"
# The page loads only its own scripts, styles and data (map.js fetches the two GeoJSON files).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
# The embeddable map: the same, in frames of any site (and its forms may only come back here).
EMBED_CSP = CSP.replace("frame-ancestors 'self'", "frame-ancestors *") + "; form-action 'self'"
EMBED_HEIGHT = 480


def embed_snippet(url: str) -> str:
    """The HTML another site pastes to show the map (its title in the page's language)."""
    title = _("Carte des PTCE des Hauts-de-France").replace('"', "&quot;")
    return (f'<iframe src="{url}" title="{title}" width="100%" height="{EMBED_HEIGHT}" '
            'style="border:0" loading="lazy"></iframe>')  # fmt: skip


def data_language() -> dict[str, str]:
    """The query string that asks /map.geojson for theme names in the page's language (none for French)."""
    return {} if language() == SOURCE_LANGUAGE else {"lang": language()}


def embed_filters(data) -> dict[str, str | None]:
    """The theme and department named in the request (`theme`: a theme's slug or IRI; `departement`: a code,
    slug or IRI), as the filters' option values; 400 for one the map does not know."""
    options = {o.iri for g in data.theme_groups for o in (g.top, *g.options)}
    iris = get_site().build.iris
    theme = request.args.get("theme") or None
    if theme is not None:
        theme = theme if theme in options else str(iris.thing("theme", theme))
        if theme not in options:
            abort(
                400,
                description=_("Thématique inconnue de la carte : donnez le nom court d'une thématique de /id/theme."),
            )
    department = request.args.get("departement") or None
    if department is not None:
        found = [d.iri for d in data.departments if department in (d.code, d.iri, (iris.split(d.iri) or ("", ""))[1])]
        if not found:
            codes = ", ".join(d.code for d in data.departments)
            abort(400, description=_("Département inconnu de la carte : donnez son code (%(codes)s).", codes=codes))
        department = found[0]
    return {"theme": theme, "department": department}


@bp.get("/map")
@cached
def page():
    """The map page; the list under the map carries the same content for readers without JavaScript."""
    build = get_site().build
    data = read_map(build.store, language())
    embed_url = public_url("map/embed") + ("?lang=" + language() if language() != SOURCE_LANGUAGE else "")
    response = Response(
        render_template(
            "map.html",
            data=data,
            data_language=data_language(),
            precisions=PRECISION_LABELS,
            local_path=build.iris.path_of,
            base_iri=build.info.base_iri,
            selected={},
            embed_url=embed_url,
            embed_snippet=embed_snippet(embed_url),
        )
    )
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


@bp.get("/map/embed")
@cached
def embed():
    """The map alone, for other sites' frames (`?theme=` and `?departement=` preset its filters, `?lang=` its
    language, for this answer only: an embedded map sets no cookie)."""
    not_remembered()
    build = get_site().build
    data = read_map(build.store, language())
    html = render_template("map_embed.html", data=data, base_iri=build.info.base_iri, selected=embed_filters(data),
                           site_url=public_url("map"), data_language=data_language())  # fmt: skip
    response = Response(html)
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


@bp.get("/map.geojson")
@cached
def geojson():
    """The PTCEs as a GeoJSON FeatureCollection (RFC 7946) for GIS tools; `?lang=en` names the themes in English."""
    lang = request.args.get("lang", SOURCE_LANGUAGE)
    if lang not in LANGUAGES:
        abort(400, description=f"lang: one of {', '.join(LANGUAGES)}")
    data = read_map(get_site().build.store, lang)
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
