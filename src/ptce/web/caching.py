"""App-wide HTTP behaviour: build ETags and Last-Modified with 304s, Cache-Control, security headers, errors.

A view marked with `@cached` depends only on the published build and the request (URL, Accept): its 200
responses carry a strong ETag (the build's content hash plus the representation) and the build time as
Last-Modified, and conditional GETs are answered 304. Every response carries a Content-Security-Policy.
Errors are rendered as a short HTML page or JSON; no traceback ever reaches a client.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ptce import __version__
from ptce.i18n import N_
from ptce.web.i18n import _
from ptce.web.negotiation import wants_html, wants_json
from ptce.web.site import get_site

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def cached(view: Callable) -> Callable:
    """Mark a view whose response depends only on the build and the request (URL and Accept)."""
    view.cached_by_build = True  # type: ignore[attr-defined]
    return view


def build_etag(response: Response) -> str:
    """Strong ETag: the build's content hash, plus what else changes the bytes (representation, software)."""
    info = get_site().build.info
    variant = "|".join(
        (
            __version__,
            response.headers.get("Content-Type", ""),
            response.headers.get("Content-Encoding", ""),
            response.headers.get("Content-Language", ""),
            current_app.config.get("DATASET_LICENSE") or "",
        )
    )
    return f"{info.version}-{hashlib.sha256(variant.encode()).hexdigest()[:10]}"


def add_caching(response: Response) -> Response:
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method not in ("GET", "HEAD") or not getattr(view, "cached_by_build", False):
        return response
    if "Set-Cookie" in response.headers:
        response.cache_control.private = True  # an answer that sets a cookie is this client's alone
    elif response.status_code == 200 or 300 <= response.status_code < 400:
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["CACHE_MAX_AGE"]
    if response.status_code != 200:
        return response
    response.set_etag(build_etag(response), weak=False)
    response.last_modified = dt.datetime.fromisoformat(get_site().build.info.built_at)
    return response.make_conditional(request)


def add_build(response: Response) -> Response:
    """Which build made the answer, and which reload put it in service (the front's cache of answers goes by it)."""
    build = get_site().build
    response.headers["X-Ptce-Build"] = f"{build.info.version}.{build.generation}"
    return response


def relative_location(response: Response) -> Response:
    """Redirects the framework makes itself (slashes, trailing slashes) name the request's Host: make them relative."""
    location = response.headers.get("Location")
    if location and location.startswith(request.host_url):
        response.headers["Location"] = "/" + location.removeprefix(request.host_url).lstrip("/")
    return response


def add_security_headers(response: Response) -> Response:
    """A Content-Security-Policy (unless the view set its own) and a few protective headers."""
    response.headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# The site's own words for errors (Werkzeug's are English): a title, and the message when the view gave none.
ERRORS = {
    400: (N_("Requête incorrecte"), N_("La requête n'a pas pu être comprise.")),
    403: (N_("Accès refusé"), N_("Cette action n'est pas permise.")),
    404: (N_("Page introuvable"), N_("Il n'y a rien à cette adresse. La recherche, en haut de la page, peut aider.")),
    405: (N_("Méthode non permise"), N_("Cette adresse ne répond pas à cette méthode HTTP.")),
    406: (N_("Format non disponible"), N_("Cette ressource n'existe pas dans le format demandé.")),
    408: (N_("Délai dépassé"), N_("La requête n'est pas arrivée à temps.")),
    413: (N_("Requête trop longue"), N_("La requête dépasse la taille permise.")),
    415: (N_("Type de contenu non pris en charge"), N_("Le corps de la requête n'est pas d'un type accepté ici.")),
    429: (N_("Trop de requêtes"), N_("Trop de requêtes à la fois ; réessayez dans un moment.")),
    500: (N_("Erreur du serveur"), N_("Le serveur a rencontré une erreur interne.")),
    502: (N_("Serveur distant en échec"), N_("Un serveur dont la réponse dépend n'a pas répondu correctement.")),
    503: (N_("Service indisponible"), N_("Le service est momentanément indisponible ; réessayez dans un moment.")),
    507: (N_("Limite atteinte"), N_("La requête a dépassé une limite du serveur.")),
}


def error_response(code: int, title: str, message: str) -> Response:
    """An error as JSON for JSON clients, a small HTML page for browsers (they ask for text/html), plain text
    for every other client; the title and message in the request's language."""
    title, message = _(title), _(message)
    if wants_json():
        response = jsonify({"error": title, "status": code, "message": message})
    elif wants_html():
        response = Response(render_template("error.html", code=code, title=title, message=message))
    else:
        response = Response(f"{code} {title}\n\n{message}\n", content_type="text/plain; charset=utf-8")
    response.status_code = code
    return response


def http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    title, default = ERRORS.get(exc.code, (exc.name, exc.name))
    own = exc.description if exc.description and exc.description != type(exc).description else None
    response = error_response(exc.code, title, own or default)
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def unexpected_error(exc: Exception):
    """Log the failure with its traceback; the client only learns that something went wrong."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, *ERRORS[500])


def init_app(app: Flask) -> None:
    """Install the caching and security hooks and the error handlers on the app."""
    app.after_request(add_caching)
    app.after_request(add_security_headers)
    app.after_request(relative_location)
    app.after_request(add_build)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
