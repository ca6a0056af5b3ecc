"""The example SPARQL queries in `queries/*.rq`, each also an operation of the REST API (`ptce.web.api`).

A file starts with `# title` and `# comment` lines. grlc's conventions (https://grlc.io) make it an API
operation: decorator lines `#+ key: value` (YAML) give `summary`, `description`, `tags`, `defaults` and
`enumerate`; a variable `?_name` is a parameter the caller should give, `?__name` one they may leave out,
and a suffix types it: `?_theme_iri`, `?_count_integer`, `?_n_decimal`, `?_flag_boolean`, `?_label_en` (a
literal in that language); without one, a plain string. A given value replaces the variable in the query as
a SPARQL term (IRIs checked, literals escaped); a left-out optional one stays a variable. The query page and the
tests run each example with its defaults (`text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ptce.assets import QUERIES_DIR
from ptce.store.engine import is_engine_iri

# A parameter variable: ?_name or ?__name, then an optional _type (grlc).
PARAMETER = re.compile(r"(?<![\w?$])[?$](__?)([A-Za-z0-9]+)(?:_([A-Za-z0-9]+))?(?![\w])")
TYPES = {"iri": ("string", "uri"), "integer": ("integer", None), "decimal": ("number", None),
         "boolean": ("boolean", None)}  # fmt: skip
MAX_VALUE_CHARS = 1000
INTEGER = re.compile(r"[+-]?\d{1,18}")
DECIMAL = re.compile(r"[+-]?\d{1,18}(\.\d{1,18})?")
LANGUAGE = re.compile(r"[a-z]{2}")


class BadParameter(ValueError):
    """A parameter value that cannot be put in the query (its message says why)."""


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # iri, integer, decimal, boolean, string, or a language tag
    required: bool
    variable: str  # as written in the query, e.g. "?_theme_iri"
    default: str | None = None
    enum: tuple[str, ...] = ()

    @property
    def schema(self) -> dict:
        """The parameter's JSON Schema (OpenAPI 3.1)."""
        kind, fmt = TYPES.get(self.kind, ("string", None))
        schema: dict = {"type": kind}
        if fmt:
            schema["format"] = fmt
        if self.default is not None:
            schema["default"] = _typed(self.kind, self.default)
        if self.enum:
            schema["enum"] = [_typed(self.kind, v) for v in self.enum]
        return schema

    def term(self, value: str) -> str:
        """The value as a SPARQL term for this parameter, or BadParameter."""
        if len(value) > MAX_VALUE_CHARS:
            raise BadParameter(f"{self.name} : au plus {MAX_VALUE_CHARS} caractères")
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
            raise BadParameter(f"{self.name} : les caractères de contrôle ne sont pas admis")
        if self.enum and value not in self.enum:
            raise BadParameter(f"{self.name} : l'une des valeurs {', '.join(self.enum)}")
        if self.kind == "iri":
            if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) or re.search(r'[\s<>"{}|^`\\]', value):
                raise BadParameter(f"{self.name} : une IRI absolue est attendue")
            if not is_engine_iri(value):
                raise BadParameter(f"{self.name} : cette IRI n'est pas valide")
            return f"<{value}>"
        if self.kind == "integer":
            if not INTEGER.fullmatch(value):
                raise BadParameter(f"{self.name} : un nombre entier est attendu")
            return str(int(value))
        if self.kind == "decimal":
            if not DECIMAL.fullmatch(value):
                raise BadParameter(f"{self.name} : un nombre décimal est attendu")
            return value if "." in value else value + ".0"
        if self.kind == "boolean":
            if value not in ("true", "false"):
                raise BadParameter(f"{self.name} : true ou false")
            return value
        literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return literal + (f"@{self.kind}" if LANGUAGE.fullmatch(self.kind) else "")


def _typed(kind: str, value: str):
    if kind == "integer" and INTEGER.fullmatch(value):
        return int(value)
    if kind == "decimal" and DECIMAL.fullmatch(value):
        return float(value)
    if kind == "boolean":
        return value == "true"
    return value


@dataclass(frozen=True)
class ExampleQuery:
    name: str  # file name without .rq
    title: str
    comment: str
    text: str  # the query as it runs with its parameters' defaults
    template: str = ""  # the file as written, parameters as variables
    parameters: tuple[Parameter, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""

    @property
    def operation(self) -> str:
        """The API operation's name: the file name without its leading number ("03-ptce-on-a-theme" → …)."""
        return re.sub(r"^\d+-", "", self.name)

    def bind(self, values: dict[str, str]) -> str:
        """The query with the given values (and the defaults of the others) in place; BadParameter if a
        required parameter has no value, or a value does not fit."""
        unknown = sorted(set(values) - {p.name for p in self.parameters})
        if unknown:
            raise BadParameter(f"{unknown[0]} : paramètre inconnu ; cette opération prend : "
                               f"{', '.join(p.name for p in self.parameters) or 'aucun'}")  # fmt: skip
        terms = {}
        for p in self.parameters:
            value = values.get(p.name, p.default)
            if value is None or value == "":
                if p.required:
                    raise BadParameter(f"{p.name} : obligatoire")
                continue
            terms[p.variable] = p.term(value)
        return PARAMETER.sub(lambda m: terms.get(m.group(0), m.group(0)), self.template)


def _decorators(lines: list[str], path: Path) -> dict:
    if not lines:
        return {}
    try:
        found = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: the '#+' decorators are not valid YAML: {exc}") from None
    if not isinstance(found, dict):
        raise ValueError(f"{path}: the '#+' decorators must be 'key: value' lines")
    if str(found.get("method", "GET")).upper() != "GET":
        raise ValueError(f"{path}: only GET operations are served (method: {found['method']})")
    return found


def _by_name(entries, path: Path, key: str) -> dict[str, object]:
    """grlc writes `defaults` and `enumerate` as a list of one-key mappings."""
    merged: dict[str, object] = {}
    for entry in entries or []:
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: '{key}' must list 'name: value' entries")
        merged.update(entry)
    return merged


def read_example(path: Path) -> ExampleQuery:
    text = Path(path).read_text(encoding="utf-8")
    header, decorators = [], []
    for line in text.splitlines():
        if line.startswith("#+"):
            decorators.append(line[2:].removeprefix(" "))
        elif line.startswith("#"):
            header.append(line.lstrip("#").strip())
        else:
            break
    if not header or not header[0]:
        raise ValueError(f"{path}: the first line must be a '# title'")
    found = _decorators(decorators, Path(path))
    defaults = {k: str(v) for k, v in _by_name(found.get("defaults"), Path(path), "defaults").items()}
    enums = _by_name(found.get("enumerate"), Path(path), "enumerate")
    parameters = {}
    for m in PARAMETER.finditer(text):
        underscores, name, kind = m.groups()
        if name not in parameters:
            enum = tuple(str(v) for v in enums.get(name) or ())
            parameters[name] = Parameter(name, kind or "string", underscores == "_", m.group(0), defaults.get(name),
                                         enum)  # fmt: skip
    comment = " ".join(h for h in header[1:] if h)
    example = ExampleQuery(
        Path(path).stem,
        header[0],
        comment,
        text,
        text,
        tuple(parameters.values()),
        tuple(str(t) for t in found.get("tags") or ()),
        str(found.get("summary") or header[0]),
        str(found.get("description") or comment),
    )
    if example.parameters:  # what the query page runs: the defaults in place, parameters without one as variables
        try:
            terms = {p.variable: p.term(p.default) for p in example.parameters if p.default is not None}
        except BadParameter as exc:
            raise ValueError(f"{path}: a default does not fit its parameter ({exc})") from None
        example = replace(example, text=PARAMETER.sub(lambda m: terms.get(m.group(0), m.group(0)), text))
    return example


def load_examples(folder: Path = QUERIES_DIR) -> list[ExampleQuery]:
    """Every example query of a folder, by file name."""
    return [read_example(p) for p in sorted(Path(folder).glob("*.rq"))]
