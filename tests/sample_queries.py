"""Representative SPARQL queries run against every backend (tests) and timed (bench/), and queries of death.

`all_queries()` adds the example queries of `queries/*.rq` when the folder exists, so the same harness covers them.
"""

from __future__ import annotations

from ptce.assets import QUERIES_DIR

SAMPLE_QUERIES = {
    "ptces-per-department": """
        SELECT ?code ?name (COUNT(?p) AS ?n) WHERE {
          ?d a igeo:Departement ; igeo:codeINSEE ?code ; skos:prefLabel ?name .
          OPTIONAL { ?p a ptce:PTCE ; ptce:department ?d }
        } GROUP BY ?code ?name ORDER BY ?code""",
    "themes-by-popularity": """
        SELECT ?theme ?label (COUNT(DISTINCT ?p) AS ?n) WHERE {
          ?p a ptce:PTCE ; dcterms:subject ?theme .
          ?theme skos:prefLabel ?label FILTER(lang(?label) = "fr")
        } GROUP BY ?theme ?label ORDER BY DESC(?n) ?theme""",
    "co-theme-pairs": """
        SELECT ?a ?b (COUNT(?t) AS ?shared) WHERE {
          ?a a ptce:PTCE ; dcterms:subject ?t . ?b a ptce:PTCE ; dcterms:subject ?t .
          FILTER(STR(?a) < STR(?b))
        } GROUP BY ?a ?b ORDER BY DESC(?shared) ?a ?b LIMIT 50""",
    "carriers-and-partners": """
        SELECT ?ptce (COUNT(DISTINCT ?c) AS ?carriers) (COUNT(DISTINCT ?o) AS ?partners) WHERE {
          ?ptce a ptce:PTCE .
          OPTIONAL { ?ptce ptce:carriedBy ?c }
          OPTIONAL { ?ptce ptce:partner ?o }
        } GROUP BY ?ptce ORDER BY ?ptce""",
    "organisation-types": """
        SELECT ?type (COUNT(?o) AS ?n) WHERE { ?o a org:Organization ; org:classification ?type }
        GROUP BY ?type ORDER BY ?type""",
    "initiatives-with-figures": """
        SELECT ?i ?name ?shops WHERE {
          ?i a ptce:Initiative ; skos:prefLabel ?name . OPTIONAL { ?i ptce:partnerShopCount ?shops }
        } ORDER BY ?i LIMIT 100""",
    "label-search": """
        SELECT ?x ?label WHERE { ?x skos:prefLabel ?label FILTER(CONTAINS(LCASE(STR(?label)), "alim")) }
        ORDER BY ?x ?label LIMIT 100""",
}


def all_queries() -> dict[str, str]:
    """The sample queries plus the example queries of `queries/` (if present)."""
    found = {f"queries/{p.name}": p.read_text(encoding="utf-8") for p in sorted(QUERIES_DIR.glob("*.rq"))}
    return {**SAMPLE_QUERIES, **found}


# Queries that would run for ever on any data (a cross product, a catastrophic regex, a path over every link),
# and a cheap one to send while they run: the time limit must stop the first and keep answering the second. The
# cross product is written as groups, which the planner's early verdict does not judge (`ptce.query.planner`):
# it must reach the time limit; CROSS_PRODUCT, as one basic graph pattern, is refused before it runs.
ANY_LINK = "(!<urn:x:none>|^!<urn:x:none>)"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUERIES_OF_DEATH = {
    "cross product": "SELECT (COUNT(*) AS ?n) WHERE { { ?a ?b ?c } { ?d ?e ?f } { ?g ?h ?i } }",
    "regex": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    'FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(.*a){9}.*z$", "i")) }',
    "deep path": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {ANY_LINK}* ?o . ?o {ANY_LINK}* ?z }}",
}
SIMPLE_QUERY = "ASK { ?s ?p ?o }"


def _sort_panic_rows() -> str:
    """Rows of mixed kinds (dates, times with and without a zone, numbers, strings, IRIs, blank nodes) whose ORDER
    BY comparison is not a total order in Oxigraph 0.5: its sort panics, and the engine aborts its process."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    kinds = {
        "d": f'"2020-01-01"^^<{xsd}date>',
        "t": f'"2020-01-01T00:00:00"^^<{xsd}dateTime>',
        "z": f'"2020-01-01T00:00:00Z"^^<{xsd}dateTime>',
        "f": '"a"@fr',
        "i": f'"1"^^<{xsd}integer>',
        "u": "UNDEF",
    }
    rows = (
        "d0 t0 f0 f9 d1 s6:9 u8 r8:2 z5 z7 s12:9 r13:6 r14:3 x15:9 s17:6 s18:8 x19:0 s21:9 u6 z7 d7 z7 t0 t4 x28:0 "
        "d6 t0 t3 d9 r33:1 x34:1 s35:3 x36:2 u2 r38:3 x39:9 t5 t7 d7 z1 f6 r49:0 u9 i2 s53:4 i0 i4 x57:9 s59:6"
    )
    out = []
    for row in rows.split():
        kind, rest = row[0], row[1:]
        number, _, order = rest.partition(":")
        if kind == "s":
            term = f'"{number}"'
        elif kind == "r":
            term = f'"{number}.5"^^<{xsd}double>'
        elif kind == "x":
            term = f"<http://x/{number}>"
        else:
            term, order = kinds[kind], number
        out.append(f"({term} {order})")
    return " ".join(out)


# Queries that crash the engine's process, or would take all the memory it can get; each must cost its own request
# only. The panic needs blank nodes next to literals of every kind in one ORDER BY.
SORT_PANIC = (
    f"SELECT * {{ VALUES (?c0 ?a) {{ {_sort_panic_rows()} }} BIND(IF(BOUND(?c0), ?c0, BNODE()) AS ?c) }} ORDER BY ?c ?a"
)
MEMORY_BOMB = (
    'SELECT (STRLEN(?v40) AS ?n) WHERE { BIND("0123456789abcdef" AS ?v0) '
    + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    + " }"
)
DEEP_NESTING = "SELECT * WHERE { ?s ?p " + "(" * 5000 + ")" * 5000 + " }"
# A flat chain of 10,000 additions: within the request size, no bracket nesting, but a deep tree for the engine.
LONG_CHAIN = "ASK { FILTER(0" + " + 1" * 10_000 + " > 0) }"
