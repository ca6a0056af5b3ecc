"""Slugs: stable, lower-case ASCII identifiers derived once from a name."""

import re
import unicodedata


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by hyphens: "Pôle d'Audruicq" -> "pole-d-audruicq"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
