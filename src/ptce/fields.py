"""YAML read with line numbers, and field checks that collect problems with their file, line and field."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from .records import Problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


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
            if self._ok(kind, value):
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
                self.fail(at, name, f"expected {kind}, got {type(value).__name__} {value!r:.60}")
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


def relative_name(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)
