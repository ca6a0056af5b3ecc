"""Keep bidirectional control characters of data from reordering the page around them.

A name holding U+202E (RIGHT-TO-LEFT OVERRIDE) would, unclosed, reverse the text that follows it in the same
paragraph, so a page could be made to read differently from what it says. Every string a template prints is
ended with the closing characters its unclosed embeddings, overrides and isolates need (U+202C, U+2069): its own
characters are kept as they are, their effect stops at the value's end. Safe in text and in attribute values.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c"}
ISOLATES = {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}


def close_bidi(text: str) -> str:
    """`text` followed by the characters that close what it opens (U+202A..U+202E, U+2066..U+2068)."""
    if not any(ch in text for ch in (*OPENERS, *ISOLATES)):
        return text
    stack: list[str] = []
    for ch in text:
        if ch in OPENERS or ch in ISOLATES:
            stack.append(OPENERS.get(ch) or ISOLATES[ch])
        elif ch == "\u2069":  # a PDI also closes the embeddings opened since its isolate
            while stack and stack.pop() != "\u2069":
                pass
        elif ch == "\u202c" and stack and stack[-1] == "\u202c":
            stack.pop()
    return text + "".join(reversed(stack))


def finalize(value: Any) -> Any:
    """Jinja `finalize`: close the bidi controls of a printed plain string (markup is left alone)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return close_bidi(value)
    return value
