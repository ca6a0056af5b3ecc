"""YAML read with line numbers, and field checks that collect problems with their file, line and field."""

from __future__ import annotations

import datetime as dt
import os
import re
import reprlib
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ptce.sources.records import Problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INSEE_DEPT_RE = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
INSEE_COMMUNE_RE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")
MAX_FILE_BYTES = 256 * 1024**2  # one source file
MAX_TEXT = 20_000  # characters in one text value (a description is a few hundred)
# Characters no source text may hold: controls (but tab and line feed) and the bidirectional embeddings,
# overrides and isolates that make a name display other than it reads (U+202E).
FORBIDDEN_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


# ---- YAML with line numbers ---------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


# libyaml's C parser when PyYAML was built with it (about ten times faster); its nodes carry the same marks.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    def construct_object(self, node, deep=False):
        """Refuse aliases: a value used twice (`*name`) is how a few hundred bytes expand to gigabytes."""
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not accepted: write the value out again", node.start_mark
            )
        return super().construct_object(node, deep)


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


_SHORT = reprlib.Repr()  # a value shown in a message: cut before it is written out, however large it is
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2

# ---- field checking -------------------------------------------------------------------------------

TEXT = "text"
SLUG = "slug"
INT = "integer"
YEAR = "year"
TEXTS = "list of texts"
SLUGS = "list of slugs"
LANG_TEXT = "mapping of language to text"
LANG_TEXTS = "mapping of language to list of texts"
DATE = "date"
MAP = "mapping"
MAPS = "list of mappings"


class Checker:
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
                    join_field(where, key),
                    f"unknown field; expected one of: {', '.join(spec)}",
                )
        for key, (kind, required) in spec.items():
            name = join_field(where, key)
            if key not in data or data[key] is None:
                if required:
                    self.fail(getattr(data, "line", line), name, f"missing required field ({kind})")
                continue
            value = data[key]
            at = lines.get(key, line)
            if self._ok(kind, value) and (bad := text_problem(value)):
                self.fail(at, name, bad)
            elif self._ok(kind, value):
                out[key] = value
                if kind == SLUG and not SLUG_RE.match(value):
                    self.fail(at, name, f"{value!r} is not a slug (lower-case ASCII letters, digits, hyphens)")
                if kind == SLUGS:
                    for item in value:
                        if not SLUG_RE.match(item):
                            self.fail(at, name, f"{item!r} is not a slug")
                if kind in (TEXT, SLUG) and not value.strip():
                    self.fail(at, name, "must not be empty")
            else:
                self.fail(at, name, f"expected {kind}, got {type(value).__name__} {_SHORT.repr(value)}")
        return out

    @staticmethod
    def _ok(kind: str, value: Any) -> bool:
        if kind in (TEXT, SLUG):
            return isinstance(value, str)
        if kind == INT:
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if kind == YEAR:
            return isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100
        if kind == DATE:
            return isinstance(value, dt.date)
        if kind in (TEXTS, SLUGS):
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        if kind == LANG_TEXT:
            return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        if kind == LANG_TEXTS:
            return isinstance(value, dict) and all(
                isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
            )
        if kind == MAP:
            return isinstance(value, dict)
        if kind == MAPS:
            return isinstance(value, list)
        raise AssertionError(kind)


def text_problem(value: Any) -> str | None:
    """Why a text value (or any text inside a list or mapping of texts) is not accepted, or None."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return next(filter(None, map(text_problem, value)), None)
    if not isinstance(value, str):
        return None
    if len(value) > MAX_TEXT:
        return f"text of {len(value):,} characters; at most {MAX_TEXT:,}"
    if found := FORBIDDEN_RE.search(value):
        char = found.group()
        label = unicodedata.name(char, "a control character")
        return f"U+{ord(char):04X} ({label}) at character {found.start() + 1} is not allowed in text"
    return None


def folder_problems(data_dir: Path) -> list[Problem]:
    """Links that lead out of the data folder, and files too large to read: nothing is read from such a folder."""
    root = data_dir.resolve()
    problems = []
    for folder, dirs, files in os.walk(data_dir, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = relative_name(path, data_dir)
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                problems.append(Problem(rel, 0, "", f"is a link to {path.resolve()}, outside the data folder"))
            elif path.is_file() and not path.is_symlink() and path.stat().st_size > MAX_FILE_BYTES:
                size = path.stat().st_size
                problems.append(Problem(rel, 0, "", f"{size:,} bytes; a source file may have {MAX_FILE_BYTES:,}"))
    return problems


def join_field(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def line_of(data: Any, key: str, default: int = 1) -> int:
    return getattr(data, "key_lines", {}).get(key, getattr(data, "line", default))


def read_yaml(path: Path, data_dir: Path, problems: list[Problem]) -> Any:
    rel = relative_name(path, data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, 0, "", f"cannot read file: {exc}"))
        return None
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        if context is not None and mark is not None and context.line != mark.line:
            reason += f" ({getattr(exc, 'context', None) or 'in the part'} starting at line {context.line + 1})"
        kind = "YAML" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        problems.append(Problem(rel, line, "", f"{kind}: {reason}"))
        return None
    if document is None:
        problems.append(Problem(rel, 1, "", "the file holds no data (it is empty, or only comments)"))
    return document


def relative_name(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)
