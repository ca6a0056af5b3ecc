"""What a SPARQL request asks for, read at the token level: its form, outbound requests, its dataset, its LIMIT.

The endpoint is read-only and never fetches remote data, but both query engines follow `SERVICE <url>` with an
HTTP request. `analyse` tokenises the query the way the SPARQL 1.1 grammar does (strings, IRIs, comments,
prefixed names and variables are single tokens, keywords are case-insensitive), so a keyword inside a string, a
comment or an IRI is not mistaken for one, and odd spacing or case does not hide one. Grammar:
https://www.w3.org/TR/sparql11-query/#grammar

It does not validate the query: the engine's parser does that and reports its own message. An IRIREF token is
recognised only when it matches the grammar's IRIREF exactly; such a token cannot contain whitespace, braces or
`<`, so no reading of it can hide a complete `SERVICE ... { }` clause.

The row limit is applied by rewriting the top-level LIMIT of a SELECT query (the outermost solution modifier,
after GROUP BY / HAVING / ORDER BY / OFFSET, before a trailing VALUES block), so subqueries, the prologue and the
order of results are untouched. Analyses are cached per query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"

_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<ws>\s+)",
            r"(?P<comment>#[^\n\r]*)",
            r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
            r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            f"(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            f"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
            f"(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)",
            r"(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
            r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\];,.*+\-/<>=!|^?$])",
            r"(?P<other>.)",
        )
    ),
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # iri, string, var, pname, word, number, punct, ...
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    """Tokens of a SPARQL text, without whitespace and comments."""
    return [
        Token(m.lastgroup, m.group(), m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if m.lastgroup not in ("ws", "comment")
    ]


@dataclass(frozen=True)
class Analysis:
    """What a query text asks for. `form` is None when it is neither a query nor an update the tokens show."""

    form: str | None
    is_update: bool = False
    service: bool = False
    services: tuple[str, ...] = ()  # the endpoints SERVICE clauses name (a variable is kept as written)
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    limit: int | None = None  # the top-level LIMIT of a SELECT, if any
    limit_span: tuple[int, int] | None = None  # where that LIMIT's number is in the text
    insert_at: int | None = None  # where a top-level LIMIT can be inserted (SELECT only)
    prefixes: dict[str, str] = field(default_factory=dict)

    @property
    def is_graph_form(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def with_row_limit(self, text: str, row_limit: int) -> tuple[str, bool]:
        """The query with its top-level LIMIT clamped to `row_limit`; and whether it was clamped."""
        if self.form != "SELECT" or self.insert_at is None:
            return text, False
        if self.limit is not None:
            if self.limit <= row_limit:
                return text, False
            start, end = self.limit_span
            return f"{text[:start]}{row_limit}{text[end:]}", True
        return f"{text[: self.insert_at]}\nLIMIT {row_limit}\n{text[self.insert_at :]}", True


def _expand(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    if token.kind == "iri":
        iri = token.text[1:-1]
        return urljoin(base, iri) if base and not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri) else iri
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _prologue(tokens: list[Token], default_prefixes: dict[str, str]) -> tuple[int, dict[str, str], str | None]:
    """Skip BASE / PREFIX declarations; returns (index of the next token, prefixes, base)."""
    prefixes = dict(default_prefixes)
    base = None
    i = 0
    while i < len(tokens):
        if tokens[i].is_word("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = _expand(tokens[i + 1], prefixes, base)
            i += 2
        elif tokens[i].is_word("PREFIX") and i + 2 < len(tokens) and tokens[i + 1].kind == "pname":
            iri = _expand(tokens[i + 2], prefixes, base) if tokens[i + 2].kind == "iri" else None
            prefixes[tokens[i + 1].text.rstrip(":")] = iri or ""
            i += 3
        else:
            break
    return i, prefixes, base


def _nesting(tokens: list[Token], start: int):
    """(index, token, depth) from `start`: depth counts the ( and { around the token (a bracket is outside itself)."""
    depth = 0
    for i in range(start, len(tokens)):
        t = tokens[i]
        if t.kind == "punct" and t.text in ("}", ")"):
            depth -= 1
        yield i, t, depth
        if t.kind == "punct" and t.text in ("{", "("):
            depth += 1


def _dataset(tokens: list[Token], start: int, prefixes, base) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """IRIs of the FROM and FROM NAMED clauses (an unresolvable name is kept as written)."""
    default, named = [], []
    for i, t, depth in _nesting(tokens, start):
        if depth == 0 and t.is_word("FROM") and i + 1 < len(tokens):
            target, into = tokens[i + 1], default
            if target.is_word("NAMED") and i + 2 < len(tokens):
                target, into = tokens[i + 2], named
            into.append(_expand(target, prefixes, base) or target.text)
    return tuple(default), tuple(named)


def _services(tokens: list[Token], prefixes, base) -> tuple[str, ...]:
    """The endpoint each SERVICE [SILENT] names: an IRI, or the token as written (a variable, or nothing)."""
    found = []
    for i, t in enumerate(tokens):
        if t.is_word("SERVICE"):
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].is_word("SILENT") else i + 1
            target = tokens[j] if j < len(tokens) else None
            found.append((target and _expand(target, prefixes, base)) or (target.text if target else ""))
    return tuple(found)


def _top_level_limit(tokens: list[Token], start: int, text_len: int):
    """(limit, span of its number, insertion point) for the outermost query, or None when it cannot be found."""
    where_end = next((i for i, t, depth in _nesting(tokens, start) if depth == 0 and t.text == "}"), None)
    if where_end is None:
        return None
    limit = span = None
    for i, t, depth in _nesting(tokens, where_end + 1):
        if depth == 0 and t.is_word("VALUES"):
            return limit, span, t.start
        if depth == 0 and t.is_word("LIMIT") and i + 1 < len(tokens) and tokens[i + 1].text.isdigit():
            limit, span = int(tokens[i + 1].text), (tokens[i + 1].start, tokens[i + 1].end)
    return limit, span, text_len


@lru_cache(maxsize=2048)
def _analyse(text: str, default_prefixes: tuple[tuple[str, str], ...]) -> Analysis:
    tokens = tokenize(text)
    start, prefixes, base = _prologue(tokens, dict(default_prefixes))
    first = tokens[start] if start < len(tokens) else None
    service = any(t.is_word("SERVICE") for t in tokens)
    services = _services(tokens, prefixes, base) if service else ()
    if first is None or first.kind != "word":
        return Analysis(None, service=service, prefixes=prefixes)
    keyword = first.text.upper()
    if keyword in UPDATE_KEYWORDS:
        return Analysis(keyword, is_update=True, service=service)
    if keyword not in QUERY_FORMS:
        return Analysis(None, service=service, prefixes=prefixes)
    from_graphs, from_named = _dataset(tokens, start + 1, prefixes, base)
    limit = span = insert_at = None
    if keyword == "SELECT":
        found = _top_level_limit(tokens, start + 1, len(text))
        if found:
            limit, span, insert_at = found
    return Analysis(keyword, False, service, services, from_graphs, from_named, limit, span, insert_at, prefixes)


def analyse(text: str, default_prefixes: dict[str, str] | None = None) -> Analysis:
    """Analyse a query text (cached); `default_prefixes` are the prefixes the engine predeclares."""
    return _analyse(text, tuple(sorted((default_prefixes or {}).items())))


_ROW_SEPARATORS = {
    "json": (re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL), (b"[{", b",{")),
    "xml": (None, (b"<result>", b"<result/>")),
    "tsv": (None, (b"\n",)),
    "csv": (re.compile(rb'"(?:[^"]|"")*"'), (b"\n",)),
}


def count_rows(body: bytes, format_key: str) -> int:
    """Rows in a SELECT result serialised by the engine, counted on the bytes (no parsing per row)."""
    strip, markers = _ROW_SEPARATORS[format_key]
    if strip is not None:
        body = strip.sub(b'""', body)
    count = sum(body.count(m) for m in markers)
    return count - 1 if format_key in ("tsv", "csv") else count
