"""Read the located places of `data/geo/`: one checked point per territory, department and combination.

`places.csv` gives each place a point, a precision and the method that produced it; `hauts-de-france.geojson`
gives the department outlines every point must lie in; `source.yaml` names the data they are derived from.
Problems are reported like those of the YAML files: file, line, field, what was expected.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

from ptce.rdf.geometry import features_by, point_in_polygon
from ptce.sources.fields import INSEE_COMMUNE_RE, SLUG_RE, Checker, read_yaml, relative_name
from ptce.sources.records import Geography, GeographySource, Location, Place, Problem, Ptce

PLACES_FILE = "geo/places.csv"
OUTLINES_FILE = "geo/hauts-de-france.geojson"
SOURCE_FILE = "geo/source.yaml"
COLUMNS = ("slug", "name", "precision", "insee_codes", "method", "lon", "lat", "parts")
PRECISIONS = ("commune", "territoire", "departement")
_SOURCE = {"slug": ("slug", True), "title": ("text", True), "url": ("text", True)}


def _row_location(c: Checker, row: dict[str, str], line: int) -> Location | None:
    """A Location from one CSV row, or None after reporting what is wrong with it."""
    ok = True
    for name in ("slug", "name", "precision", "method", "lon", "lat"):
        if not (row.get(name) or "").strip():
            c.fail(line, name, "must not be empty")
            ok = False
    if not ok:
        return None
    if not SLUG_RE.match(row["slug"]):
        c.fail(line, "slug", f"{row['slug']!r} is not a slug (lower-case ASCII letters, digits, hyphens)")
    if row["precision"] not in PRECISIONS:
        c.fail(line, "precision", f"{row['precision']!r} is not one of {', '.join(PRECISIONS)}")
    coords = {}
    for name, bound in (("lon", 180), ("lat", 90)):
        try:
            coords[name] = float(row[name])
        except ValueError:
            c.fail(line, name, f"expected a number, got {row[name]!r}")
            continue
        if not (math.isfinite(coords[name]) and -bound <= coords[name] <= bound):
            c.fail(line, name, f"{row[name]} is outside -{bound}..{bound}")
    codes = tuple((row.get("insee_codes") or "").split())
    for code in codes:
        if not INSEE_COMMUNE_RE.match(code):
            c.fail(line, "insee_codes", f"{code!r} is not a commune INSEE code")
    parts = tuple((row.get("parts") or "").split())
    if len(coords) < 2:
        return None
    return Location(
        row["slug"], row["name"], row["precision"], codes, row["method"], coords["lon"], coords["lat"], parts
    )


def _place_of(c: Checker, loc: Location, line: int, places: dict[str, Place]) -> Location:
    """Check a location against the place it locates (geography.yaml); return it with its department."""
    if loc.parts:
        unknown = [p for p in loc.parts if p not in places or places[p].kind == "departement"]
        if unknown or len(loc.parts) < 2:
            c.fail(line, "parts", f"a combination lists two or more known territories; unknown: {unknown}")
            return loc
        depts = {places[p].departement for p in loc.parts}
        if len(depts) != 1:
            c.fail(line, "parts", f"the parts lie in several departments: {', '.join(sorted(depts))}")
            return loc
        expected, dept = "territoire", depts.pop()
    elif loc.slug not in places:
        c.fail(line, "slug", f"unknown place {loc.slug!r}; a row locates a territory or a department of geography.yaml")
        return loc
    else:
        place = places[loc.slug]
        expected = "departement" if place.kind == "departement" else place.kind
        dept = place.slug if place.kind == "departement" else place.departement
        if place.kind == "commune" and loc.insee_codes != (place.insee,):
            c.fail(line, "insee_codes", f"expected the commune's code {place.insee}, got {' '.join(loc.insee_codes)!r}")
    if loc.precision != expected:
        c.fail(line, "precision", f"expected {expected!r} for {loc.slug!r}, got {loc.precision!r}")
    return replace(loc, departement=dept)


def _read_outlines(path: Path, rel: str, departements: list[Place], problems: list[Problem]) -> dict[str, dict]:
    """The outline geometry of each department, by slug."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem(rel, 0, "", f"cannot read GeoJSON: {exc}"))
        return {}
    outlines = {}
    for dept in departements:
        found = [f for f in features_by(collection, "slug", dept.slug) if f["properties"].get("kind") == "departement"]
        geometry = found[0].get("geometry") if len(found) == 1 else None
        if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(rel, 0, dept.slug, "expected one departement feature with a (Multi)Polygon"))
        else:
            outlines[dept.slug] = geometry
    return outlines


def load_geography(
    data_dir: Path, departements: list[Place], territoires: list[Place], ptces: list[Ptce], problems: list[Problem]
) -> Geography | None:
    """Read and check `data/geo/`; append problems, return None when something essential is missing."""
    places = {p.slug: p for p in [*departements, *territoires]}
    source = _read_source(data_dir, problems)
    path = data_dir / PLACES_FILE
    c = Checker(relative_name(path, data_dir), problems)
    outlines = _read_outlines(
        data_dir / OUTLINES_FILE, relative_name(data_dir / OUTLINES_FILE, data_dir), departements, problems
    )
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                c.fail(1, "", f"expected the columns {','.join(COLUMNS)}; got {','.join(reader.fieldnames or [])}")
                return None
            rows = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        c.fail(0, "", f"cannot read CSV: {exc}")
        return None
    locations: dict[str, Location] = {}
    for line, row in rows:
        loc = _row_location(c, row, line)
        if loc is None:
            continue
        if loc.slug in locations:
            c.fail(line, "slug", f"duplicate place {loc.slug!r}")
            continue
        loc = _place_of(c, loc, line, places)
        outline = outlines.get(loc.departement)
        if outline and not point_in_polygon(loc.lon, loc.lat, outline):
            c.fail(
                line,
                "lon,lat",
                f"({loc.lon}, {loc.lat}) is outside the outline of {loc.departement} in {OUTLINES_FILE}",
            )
        locations[loc.slug] = loc
    _check_coverage(c, locations, places, ptces, problems, {row.get("slug") for _, row in rows})
    return Geography(source, locations, outlines) if source else None


def _read_source(data_dir: Path, problems: list[Problem]) -> GeographySource | None:
    """What the files of data/geo/ are derived from (source.yaml)."""
    path = data_dir / SOURCE_FILE
    c = Checker(relative_name(path, data_dir), problems)
    if not path.is_file():
        c.fail(0, "", "required file is missing")
        return None
    raw = read_yaml(path, data_dir, problems)
    s = c.fields(raw, _SOURCE, "") if raw is not None else {}
    return GeographySource(**s) if len(s) == len(_SOURCE) else None


def _check_coverage(
    c: Checker,
    locations: dict[str, Location],
    places: dict[str, Place],
    ptces: list[Ptce],
    problems: list[Problem],
    rows_seen: set[str | None],
) -> None:
    """Every place has a row, every combination has its parts' communes, every PTCE's combination exists."""
    for slug, place in places.items():
        if slug not in rows_seen:
            c.fail(0, "slug", f"no row for {place.kind} {slug!r}; run scripts/derive_geography.py")
    for loc in locations.values():
        if loc.parts and all(p in locations for p in loc.parts):
            codes = {code for p in loc.parts for code in locations[p].insee_codes}
            if set(loc.insee_codes) != codes:
                c.fail(0, f"{loc.slug}.insee_codes", "a combination lists exactly the communes of its parts")
    combinations = {frozenset(loc.parts) for loc in locations.values() if loc.parts}
    for ptce in ptces:
        where = [locations.get(t) for t in ptce.territoires] or [locations.get(ptce.departement)]
        if any(loc and loc.departement != ptce.departement for loc in where):
            problems.append(
                Problem(ptce.file, 0, "territoires", f"is placed outside its department {ptce.departement!r}")
            )
        if len(ptce.territoires) > 1 and frozenset(ptce.territoires) not in combinations:
            problems.append(
                Problem(
                    ptce.file,
                    0,
                    "territoires",
                    f"no combination of {', '.join(ptce.territoires)} in {PLACES_FILE}; "
                    "add it to COMBINED in scripts/derive_geography.py and run the script",
                )
            )
