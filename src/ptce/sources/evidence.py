"""The passage of the source document that supports each fact of a record, found from the record's quotes.

A PTCE's quotes are looked for in its section of the document (from its heading to the next PTCE's), an
organisation's in the whole document. A quote found nowhere, or more than once, is reported with its file,
line and field: a fact the document does not support is not published.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ptce.sources.fields import SLUG_RE, Checker, join_field, line_of, text_problem
from ptce.sources.passages import Passage, SourceText

_SHORT = reprlib.Repr()
_SHORT.maxstring = 70


@dataclass
class Quotes:
    """Finds quotes in one part of the source text (`within`; None when that part is unknown)."""

    c: Checker
    text: SourceText
    within: Passage | None
    where: str  # "the section 'Auton'Hommes' of" or "" (the whole document)

    def locate(self, quote: Any, line: int, field: str) -> Passage | None:
        """The one passage whose words are `quote`, or None after reporting why there is none."""
        if not isinstance(quote, str) or not quote.strip():
            self.c.fail(line, field, "expected the source's words (a text)")
            return None
        if bad := text_problem(quote):
            self.c.fail(line, field, bad)
            return None
        if self.within is None:
            return None
        found = self.text.find(quote, self.within.start, self.within.end)
        if len(found) == 1:
            return found[0]
        where = f"{self.where} the source document" if self.where else "the source document"
        if found:
            self.c.fail(line, field, f"{_SHORT.repr(quote)} is found {len(found)} times in {where}: quote more words")
        else:
            self.c.fail(
                line,
                field,
                f"{_SHORT.repr(quote)} is not in {where} (quote its words as they are; emphasis marks and"
                " line breaks do not count)",
            )
        return None

    def span(self, passages: Iterable[Passage | None]) -> Passage | None:
        """The part of `within` from its start to the end of the last of `passages`."""
        ends = [p.end for p in passages if p is not None]
        if self.within is None:
            return None
        return self.text.passage(self.within.start, max(ends, default=self.within.end))


def linked(
    quotes: Quotes,
    raw: Any,
    key: str,
    where: str,
    item_key: str,
    known: set[str],
    own: Passage | None = None,
    bare_ok: bool = False,
) -> tuple[list[str], dict[str, Passage]]:
    """The slugs of the list raw[key] and the passage of each.

    Each item is `{<item_key>: slug, quote: the source's words}`; where the record has a passage of its own
    (`bare_ok`: a working group's name, an initiative's description), a bare slug stands for "supported by
    it" (`own`)."""
    items = raw.get(key) if isinstance(raw, dict) else None
    if items is None:
        return [], {}
    c, at = quotes.c, line_of(raw, key)
    if not isinstance(items, list):
        c.fail(at, join_field(where, key), f"expected a list of {{{item_key}, quote}} mappings")
        return [], {}
    slugs: list[str] = []
    passages: dict[str, Passage] = {}
    for i, item in enumerate(items):
        name = f"{join_field(where, key)}[{i}]"
        line = line_of(item, item_key, at)
        if isinstance(item, str) and bare_ok:
            slug, passage = item, own
        elif isinstance(item, str):
            c.fail(at, name, f"{item!r} needs the source's words that support it: {{{item_key}: {item}, quote: …}}")
            continue
        elif isinstance(item, dict) and set(item) == {item_key, "quote"} and isinstance(item[item_key], str):
            slug = item[item_key]
            passage = quotes.locate(item["quote"], line_of(item, "quote", line), f"{name}.quote")
        else:
            c.fail(line, name, f"expected {{{item_key}: slug, quote: the source's words}}")
            continue
        if not SLUG_RE.match(slug):
            c.fail(line, name, f"{slug!r} is not a slug")
        elif slug not in known:
            c.fail(line, name, f"unknown {item_key} {slug!r}; known: {', '.join(sorted(known)) or 'none'}")
        elif slug in slugs:
            c.fail(line, name, f"{slug!r} is listed twice")
        else:
            slugs.append(slug)
            if passage is not None:
                passages[slug] = passage
    return slugs, passages


def figure_passage(quotes: Quotes, raw: Any, field: str, value: int, where: str = "") -> Passage | None:
    """The passage of a figure or a year (`quotes.<field>` of the record), which must write its value."""
    table = raw.get("quotes") if isinstance(raw, dict) else None
    name = join_field(where, f"quotes.{field}")
    if not isinstance(table, dict) or field not in table:
        quotes.c.fail(line_of(raw, field), join_field(where, field), f"needs the source's words that give it: {name}")
        return None
    passage = quotes.locate(table[field], line_of(table, field), name)
    if passage is not None and str(value) not in passage.exact:
        quotes.c.fail(line_of(table, field), name, f"the quote does not give the value {value}")
        return None
    return passage
