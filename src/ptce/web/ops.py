"""Operations endpoints under the reserved /-/ prefix."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ptce import __version__
from ptce.web.site import get_site

bp = Blueprint("ops", __name__, url_prefix="/-")


@bp.get("/health")
def health():
    """Liveness and readiness: the store is loaded and answers a query."""
    build = get_site().build
    ok = build.store.ask("ASK { ?s ?p ?o }")
    body = {
        "status": "ok" if ok else "empty",
        "triples": build.info.triples,  # the dataset (default graph), as published
        "quads": len(build.store),  # everything the store holds, the network's named graph included
        "build": build.info.version,
        "built_at": build.info.built_at,
    }
    return jsonify(body), 200 if ok else 503


@bp.get("/version")
def version():
    build = get_site().build
    return jsonify({"software": __version__, "build": build.info.version, "base_iri": build.info.base_iri})
