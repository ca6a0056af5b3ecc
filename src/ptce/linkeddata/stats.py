"""Summary counts of a built graph, computed with SPARQL."""

from __future__ import annotations

from ptce.store.engine import Store

COUNTS = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",  # the default graph: the dataset itself
    "PTCEs": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ptce:PTCE }",
    "organisations (excluding PTCEs)": (
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a org:Organization FILTER NOT EXISTS { ?x a ptce:PTCE } }"
    ),
    "initiatives": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ptce:Initiative }",
    "territories": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ptce:Territory }",
    "themes": "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x skos:inScheme ?s . ?s a skos:ConceptScheme "
    "FILTER NOT EXISTS { ?s rdfs:isDefinedBy ?o } FILTER(?s != ptce:OrganisationTypes) }",
}
PER_DEPARTMENT = """
SELECT ?name (COUNT(?p) AS ?n) WHERE {
  ?d a igeo:Departement ; skos:prefLabel ?name ; igeo:codeINSEE ?code .
  OPTIONAL { ?p a ptce:PTCE ; ptce:department ?d }
} GROUP BY ?name ?code ORDER BY ?code
"""


def graph_stats(store: Store) -> list[tuple[str, int]]:
    """(label, count) pairs: overall counts, then PTCEs per department (departments without any included)."""
    out = []
    for label, sparql in COUNTS.items():
        out.append((label, store.select(sparql)[0]["n"]))
    out += [(f"PTCEs in {row['name']}", row["n"]) for row in store.select(PER_DEPARTMENT)]
    return out
