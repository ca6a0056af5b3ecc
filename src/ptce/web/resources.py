"""Dereferenceable IRIs: `/id/...` answers 303 to `/page/...` (HTML) or `/data/...` (RDF); the ontology; home.

Served locally, the app answers for the base IRI's paths: `/id/ptce/x` is about `{base}id/ptce/x`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from rdflib import Graph
from rdflib.namespace import OWL

from ptce.build_folder import SHAPES_FILE
from ptce.linkeddata.describe import describe, iri_ref, known
from ptce.linkeddata.pages import Page, resource_page
from ptce.linkeddata.shapes import shapes_page
from ptce.rdf.formats import GRAPH_FORMATS, Format
from ptce.rdf.serialize import serialize_graph
from ptce.web.caching import cached
from ptce.web.i18n import _, language
from ptce.web.negotiation import HTML, PAGE_OR_GRAPH, choose, vary
from ptce.web.site import get_site

bp = Blueprint("resources", __name__)


def rdf_response(graph: Graph, fmt: Format, negotiated: bool, status: int = 200) -> Response:
    """A graph serialised in `fmt` (prefixes bound; JSON-LD compacted with the dataset's context)."""
    body = serialize_graph(graph, fmt, get_site().build.iris)
    return vary(Response(body, status=status, mimetype=fmt.media_type), negotiated)


def not_found(iri: str | None, fmt: Format, negotiated: bool) -> Response:
    """404 in the asked format: an error page, or an empty graph (with a comment where the syntax has one).

    `iri` is None when the path cannot name an IRI; it is then not echoed.
    """
    if fmt is HTML:
        message = (
            _("Le jeu de données ne décrit pas la ressource %(iri)s.", iri=iri)
            if iri
            else _("Cette adresse n'est pas un IRI.")
        )
        body = render_template("error.html", code=404, title=_("Ressource inconnue"), message=message)
        return vary(Response(body, status=404, mimetype="text/html"), negotiated)
    response = rdf_response(Graph(), fmt, negotiated, status=404)
    if fmt.key in ("ttl", "nt"):
        about = f"<{iri}>" if iri else "this address"
        response.set_data(f"# 404: the dataset has no description of {about}\n".encode() + response.get_data())
    return response


def render_page(page: Page, alternates: str, status: int = 200) -> Response:
    """A page template with its RDF alternates (`alternates` is the data path without suffix)."""
    links = [(f, f"{alternates}.{f.suffix}") for f in GRAPH_FORMATS] if alternates else []
    return Response(render_template(page.template, page=page, alternates=links), status=status)


def thing_iri(rest: str) -> str | None:
    """The dataset IRI for a path under /id/, or None when the path cannot be an IRI."""
    iri = str(get_site().build.iris.document(f"id/{rest}"))
    try:
        iri_ref(iri)
    except ValueError:
        return None
    return iri


@bp.get("/id/<path:rest>")
@cached
def identifier(rest: str):
    """303 See Other to the page or the data of a resource, by Accept (or `?format=`)."""
    fmt, negotiated = choose(PAGE_OR_GRAPH)
    if rest == "dataset":
        target = url_for("catalog.catalog") if fmt is HTML else url_for("catalog.catalog", suffix=fmt.suffix)
        return vary(redirect(target, 303), negotiated)
    build = get_site().build
    iri = thing_iri(rest)
    if iri is None or not known(build.store, iri):
        return not_found(iri, fmt, negotiated)
    target = f"/page/{rest}" if fmt is HTML else f"/data/{rest}.{fmt.suffix}"
    return vary(redirect(target, 303), negotiated)


@bp.get("/page/<path:rest>")
@cached
def page(rest: str):
    build = get_site().build
    iri = thing_iri(rest)
    found = resource_page(build.store, build.iris, iri, language()) if iri else None
    if found is None:
        return not_found(iri, HTML, False)
    return render_page(found, f"/data/{rest}")


@bp.get("/data/<path:rest>")
@cached
def data(rest: str):
    """The description of a resource in RDF, by suffix (`.ttl`, `.nt`, `.rdf`, `.jsonld`), `?format=` or Accept."""
    stem, dot, suffix = rest.rpartition(".")
    if not dot or "/" in suffix:
        stem, suffix = rest, None
    fmt, negotiated = choose(GRAPH_FORMATS, suffix)
    build = get_site().build
    iri = thing_iri(stem)
    description = describe(build.store, iri, build.iris) if iri else None
    if description is None or not description.exists:
        return not_found(iri, fmt, negotiated)
    return rdf_response(description.graph, fmt, negotiated)


@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
@cached
def ontology(suffix: str | None = None):
    """The ontology: its documentation for browsers, its terms in RDF for clients."""
    fmt, negotiated = choose(PAGE_OR_GRAPH, suffix)
    build = get_site().build
    iri = str(build.iris.ontology)
    if fmt is HTML:
        found = resource_page(build.store, build.iris, iri, language())
        if found is None:
            return not_found(iri, fmt, negotiated)
        return vary(render_page(found, "/ontology"), negotiated)
    description = describe(build.store, iri, build.iris)
    if not description.exists:
        return not_found(iri, fmt, negotiated)
    return rdf_response(description.graph, fmt, negotiated)


@lru_cache(maxsize=4)
def _shapes(folder: Path, version: str) -> Graph | None:
    path = folder / SHAPES_FILE
    return Graph().parse(path, format="turtle") if path.is_file() else None


@bp.get("/shapes")
@bp.get("/shapes.<suffix>")
@cached
def shapes(suffix: str | None = None):
    """The SHACL shapes the build was validated against: their documentation for browsers, the graph for clients."""
    fmt, negotiated = choose(PAGE_OR_GRAPH, suffix)
    build = get_site().build
    graph = _shapes(build.folder, build.info.version)
    if graph is None:
        abort(404, description=_("Cette publication n'a pas de formes SHACL ; relancez `ptce build`."))
    if fmt is HTML:
        return vary(render_page(shapes_page(graph, language()), "/shapes"), negotiated)
    return rdf_response(graph, fmt, negotiated)


@bp.get("/ontology/<path:version>")
@cached
def ontology_version(version: str):
    """A version IRI of the ontology: 303 to the ontology when it is the published version."""
    build = get_site().build
    iri: str | None = f"{build.iris.ontology}/{version}"  # the ontology's IRIs are the same for every deployment
    try:
        published = build.store.ask(f"ASK {{ ?o {iri_ref(OWL.versionIRI)} {iri_ref(iri)} }}")
    except ValueError:
        published, iri = False, None
    if not published:
        fmt, negotiated = choose(PAGE_OR_GRAPH)
        return not_found(iri, fmt, negotiated)
    return redirect(url_for("resources.ontology"), 303)
