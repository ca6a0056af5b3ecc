"""Representative SPARQL queries run against every backend (tests) and timed (bench/), and queries of death.

`all_queries()` adds the example queries of `queries/*.rq` when the folder exists, so the same harness covers them.
"""

from __future__ import annotations

from ptce.paths import QUERIES_DIR

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
        SELECT ?type (COUNT(?o) AS ?n) WHERE { ?o a org:Organization ; rov:orgType ?type }
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
# and a cheap one to send while they run: the time limit must stop the first and keep answering the second.
ANY_LINK = "(!<urn:x:none>|^!<urn:x:none>)"
QUERIES_OF_DEATH = {
    "cross product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "regex": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    'FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(.*a){9}.*z$", "i")) }',
    "deep path": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {ANY_LINK}* ?o . ?o {ANY_LINK}* ?z }}",
}
SIMPLE_QUERY = "ASK { ?s ?p ?o }"
