"""Concrete paths for every route of the app, read from its URL map (a new route is covered automatically)."""

from __future__ import annotations

import re

SAMPLE_VALUES = {"suffix": "ttl", "name": "ptce.ttl"}


def route_paths(app) -> list[str]:
    """One path per rule of the URL map, its variables filled with a plausible value."""

    def fill(match: re.Match) -> str:
        return SAMPLE_VALUES.get(match[1], "ptce/cohose")

    return sorted({re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule) for rule in app.url_map.iter_rules()})
