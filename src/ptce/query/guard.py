"""What a SPARQL request asks for, and the one text of it the engine may run.

The endpoint is read-only and never fetches remote data, but the engine follows `SERVICE <url>` with an HTTP
request. A guard that reads the query one way while the engine reads it another can be fooled (an escape the
guard does not decode, a comment the engine does not see), so the guard does not hand the engine the text it
was sent. `analyse`:

1. tokenises the text as the SPARQL 1.1 grammar and Oxigraph do (strings, IRIs with their `\\u0041`-style escapes,
   comments, prefixed names and variables are single tokens; keywords are case-insensitive);
2. writes the *engine text*: comments become blanks, IRIs are written with their escapes decoded (an escape that
   stands for a character an IRI may not hold is refused), strings with `\\u` escapes are rewritten without
   them. Every other character is kept where it was, so the engine's error positions still point into the
   user's text (`Analysis.locate` maps them back where something was rewritten);
3. tokenises the engine text again and refuses the query unless it reads as the same tokens: nothing the
   engine will see can read differently from what the guard decided on;
4. decides on those tokens: the query form, updates, every `SERVICE` and its endpoint, `FROM` / `FROM NAMED`,
   the top-level `LIMIT`, and the nesting depth (refused past `MAX_NESTING`, before any parser recurses).

The row limit is applied by rewriting the top-level LIMIT of a SELECT query (the outermost solution modifier,
after GROUP BY / HAVING / ORDER BY / OFFSET, before a trailing VALUES block), so subqueries, the prologue and the
order of results are untouched; `cut_rows` enforces it again on the serialised result. Analyses are cached per
query text. Grammar: https://www.w3.org/TR/sparql11-query/#grammar
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import urljoin

from ptce.errors import PtceError

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
VOLATILE_FUNCTIONS = ("RAND", "NOW", "UUID", "STRUUID", "BNODE")
# Deepest nesting of ( { [ accepted. Real queries stay far below; the engine's parser and evaluator recurse on
# nesting and run out of stack a few hundred levels down (collections) to a few thousand (groups).
MAX_NESTING = 64

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_IRI_CHAR = '[^<>"{}|^`\\\\\x00-\x20]'

_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<ws>[ \t\r\n]+)",
            r"(?P<comment>#[^\n\r]*)",
            r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
            r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
            f"(?P<iri><(?:{_IRI_CHAR}|{_UCHAR})*>)",
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
_UCHAR_RE = re.compile(_UCHAR)
_IRI_FORBIDDEN = re.compile('[<>"{}|^`\\\\\x00-\x20]')
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_OPENING, _CLOSING = ("{", "(", "["), ("}", ")", "]")


class QueryRefused(PtceError, ValueError):
    """The guard refuses a query text; the message says why, for the user (the endpoint answers 400)."""


@dataclass(frozen=True)
class Token:
    kind: str  # iri, string, var, pname, word, number, punct, ...
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def _scan(text: str):
    for m in _TOKEN.finditer(text):
        yield Token(m.lastgroup, m.group(), m.start(), m.end())


def tokenize(text: str) -> list[Token]:
    """Tokens of a SPARQL text, without whitespace and comments."""
    return [t for t in _scan(text) if t.kind not in ("ws", "comment")]


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] of the user's text by `text`."""

    start: int
    end: int
    text: str


def apply_edits(text: str, edits: tuple[Edit, ...]) -> str:
    parts, at = [], 0
    for e in edits:
        parts += [text[at : e.start], e.text]
        at = e.end
    return "".join([*parts, text[at:]])


def _to_user_offset(edits: tuple[Edit, ...], offset: int) -> int:
    """The offset in the user's text of `offset` in the edited text (inside a rewritten span: the span's start)."""
    shift = 0
    for e in edits:
        new_start = e.start + shift
        if offset < new_start:
            break
        if offset < new_start + len(e.text):
            return e.start
        shift += len(e.text) - (e.end - e.start)
    return offset - shift


def _decode_uchars(text: str, what: str) -> str:
    def one(m: re.Match) -> str:
        code = int(m.group()[2:], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryRefused(f"The escape {m.group()} in {what} is not a Unicode character.")
        return chr(code)

    return _UCHAR_RE.sub(one, text)


def _engine_token(token: Token) -> str | None:
    """How the engine text writes a token, when not as the user did (None: kept as written)."""
    if token.kind == "comment":
        return " " * len(token.text)
    if "\\u" not in token.text and "\\U" not in token.text:
        return None
    if token.kind == "iri":
        iri = _decode_uchars(token.text[1:-1], f"the IRI {token.text}")
        if _IRI_FORBIDDEN.search(iri):
            raise QueryRefused(f"An escape in the IRI {token.text} stands for a character IRIs may not contain.")
        return f"<{iri}>"
    if token.kind == "string":
        quote = 3 if token.text[:3] in ('"""', "'''") else 1
        body = token.text[quote:-quote]
        decoded = _UCHAR_RE.sub(lambda m: _echar(_decode_uchars(m.group(), "a string")), body)
        return token.text[:quote] + decoded + token.text[-quote:]
    return None


def _echar(char: str) -> str:
    return {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r"}.get(char, char)


def _engine_text(text: str) -> tuple[str, tuple[Edit, ...], list[Token]]:
    """The engine text of a query, its edits, and its tokens (checked to read as the user's tokens do)."""
    edits, expected = [], []
    for token in _scan(text):
        written = _engine_token(token)
        if written is not None:
            edits.append(Edit(token.start, token.end, written))
        if token.kind not in ("ws", "comment"):
            expected.append((token.kind, token.text if written is None else written))
    edits = tuple(edits)
    engine = apply_edits(text, edits) if edits else text
    tokens = tokenize(engine) if edits else [t for t in _scan(text) if t.kind not in ("ws", "comment")]
    if edits and [(t.kind, t.text) for t in tokens] != expected:
        raise QueryRefused("The query reads differently once its escapes are decoded; write it without them.")
    return engine, edits, tokens


@dataclass(frozen=True)
class Analysis:
    """What a query text asks for. `form` is None when it is neither a query nor an update the tokens show.

    `text` is the engine text: what the engine must run instead of the user's text (see the module docstring).
    """

    form: str | None
    is_update: bool = False
    service: bool = False
    services: tuple[str, ...] = ()  # the endpoints SERVICE clauses name (a variable is kept as written)
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    limit: int | None = None  # the top-level LIMIT of a SELECT, if any
    limit_span: tuple[int, int] | None = None  # where that LIMIT's number is in the user's text
    insert_at: int | None = None  # where a top-level LIMIT can be inserted in the user's text (SELECT only)
    prefixes: dict[str, str] = field(default_factory=dict)
    user_text: str = ""
    edits: tuple[Edit, ...] = ()
    volatile: bool = False  # calls a function whose value changes from one run to the next (RAND, NOW, ...)

    @property
    def text(self) -> str:
        return apply_edits(self.user_text, self.edits) if self.edits else self.user_text

    @property
    def is_graph_form(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def limited(self, row_limit: int) -> tuple[Analysis, bool]:
        """This query with its top-level LIMIT clamped to `row_limit`; and whether it was clamped."""
        if self.form != "SELECT" or self.insert_at is None:
            return self, False
        if self.limit is not None:
            if self.limit <= row_limit:
                return self, False
            edit = Edit(*self.limit_span, str(row_limit))
        else:
            edit = Edit(self.insert_at, self.insert_at, f"\nLIMIT {row_limit}\n")
        edits = tuple(sorted((*self.edits, edit), key=lambda e: (e.start, e.end)))
        return replace(self, edits=edits), True

    def with_row_limit(self, row_limit: int) -> tuple[str, bool]:
        """The engine text with its top-level LIMIT clamped to `row_limit`; and whether it was clamped."""
        limited, clamped = self.limited(row_limit)
        return limited.text, clamped

    def locate(self, message: str) -> str:
        """An engine message with its `line:column` positions moved from the engine text to the user's text."""
        if not self.edits:
            return message
        engine = self.text

        def move(m: re.Match) -> str:
            line, column = int(m.group(1)), int(m.group(2))
            offset = _offset(engine, line, column)
            if offset is None:
                return m.group(0)
            return "{}:{}".format(*_line_column(self.user_text, _to_user_offset(self.edits, offset)))

        return re.sub(r"(?<![\d:])(\d+):(\d+)(?!\d)", move, message, count=1)


def _offset(text: str, line: int, column: int) -> int | None:
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\n|\r", text))]
    if not 1 <= line <= len(starts) or column < 1:
        return None
    return starts[line - 1] + column - 1


def _line_column(text: str, offset: int) -> tuple[int, int]:
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\n|\r", text))]
    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def is_absolute(iri: str) -> bool:
    """Whether an IRI (without its angle brackets) starts with a scheme: no base is needed to read it."""
    return bool(_ABSOLUTE.match(iri))


def expand_name(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    """The IRI an IRI or prefixed-name token stands for (None for other tokens, unknown prefixes, and a relative IRI
    that cannot be resolved against `base`, such as one naming an invalid IPv6 host: the engine refuses those)."""
    if token.kind == "iri":
        iri = token.text[1:-1]
        if not base or is_absolute(iri):
            return iri
        try:
            return urljoin(base, iri)
        except ValueError:
            return None
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def prologue(tokens: list[Token], default_prefixes: dict[str, str]) -> tuple[int, dict[str, str], str | None]:
    """Skip BASE / PREFIX declarations; returns (index of the next token, prefixes, base)."""
    prefixes = dict(default_prefixes)
    base = None
    i = 0
    while i < len(tokens):
        if tokens[i].is_word("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = expand_name(tokens[i + 1], prefixes, base)
            i += 2
        elif tokens[i].is_word("PREFIX") and i + 2 < len(tokens) and tokens[i + 1].kind == "pname":
            iri = expand_name(tokens[i + 2], prefixes, base) if tokens[i + 2].kind == "iri" else None
            prefixes[tokens[i + 1].text.rstrip(":")] = iri or ""
            i += 3
        else:
            break
    return i, prefixes, base


def _nesting(tokens: list[Token], start: int):
    """(index, token, depth) from `start`: depth counts the ( { [ around the token (a bracket is outside itself)."""
    depth = 0
    for i in range(start, len(tokens)):
        t = tokens[i]
        if t.kind == "punct" and t.text in _CLOSING:
            depth -= 1
        yield i, t, depth
        if t.kind == "punct" and t.text in _OPENING:
            depth += 1


def _check_nesting(tokens: list[Token]) -> None:
    deepest = max((depth for _, t, depth in _nesting(tokens, 0) if t.text in _OPENING), default=-1) + 1
    if deepest > MAX_NESTING:
        raise QueryRefused(f"The query nests brackets {deepest} deep; at most {MAX_NESTING} levels are accepted.")


def _dataset(tokens: list[Token], start: int, prefixes, base) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """IRIs of the FROM and FROM NAMED clauses (an unresolvable name is kept as written)."""
    default, named = [], []
    for i, t, depth in _nesting(tokens, start):
        if depth == 0 and t.is_word("FROM") and i + 1 < len(tokens):
            target, into = tokens[i + 1], default
            if target.is_word("NAMED") and i + 2 < len(tokens):
                target, into = tokens[i + 2], named
            into.append(expand_name(target, prefixes, base) or target.text)
    return tuple(default), tuple(named)


def _services(tokens: list[Token], prefixes) -> tuple[str, ...]:
    """The endpoint each SERVICE [SILENT] names: an absolute IRI, or the token as written (a variable, a relative
    IRI, nothing), which no allow-list can match."""
    found = []
    for i, t in enumerate(tokens):
        if t.is_word("SERVICE"):
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].is_word("SILENT") else i + 1
            target = tokens[j] if j < len(tokens) else None
            iri = expand_name(target, prefixes, None) if target is not None else None
            found.append(iri if iri and is_absolute(iri) else (target.text if target else ""))
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
    engine, edits, tokens = _engine_text(text)
    _check_nesting(tokens)
    start, prefixes, _base = prologue(tokens, dict(default_prefixes))
    first = tokens[start] if start < len(tokens) else None
    service = any(t.is_word("SERVICE") for t in tokens)
    services = _services(tokens, prefixes) if service else ()
    volatile = any(t.is_word(*VOLATILE_FUNCTIONS) for t in tokens)
    common = {"service": service, "services": services, "user_text": text, "edits": edits, "volatile": volatile}
    if first is None or first.kind != "word":
        return Analysis(None, prefixes=prefixes, **common)
    keyword = first.text.upper()
    if keyword in UPDATE_KEYWORDS:
        return Analysis(keyword, is_update=True, **common)
    if keyword not in QUERY_FORMS:
        return Analysis(None, prefixes=prefixes, **common)
    from_graphs, from_named = _dataset(tokens, start + 1, prefixes, _base)
    limit = span = insert_at = None
    if keyword == "SELECT":
        found = _top_level_limit(tokens, start + 1, len(engine))
        if found:
            limit, span, insert_at = found
            # positions in the engine text, moved to the user's text (numbers and keywords are never rewritten)
            span = span and tuple(_to_user_offset(edits, p) for p in span)
            insert_at = len(text) if insert_at == len(engine) else _to_user_offset(edits, insert_at)
    return Analysis(keyword, False, from_graphs=from_graphs, from_named_graphs=from_named, limit=limit,
                    limit_span=span, insert_at=insert_at, prefixes=prefixes, **common)  # fmt: skip


def analyse(text: str, default_prefixes: dict[str, str] | None = None) -> Analysis:
    """Analyse a query text (cached); `default_prefixes` are the prefixes the engine predeclares.

    Raises `QueryRefused` for a text the guard will not let the engine read (see the module docstring).
    """
    return _analyse(text, tuple(sorted((default_prefixes or {}).items())))


def refusal(analysis: Analysis, allowed_services: frozenset[str] | tuple[str, ...] = ()) -> str | None:
    """Why a read-only endpoint that makes no outbound request (but to `allowed_services`) must refuse the query."""
    if analysis.is_update:
        return READ_ONLY
    if analysis.service and (not analysis.services or any(s not in allowed_services for s in analysis.services)):
        listed = f" except {', '.join(f'<{s}>' for s in sorted(allowed_services))}" if allowed_services else ""
        return f"SERVICE is not allowed{listed}. {NO_REMOTE}: query this endpoint's own data."
    return None


NO_REMOTE = "This endpoint never fetches remote data"
READ_ONLY = "This endpoint is read-only: SPARQL Update is not accepted."

# Quoted strings; one left open at the end (a result the writer was stopped in) runs to the end.
_STRINGS = {
    "json": re.compile(rb'"(?:[^"\\]|\\.|\\\Z)*(?:"|\Z)', re.DOTALL),
    "csv": re.compile(rb'"(?:[^"]|"")*(?:"|\Z)'),
}
_ROW_START = {"json": re.compile(rb"[\[,]\{"), "xml": re.compile(rb"<result[>/]"), "tsv": re.compile(rb"\n")}
_ROW_START["csv"] = _ROW_START["tsv"]
_CLOSE = {"json": b"]}}", "xml": b"</results></sparql>", "csv": b"", "tsv": b""}


def _blank_strings(body: bytes, format_key: str) -> bytes:
    """The body with the inside of its quoted strings blanked, offsets kept (a string holds no row marker)."""
    strings = _STRINGS.get(format_key)
    if strings is None:
        return body
    return strings.sub(lambda m: b"_" * len(m.group()), body)


def count_rows(body: bytes, format_key: str) -> int:
    """Rows in a SELECT result serialised by the engine, counted on the bytes (no parsing per row)."""
    count = len(_ROW_START[format_key].findall(_blank_strings(body, format_key)))
    return count - 1 if format_key in ("tsv", "csv") else count


def cut_rows(body: bytes, format_key: str, row_limit: int) -> tuple[bytes, bool]:
    """A SELECT result serialised by the engine, kept to its first `row_limit` rows; and whether rows were cut."""
    if len(body) <= row_limit:  # every row takes at least one byte
        return body, False
    by_line = format_key in ("tsv", "csv")  # markers end the header and each row; elsewhere they start a row
    for n, m in enumerate(_ROW_START[format_key].finditer(_blank_strings(body, format_key))):
        if n == row_limit:
            end = m.end() if by_line else m.start()
            return (body, False) if end >= len(body) else (body[:end] + _CLOSE[format_key], True)
    return body, False
