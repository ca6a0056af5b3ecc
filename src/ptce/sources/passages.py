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


@dataclass(frozen=True)
class Passage:
    """A span of the source text: [start, end) in characters, with its text and context."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


class SourceText:
    """The text of a source document, searchable for quotes."""

    def __init__(self, text: str):
        self.text = text
        folded: list[str] = []
        self._where: list[int] = []  # index in `text` of each character of the folded text
        for i, ch in enumerate(text):
            if ch in _IGNORED:
                continue
            if ch.isspace():
                if folded and folded[-1] == " ":
                    continue
                ch = " "
            folded.append(ch)
            self._where.append(i)
        self._folded = "".join(folded)
        self._lines: dict[str, int] = {}  # each line's text (white space stripped) -> where it first starts
        for m in re.finditer(r"[^\n]+", text):
            self._lines.setdefault(m.group().strip(), m.start())

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
        lo, hi = bisect.bisect_left(self._where, start), bisect.bisect_left(self._where, end)
        i = self._folded.find(needle, lo, hi)
        while i >= 0:
            found.append(self.passage(self._where[i], self._where[i + len(needle) - 1] + 1))
            i = self._folded.find(needle, i + 1, hi)
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
