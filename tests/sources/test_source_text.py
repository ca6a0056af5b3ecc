"""Finding quotes in the source text: every passage whose words are the quote, emphasis marks and white space
aside, exactly as the plain definition below finds them, for small texts and for the word index of large ones."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptce.sources.passages import SourceText

ALPHABET = "ab c*\n\t\u00a0dé"


def plain_find(text: str, quote: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The definition, one character at a time: drop `*`, make each run of white space one space, look for the
    quote so folded within [start, end) of the text, and give each occurrence's span in the text."""
    folded, where = [], []
    for i, ch in enumerate(text):
        if ch == "*":
            continue
        if ch.isspace():
            if folded and folded[-1] == " ":
                continue
            ch = " "
        folded.append(ch)
        where.append(i)
    haystack = "".join(folded)
    needle = " ".join(quote.replace("*", "").split())
    end = len(text) if end is None else end
    if not needle:
        return []
    lo, hi = bisect.bisect_left(where, start), bisect.bisect_left(where, end)
    found, i = [], haystack.find(needle, lo, hi)
    while i >= 0:
        found.append((where[i], where[i + len(needle) - 1] + 1))
        i = haystack.find(needle, i + 1, hi)
    return found


def spans(source: SourceText, *args) -> list[tuple[int, int]]:
    return [(p.start, p.end) for p in source.find(*args)]


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=ALPHABET, max_size=80),
    cut=st.tuples(st.integers(0, 80), st.integers(0, 80)),
    window=st.tuples(st.integers(0, 80), st.integers(0, 80)),
    gram=st.sampled_from([1, 2, 3, 5]),
)
def test_quotes_are_found_as_the_definition_says(text, cut, window, gram):
    i, j = sorted(min(c, len(text)) for c in cut)
    start, end = sorted(min(w, len(text)) for w in window)
    quote = text[i:j]
    plain = SourceText(text)
    indexed = SourceText(text)
    indexed.INDEXED_SPAN, indexed.GRAM = 0, gram  # every search through the word index
    for args in ((quote,), (quote, start, end), ("a b",), ("b c d",)):
        expected = plain_find(text, *args)
        assert spans(plain, *args) == expected
        assert spans(indexed, *args) == expected


@pytest.mark.parametrize("quote", ["Noeux Environnement", "collectif  PHARE", "*Tilt* SCIC", "nulle part ici"])
def test_a_large_text_is_searched_through_its_word_index(quote):
    """A document of national size (a megabyte): the same passages as the definition, overlapping ones too."""
    filler = "".join(f"organisation numéro {n} de la carte, *membre* du pôle {n % 97}.\n\n" for n in range(16_000))
    text = filler + "porté par le collectif PHARE et l'association Noeux Environnement ; Tilt SCIC " + filler
    source = SourceText(text)
    assert len(text) > source.INDEXED_SPAN
    assert spans(source, quote) == plain_find(text, quote)
    if quote.startswith("Noeux"):  # a word of five letters or more after a space: looked up in the index
        assert source._index is not None and len(spans(source, quote)) == 1
