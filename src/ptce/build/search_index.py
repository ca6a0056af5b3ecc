"""The site's search index, written by `ptce build` from the build's store (see `ptce.linkeddata.search`).

One SQLite file (`build_folder.SEARCH_INDEX`): an FTS5 table of analysed words in four columns (label, other
names, places, texts) and a table of what each entry shows (IRI, page, kind, label, original texts). PTCEs,
organisations, initiatives, territories, departments and the themes of the theme scheme are indexed, with every
label in every language (hidden labels too: the source's own spelling finds the corrected name).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ptce.build_folder import SEARCH_INDEX
from ptce.linkeddata.search import KINDS, analysed
from ptce.rdf.namespaces import Iris
from ptce.store.engine import Store

RESOURCES = """
SELECT ?s ?kind WHERE {
  VALUES (?class ?kind) {
    (ptce:PTCE "ptce") (org:Organization "organisation") (ptce:Initiative "initiative")
    (ptce:Territory "territoire") (igeo:Departement "departement")
  }
  ?s a ?class .
}
"""
THEMES = 'SELECT ?s ("theme" AS ?kind) WHERE { ?s a skos:Concept ; skos:inScheme <%s> }'
NAMES = """
SELECT ?s ?p ?o (LANG(?o) AS ?lang) WHERE {
  VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel }
  ?s ?p ?o FILTER(isLiteral(?o))
}
"""
TEXTS = """
SELECT ?s ?o WHERE {
  VALUES ?p { dcterms:description skos:definition ptce:objective ptce:axis }
  ?s ?p ?o FILTER(isLiteral(?o) && (LANG(?o) = "fr" || LANG(?o) = ""))
}
"""
PLACES = """
SELECT ?s ?o WHERE {
  VALUES ?p { ptce:department schema:areaServed schema:location }
  ?s ?p ?place . ?place skos:prefLabel ?o FILTER(LANG(?o) = "fr")
}
"""
SEPARATOR = "\x1f"  # between the texts of one entry (never in a text: the sources refuse control characters)


def write_search_index(folder: Path, store: Store, iris: Iris) -> None:
    """Write the search index of a build into its folder, from its store."""
    kinds = {row["s"]: row["kind"] for row in store.select(RESOURCES)}
    kinds |= {row["s"]: row["kind"] for row in store.select(THEMES % iris.theme_scheme)}
    labels: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    for row in store.select(NAMES):
        if row["s"] in kinds:
            if row["p"].endswith("prefLabel") and row["lang"] == "fr":
                labels.setdefault(row["s"], row["o"])
            names.setdefault(row["s"], []).append(row["o"])
    texts: dict[str, list[str]] = {}
    for row in store.select(TEXTS):
        if row["s"] in kinds:
            texts.setdefault(row["s"], []).append(row["o"])
    places: dict[str, list[str]] = {}
    for row in store.select(PLACES):
        if row["s"] in kinds:
            places.setdefault(row["s"], []).append(row["o"])
    path = folder / SEARCH_INDEX
    db = sqlite3.connect(path)
    try:
        db.executescript(
            "CREATE TABLE docs (id INTEGER PRIMARY KEY, iri TEXT, path TEXT, kind TEXT, priority INTEGER, label TEXT,"
            " texts TEXT);"
            "CREATE VIRTUAL TABLE entries USING fts5(label, names, places, texts, tokenize = 'unicode61', "
            "prefix = '2 3');"
        )
        for n, (iri, kind) in enumerate(sorted(kinds.items()), 1):
            label = labels.get(iri) or next(iter(names.get(iri, [])), iri)
            page = iris.page_path(iri) or iri
            own = texts.get(iri, [])
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (n, iri, page, kind, KINDS[kind][1], label, SEPARATOR.join(own)))  # fmt: skip
            others = [name for name in names.get(iri, []) if name != label]
            db.execute("INSERT INTO entries (rowid, label, names, places, texts) VALUES (?, ?, ?, ?, ?)",
                       (n, analysed(label), analysed(" ".join(others)), analysed(" ".join(places.get(iri, []))),
                        analysed(" ".join(own))))  # fmt: skip
        db.execute("INSERT INTO entries (entries) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
