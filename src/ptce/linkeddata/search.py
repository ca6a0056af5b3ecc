"""Site search: the text analysis shared by the index (`ptce.build.search_index`) and the queries, and the queries.

The index is an SQLite FTS5 table in the build folder (`build_folder.SEARCH_INDEX`), so it ships with the build
and is switched with it at reload. Words are analysed the same way on both sides, before FTS5 sees them:

- accents, ligatures and case set aside (`ptce.french`, as the importer does), so "eco pole" finds "Eco-Pôle";
- words split at anything that is not a letter or digit, so elided articles fall off ("d'Audruicq" → "audruicq");
- French plurals reduced to the singular ("territoires" → "territoire", "sociaux" → "social");
- in queries, French stop words left out ("de", "la", …) unless nothing else is left, and every word a prefix
  ("alim" finds "alimentation"): every word must match (AND).

Results are ranked by BM25 over four columns weighted label > other names > places > texts, PTCEs first among
equals; each comes with the passage that matched, its matching words marked (escaped HTML).
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ptce.french import fold
from ptce.french import singular as stem  # plural endings only: a query word may be a prefix
from ptce.i18n import N_

WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOP_WORDS = frozenset(("a", "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "en", "et", "il", "la",
                        "le", "les", "leur", "leurs", "ou", "par", "pour", "qu", "que", "qui", "sa", "se", "ses", "son",
                        "sur", "un", "une"))  # fmt: skip
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
# Column weights for bm25(): label, other names, places, texts.
WEIGHTS = (10.0, 6.0, 3.0, 1.0)
KINDS = {  # kind: (label in French, translated where it is shown; rank among equals)
    "ptce": (N_("PTCE"), 0),
    "organisation": (N_("Organisation"), 1),
    "initiative": (N_("Initiative"), 2),
    "territoire": (N_("Territoire"), 3),
    "departement": (N_("Département"), 3),
    "theme": (N_("Thématique"), 4),
}
SNIPPET_CHARS = 220


def words(text: str) -> list[tuple[str, int, int]]:
    """The words of a text as (analysed form, start, end) in the text; one-letter words (elisions) left out."""
    found = []
    for match in WORD.finditer(text):
        folded = fold(match.group())
        if len(folded) > 1:
            found.append((stem(folded), match.start(), match.end()))
    return found


def analysed(text: str) -> str:
    """The text as the index holds it: its analysed words, separated by spaces."""
    return " ".join(w for w, _, _ in words(text))


def query_terms(q: str) -> list[str]:
    """The analysed words of a query: stop words out unless nothing else is left, at most MAX_QUERY_WORDS."""
    terms = [w for w, _, _ in words(q[:MAX_QUERY_CHARS])]
    meaningful = [t for t in terms if t not in STOP_WORDS]
    return list(dict.fromkeys(meaningful or terms))[:MAX_QUERY_WORDS]


def match_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term, as a prefix, quoted (terms hold letters and digits only)."""
    return " AND ".join(f'"{t}"*' for t in terms)


@dataclass
class Hit:
    iri: str
    path: str
    kind: str
    label: str
    snippet_html: str
    snippet: str
    score: float

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, (self.kind, 9))[0]

    def as_json(self) -> dict:
        return {"iri": self.iri, "page": self.path, "kind": self.kind, "kindLabel": self.kind_label,
                "label": self.label, "snippet": self.snippet, "snippetHtml": self.snippet_html,
                "score": round(self.score, 4)}  # fmt: skip


@dataclass
class Results:
    query: str
    terms: list[str]
    hits: list[Hit] = field(default_factory=list)
    total: int = 0


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, str, bool]:
    """(HTML with the words that match `terms` marked, the same text plain, whether any matched): a window of
    about `width` characters around the first match; everything escaped."""
    spans = [(s, e) for w, s, e in words(text) if any(w.startswith(t) for t in terms)]
    if not spans:
        cut = text[:width].rsplit(" ", 1)[0] if len(text) > width else text
        return html.escape(cut) + ("…" if len(cut) < len(text) else ""), cut, False
    start = max(0, spans[0][0] - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > spans[0][1] else end
    out, plain, at = [], text[start:end], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[at:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        at = e
    out.append(html.escape(text[at:end]))
    before, after = ("…" if start else ""), ("…" if end < len(text) else "")
    return before + "".join(out) + after, before + plain + after, True


class SearchIndex:
    """A build's search index, opened read-only (one connection per process: open it after a fork)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                  check_same_thread=False)  # fmt: skip

    def close(self) -> None:
        self.db.close()

    def search(self, q: str, limit: int = 20, offset: int = 0) -> Results:
        """The resources matching `q`, best first (`limit` of them from `offset`), each with its matching passage."""
        terms = query_terms(q)
        results = Results(q, terms)
        if not terms:
            return results
        expression = match_expression(terms)
        results.total = self.db.execute("SELECT COUNT(*) FROM entries WHERE entries MATCH ?", (expression,)).fetchone()[
            0
        ]
        rank = f"bm25(entries, {', '.join(map(str, WEIGHTS))})"
        rows = self.db.execute(
            f"SELECT d.iri, d.path, d.kind, d.label, d.texts, {rank} AS score "  # constants only
            "FROM entries JOIN docs AS d ON d.id = entries.rowid WHERE entries MATCH ? "
            "ORDER BY score, d.priority, d.label LIMIT ? OFFSET ?",
            (expression, limit, offset),
        ).fetchall()
        for iri, path, kind, label, texts, score in rows:
            snippet_html, snippet = "", ""
            for text in texts.split("\x1f") if texts else ():
                marked, plain, matched = highlight(text, terms)
                if matched or not snippet_html:
                    snippet_html, snippet = marked, plain
                if matched:
                    break
            results.hits.append(Hit(iri, path, kind, label, snippet_html, snippet, -score))
        return results
