"""Content negotiation over `ptce.formats`: a `format=` parameter, else `Accept` with q-values, else 406.

`format=` (a short name such as `ttl`, or a media type) is for clients that cannot set headers, such as a link
in a page; when given it wins over `Accept`. With no `Accept` header the first format of the list is used.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from werkzeug.exceptions import NotAcceptable

from ..formats import ALIASES, Format

FORMAT_PARAM = "format"


def _candidates(formats: Sequence[Format]) -> dict[str, Format]:
    """Media types to offer, canonical ones first (so `*/*` picks the first format), then aliases."""
    by_key = {f.key: f for f in formats}
    offered = {f.media_type: f for f in formats}
    offered.update({alias: by_key[key] for alias, key in ALIASES.items() if key in by_key})
    return offered


def best_format(formats: Sequence[Format], accept=None, format_param: str | None = None) -> Format | None:
    """The format to answer with, or None when nothing the client asked for is in `formats`."""
    if not formats:
        return None
    if format_param:
        wanted = format_param.strip().lower()
        return next((f for f in formats if wanted in (f.key, f.media_type)), None) or _candidates(formats).get(wanted)
    if accept is None or not accept:
        return formats[0]
    offered = _candidates(formats)
    match = accept.best_match(list(offered))
    return offered[match] if match else None


def negotiate(formats: Sequence[Format], what: str = "This resource") -> Format:
    """The best format for the current request; 406 listing the choices when none fits."""
    found = best_format(formats, request.accept_mimetypes, request.values.get(FORMAT_PARAM))
    if found is None:
        raise NotAcceptable(not_acceptable_message(formats, what))
    return found


def not_acceptable_message(formats: Sequence[Format], what: str) -> str:
    choices = ", ".join(f"{f.media_type} (format={f.key})" for f in formats)
    return f"{what} is available as: {choices}."
