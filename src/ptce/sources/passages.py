"""Passages of the source text: where a quoted text, or the words that support a fact, stand in the document.

A passage is a span of the source text in Unicode characters, as the W3C Web Annotation model counts them
(`oa:TextPositionSelector`), with its exact text and a few characters either side (`oa:TextQuoteSelector`).
Quotes in the YAML sources are found in the text with its emphasis marks (`*…*`) and runs of white space
ignored, so a curated quote need not repeat them; the passage's exact text is always the document's own.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

CONTEXT = 32  # characters of oa:prefix and oa:suffix
_IGNORED = "*"  # Markdown emphasis in the source text
_SPACE = re.compile(r"\s+")
# What folding shortens: emphasis marks, and runs of white space longer than one character (with the marks in them).
_FOLDED = re.compile(r"\*[\s*]*|\s[\s*]+")
_WORD_START = re.compile(r"(?<= )[^ ]")  # a word of the folded text that follows a space


@dataclass(frozen=True)
class Passage:
    """A span of the source text: [start, end) in characters, with its text and context."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


class SourceText:
    """The text of a source document, searchable for quotes.

    Quotes are matched against the *folded* text: emphasis marks removed, each run of white space one space.
    Positions are mapped back to the text through the places where folding removed characters (`_folded_at`,
    `_text_at`: each piece of the folded text starts at the first and maps to the text at the second), so a
    large document costs a few integers per word gap, not one per character. Searches over a large span use an
    index of the folded text's words (where each word that follows a space starts, by its first `GRAM` characters):
    a quote with a space inside is looked up by the rarest of its inner words, which every occurrence of it must
    start there too; other quotes are searched for directly."""

    GRAM = 5
    INDEXED_SPAN = 200_000  # folded characters from which a search uses the word index

    def __init__(self, text: str):
        self.text = text
        pieces: list[str] = []
        folded_at, text_at = [0], [0]  # piece k of the folded text starts at folded_at[k], text_at[k]
        done = f = 0  # text consumed, folded length so far
        for m in _FOLDED.finditer(text):
            i, j = m.span()
            pieces.append(text[done:i])
            f += i - done
            spaces = _SPACE.search(m.group())
            if spaces:  # the run becomes one space: the run's first white-space character
                pieces.append(" ")
                folded_at.append(f)
                text_at.append(i + spaces.start())
                f += 1
            folded_at.append(f)
            text_at.append(j)
            done = j
        pieces.append(text[done:])
        self._folded = _SPACE.sub(" ", "".join(pieces))  # what is left are single white-space characters
        self._folded_at, self._text_at = folded_at, text_at
        self._index: dict[str, list[int]] | None = None
        self._lines: dict[str, int] = {}  # each line's text (white space stripped) -> where it first starts
        for m in re.finditer(r"[^\n]+", text):
            self._lines.setdefault(m.group().strip(), m.start())

    def _to_text(self, f: int) -> int:
        """The index in the text of the folded text's character `f`."""
        k = bisect.bisect_right(self._folded_at, f) - 1
        return self._text_at[k] + (f - self._folded_at[k])

    def _to_folded(self, t: int) -> int:
        """The first index of the folded text whose character is at `t` or after it in the text."""
        k = bisect.bisect_right(self._text_at, t) - 1
        if k < 0:
            return 0
        piece_end = self._folded_at[k + 1] if k + 1 < len(self._folded_at) else len(self._folded)
        return min(self._folded_at[k] + (t - self._text_at[k]), piece_end)

    def _word_index(self) -> dict[str, list[int]]:
        if self._index is None:
            index: dict[str, list[int]] = {}
            folded, gram = self._folded, self.GRAM
            for m in _WORD_START.finditer(folded):
                index.setdefault(folded[m.start() : m.start() + gram], []).append(m.start())
            self._index = index
        return self._index

    def _occurrences(self, needle: str, lo: int, hi: int) -> list[int]:
        """Every start of `needle` in the folded text within [lo, hi), overlapping ones included, in order."""
        inner = [j for j in range(1, len(needle) - self.GRAM + 1) if needle[j - 1] == " " and needle[j] != " "]
        if hi - lo < self.INDEXED_SPAN or not inner:
            found, i = [], self._folded.find(needle, lo, hi)
            while i >= 0:
                found.append(i)
                i = self._folded.find(needle, i + 1, hi)
            return found
        index = self._word_index()
        j = min(inner, key=lambda j: len(index.get(needle[j : j + self.GRAM], ())))
        starts = (p - j for p in index.get(needle[j : j + self.GRAM], ()))
        return [s for s in starts if lo <= s and s + len(needle) <= hi and self._folded.startswith(needle, s)]

    def passage(self, start: int, end: int) -> Passage:
        """The passage text[start:end] with its context."""
        return Passage(
            start,
            end,
            self.text[start:end],
            self.text[max(0, start - CONTEXT) : start],
            self.text[end : end + CONTEXT],
        )

    def find(self, quote: str, start: int = 0, end: int | None = None) -> list[Passage]:
        """Every passage within text[start:end] whose words are `quote` (emphasis and white space aside)."""
        needle = _SPACE.sub(" ", quote.replace(_IGNORED, "")).strip()
        end = len(self.text) if end is None else end
        found: list[Passage] = []
        if not needle:
            return found
        lo, hi = self._to_folded(start), self._to_folded(end)
        for i in self._occurrences(needle, lo, hi):
            found.append(self.passage(self._to_text(i), self._to_text(i + len(needle) - 1) + 1))
        return found

    def line_at(self, name: str) -> int | None:
        """Where the first line that reads exactly `name` (surrounding white space aside) starts."""
        return self._lines.get(name.strip())

    def sections(self, names: list[str]) -> dict[str, Passage]:
        """The section of each heading in `names` that is a line of the text: from it to the next such heading.

        The last section ends with the text; headings that are not found are left out."""
        starts = sorted((at, name) for name in dict.fromkeys(names) if (at := self.line_at(name)) is not None)
        bounds = [at for at, _ in starts[1:]] + [len(self.text)] if starts else []
        return {
            name: self.passage(at, at + len(self.text[at:stop].rstrip()))
            for (at, name), stop in zip(starts, bounds, strict=True)
        }
