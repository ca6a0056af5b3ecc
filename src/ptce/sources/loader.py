"""Read the human-edited YAML sources into checked records.

Every problem is reported with its file, line and field; nothing is half-loaded: `load_sources`
either returns a complete `Sources` or raises `SourceError` listing every problem found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptce.sources.fields import (
    DATE,
    INSEE_COMMUNE_RE,
    INSEE_DEPT_RE,
    INT,
    LANG_TEXT,
    LANG_TEXTS,
    MAP,
    MAPS,
    SLUG,
    SLUG_RE,
    SLUGS,
    TEXT,
    TEXTS,
    WIKIDATA_RE,
    YEAR,
    Checker,
    folder_problems,
    join_field,
    line_of,
    read_yaml,
    relative_name,
)
from ptce.sources.places import load_geography
from ptce.sources.records import (
    DATASET_FILE,
    GEOGRAPHY_FILE,
    ORGANISATIONS_FILE,
    PTCE_FOLDER,
    THEMES_FILE,
    Dataset,
    Initiative,
    Organisation,
    Place,
    Problem,
    Ptce,
    RoleRecord,
    SourceError,
    Sources,
    Theme,
    WorkingGroup,
)

__all__ = [
    "SLUG_RE",
    "Dataset",
    "Initiative",
    "Organisation",
    "Place",
    "Problem",
    "Ptce",
    "RoleRecord",
    "SourceError",
    "Sources",
    "Theme",
    "WorkingGroup",
    "load_sources",
]

ROLES = ("porteur", "animateur", "partenaire")  # as the source words them: "porté par", "animé par", partners
ORG_TYPES = ("association", "collectif", "scic", "cae", "bailleur")
TERRITORY_KINDS = ("commune", "territoire")


# ---- the files ------------------------------------------------------------------------------------

_DATASET = {
    "title": (LANG_TEXT, True),
    "description": (LANG_TEXT, True),
    "keywords": (TEXTS, True),
    "license": (TEXT, True),
    "issued": (DATE, True),
    "source": (MAP, True),
}
_SOURCE = {"slug": (SLUG, True), "title": (TEXT, True), "file": (TEXT, True), "language": (TEXT, True)}
_PLACE = {"slug": (SLUG, True), "name": (TEXT, True), "insee": (TEXT, True), "wikidata": (TEXT, True)}
_TERRITORY = {
    "slug": (SLUG, True),
    "name": (TEXT, True),
    "source_name": (TEXT, False),
    "kind": (TEXT, True),
    "insee": (TEXT, False),
    "departement": (SLUG, True),
}
_THEME = {
    "slug": (SLUG, True),
    "label": (LANG_TEXT, True),
    "definition": (LANG_TEXT, True),
    "alt": (LANG_TEXTS, False),
    "narrower": (MAPS, False),
}
_ORGANISATION = {
    "slug": (SLUG, True),
    "name": (TEXT, True),
    "source_name": (TEXT, False),
    "types": (SLUGS, True),
    "description": (TEXT, False),
    "territoire": (SLUG, False),
}
_PTCE = {
    "slug": (SLUG, True),
    "name": (TEXT, True),
    "source_name": (TEXT, False),
    "departement": (SLUG, True),
    "territoires": (SLUGS, False),
    "description": (TEXT, True),
    "objectives": (TEXTS, False),
    "axes": (TEXTS, False),
    "themes": (SLUGS, True),
    "roles": (MAPS, False),
    "working_groups": (MAPS, False),
    "initiatives": (MAPS, False),
    "recognised": (YEAR, False),
    "collective_approach_since": (YEAR, False),
    "suggested_themes": (MAPS, False),
    "provenance": (MAP, False),
}
_SUGGESTION = {"theme": (SLUG, True), "phrase": (TEXT, True), "line": (INT, False)}
_PROVENANCE = {"document": (TEXT, True), "lines": (MAP, False)}
_ROLE = {"organisation": (SLUG, True), "role": (SLUG, True)}
_GROUP = {"name": (TEXT, True), "themes": (SLUGS, False)}
_INITIATIVE = {
    "slug": (SLUG, True),
    "name": (TEXT, True),
    "source_name": (TEXT, False),
    "type": (TEXT, True),
    "description": (TEXT, True),
    "themes": (SLUGS, False),
    "organisations": (SLUGS, False),
    "territoire": (SLUG, False),
    "partner_shops": (INT, False),
    "subscribers": (INT, False),
}


def _load_dataset(path: Path, c: Checker, raw: Any) -> Dataset | None:
    f = c.fields(raw, _DATASET, "")
    src = c.fields(f.get("source", {}), _SOURCE, "source", line_of(raw, "source")) if "source" in f else {}
    if len(f) < len(_DATASET) or len(src) < len(_SOURCE):
        return None
    if not (path.parent / src["file"]).is_file():
        c.fail(line_of(raw, "source"), "source.file", f"no such file in the data folder: {src['file']}")
    return Dataset(
        f["title"],
        f["description"],
        f["keywords"],
        f["license"],
        f["issued"],
        src["slug"],
        src["title"],
        src["file"],
        src["language"],
    )


def _load_geography(c: Checker, raw: Any) -> tuple[Place | None, list[Place], list[Place]]:
    top = c.fields(raw, {"region": (MAP, True), "departements": (MAPS, True), "territoires": (MAPS, True)}, "")
    region = None
    if "region" in top:
        r = c.fields(top["region"], _PLACE, "region", line_of(raw, "region"))
        if len(r) == len(_PLACE):
            region = Place(kind="region", **r)
    departements = []
    for i, item in enumerate(top.get("departements", [])):
        d = c.fields(item, _PLACE, f"departements[{i}]", line_of(raw, "departements"))
        if len(d) == len(_PLACE):
            if not INSEE_DEPT_RE.match(d["insee"]):
                c.fail(
                    line_of(item, "insee"),
                    f"departements[{i}].insee",
                    f"{d['insee']!r} is not a department code",
                )
            departements.append(Place(kind="departement", departement=None, **d))
    territoires = []
    for i, item in enumerate(top.get("territoires", [])):
        t = c.fields(item, _TERRITORY, f"territoires[{i}]", line_of(raw, "territoires"))
        if {"slug", "name", "kind", "departement"} <= t.keys():
            if t["kind"] not in TERRITORY_KINDS:
                c.fail(
                    line_of(item, "kind"),
                    f"territoires[{i}].kind",
                    f"{t['kind']!r} is not one of {', '.join(TERRITORY_KINDS)}",
                )
            if t["kind"] == "commune" and not INSEE_COMMUNE_RE.match(t.get("insee", "")):
                c.fail(
                    line_of(item, "insee"),
                    f"territoires[{i}].insee",
                    "a commune needs its 5-character INSEE code",
                )
            territoires.append(Place(**t))
    for place in [region, *departements]:
        if place and not WIKIDATA_RE.match(place.wikidata or ""):
            c.fail(0, place.slug, f"{place.wikidata!r} is not a Wikidata identifier (Q…)")
    return region, departements, territoires


def _load_themes(c: Checker, raw: Any) -> tuple[dict, list[Theme]]:
    top = c.fields(raw, {"scheme": (MAP, True), "concepts": (MAPS, True)}, "")
    scheme = (
        c.fields(
            top.get("scheme", {}),
            {"title": (LANG_TEXT, True), "definition": (LANG_TEXT, True)},
            "scheme",
            line_of(raw, "scheme"),
        )
        if "scheme" in top
        else {}
    )
    themes: list[Theme] = []

    def walk(items: list, where: str, line: int, broader: str | None) -> None:
        for i, item in enumerate(items):
            t = c.fields(item, _THEME, f"{where}[{i}]", line)
            if {"slug", "label", "definition"} <= t.keys():
                for lang in ("fr", "en"):
                    for key in ("label", "definition"):
                        if lang not in t[key]:
                            c.fail(line_of(item, key), f"{where}[{i}].{key}", f"missing the {lang!r} text")
                themes.append(Theme(t["slug"], t["label"], t["definition"], t.get("alt", {}), broader))
                if broader is None:
                    walk(t.get("narrower", []), f"{where}[{i}].narrower", line_of(item, "narrower"), t["slug"])
                elif "narrower" in t:
                    c.fail(line_of(item, "narrower"), f"{where}[{i}].narrower", "the scheme has two levels only")

    walk(top.get("concepts", []), "concepts", line_of(raw, "concepts"), None)
    return scheme, themes


def _load_organisations(c: Checker, raw: Any) -> list[Organisation]:
    top = c.fields(raw, {"organisations": (MAPS, True)}, "")
    out = []
    for i, item in enumerate(top.get("organisations", [])):
        o = c.fields(item, _ORGANISATION, f"organisations[{i}]", line_of(raw, "organisations"))
        if {"slug", "name", "types"} <= o.keys():
            for t in o["types"]:
                if t not in ORG_TYPES:
                    c.fail(
                        line_of(item, "types"),
                        f"organisations[{i}].types",
                        f"unknown type {t!r}; expected one of {', '.join(ORG_TYPES)}",
                    )
            out.append(Organisation(**o))
    return out


@dataclass(frozen=True)
class _Known:
    """Slugs that references may point to."""

    departements: set[str]
    territoires: set[str]
    themes: set[str]
    organisations: set[str]

    def check(self, c: Checker, data: Any, key: str, where: str, kind: str) -> None:
        """Report each slug in data[key] that names no known thing of `kind`."""
        value = data.get(key) if isinstance(data, dict) else None
        known = getattr(self, kind)
        for slug in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
            if isinstance(slug, str) and slug not in known:
                c.fail(
                    line_of(data, key),
                    join_field(where, key),
                    f"unknown {kind[:-1]} {slug!r}; known: {', '.join(sorted(known)) or 'none'}",
                )


def _load_ptce(c: Checker, raw: Any, known: _Known) -> Ptce | None:
    p = c.fields(raw, _PTCE, "")
    known.check(c, raw, "departement", "", "departements")
    known.check(c, raw, "territoires", "", "territoires")
    known.check(c, raw, "themes", "", "themes")
    if not {"slug", "name", "departement", "description", "themes"} <= p.keys():
        return None
    if not p["themes"]:
        c.fail(line_of(raw, "themes"), "themes", "a PTCE needs at least one theme")
    roles = []
    for i, item in enumerate(p.pop("roles", [])):
        r = c.fields(item, _ROLE, f"roles[{i}]", line_of(raw, "roles"))
        known.check(c, item, "organisation", f"roles[{i}]", "organisations")
        if len(r) == 2:
            if r["role"] not in ROLES:
                c.fail(
                    line_of(item, "role"),
                    f"roles[{i}].role",
                    f"unknown role {r['role']!r}; expected one of {', '.join(ROLES)}",
                )
            roles.append(RoleRecord(**r))
    groups = []
    for i, item in enumerate(p.pop("working_groups", [])):
        g = c.fields(item, _GROUP, f"working_groups[{i}]", line_of(raw, "working_groups"))
        known.check(c, item, "themes", f"working_groups[{i}]", "themes")
        if "name" in g:
            groups.append(WorkingGroup(g["name"], g.get("themes", [])))
    for i, item in enumerate(p.pop("suggested_themes", [])):  # written by `ptce import`, not part of the graph
        c.fields(item, _SUGGESTION, f"suggested_themes[{i}]", line_of(raw, "suggested_themes"))
        known.check(c, item, "theme", f"suggested_themes[{i}]", "themes")
    if "provenance" in p:
        c.fields(p.pop("provenance"), _PROVENANCE, "provenance", line_of(raw, "provenance"))
    initiatives = []
    for i, item in enumerate(p.pop("initiatives", [])):
        n = c.fields(item, _INITIATIVE, f"initiatives[{i}]", line_of(raw, "initiatives"))
        for key, kind in (
            ("themes", "themes"),
            ("organisations", "organisations"),
            ("territoire", "territoires"),
        ):
            known.check(c, item, key, f"initiatives[{i}]", kind)
        if {"slug", "name", "type", "description"} <= n.keys():
            n.setdefault("themes", [])
            n.setdefault("organisations", [])
            initiatives.append(Initiative(**n))
    return Ptce(roles=roles, working_groups=groups, initiatives=initiatives, file=c.file, **p)


def _duplicates(problems: list[Problem], found: list[tuple[str, str, int]], what: str) -> None:
    """Report each (slug, file, line) whose slug was already used."""
    seen: dict[str, str] = {}
    for slug, file, line in found:
        if slug in seen:
            problems.append(Problem(file, line, "slug", f"duplicate {what} slug {slug!r} (first used in {seen[slug]})"))
        else:
            seen[slug] = f"{file}"


def load_sources(data_dir: Path | str) -> Sources:
    """Read and check every source file under `data_dir`; raise SourceError listing all problems."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    if not data_dir.is_dir():
        raise SourceError([Problem(str(data_dir), 0, "", "data folder not found")])
    if unsafe := folder_problems(data_dir):
        raise SourceError(unsafe)

    def read(name: str) -> tuple[Checker, Any]:
        path = data_dir / name
        checker = Checker(relative_name(path, data_dir), problems)
        if not path.is_file():
            checker.fail(0, "", "required file is missing")
            return checker, None
        return checker, read_yaml(path, data_dir, problems)

    c, raw = read(DATASET_FILE)
    dataset = _load_dataset(data_dir / DATASET_FILE, c, raw) if raw is not None else None
    c, raw = read(GEOGRAPHY_FILE)
    region, departements, territoires = _load_geography(c, raw) if raw is not None else (None, [], [])
    dept_slugs = {d.slug for d in departements}
    for t in territoires:
        if t.departement not in dept_slugs:
            c.fail(0, f"territoires.{t.slug}.departement", f"unknown departement {t.departement!r}")
    _duplicates(problems, [(p.slug, c.file, 0) for p in [*departements, *territoires]], "place")
    c, raw = read(THEMES_FILE)
    scheme, themes = _load_themes(c, raw) if raw is not None else ({}, [])
    _duplicates(problems, [(t.slug, c.file, 0) for t in themes], "theme")
    c, raw = read(ORGANISATIONS_FILE)
    organisations = _load_organisations(c, raw) if raw is not None else []
    _duplicates(problems, [(o.slug, c.file, 0) for o in organisations], "organisation")
    known = _Known(dept_slugs, {t.slug for t in territoires}, {t.slug for t in themes}, {o.slug for o in organisations})
    for o in organisations:
        if o.territoire and o.territoire not in known.territoires:
            c.fail(0, f"organisations.{o.slug}.territoire", f"unknown territoire {o.territoire!r}")

    ptces: list[Ptce] = []
    ptce_slugs: list[tuple[str, str, int]] = []
    initiative_slugs: list[tuple[str, str, int]] = []
    ptce_files = sorted((data_dir / PTCE_FOLDER).glob("*.yaml"))
    if not ptce_files:
        problems.append(Problem(relative_name(data_dir / PTCE_FOLDER, data_dir), 0, "", "no PTCE files (*.yaml) found"))
    for path in ptce_files:
        checker = Checker(relative_name(path, data_dir), problems)
        raw = read_yaml(path, data_dir, problems)
        if raw is not None and (ptce := _load_ptce(checker, raw, known)):
            ptces.append(ptce)
            ptce_slugs.append((ptce.slug, ptce.file, line_of(raw, "slug")))
            for item in raw.get("initiatives") or []:
                if isinstance(item, dict) and isinstance(item.get("slug"), str):
                    initiative_slugs.append((item["slug"], ptce.file, line_of(item, "slug")))
    _duplicates(problems, ptce_slugs, "PTCE")
    _duplicates(problems, initiative_slugs, "initiative")
    geography = load_geography(data_dir, departements, territoires, ptces, problems)

    if problems or dataset is None or region is None or geography is None:
        raise SourceError(problems or [Problem(str(data_dir), 0, "", "incomplete data")])
    return Sources(
        dataset, scheme, themes, region, departements, territoires, organisations, ptces, data_dir, geography
    )
