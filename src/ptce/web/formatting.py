"""Numbers, sizes and dates written the way the page's language writes them (Jinja filters `nombre`, `taille`,
`date`): "4 307", "453 Ko", "2 décembre 2026 à 01 h 02 (UTC)" in French; "4,307", "453 KB", "2 December 2026,
01:02 (UTC)" in English."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from ptce.web.i18n import language

NARROW_NBSP = "\u202f"  # between thousands, and before ":" or ";" in French typography
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}  # fmt: skip
UNITS = {"fr": ("octets", "Ko", "Mo", "Go", "To"), "en": ("bytes", "KB", "MB", "GB", "TB")}
SEPARATORS = {"fr": (NARROW_NBSP, ","), "en": (",", ".")}  # (thousands, decimals)


def nombre(value, lang: str = "fr") -> str:
    """4307 → "4 307" (a narrow no-break space between thousands), 0.5 → "0,5"; in English "4,307", "0.5"."""
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            return value
    thousands, point = SEPARATORS[lang]
    if isinstance(value, float) and not value.is_integer():
        whole, _, decimals = f"{value:,.2f}".rstrip("0").partition(".")
        return whole.replace(",", thousands) + (point + decimals if decimals else "")
    return f"{int(value):,}".replace(",", thousands)


def taille(size, lang: str = "fr") -> str:
    """A byte count for people: 463408 → "453 Ko", 2_500_000 → "2,4 Mo" (powers of 1024), 12 → "12 octets"."""
    size = float(size)
    units = UNITS[lang]
    unit = 0
    while size >= 1024 and unit < len(units) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{nombre(int(size), lang)} {units[0]}"
    shown = f"{size:.1f}".replace(".", SEPARATORS[lang][1]) if size < 10 else nombre(round(size), lang)
    return f"{shown.removesuffix(SEPARATORS[lang][1] + '0')}\u00a0{units[unit]}"


def date(value, with_time: bool | None = None, lang: str = "fr") -> str:
    """An ISO 8601 date or date-time in words: "2 décembre 2026", "2 décembre 2026 à 01 h 02 (UTC)";
    in English "2 December 2026", "2 December 2026, 01:02 (UTC)"."""
    text = str(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    day = "1er" if moment.day == 1 and lang == "fr" else str(moment.day)
    words = f"{day} {MONTHS[lang][moment.month - 1]} {moment.year}"
    if with_time is False or (with_time is None and "T" not in text):
        return words
    zone = " (UTC)" if moment.utcoffset() == dt.timedelta(0) else ""
    if lang == "fr":
        return f"{words} à {moment.hour:02d} h {moment.minute:02d}{zone}"
    return f"{words}, {moment.hour:02d}:{moment.minute:02d}{zone}"


def init_app(app: Flask) -> None:
    """The filters, in the language of the request's page."""
    app.jinja_env.filters.update(
        nombre=lambda value: nombre(value, language()),
        taille=lambda value: taille(value, language()),
        date=lambda value, with_time=None: date(value, with_time, language()),
    )
