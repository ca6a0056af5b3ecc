"""The dataset as files and as metadata: dumps, VoID, the DCAT catalog; sitemap.xml, robots.txt, favicon.

The dumps, VoID and DCAT files are written by `ptce build`; this module only serves them, with the licence
set in the app's configuration (`DATASET_LICENSE`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_from_directory
from rdflib import Graph

from ptce.build_folder import (
    CATALOG_FILE,
    CONTEXT,
    NETWORK_DUMP,
    SHAPES_FILE,
    TABLE_CSV,
    TABLE_FILES,
    TABLE_SCHEMA,
    TABLE_XLSX,
    VOID_FILE,
    downloads,
)
from ptce.linkeddata.dataset import dataset_summary, read_metadata
from ptce.linkeddata.pages import SCHEMA_CONTEXT, Page, home_page
from ptce.rdf.formats import GRAPH_FORMATS, Format
from ptce.rdf.serialize import serialize_graph
from ptce.web.caching import cached
from ptce.web.i18n import _, language
from ptce.web.negotiation import HTML, PAGE_OR_GRAPH, choose, vary
from ptce.web.site import get_site, public_url

bp = Blueprint("catalog", __name__)

EXTRA_FILES = {CONTEXT: "application/ld+json", SHAPES_FILE: "text/turtle", NETWORK_DUMP: "application/n-quads"}
SITEMAP_PAGES = ("/", "/catalog", "/ontology", "/shapes", "/map", "/network", "/sparql")
SITEMAP_MAX_URLS = 50_000  # what one sitemap may list (sitemaps.org protocol)
SITEMAP_THINGS = """
SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "%s")) } ORDER BY ?s LIMIT %d
"""


@lru_cache(maxsize=8)
def _metadata(folder: Path, version: str, name: str, license: str | None) -> Graph:
    return read_metadata(folder, name, license)


@lru_cache(maxsize=32)
def _serialized(folder: Path, version: str, name: str, license: str | None, fmt: Format) -> bytes:
    graph = _metadata(folder, version, name, license)
    return serialize_graph(graph, fmt, get_site().build.iris)


def _key(name: str) -> tuple | None:
    build = get_site().build
    if not (build.folder / name).is_file():
        return None
    return build.folder, build.info.version, name, current_app.config.get("DATASET_LICENSE")


def metadata_response(name: str, fmt: Format, negotiated: bool) -> Response:
    """A metadata file of the current build (VOID_FILE or CATALOG_FILE) in an RDF format."""
    key = _key(name)
    if key is None:
        abort(404, description=_("Cette publication n'a pas de fichier %(name)s ; relancez `ptce build`.", name=name))
    return vary(Response(_serialized(*key, fmt), mimetype=fmt.media_type), negotiated)


@bp.get("/")
@cached
def home():
    """The home page: the dataset as its catalog describes it, and the PTCEs."""
    build = get_site().build
    page = home_page(build.store, build.iris, language())
    info = dataset_info()
    page.jsonld = dataset_jsonld(info) if info else {}
    return render_template(page.template, page=page, dataset=info, alternates=[])


def dataset_info() -> dict:
    """The dataset's title, description, licence and downloads, as its DCAT description states them."""
    key = _key(CATALOG_FILE)
    return dataset_summary(_metadata(*key), get_site().build.iris, language()) if key else {}


@bp.get("/dumps/")
def dumps_index():
    return redirect("/catalog#telechargements", 302)


@bp.get("/dumps/<name>")
@cached
def dump(name: str):
    """A dump of the whole dataset, exactly as `ptce build` wrote it (the store is loaded from the same build)."""
    build = get_site().build
    files = {d.name: d.media_type for d in downloads(build.folder, build.info)} | EXTRA_FILES
    if name not in files:
        abort(404, description=_("Pas de fichier %(name)s ; voir /catalog.", name=name))
    max_age = current_app.config["CACHE_MAX_AGE"]  # the ETag and 304s come from `caching`, as for every view
    return send_from_directory(build.folder, name, mimetype=files[name], etag=False, conditional=False, max_age=max_age)


SPREADSHEETS = {name: fmt.media_type for name, fmt in TABLE_FILES.items()} | {TABLE_SCHEMA: "application/json"}


@bp.get(f"/{TABLE_CSV}", defaults={"name": TABLE_CSV})
@bp.get(f"/{TABLE_XLSX}", defaults={"name": TABLE_XLSX})
@bp.get(f"/{TABLE_SCHEMA}", defaults={"name": TABLE_SCHEMA})
@cached
def spreadsheet(name: str):
    """The directory as a spreadsheet (one row per PTCE), or its Table Schema, as `ptce build` wrote them."""
    build = get_site().build
    if not (build.folder / name).is_file():
        abort(404, description=_("Cette publication n'a pas de fichier %(name)s ; relancez `ptce build`.", name=name))
    response = send_from_directory(build.folder, name, mimetype=SPREADSHEETS[name], etag=False, conditional=False,
                                   max_age=current_app.config["CACHE_MAX_AGE"])  # fmt: skip
    if name == TABLE_XLSX:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/.well-known/void")
@cached
def void():
    """The VoID description (Turtle by default; any RDF format by Accept or `?format=`)."""
    return metadata_response(VOID_FILE, *choose(GRAPH_FORMATS))


@bp.get("/catalog")
@bp.get("/catalog.<suffix>")
@cached
def catalog(suffix: str | None = None):
    """The DCAT catalog: a page for browsers, RDF for harvesters.

    A request with no Accept header at all is a harvester's (browsers always send one): it gets Turtle, without a
    redirect (data.gouv.fr's harvester sends none and follows none)."""
    if suffix is None and "Accept" not in request.headers:
        return metadata_response(CATALOG_FILE, GRAPH_FORMATS[0], True)
    fmt, negotiated = choose(PAGE_OR_GRAPH, suffix)
    if fmt is not HTML:
        return metadata_response(CATALOG_FILE, fmt, negotiated)
    info = dataset_info()
    if not info:
        abort(
            404,
            description=_("Cette publication n'a pas de fichier %(name)s ; relancez `ptce build`.", name=CATALOG_FILE),
        )
    page = Page("catalog.html", info["title"] or _("Données"), data=info, jsonld=dataset_jsonld(info))
    links = [(f, f"/catalog.{f.suffix}") for f in GRAPH_FORMATS]
    return vary(Response(render_template(page.template, page=page, dataset=info, alternates=links)), negotiated)


def dataset_jsonld(info: dict) -> dict:
    """The dataset as schema.org JSON-LD (what dataset search engines read)."""
    build = get_site().build
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "Dataset",
        "@id": str(build.iris.dataset),
        "name": info["title"],
        "description": info["description"],
        "keywords": info["keywords"],
        "license": info["license"],
        "dateModified": info["modified"],
        "distribution": [
            {"@type": "DataDownload", "contentUrl": d["url"], "encodingFormat": d["media_type"]}
            for d in info["distributions"]
        ],
    }


@bp.get("/sitemap.xml")
def sitemap():
    """Every page of the site, with the build time as last modification."""
    build = get_site().build
    things = build.store.select(SITEMAP_THINGS % (build.iris.document("id/"), SITEMAP_MAX_URLS - len(SITEMAP_PAGES)))
    paths = list(SITEMAP_PAGES)
    paths += [build.iris.page_path(row["s"]) for row in things]
    body = render_template("sitemap.xml", urls=[public_url(p) for p in paths], lastmod=build.info.built_at)
    return Response(body, mimetype="application/xml")


@bp.get("/favicon.ico")
def favicon():
    """The site icon, where browsers look for it."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", "Disallow: /sparql", "Disallow: /-/", "", f"Sitemap: {public_url('sitemap.xml')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")
