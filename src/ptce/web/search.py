"""Site search: /search (a page) and /search.json over the build's search index (`ptce.linkeddata.search`)."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from ptce.build_folder import SEARCH_INDEX
from ptce.linkeddata.pages import Page
from ptce.linkeddata.search import MAX_QUERY_CHARS, SearchIndex
from ptce.web.caching import cached
from ptce.web.i18n import _
from ptce.web.site import get_site

bp = Blueprint("search", __name__)
PAGE_SIZE = 20
MAX_PAGES = 50


def search_index() -> SearchIndex:
    """The search index of the build in service, opened once per process (a new build, a new index)."""
    folder = get_site().build.folder
    key = ("ptce.search", str(folder), os.getpid())
    ext = current_app.extensions
    if key not in ext:
        if not (folder / SEARCH_INDEX).is_file():
            abort(404, description=_("Cette publication n'a pas d'index de recherche ; relancez `ptce build`."))
        for old in [k for k in ext if isinstance(k, tuple) and k[0] == "ptce.search" and k[1:] != key[1:]]:
            index = ext.pop(old)
            if old[2] == os.getpid():
                index.close()
        ext[key] = SearchIndex(folder / SEARCH_INDEX)
    return ext[key]


def _request() -> tuple[str, int]:
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        abort(400, description=_("La recherche est limitée à %(n)s caractères.", n=MAX_QUERY_CHARS))
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGES:
        abort(400, description=_("Le numéro de page va de 1 à %(n)s.", n=MAX_PAGES))
    return q, int(page)


@bp.get("/search")
@cached
def search_page():
    """The results page: each hit with its kind, its page and the passage that matched, matching words marked."""
    q, page = _request()
    results = search_index().search(q, PAGE_SIZE, (page - 1) * PAGE_SIZE) if q else None
    title = _("Recherche : %(q)s", q=q) if q else _("Recherche")
    view = Page("search.html", title, data={"q": q, "results": results, "page": page, "size": PAGE_SIZE})
    return render_template(view.template, page=view, alternates=[])


@bp.get("/search.json")
@cached
def search_json():
    """The same results as JSON: {query, terms, total, page, results: [{iri, page, kind, label, snippet, …}]}."""
    q, page = _request()
    results = search_index().search(q, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return jsonify({"query": q, "terms": results.terms, "total": results.total, "page": page,
                    "pageSize": PAGE_SIZE, "results": [h.as_json() for h in results.hits]})  # fmt: skip
