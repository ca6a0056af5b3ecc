"""Numbers, sizes and dates written the French way in the site's pages (Jinja filters `nombre`, `taille`, `date`)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

NARROW_NBSP = "\u202f"  # between thousands, and before ":" or ";" in French typography
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")  # fmt: skip
UNITS = ("octets", "Ko", "Mo", "Go", "To")


def nombre(value) -> str:
    """4307 → "4 307" (a narrow no-break space between thousands), 0.5 → "0,5"."""
    if isinstance(value, str):
        try:
            value = float(value) if "." in value else int(value)
        except ValueError:
            return value
    if isinstance(value, float) and not value.is_integer():
        whole, _, decimals = f"{value:,.2f}".rstrip("0").partition(".")
        return whole.replace(",", NARROW_NBSP) + ("," + decimals if decimals else "")
    return f"{int(value):,}".replace(",", NARROW_NBSP)


def taille(size) -> str:
    """A byte count for people: 463408 → "453 Ko", 2_500_000 → "2,4 Mo" (powers of 1024), 12 → "12 octets"."""
    size = float(size)
    unit = 0
    while size >= 1024 and unit < len(UNITS) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{nombre(int(size))} octets"
    shown = f"{size:.1f}".replace(".", ",") if size < 10 else nombre(round(size))
    return f"{shown.removesuffix(',0')}\u00a0{UNITS[unit]}"


def date(value, with_time: bool | None = None) -> str:
    """An ISO 8601 date or date-time as French words: "2 décembre 2026", "2 décembre 2026 à 01 h 02 (UTC)"."""
    text = str(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    day = "1er" if moment.day == 1 else str(moment.day)
    words = f"{day} {MONTHS[moment.month - 1]} {moment.year}"
    if with_time is False or (with_time is None and "T" not in text):
        return words
    zone = " (UTC)" if moment.utcoffset() == dt.timedelta(0) else ""
    return f"{words} à {moment.hour:02d} h {moment.minute:02d}{zone}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(nombre=nombre, taille=taille, date=date)
