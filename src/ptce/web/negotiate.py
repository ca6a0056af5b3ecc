"""Content negotiation for every route: a file suffix or `?format=` wins, else the Accept header (q-values).

A client that sends no Accept header gets the first format offered (HTML where a page exists).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import request

from ..formats import ALIASES, GRAPH_FORMATS, Format

HTML = Format("html", "text/html", "html", None, "HTML")
JSON = Format("json", "application/json", "json", None, "JSON")
PAGE_OR_GRAPH = (HTML, *GRAPH_FORMATS)


class UnknownFormat(ValueError):
    """A suffix or `?format=` names no format this route serves."""

    def __init__(self, name: str, offers: Sequence[Format]):
        self.name = name
        self.offers = offers
        super().__init__(f"unknown format {name!r}; available: {', '.join(f.key for f in offers)}")


def by_name(name: str, offers: Sequence[Format]) -> Format:
    """The offered format a short name, suffix or media type designates; UnknownFormat otherwise."""
    name = name.strip().lower()
    key = ALIASES.get(name, name)
    for fmt in offers:
        if key in (fmt.key, fmt.suffix, fmt.media_type):
            return fmt
    raise UnknownFormat(name, offers)


def from_accept(offers: Sequence[Format]) -> Format | None:
    """The offered format the Accept header prefers; the first offer without a header; None if nothing fits."""
    accept = request.accept_mimetypes
    if not accept:
        return offers[0]
    candidates = [f.media_type for f in offers]
    candidates += [alias for alias, key in ALIASES.items() if any(f.key == key for f in offers)]
    best = accept.best_match(candidates)
    return None if best is None else by_name(best, offers)


def negotiate(offers: Sequence[Format], suffix: str | None = None) -> tuple[Format | None, bool]:
    """(format, negotiated): from the suffix, else `?format=`, else Accept; `negotiated` says Accept decided.

    Raises UnknownFormat for a suffix or `?format=` value that names nothing offered.
    """
    explicit = suffix or request.args.get("format")
    if explicit:
        return by_name(explicit, offers), False
    return from_accept(offers), True


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML (for error bodies)."""
    return from_accept((HTML, JSON)) is JSON
