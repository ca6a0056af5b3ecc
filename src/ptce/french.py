"""French words compared the way readers do: case, accents and ligatures set aside, plurals reduced.

Shared by the importer's theme suggestions (`ptce.importer.suggest`, which also reduces feminine forms) and the
site search (`ptce.linkeddata.search`), so that both sides of a comparison are folded the same way.
"""

from __future__ import annotations

import unicodedata

LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def fold(word: str) -> str:
    """Lower case without accents or ligatures: "Écologie" -> "ecologie", "Nœux" -> "noeux"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().translate(LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def singular(word: str) -> str:
    """A folded word without its French plural mark: "locaux" -> "local", "bureaux" -> "bureau"."""
    if len(word) <= 3:
        return word
    if word.endswith("eaux"):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word[-1] in "sx":
        return word[:-1]
    return word
