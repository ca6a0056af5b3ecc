"""Theme suggestions: find the SKOS scheme's labels in a text, with case, accents and inflections folded.

A label (French or English preferred label, or an alternative label) matches where its words appear
in a row in the text, once both are folded the same way: lower case, no accents, no elided or small
function words (de, la, l', d', à, et, ...), and simple French inflections reduced (plural -s/-x/-aux,
feminine -e/-trice/-elle/-ive). Where one match lies inside a longer one ("alimentation" inside
"alimentation durable"), only the longer one counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ptce.french import fold, singular
from ptce.sources.loader import Theme

WORD_RE = re.compile(r"\w+")
STOPWORDS = frozenset(
    {"a", "au", "aux", "c", "d", "de", "des", "du", "en", "et", "j", "l", "la", "le", "les", "n"}
    | {"qu", "s", "un", "une"}
)
# (ending, replacement) for feminine forms, tried after the plural mark is removed.
FEMININE = (("trice", "teur"), ("euse", "eur"), ("elle", "el"), ("enne", "en"), ("ive", "if"))


def stem(word: str) -> str:
    """Reduce simple French inflections of a folded word: "locaux" -> "local", "innovantes" -> "innovant"."""
    if len(word) <= 3:
        return word
    word = singular(word)
    for ending, replacement in FEMININE:
        if word.endswith(ending):
            return word[: -len(ending)] + replacement
    if word.endswith("e") and not word.endswith("ee") and len(word) > 3:
        word = word[:-1]
    return word


@dataclass(frozen=True)
class Token:
    """One significant word of a text: its folded stem and where it stands in the text."""

    key: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """The significant words of `text`, folded and stemmed, with their character spans."""
    out = []
    for m in WORD_RE.finditer(text):
        word = fold(m.group())
        if word not in STOPWORDS:
            out.append(Token(stem(word), m.start(), m.end()))
    return out


def words(text: str) -> tuple[str, ...]:
    """The folded stems of `text`'s significant words, for comparing short phrases."""
    return tuple(t.key for t in tokens(text))


@dataclass(frozen=True)
class Suggestion:
    """A theme proposed for a PTCE, with the phrase of the text that triggered it and its line."""

    theme: str
    phrase: str
    line: int | None = None


class ThemeMatcher:
    """Finds the labels of a theme scheme in texts."""

    def __init__(self, themes: Iterable[Theme]):
        self.phrases: dict[tuple[str, ...], set[str]] = {}
        for theme in themes:
            labels = [*theme.label.values(), *(a for alts in theme.alt.values() for a in alts)]
            for label in labels:
                key = words(label)
                if key:
                    self.phrases.setdefault(key, set()).add(theme.slug)
        self.longest = max((len(k) for k in self.phrases), default=0)

    def matches(self, text: str) -> list[tuple[str, str]]:
        """(theme, phrase) for each label found in `text`, in text order, nested shorter matches dropped."""
        toks = tokens(text)
        found = []  # (first token, end token, themes)
        for i in range(len(toks)):
            for n in range(min(self.longest, len(toks) - i), 0, -1):
                themes = self.phrases.get(tuple(t.key for t in toks[i : i + n]))
                if themes:
                    found.append((i, i + n, themes))
        kept = [
            (i, j, themes)
            for i, j, themes in found
            if not any(a <= i and j <= b and b - a > j - i for a, b, _ in found)
        ]
        return [(theme, text[toks[i].start : toks[j - 1].end]) for i, j, themes in kept for theme in sorted(themes)]

    def suggest(self, parts: Iterable[tuple[str, int | None]]) -> list[Suggestion]:
        """One suggestion per theme found in the (text, line) parts: the first phrase that triggered it."""
        seen: dict[str, Suggestion] = {}
        for text, line in parts:
            for theme, phrase in self.matches(text):
                seen.setdefault(theme, Suggestion(theme, phrase, line))
        return list(seen.values())


@dataclass(frozen=True)
class Quality:
    """Precision and recall of suggested themes against curated ones, counted over (PTCE, theme) pairs."""

    true_positives: int
    suggested: int
    curated: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.suggested if self.suggested else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.curated if self.curated else 0.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f} ({self.true_positives}/{self.suggested} suggestions curated), "
            f"recall {self.recall:.2f} ({self.true_positives}/{self.curated} curated themes suggested)"
        )


def measure(pairs: Iterable[tuple[set[str], set[str]]]) -> Quality:
    """Quality of (suggested, curated) theme sets, one pair per PTCE."""
    tp = suggested = curated = 0
    for s, c in pairs:
        tp += len(s & c)
        suggested += len(s)
        curated += len(c)
    return Quality(tp, suggested, curated)
