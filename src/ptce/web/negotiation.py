"""Content negotiation over `ptce.rdf.formats`: a `format=` parameter, else `Accept` with q-values, else 406.

`format=` is for clients that cannot set headers, such as a link in a page; when given it wins over `Accept`.
It takes a short name (`ttl`), a media type, or the names clients commonly send (`turtle`, `rdf+xml`, `n3`, ...);
of several values the first one that names a format counts. With no `Accept` header the first format is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from flask import Response, abort, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable
from werkzeug.http import parse_accept_header

from ptce.rdf.formats import ALIASES, GRAPH_FORMATS, HTML, Format

FORMAT_PARAM = "format"
JSON = Format("json", "application/json", "json", None, "JSON")
PAGE_OR_GRAPH = (HTML, *GRAPH_FORMATS)  # what a dataset resource, the ontology or the scheme is offered as


class UnknownFormat(ValueError):
    """A file suffix or `format=` value names no format this route serves."""

    def __init__(self, name: str, formats: Sequence[Format]):
        super().__init__(f"unknown format {name!r}; available: {', '.join(f.key for f in formats)}")


def _candidates(formats: Sequence[Format]) -> dict[str, Format]:
    """Media types to offer, canonical ones first (so `*/*` picks the first format), then aliases."""
    by_key = {f.key: f for f in formats}
    offered = {f.media_type: f for f in formats}
    offered.update({alias: by_key[key] for alias, key in ALIASES.items() if key in by_key})
    return offered


def _names(formats: Sequence[Format]) -> dict[str, Format]:
    """Every name a `format=` value may use for these formats: key, media type and its subtype, serialiser name."""
    names: dict[str, Format] = {}
    for media_type, f in reversed(_candidates(formats).items()):
        names[media_type] = names[media_type.split("/")[1]] = f
    for f in formats:
        names.update({f.key: f, f.suffix: f, f.label.lower(): f, **({f.rdflib: f} if f.rdflib else {})})
    return names


def best_format(formats: Sequence[Format], accept=None, format_params: Sequence[str] = ()) -> Format | None:
    """The format to answer with, or None when nothing the client asked for is in `formats`."""
    if not formats:
        return None
    if isinstance(format_params, str):
        format_params = [format_params]
    if format_params:
        names = _names(formats)
        return next((names[v.strip().lower()] for v in format_params if v.strip().lower() in names), None)
    if accept is None or not accept:
        return formats[0]
    offered = _candidates(formats)
    match = accept.best_match(list(offered))
    return offered[match] if match else None


@lru_cache(maxsize=1024)
def _cached_best(formats: tuple[Format, ...], accept_header: str, format_params: tuple[str, ...]) -> Format | None:
    return best_format(formats, parse_accept_header(accept_header, MIMEAccept), format_params)


def negotiate(formats: Sequence[Format], what: str = "This resource") -> Format:
    """The best format for the current request (cached per Accept header); 406 listing the choices when none fits."""
    params = tuple(request.values.getlist(FORMAT_PARAM))
    found = _cached_best(tuple(formats), request.headers.get("Accept", ""), params)
    if found is None:
        raise NotAcceptable(not_acceptable_message(formats, what))
    return found


def not_acceptable_message(formats: Sequence[Format], what: str) -> str:
    choices = ", ".join(f"{f.media_type} (format={f.key})" for f in formats)
    return f"{what} is available as: {choices}."


def negotiate_resource(formats: Sequence[Format], suffix: str | None = None) -> tuple[Format | None, bool]:
    """(format, negotiated) for a resource route: a file suffix wins, then `format=`, then Accept (None when
    nothing fits); `negotiated` says Accept decided (so the response varies on it). UnknownFormat for a suffix
    or `format=` value that names nothing offered."""
    explicit = suffix or request.args.get(FORMAT_PARAM)
    if explicit:
        found = _names(formats).get(explicit.strip().lower())
        if found is None:
            raise UnknownFormat(explicit, formats)
        return found, False
    return _cached_best(tuple(formats), request.headers.get("Accept", ""), ()), True


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML (for error bodies); a `.json` URL or an API call always does."""
    if request.path.endswith(".json") or (request.path.startswith("/api/") and request.path != "/api/"):
        return True
    return _cached_best((HTML, JSON), request.headers.get("Accept", ""), ()) is JSON


def wants_html() -> bool:
    """Whether the client asks for HTML by name (browsers do; `*/*` alone is not asking)."""
    return any(media == "text/html" and quality > 0 for media, quality in request.accept_mimetypes)


def choose(offers, suffix: str | None = None) -> tuple[Format, bool]:
    """The format to answer in, or abort: 400 for an unknown `?format=`, 406 when no offer fits Accept."""
    try:
        fmt, negotiated = negotiate_resource(offers, suffix)
    except UnknownFormat as exc:
        abort(400, description=str(exc))
    if fmt is None:
        abort(406, description="Formats disponibles : " + ", ".join(f.media_type for f in offers))
    return fmt, negotiated


def vary(response: Response, negotiated: bool) -> Response:
    if negotiated:
        response.vary.add("Accept")
    return response
