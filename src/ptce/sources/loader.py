"""Read the human-edited YAML sources into checked records.

Every problem is reported with its file, line and field; nothing is half-loaded: `load_sources`
either returns a complete `Sources` or raises `SourceError` listing every problem found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptce.rdf.namespaces import PLANNED_AVAILABILITY, PUBLISHER_TYPES
from ptce.sources.evidence import Quotes, figure_passage, linked
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
from ptce.sources.passages import Passage, SourceText
from ptce.sources.places import load_geography
from ptce.sources.records import (
    DATASET_FILE,
    GEOGRAPHY_FILE,
    ORGANISATIONS_FILE,
    PTCE_FOLDER,
    THEMES_FILE,
    Contact,
    Dataset,
    Initiative,
    Organisation,
    Place,
    Problem,
    Ptce,
    Publisher,
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
    "publisher": (MAP, False),
    "contact": (MAP, False),
    "temporal": (MAP, False),
    "availability": (TEXT, False),
}
_PUBLISHER = {"name": (TEXT, True), "type": (TEXT, True), "uri": (TEXT, False), "homepage": (TEXT, False)}
_CONTACT = {"name": (TEXT, True), "email": (TEXT, False), "url": (TEXT, False)}
_TEMPORAL = {"start": (DATE, True), "end": (DATE, False)}
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")
WEB = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
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
    "quote": (TEXT, True),  # the source's words that name it and its kind
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
    "themes": (MAPS, True),
    "roles": (MAPS, False),
    "working_groups": (MAPS, False),
    "initiatives": (MAPS, False),
    "recognised": (YEAR, False),
    "collective_approach_since": (YEAR, False),
    "quotes": (MAP, False),
    "suggested_themes": (MAPS, False),
    "provenance": (MAP, False),
}
_SUGGESTION = {"theme": (SLUG, True), "phrase": (TEXT, True), "line": (INT, False)}
_PROVENANCE = {"document": (TEXT, True), "lines": (MAP, False)}
_ROLE = {"organisation": (SLUG, True), "role": (SLUG, True), "quote": (TEXT, True)}
_GROUP = {"name": (TEXT, True), "themes": (MAPS, False)}
# The source's words that give each figure and year (quoted like the themes' and roles' support).
_PTCE_QUOTES = {"recognised": (TEXT, False), "collective_approach_since": (TEXT, False)}
_INITIATIVE_QUOTES = {"partner_shops": (TEXT, False), "subscribers": (TEXT, False)}
_INITIATIVE = {
    "slug": (SLUG, True),
    "name": (TEXT, True),
    "source_name": (TEXT, False),
    "type": (TEXT, True),
    "description": (TEXT, True),
    "themes": (MAPS, False),
    "organisations": (MAPS, False),
    "territoire": (SLUG, False),
    "partner_shops": (INT, False),
    "subscribers": (INT, False),
    "quotes": (MAP, False),
}


def _load_dataset(path: Path, c: Checker, raw: Any) -> Dataset | None:
    f = c.fields(raw, _DATASET, "")
    src = c.fields(f.get("source", {}), _SOURCE, "source", line_of(raw, "source")) if "source" in f else {}
    if any(required and key not in f for key, (_, required) in _DATASET.items()) or len(src) < len(_SOURCE):
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
        _publisher(c, raw, f),
        _contact(c, raw, f),
        _temporal(c, raw, f),
        _availability(c, raw, f),
    )


def _web_address(c: Checker, line: int, name: str, value: str | None) -> None:
    if value is not None and not WEB.match(value):
        c.fail(line, name, f"{value!r} is not an http(s) address")


def _publisher(c: Checker, raw: Any, f: dict) -> Publisher | None:
    if "publisher" not in f:
        return None
    line = line_of(raw, "publisher")
    p = c.fields(f["publisher"], _PUBLISHER, "publisher", line)
    if "type" in p and p["type"] not in PUBLISHER_TYPES:
        known = ", ".join(PUBLISHER_TYPES)
        c.fail(line, "publisher.type", f"{p['type']!r} is not an ADMS publisher type; one of {known}")
    for key in ("uri", "homepage"):
        _web_address(c, line, f"publisher.{key}", p.get(key))
    return Publisher(**p) if "name" in p and "type" in p else None


def _contact(c: Checker, raw: Any, f: dict) -> Contact | None:
    if "contact" not in f:
        return None
    line = line_of(raw, "contact")
    p = c.fields(f["contact"], _CONTACT, "contact", line)
    if "email" in p and not EMAIL.match(p["email"]):
        c.fail(line, "contact.email", f"{p['email']!r} is not an e-mail address")
    _web_address(c, line, "contact.url", p.get("url"))
    if "name" in p and not ({"email", "url"} & set(p)):
        c.fail(line, "contact", "give an e-mail address (email) or a web form (url), or both")
    return Contact(**p) if "name" in p and {"email", "url"} & set(p) else None


def _temporal(c: Checker, raw: Any, f: dict) -> tuple | None:
    if "temporal" not in f:
        return None
    line = line_of(raw, "temporal")
    p = c.fields(f["temporal"], _TEMPORAL, "temporal", line)
    if "start" in p and p.get("end") is not None and p["end"] < p["start"]:
        c.fail(line, "temporal.end", f"ends ({p['end']}) before it starts ({p['start']})")
    return (p["start"], p.get("end")) if "start" in p else None


def _availability(c: Checker, raw: Any, f: dict) -> str | None:
    value = f.get("availability")
    if value is not None and value not in PLANNED_AVAILABILITY:
        c.fail(line_of(raw, "availability"), "availability", f"{value!r}: one of {', '.join(PLANNED_AVAILABILITY)}")
        return None
    return value


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


def _load_organisations(c: Checker, raw: Any, quotes: Quotes) -> list[Organisation]:
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
            where = f"organisations[{i}]"
            quote = quotes.locate(o.pop("quote"), line_of(item, "quote"), f"{where}.quote") if "quote" in o else None
            described = (
                quotes.locate(o["description"], line_of(item, "description"), f"{where}.description")
                if "description" in o
                else None
            )
            out.append(Organisation(**o, passage=quote, description_passage=described))
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


def _load_ptce(c: Checker, raw: Any, known: _Known, quotes: Quotes) -> Ptce | None:
    p = c.fields(raw, _PTCE, "")
    known.check(c, raw, "departement", "", "departements")
    known.check(c, raw, "territoires", "", "territoires")
    if not {"slug", "name", "departement", "description", "themes"} <= p.keys():
        return None
    passages: dict[str, Passage] = {}

    def locate(key: str, quote: str, line: int, field: str) -> None:
        if found := quotes.locate(quote, line, field):
            passages[key] = found

    locate("description", p["description"], line_of(raw, "description"), "description")
    for field, name in (("objectives", "objective"), ("axes", "axis")):
        for n, text in enumerate(p.get(field, []), 1):
            locate(f"{name}:{n}", text, line_of(raw, field), f"{field}[{n - 1}]")
    themes, theme_passages = linked(quotes, raw, "themes", "", "theme", known.themes)
    p["themes"] = themes
    passages.update({f"theme:{slug}": found for slug, found in theme_passages.items()})
    if not themes:
        c.fail(line_of(raw, "themes"), "themes", "a PTCE needs at least one theme")
    if "quotes" in p:
        c.fields(p.pop("quotes"), _PTCE_QUOTES, "quotes", line_of(raw, "quotes"))
    for field in ("recognised", "collective_approach_since"):
        if field in p and (found := figure_passage(quotes, raw, field, p[field])):
            passages[field] = found
    roles = []
    for i, item in enumerate(p.pop("roles", [])):
        r = c.fields(item, _ROLE, f"roles[{i}]", line_of(raw, "roles"))
        known.check(c, item, "organisation", f"roles[{i}]", "organisations")
        if len(r) == len(_ROLE):
            if r["role"] not in ROLES:
                c.fail(
                    line_of(item, "role"),
                    f"roles[{i}].role",
                    f"unknown role {r['role']!r}; expected one of {', '.join(ROLES)}",
                )
            found = quotes.locate(r.pop("quote"), line_of(item, "quote"), f"roles[{i}].quote")
            roles.append(RoleRecord(**r, passage=found))
    groups = []
    for i, item in enumerate(p.pop("working_groups", [])):
        g = c.fields(item, _GROUP, f"working_groups[{i}]", line_of(raw, "working_groups"))
        if "name" in g:
            own = quotes.locate(g["name"], line_of(item, "name"), f"working_groups[{i}].name")
            slugs, found = linked(quotes, item, "themes", f"working_groups[{i}]", "theme", known.themes, own, True)
            groups.append(WorkingGroup(g["name"], slugs, own, found))
    for i, item in enumerate(p.pop("suggested_themes", [])):  # written by `ptce import`, not part of the graph
        c.fields(item, _SUGGESTION, f"suggested_themes[{i}]", line_of(raw, "suggested_themes"))
        known.check(c, item, "theme", f"suggested_themes[{i}]", "themes")
    if "provenance" in p:
        c.fields(p.pop("provenance"), _PROVENANCE, "provenance", line_of(raw, "provenance"))
    initiatives = []
    for i, item in enumerate(p.pop("initiatives", [])):
        initiatives += filter(None, [_load_initiative(c, item, f"initiatives[{i}]", known, quotes)])
    if quotes.within is not None:
        every = [*passages.values(), *(r.passage for r in roles), *(g.passage for g in groups)]
        every += [i.passage for i in initiatives] + [x for i in initiatives for x in i.passages.values()]
        passages["section"] = quotes.span(every)
    return Ptce(roles=roles, working_groups=groups, initiatives=initiatives, file=c.file, passages=passages, **p)


def _load_initiative(c: Checker, item: Any, where: str, known: _Known, quotes: Quotes) -> Initiative | None:
    n = c.fields(item, _INITIATIVE, where, line_of(item, "slug"))
    known.check(c, item, "territoire", where, "territoires")
    if not {"slug", "name", "type", "description"} <= n.keys():
        return None
    own = quotes.locate(n["description"], line_of(item, "description"), f"{where}.description")
    themes, found = linked(quotes, item, "themes", where, "theme", known.themes, own, True)
    orgs, found_orgs = linked(quotes, item, "organisations", where, "organisation", known.organisations, own, True)
    passages = {f"theme:{k}": v for k, v in found.items()} | {f"organisation:{k}": v for k, v in found_orgs.items()}
    if "quotes" in n:
        c.fields(n.pop("quotes"), _INITIATIVE_QUOTES, f"{where}.quotes", line_of(item, "quotes"))
    for field in ("partner_shops", "subscribers"):
        if field in n and (passage := figure_passage(quotes, item, field, n[field], where)):
            passages[field] = passage
    n.update(themes=themes, organisations=orgs)
    return Initiative(**n, passage=own, passages=passages)


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
    text = _source_text(data_dir, dataset, c)
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
    whole = Quotes(c, text, text.passage(0, len(text.text)) if text.text else None, "")
    organisations = _load_organisations(c, raw, whole) if raw is not None else []
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
    raws = [(path, read_yaml(path, data_dir, problems)) for path in ptce_files]
    sections = text.sections([heading for _, raw in raws if (heading := _heading(raw))])
    for path, raw in raws:
        checker = Checker(relative_name(path, data_dir), problems)
        quotes = _section_quotes(checker, text, sections, raw)
        if raw is not None and (ptce := _load_ptce(checker, raw, known, quotes)):
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


def _source_text(data_dir: Path, dataset: Dataset | None, c: Checker) -> SourceText:
    """The text of the source document the facts are quoted from (empty, with the problem reported, when unusable)."""
    if dataset is None or not (data_dir / dataset.source_file).is_file():
        return SourceText("")  # already reported by the dataset's checks
    path = data_dir / dataset.source_file
    if not path.resolve().is_relative_to(data_dir.resolve()):
        c.fail(0, "source.file", f"{dataset.source_file} is outside the data folder")
        return SourceText("")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        c.fail(0, "source.file", f"cannot read {dataset.source_file}: {exc}")
        return SourceText("")
    if not text.strip():
        c.fail(0, "source.file", f"{dataset.source_file} is empty: there is nothing to quote the facts from")
    return SourceText(text)


def _heading(raw: Any) -> str | None:
    """The heading of a PTCE in the source document: its name as the source spells it."""
    if not isinstance(raw, dict):
        return None
    heading = raw.get("source_name") or raw.get("name")
    return heading if isinstance(heading, str) else None


def _section_quotes(c: Checker, text: SourceText, sections: dict[str, Passage], raw: Any) -> Quotes:
    """Where the quotes of one PTCE file are looked for: its section of the source document."""
    heading = _heading(raw)
    section = sections.get(heading) if heading else None
    if heading and section is None and text.text:
        field = "source_name" if isinstance(raw, dict) and raw.get("source_name") else "name"
        c.fail(
            line_of(raw, field),
            field,
            f"no line of the source document reads {heading!r}: the PTCE's heading there"
            + (" (give it as source_name where the source spells the name otherwise)" if field == "name" else ""),
        )
    return Quotes(c, text, section, f"the section {heading!r} of")
