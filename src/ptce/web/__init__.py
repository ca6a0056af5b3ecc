"""The web application: `create_app(config)` and its blueprints. Reads only the store and the published build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from ptce.rdf.namespaces import ETALAB_LICENCE
from ptce.web.site import Site

DEFAULTS: dict[str, Any] = {
    # A published build folder (see `ptce build`); required.
    "BUILD_DIR": "dist",
    # Where users reach the site (ending in /): absolute URLs the app writes (service description, robots.txt,
    # sitemap.xml, redirects) start with it, never with the request's Host header. None: the build's base IRI.
    "PUBLIC_URL": None,
    # Where queries run: None for the embedded Oxigraph store of the build, or "sparql:URL" for an existing
    # SPARQL 1.1 server holding the build (published there with `ptce publish`).
    "STORE": None,
    # Seconds a SPARQL query may run before it is stopped with 503.
    "QUERY_TIMEOUT": 10.0,
    # Most rows a SELECT returns; longer results are cut and flagged.
    "ROW_LIMIT": 10_000,
    # Largest request body accepted, in bytes (413 beyond).
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # Licence stated by VoID and DCAT (an IRI); by default Etalab's Licence Ouverte 2.0.
    "DATASET_LICENSE": ETALAB_LICENCE,
    # Seconds a client may reuse a page, data or dump before revalidating it (ETag / Last-Modified).
    "CACHE_MAX_AGE": 300,
    # Content-Security-Policy of every response that does not set its own.
    "CONTENT_SECURITY_POLICY": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    # SPARQL endpoints a SERVICE clause may call (exact URLs); empty: the endpoint makes no outbound request at all.
    "FEDERATION_ALLOWLIST": (),
    # Query processes per server process (see ptce.query.runner): users' queries run there, walled in, never in the
    # server process itself.
    "QUERY_PROCESSES": 2,
    # Bytes of memory one query may take in its query process (507 beyond); the server's worst case is about
    # server processes × QUERY_PROCESSES × this, plus the build each process holds.
    "MAX_QUERY_MEMORY": 1024**3,
    # Bytes of query answers each server process keeps to answer the same query again without running it (a
    # build's answers never change); answers larger than 1/16 of it are not kept. 0: no cache.
    "RESULT_CACHE_BYTES": 64 * 1024**2,
    # Largest serialised result, in bytes (507 beyond).
    "MAX_RESULT_BYTES": 256 * 1024**2,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app serving a published build; `config` overrides DEFAULTS."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False
    from ptce.web.bidi import finalize

    app.jinja_env.finalize = finalize
    site = Site.load(Path(app.config["BUILD_DIR"]), app.config["STORE"], app.config["QUERY_TIMEOUT"])
    app.extensions["ptce"] = site

    from ptce.web import api, caching, catalog, cors, formatting, i18n, network, ops, resources, search, sparql
    from ptce.web import map as map_views
    from ptce.web.bodies import BoundedBodies

    app.wsgi_app = BoundedBodies(app.wsgi_app, lambda: app.config["MAX_CONTENT_LENGTH"])
    cors.init_app(app)
    formatting.init_app(app)
    for blueprint in (ops.bp, sparql.bp, resources.bp, catalog.bp, map_views.bp, network.bp, search.bp, api.bp):
        app.register_blueprint(blueprint)
    caching.init_app(app)
    i18n.init_app(app)  # after caching: its headers are set before the ETag is made of them
    return app
