"""What the map shows, read from the published graph with SPARQL: PTCE points as GeoJSON, departments, themes.

The web map, `/map.geojson` and `ptce map` all use `read_map`, so they show the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ptce.i18n import LANGUAGES, N_
from ptce.rdf.geometry import feature_collection, parse_point_wkt, point_feature
from ptce.rdf.slugs import slugify
from ptce.store.engine import Store

# Okabe–Ito colours (safe for colour-blind readers), given to departments in INSEE code order.
DEPARTMENT_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
PRECISION_LABELS = {  # in French; the site's catalogue translates them
    "commune": N_("commune"),
    "territoire": N_("centre du territoire"),
    "departement": N_("département (la source ne nomme pas de lieu)"),
}

PTCES = """
SELECT ?ptce ?name ?dept ?geometry ?wkt ?precision WHERE {
  ?ptce a ptce:PTCE ; skos:prefLabel ?name ; ptce:department ?dept ; geo:hasGeometry ?geometry .
  ?geometry geo:asWKT ?wkt ; ptce:locationPrecision ?precision .
} ORDER BY ?name ?ptce
"""
THEMES = """
SELECT ?ptce ?theme ?label ?broader ?broaderLabel WHERE {
  ?ptce a ptce:PTCE ; dcterms:subject ?theme .
  ?theme skos:prefLabel ?label FILTER(lang(?label) = "LANG")
  OPTIONAL { ?theme skos:broader ?broader . ?broader skos:prefLabel ?broaderLabel FILTER(lang(?broaderLabel) = "LANG") }
} ORDER BY ?label ?theme
"""
AREAS = """
SELECT ?ptce ?label WHERE { ?ptce a ptce:PTCE ; schema:areaServed ?area . ?area skos:prefLabel ?label } ORDER BY ?label
"""
DEPARTMENTS = """
SELECT ?dept ?name ?code ?wkt WHERE {
  ?dept a igeo:Departement ; skos:prefLabel ?name ; igeo:codeINSEE ?code .
  OPTIONAL { ?dept geo:hasGeometry ?point . ?point ptce:locationPrecision "departement" ; geo:asWKT ?wkt }
} ORDER BY ?code
"""


@dataclass(frozen=True)
class Department:
    iri: str
    name: str
    code: str
    colour: str
    count: int
    label_point: tuple[float, float] | None  # (lon, lat) where the map writes the name


@dataclass
class ThemeOption:
    """One choice of the theme filter; it matches PTCEs having any of `matches` (itself and narrower themes)."""

    iri: str
    label: str
    matches: set[str] = field(default_factory=set)
    count: int = 0


@dataclass
class ThemeGroup:
    """A top theme and the narrower themes PTCEs have, for one group of the theme filter."""

    top: ThemeOption
    options: list[ThemeOption] = field(default_factory=list)


@dataclass(frozen=True)
class MapData:
    features: list[dict[str, Any]]
    departments: list[Department]
    theme_groups: list[ThemeGroup]

    def geojson(self) -> dict[str, Any]:
        """The PTCEs as a GeoJSON FeatureCollection, for GIS tools."""
        return feature_collection(self.features)


def _themes(store: Store, lang: str) -> tuple[dict[str, list[tuple[str, str]]], list[ThemeGroup]]:
    """Each PTCE's themes (iri, label in `lang`), and the filter's groups with their PTCE counts."""
    per_ptce: dict[str, list[tuple[str, str]]] = defaultdict(list)
    groups: dict[str, ThemeGroup] = {}
    narrower: dict[str, ThemeOption] = {}
    members: dict[str, set[str]] = defaultdict(set)  # option iri -> PTCEs it matches
    for row in store.select(THEMES.replace("LANG", lang)):
        per_ptce[row["ptce"]].append((row["theme"], row["label"]))
        top_iri, top_label = (row["broader"], row["broaderLabel"]) if row["broader"] else (row["theme"], row["label"])
        group = groups.setdefault(top_iri, ThemeGroup(ThemeOption(top_iri, top_label, {top_iri})))
        members[top_iri].add(row["ptce"])
        if row["broader"]:
            group.top.matches.add(row["theme"])
            if row["theme"] not in narrower:
                narrower[row["theme"]] = ThemeOption(row["theme"], row["label"], {row["theme"]})
                group.options.append(narrower[row["theme"]])
            members[row["theme"]].add(row["ptce"])
    for group in groups.values():
        group.top.count = len(members[group.top.iri])
        for option in group.options:
            option.count = len(members[option.iri])
        group.options.sort(key=lambda o: slugify(o.label))
    for items in per_ptce.values():
        items.sort(key=lambda item: slugify(item[1]))
    return per_ptce, sorted(groups.values(), key=lambda g: slugify(g.top.label))


def read_map(store: Store, lang: str = "fr") -> MapData:
    """Everything the map shows, from the store; theme names in `lang` (every theme has a French and an English
    name: the shapes require both)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; the map speaks {', '.join(LANGUAGES)}")
    themes, groups = _themes(store, lang)
    areas: dict[str, list[str]] = defaultdict(list)
    for row in store.select(AREAS):
        areas[row["ptce"]].append(row["label"])
    rows = store.select(PTCES)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["dept"]] += 1
    departments = [
        Department(
            row["dept"],
            row["name"],
            row["code"],
            DEPARTMENT_COLOURS[i % len(DEPARTMENT_COLOURS)],
            counts[row["dept"]],
            parse_point_wkt(row["wkt"]) if row["wkt"] else None,
        )
        for i, row in enumerate(store.select(DEPARTMENTS))
    ]
    by_iri = {d.iri: d for d in departments}
    features = []
    for row in rows:
        dept = by_iri[row["dept"]]
        lon, lat = parse_point_wkt(row["wkt"])
        properties = {
            "name": row["name"],
            "iri": row["ptce"],
            "department": dept.name,
            "department_code": dept.code,
            "department_iri": dept.iri,
            "themes": [label for _, label in themes[row["ptce"]]],
            "theme_iris": [iri for iri, _ in themes[row["ptce"]]],
            "places": areas[row["ptce"]],
            "precision": row["precision"],
            "location": row["geometry"],
            "marker-color": dept.colour,
        }
        features.append(point_feature(row["ptce"], lon, lat, properties))
    return MapData(features, departments, groups)
