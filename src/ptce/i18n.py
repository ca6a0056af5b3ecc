"""The site's words in other languages than French: one hand-written gettext catalogue (PO file) per language.

The site is written in French; its words are the catalogue's message ids. `ptce/locale/en.po` gives the English
of each, written by a person (never machine-translated). Words shown by Python code are marked where they are
written, with `N_` when they are only translated later (a table of labels), so that `ptce.web.i18n` can check
that the catalogue has every word of the templates, the scripts' messages and the code, and no stale one
(`python -m ptce.web.i18n`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")  # the languages the site speaks, its own first
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}  # each in its own language, for the language switch
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark a word for the catalogue where it is written; it is translated where it is shown."""
    return message


class CatalogueError(ValueError):
    """A PO file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Catalogue:
    """The translations of one language: message id → text, or (singular id, plural id) → forms."""

    language: str
    messages: dict[str, str]
    plurals: dict[tuple[str, str], tuple[str, ...]]

    def plural_index(self, n: int) -> int:
        """Which plural form `n` takes: French and English both have two, which differ at 0."""
        if self.language == "fr":
            return 0 if n in (0, 1) else 1
        return 0 if n == 1 else 1

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get((singular, plural))
        if not forms or not all(forms):
            return singular if Catalogue("fr", {}, {}).plural_index(n) == 0 else plural
        return forms[min(self.plural_index(n), len(forms) - 1)]


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str, where: str) -> str:
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise CatalogueError(f"{where}: expected a quoted string, found {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise CatalogueError(f"{where}: unknown escape in {text!r}")
            out.append(_ESCAPES[body[i + 1]])
            i += 2
            continue
        if c == '"':
            raise CatalogueError(f"{where}: unescaped quote in {text!r}")
        out.append(c)
        i += 1
    return "".join(out)


def read_po(path: Path, language: str) -> Catalogue:
    """Read a PO file (gettext's format: `msgid`, `msgid_plural`, `msgstr`, `msgstr[n]`, continued strings);
    entries marked `#, fuzzy` and empty translations do not count. CatalogueError names the file and line."""
    messages: dict[str, str] = {}
    plurals: dict[tuple[str, str], tuple[str, ...]] = {}
    seen: dict[str, int] = {}  # each message id (with its context) once, as gettext requires
    entries: list[tuple[int, dict[str, str], bool]] = []
    entry: dict[str, str] = {}
    fuzzy = False
    field_name: str | None = None
    start = 0

    def close() -> None:
        nonlocal entry, fuzzy, field_name
        if entry:
            entries.append((start, entry, fuzzy))
        entry, fuzzy, field_name = {}, False, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{number}"
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("#"):
            if entry and field_name:
                close()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
        elif line.startswith('"'):
            if field_name is None:
                raise CatalogueError(f"{where}: a continued string outside an entry")
            entry[field_name] += _unquote(line, where)
        else:
            found = _LINE.match(line)
            if not found:
                raise CatalogueError(f"{where}: expected msgid, msgid_plural, msgstr or msgstr[n], found {line!r}")
            keyword = found.group(1)
            if keyword in ("msgid", "msgctxt") and entry.get("msgstr") is not None:
                close()
            if not entry:
                start = number
            field_name = keyword if keyword != "msgstr" else "msgstr"
            if field_name in entry:
                raise CatalogueError(f"{where}: {field_name} given twice in one entry")
            entry[field_name] = _unquote(found.group(3), where)
    close()
    for number, e, is_fuzzy in entries:
        where = f"{path}:{number}"
        if "msgid" not in e:
            raise CatalogueError(f"{where}: an entry without msgid")
        if not e["msgid"]:
            continue  # the header
        key = context_key(e["msgctxt"], e["msgid"]) if "msgctxt" in e else e["msgid"]
        if key in seen:
            raise CatalogueError(f"{where}: {e['msgid']!r} is already an entry (line {seen[key]}); use msgctxt")
        seen[key] = number
        if is_fuzzy:
            continue  # a translation waiting for review
        if "msgid_plural" in e:
            forms = tuple(e.get(f"msgstr[{i}]", "") for i in range(2))
            if any(k.startswith("msgstr[") and k not in ("msgstr[0]", "msgstr[1]") for k in e):
                raise CatalogueError(f"{where}: two plural forms expected (msgstr[0], msgstr[1])")
            plurals[(key, e["msgid_plural"])] = forms
        elif "msgstr" not in e:
            raise CatalogueError(f"{where}: an entry without msgstr")
        elif e["msgstr"]:
            messages[key] = e["msgstr"]
    return Catalogue(language, messages, plurals)


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of a language the site speaks (French: none needed, the words are French)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; the site speaks {', '.join(LANGUAGES)}")
    if language == SOURCE_LANGUAGE:
        return Catalogue(language, {}, {})
    return read_po(LOCALE_DIR / f"{language}.po", language)


def gettext(language: str, message: str) -> str:
    """`message` (a French word of the site) in `language`."""
    return catalogue(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    """The form of a word that goes with the number `n`, in `language`."""
    return catalogue(language).ngettext(singular, plural, n)


def context_key(context: str, message: str) -> str:
    """How gettext keys a message given in a context (`msgctxt`): the context, EOT, the message."""
    return f"{context}\x04{message}"


def npgettext(language: str, context: str, singular: str, plural: str, n: int) -> str:
    """`ngettext` for a word that has another sense elsewhere in the site (told apart by `context`)."""
    found = catalogue(language).ngettext(context_key(context, singular), plural, n)
    return found if not found.startswith(f"{context}\x04") else found.split("\x04", 1)[1]


_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$|^\*$")


def best_language(accept_language: str | None) -> str | None:
    """The language the site speaks that an `Accept-Language` header prefers (RFC 9110 §12.5.4: q-values,
    region subtags matching their language, `*` any), or None when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not _TAG.match(tag):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or quality > 1:
            continue
        primary = tag.split("-")[0].lower()
        language = SOURCE_LANGUAGE if primary == "*" else primary
        if language in LANGUAGES:
            ranked.append((-quality, order, language))
    return min(ranked)[2] if ranked else None
