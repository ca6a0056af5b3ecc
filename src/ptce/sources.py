"""Read the human-edited YAML sources into checked records.

Every problem is reported with its file, line and field; nothing is half-loaded: `load_sources`
either returns a complete `Sources` or raises `SourceError` listing every problem found.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .places import Geography

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROLES = ("porteur", "partenaire")
ORG_TYPES = ("association", "collectif", "scic", "cae", "bailleur-social")
TERRITORY_KINDS = ("commune", "territoire")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a source file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SourceError(Exception):
    """The source data has problems; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---- YAML with line numbers ---------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


# libyaml's C parser when PyYAML was built with it (about ten times faster); its nodes carry the same marks.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


# ---- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    slug: str
    name: str
    insee: str | None = None
    wikidata: str | None = None
    kind: str = "departement"
    departement: str | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class Theme:
    slug: str
    label: dict[str, str]
    definition: dict[str, str]
    alt: dict[str, list[str]]
    broader: str | None


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    types: list[str]
    description: str | None = None
    territoire: str | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class RoleRecord:
    organisation: str
    role: str


@dataclass(frozen=True)
class WorkingGroup:
    name: str
    themes: list[str]


@dataclass(frozen=True)
class Initiative:
    slug: str
    name: str
    type: str
    description: str
    themes: list[str]
    organisations: list[str]
    territoire: str | None = None
    source_name: str | None = None
    partner_shops: int | None = None
    subscribers: int | None = None


@dataclass(frozen=True)
class Ptce:
    slug: str
    name: str
    departement: str
    description: str
    themes: list[str]
    territoires: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    roles: list[RoleRecord] = field(default_factory=list)
    working_groups: list[WorkingGroup] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    source_name: str | None = None
    recognised: int | None = None
    collective_approach_since: int | None = None
    file: str = ""


@dataclass(frozen=True)
class Dataset:
    title: dict[str, str]
    description: dict[str, str]
    keywords: list[str]
    license: str
    issued: dt.date
    source_slug: str
    source_title: str
    source_file: str
    source_language: str


@dataclass(frozen=True)
class Sources:
    """Everything the data folder says, checked and cross-referenced."""

    dataset: Dataset
    scheme: dict[str, dict[str, str]]
    themes: list[Theme]
    region: Place
    departements: list[Place]
    territoires: list[Place]
    organisations: list[Organisation]
    ptces: list[Ptce]
    data_dir: Path
    geography: Geography | None = None  # located places of data/geo/ (see `places`)


# ---- field checking -------------------------------------------------------------------------------

_TEXT = "text"
_SLUG = "slug"
_INT = "integer"
_YEAR = "year"
_TEXTS = "list of texts"
_SLUGS = "list of slugs"
_LANG_TEXT = "mapping of language to text"
_LANG_TEXTS = "mapping of language to list of texts"
_DATE = "date"
_MAP = "mapping"
_MAPS = "list of mappings"


class _Checker:
    """Checks mappings against field specs and collects problems for one file."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def fail(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, name, message))

    def fields(self, data: Any, spec: dict[str, tuple[str, bool]], where: str, line: int = 1) -> dict:
        """Return the checked fields of `data` (a mapping), or {} after reporting why it is not."""
        if not isinstance(data, dict):
            self.fail(line, where, f"expected a mapping with fields {', '.join(spec)}")
            return {}
        lines = getattr(data, "key_lines", {})
        out: dict[str, Any] = {}
        for key in data:
            if key not in spec:
                self.fail(
                    lines.get(key, line),
                    _join(where, key),
                    f"unknown field; expected one of: {', '.join(spec)}",
                )
        for key, (kind, required) in spec.items():
            name = _join(where, key)
            if key not in data or data[key] is None:
                if required:
                    self.fail(getattr(data, "line", line), name, f"missing required field ({kind})")
                continue
            value = data[key]
            at = lines.get(key, line)
            if self._ok(kind, value):
                out[key] = value
                if kind == _SLUG and not SLUG_RE.match(value):
                    self.fail(at, name, f"{value!r} is not a slug (lower-case ASCII letters, digits, hyphens)")
                if kind == _SLUGS:
                    for item in value:
                        if not SLUG_RE.match(item):
                            self.fail(at, name, f"{item!r} is not a slug")
                if kind in (_TEXT, _SLUG) and not value.strip():
                    self.fail(at, name, "must not be empty")
            else:
                self.fail(at, name, f"expected {kind}, got {type(value).__name__} {value!r:.60}")
        return out

    @staticmethod
    def _ok(kind: str, value: Any) -> bool:
        if kind in (_TEXT, _SLUG):
            return isinstance(value, str)
        if kind == _INT:
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if kind == _YEAR:
            return isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100
        if kind == _DATE:
            return isinstance(value, dt.date)
        if kind in (_TEXTS, _SLUGS):
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        if kind == _LANG_TEXT:
            return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        if kind == _LANG_TEXTS:
            return isinstance(value, dict) and all(
                isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
            )
        if kind == _MAP:
            return isinstance(value, dict)
        if kind == _MAPS:
            return isinstance(value, list)
        raise AssertionError(kind)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _line_of(data: Any, key: str, default: int = 1) -> int:
    return getattr(data, "key_lines", {}).get(key, getattr(data, "line", default))


def _read_yaml(path: Path, data_dir: Path, problems: list[Problem]) -> Any:
    rel = _rel(path, data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 0, "", f"cannot read file: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        if context is not None and mark is not None and context.line != mark.line:
            reason += f" ({getattr(exc, 'context', None) or 'in the part'} starting at line {context.line + 1})"
        problems.append(Problem(rel, line, "", f"YAML syntax error: {reason}"))
        return None


def _rel(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)


# ---- the files ------------------------------------------------------------------------------------

_DATASET = {
    "title": (_LANG_TEXT, True),
    "description": (_LANG_TEXT, True),
    "keywords": (_TEXTS, True),
    "license": (_TEXT, True),
    "issued": (_DATE, True),
    "source": (_MAP, True),
}
_SOURCE = {"slug": (_SLUG, True), "title": (_TEXT, True), "file": (_TEXT, True), "language": (_TEXT, True)}
_PLACE = {"slug": (_SLUG, True), "name": (_TEXT, True), "insee": (_TEXT, True), "wikidata": (_TEXT, True)}
_TERRITORY = {
    "slug": (_SLUG, True),
    "name": (_TEXT, True),
    "source_name": (_TEXT, False),
    "kind": (_TEXT, True),
    "insee": (_TEXT, False),
    "departement": (_SLUG, True),
}
_THEME = {
    "slug": (_SLUG, True),
    "label": (_LANG_TEXT, True),
    "definition": (_LANG_TEXT, True),
    "alt": (_LANG_TEXTS, False),
    "narrower": (_MAPS, False),
}
_ORGANISATION = {
    "slug": (_SLUG, True),
    "name": (_TEXT, True),
    "source_name": (_TEXT, False),
    "types": (_SLUGS, True),
    "description": (_TEXT, False),
    "territoire": (_SLUG, False),
}
_PTCE = {
    "slug": (_SLUG, True),
    "name": (_TEXT, True),
    "source_name": (_TEXT, False),
    "departement": (_SLUG, True),
    "territoires": (_SLUGS, False),
    "description": (_TEXT, True),
    "objectives": (_TEXTS, False),
    "axes": (_TEXTS, False),
    "themes": (_SLUGS, True),
    "roles": (_MAPS, False),
    "working_groups": (_MAPS, False),
    "initiatives": (_MAPS, False),
    "recognised": (_YEAR, False),
    "collective_approach_since": (_YEAR, False),
    "suggested_themes": (_MAPS, False),
    "provenance": (_MAP, False),
}
_SUGGESTION = {"theme": (_SLUG, True), "phrase": (_TEXT, True), "line": (_INT, False)}
_PROVENANCE = {"document": (_TEXT, True), "lines": (_MAP, False)}
_ROLE = {"organisation": (_SLUG, True), "role": (_SLUG, True)}
_GROUP = {"name": (_TEXT, True), "themes": (_SLUGS, False)}
_INITIATIVE = {
    "slug": (_SLUG, True),
    "name": (_TEXT, True),
    "source_name": (_TEXT, False),
    "type": (_TEXT, True),
    "description": (_TEXT, True),
    "themes": (_SLUGS, False),
    "organisations": (_SLUGS, False),
    "territoire": (_SLUG, False),
    "partner_shops": (_INT, False),
    "subscribers": (_INT, False),
}
INSEE_DEPT_RE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
INSEE_COMMUNE_RE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")


def _load_dataset(path: Path, c: _Checker, raw: Any) -> Dataset | None:
    f = c.fields(raw, _DATASET, "")
    src = c.fields(f.get("source", {}), _SOURCE, "source", _line_of(raw, "source")) if "source" in f else {}
    if len(f) < len(_DATASET) or len(src) < len(_SOURCE):
        return None
    if not (path.parent / src["file"]).is_file():
        c.fail(_line_of(raw, "source"), "source.file", f"no such file in the data folder: {src['file']}")
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


def _load_geography(c: _Checker, raw: Any) -> tuple[Place | None, list[Place], list[Place]]:
    top = c.fields(raw, {"region": (_MAP, True), "departements": (_MAPS, True), "territoires": (_MAPS, True)}, "")
    region = None
    if "region" in top:
        r = c.fields(top["region"], _PLACE, "region", _line_of(raw, "region"))
        if len(r) == len(_PLACE):
            region = Place(kind="region", **r)
    departements = []
    for i, item in enumerate(top.get("departements", [])):
        d = c.fields(item, _PLACE, f"departements[{i}]", _line_of(raw, "departements"))
        if len(d) == len(_PLACE):
            if not INSEE_DEPT_RE.match(d["insee"]):
                c.fail(
                    _line_of(item, "insee"),
                    f"departements[{i}].insee",
                    f"{d['insee']!r} is not a department code",
                )
            departements.append(Place(kind="departement", departement=None, **d))
    territoires = []
    for i, item in enumerate(top.get("territoires", [])):
        t = c.fields(item, _TERRITORY, f"territoires[{i}]", _line_of(raw, "territoires"))
        if {"slug", "name", "kind", "departement"} <= t.keys():
            if t["kind"] not in TERRITORY_KINDS:
                c.fail(
                    _line_of(item, "kind"),
                    f"territoires[{i}].kind",
                    f"{t['kind']!r} is not one of {', '.join(TERRITORY_KINDS)}",
                )
            if t["kind"] == "commune" and not INSEE_COMMUNE_RE.match(t.get("insee", "")):
                c.fail(
                    _line_of(item, "insee"),
                    f"territoires[{i}].insee",
                    "a commune needs its 5-character INSEE code",
                )
            territoires.append(Place(**t))
    for place in [region, *departements]:
        if place and not WIKIDATA_RE.match(place.wikidata or ""):
            c.fail(0, place.slug, f"{place.wikidata!r} is not a Wikidata identifier (Q…)")
    return region, departements, territoires


def _load_themes(c: _Checker, raw: Any) -> tuple[dict, list[Theme]]:
    top = c.fields(raw, {"scheme": (_MAP, True), "concepts": (_MAPS, True)}, "")
    scheme = (
        c.fields(
            top.get("scheme", {}),
            {"title": (_LANG_TEXT, True), "definition": (_LANG_TEXT, True)},
            "scheme",
            _line_of(raw, "scheme"),
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
                            c.fail(_line_of(item, key), f"{where}[{i}].{key}", f"missing the {lang!r} text")
                themes.append(Theme(t["slug"], t["label"], t["definition"], t.get("alt", {}), broader))
                if broader is None:
                    walk(t.get("narrower", []), f"{where}[{i}].narrower", _line_of(item, "narrower"), t["slug"])
                elif "narrower" in t:
                    c.fail(_line_of(item, "narrower"), f"{where}[{i}].narrower", "the scheme has two levels only")

    walk(top.get("concepts", []), "concepts", _line_of(raw, "concepts"), None)
    return scheme, themes


def _load_organisations(c: _Checker, raw: Any) -> list[Organisation]:
    top = c.fields(raw, {"organisations": (_MAPS, True)}, "")
    out = []
    for i, item in enumerate(top.get("organisations", [])):
        o = c.fields(item, _ORGANISATION, f"organisations[{i}]", _line_of(raw, "organisations"))
        if {"slug", "name", "types"} <= o.keys():
            for t in o["types"]:
                if t not in ORG_TYPES:
                    c.fail(
                        _line_of(item, "types"),
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

    def check(self, c: _Checker, data: Any, key: str, where: str, kind: str) -> None:
        """Report each slug in data[key] that names no known thing of `kind`."""
        value = data.get(key) if isinstance(data, dict) else None
        known = getattr(self, kind)
        for slug in [value] if isinstance(value, str) else value or []:
            if isinstance(slug, str) and slug not in known:
                c.fail(
                    _line_of(data, key),
                    _join(where, key),
                    f"unknown {kind[:-1]} {slug!r}; known: {', '.join(sorted(known)) or 'none'}",
                )


def _load_ptce(c: _Checker, raw: Any, known: _Known) -> Ptce | None:
    p = c.fields(raw, _PTCE, "")
    known.check(c, raw, "departement", "", "departements")
    known.check(c, raw, "territoires", "", "territoires")
    known.check(c, raw, "themes", "", "themes")
    if not {"slug", "name", "departement", "description", "themes"} <= p.keys():
        return None
    if not p["themes"]:
        c.fail(_line_of(raw, "themes"), "themes", "a PTCE needs at least one theme")
    roles = []
    for i, item in enumerate(p.pop("roles", [])):
        r = c.fields(item, _ROLE, f"roles[{i}]", _line_of(raw, "roles"))
        known.check(c, item, "organisation", f"roles[{i}]", "organisations")
        if len(r) == 2:
            if r["role"] not in ROLES:
                c.fail(
                    _line_of(item, "role"),
                    f"roles[{i}].role",
                    f"unknown role {r['role']!r}; expected one of {', '.join(ROLES)}",
                )
            roles.append(RoleRecord(**r))
    groups = []
    for i, item in enumerate(p.pop("working_groups", [])):
        g = c.fields(item, _GROUP, f"working_groups[{i}]", _line_of(raw, "working_groups"))
        known.check(c, item, "themes", f"working_groups[{i}]", "themes")
        if "name" in g:
            groups.append(WorkingGroup(g["name"], g.get("themes", [])))
    for i, item in enumerate(p.pop("suggested_themes", [])):  # written by `ptce import`, not part of the graph
        c.fields(item, _SUGGESTION, f"suggested_themes[{i}]", _line_of(raw, "suggested_themes"))
        known.check(c, item, "theme", f"suggested_themes[{i}]", "themes")
    if "provenance" in p:
        c.fields(p.pop("provenance"), _PROVENANCE, "provenance", _line_of(raw, "provenance"))
    initiatives = []
    for i, item in enumerate(p.pop("initiatives", [])):
        n = c.fields(item, _INITIATIVE, f"initiatives[{i}]", _line_of(raw, "initiatives"))
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

    def read(name: str) -> tuple[_Checker, Any]:
        path = data_dir / name
        checker = _Checker(_rel(path, data_dir), problems)
        if not path.is_file():
            checker.fail(0, "", "required file is missing")
            return checker, None
        return checker, _read_yaml(path, data_dir, problems)

    c, raw = read("dataset.yaml")
    dataset = _load_dataset(data_dir / "dataset.yaml", c, raw) if raw is not None else None
    c, raw = read("geography.yaml")
    region, departements, territoires = _load_geography(c, raw) if raw is not None else (None, [], [])
    dept_slugs = {d.slug for d in departements}
    for t in territoires:
        if t.departement not in dept_slugs:
            c.fail(0, f"territoires.{t.slug}.departement", f"unknown departement {t.departement!r}")
    _duplicates(problems, [(p.slug, c.file, 0) for p in [*departements, *territoires]], "place")
    c, raw = read("themes.yaml")
    scheme, themes = _load_themes(c, raw) if raw is not None else ({}, [])
    _duplicates(problems, [(t.slug, c.file, 0) for t in themes], "theme")
    c, raw = read("organisations.yaml")
    organisations = _load_organisations(c, raw) if raw is not None else []
    _duplicates(problems, [(o.slug, c.file, 0) for o in organisations], "organisation")
    known = _Known(dept_slugs, {t.slug for t in territoires}, {t.slug for t in themes}, {o.slug for o in organisations})
    for o in organisations:
        if o.territoire and o.territoire not in known.territoires:
            c.fail(0, f"organisations.{o.slug}.territoire", f"unknown territoire {o.territoire!r}")

    ptces: list[Ptce] = []
    ptce_slugs: list[tuple[str, str, int]] = []
    initiative_slugs: list[tuple[str, str, int]] = []
    ptce_files = sorted((data_dir / "ptce").glob("*.yaml"))
    if not ptce_files:
        problems.append(Problem(_rel(data_dir / "ptce", data_dir), 0, "", "no PTCE files (*.yaml) found"))
    for path in ptce_files:
        checker = _Checker(_rel(path, data_dir), problems)
        raw = _read_yaml(path, data_dir, problems)
        if raw is not None and (ptce := _load_ptce(checker, raw, known)):
            ptces.append(ptce)
            ptce_slugs.append((ptce.slug, ptce.file, _line_of(raw, "slug")))
            for item in raw.get("initiatives") or []:
                if isinstance(item, dict) and isinstance(item.get("slug"), str):
                    initiative_slugs.append((item["slug"], ptce.file, _line_of(item, "slug")))
    _duplicates(problems, ptce_slugs, "PTCE")
    _duplicates(problems, initiative_slugs, "initiative")
    from .places import load_geography  # places reads with this module's checker

    geography = load_geography(data_dir, departements, territoires, ptces, problems)

    if problems or dataset is None or region is None or geography is None:
        raise SourceError(problems or [Problem(str(data_dir), 0, "", "incomplete data")])
    return Sources(
        dataset, scheme, themes, region, departements, territoires, organisations, ptces, data_dir, geography
    )
