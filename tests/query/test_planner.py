"""The query planner: the build's VoID counts, the rewrites they allow, and the same answers through the endpoint."""

from __future__ import annotations

import itertools
import math
import re
import shutil
from collections import Counter
from dataclasses import replace

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import VOID

from ptce.build_folder import VOID_FILE, BuildInfo
from ptce.query import planner
from ptce.query.guard import tokenize
from ptce.query.planner import Statistics, WouldNotFinish, check_finishes, plan, planned, run_planned
from ptce.query.runner import QueryJob, QueryRejected
from ptce.rdf.namespaces import Iris, prefix_map
from ptce.store.engine import open_build
from ptce.web import create_app
from tests.sample_queries import CROSS_PRODUCT, QUERIES_OF_DEATH, SAMPLE_QUERIES, all_queries

ORG_TYPES = SAMPLE_QUERIES["organisation-types"]
PAIRS = SAMPLE_QUERIES["co-theme-pairs"]
# A join the counts turn into sub-SELECTs once parts of 2 rows count as many (`few_rows`), a type they imply.
TYPED_CLASSIFICATION = "SELECT ?o ?t WHERE { ?o a org:Organization ; org:classification ?t }"
TYPED = "?o a org:Organization ; org:classification ?t"
AGENT = "<http://xmlns.com/foaf/0.1/Agent>"
PAIR = "?a a ptce:PTCE ; dcterms:subject ?t . ?b a ptce:PTCE ; dcterms:subject ?t"


def _context(build):
    iris = Iris(BuildInfo.read(build).base_iri)
    return prefix_map(iris), Statistics.of_build(build, iris.dataset), iris


@pytest.fixture(scope="module")
def bundled(build_dir):
    return (*_context(build_dir), open_build(build_dir))


@pytest.fixture(scope="module")
def synthetic(synth_build):
    return (*_context(synth_build), open_build(synth_build))


@pytest.fixture
def few_rows(monkeypatch):
    """Parts of 2 rows or more count as many: the small test graphs get the hash joins that 1M triples get."""
    monkeypatch.setattr(planner, "MIN_HASH_ROWS", 2)
    monkeypatch.setattr(planner, "MAX_HASH_RATIO", 1e9)
    monkeypatch.setattr(planner, "MAX_OTHER_SIDE_RATIO", 1e9)


def rows(store, sparql, sort_keys=False) -> Counter:
    """The answer as a multiset; GROUP_CONCAT's order is the engine's choice, so its ", "-joined parts are sorted.
    `sort_keys`: the text reads the build's sort keys (`planned`)."""
    result = store.query(sparql, sort_keys=sort_keys)  # with the build's prefixes and base, as the endpoint runs it
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    if isinstance(result, ox.QueryTriples):
        return Counter(str(t) for t in result)

    def value(term) -> str:
        if isinstance(term, ox.Literal) and "GROUP_CONCAT" in sparql:
            return ", ".join(sorted(term.value.split(", "))) + f"@{term.language}"
        return str(term)

    return Counter(tuple(value(term) for term in solution) for solution in result)


def test_void_counts_each_class_share_of_each_property(bundled):
    """The nested partitions hold what SPARQL counts in the store: one per (class, property) pair in use."""
    _prefixes, stats, _iris, store = bundled
    counted = store.select("SELECT ?c ?p (COUNT(*) AS ?n) WHERE { ?s a ?c ; ?p ?o } GROUP BY ?c ?p")
    assert stats.class_triples == {(r["c"], r["p"]): r["n"] for r in counted}
    assert stats.entities["https://w3id.org/ptce/ontology#PTCE"] == 15
    assert stats.triples == {r["p"]: r["n"] for r in store.select(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")}  # fmt: skip


def test_implied_types_are_those_the_data_holds(bundled):
    """Every subject of org:classification is an organisation; not every subject of dcterms:subject is a PTCE
    (initiatives have themes too), and the counts say both."""
    _prefixes, stats, _iris, store = bundled
    org, ptce = "http://www.w3.org/ns/org#Organization", "https://w3id.org/ptce/ontology#PTCE"
    assert org in stats.classes_of_subjects("http://www.w3.org/ns/org#classification")
    assert not store.ask("ASK { ?s org:classification ?t FILTER NOT EXISTS { ?s a org:Organization } }")
    assert ptce not in stats.classes_of_subjects("http://purl.org/dc/terms/subject")
    assert store.ask("ASK { ?s dcterms:subject ?t FILTER NOT EXISTS { ?s a ptce:PTCE } }")


def test_an_implied_type_pattern_is_dropped(bundled):
    prefixes, stats, _iris, _store = bundled
    planned = plan(ORG_TYPES, prefixes, stats)
    assert "org:Organization" not in planned and "?o org:classification ?type ." in planned
    assert planned.split("GROUP BY")[1] == ORG_TYPES.split("GROUP BY")[1]  # the modifiers untouched


def test_without_counts_or_with_nothing_to_gain_the_text_is_kept(bundled):
    prefixes, stats, _iris, _store = bundled
    assert plan(ORG_TYPES, prefixes, None) == ORG_TYPES
    assert plan(SAMPLE_QUERIES["ptces-per-department"], prefixes, stats) == SAMPLE_QUERIES["ptces-per-department"]


@pytest.mark.parametrize(
    "query",
    [
        # a dataset of its own: the counts describe the default graph
        "SELECT * FROM <urn:x:g> WHERE { ?o a org:Organization ; org:classification ?t }",
        "SELECT * FROM NAMED <urn:x:g> WHERE { ?o a org:Organization ; org:classification ?t }",
        "SELECT * WHERE { GRAPH ?g { ?o a org:Organization ; org:classification ?t } }",
        # the short CONSTRUCT's pattern is its template
        "CONSTRUCT WHERE { ?o a org:Organization ; org:classification ?t }",
        # what the planner does not read: a path, a blank node, a collection, an EXISTS group
        "SELECT * WHERE { ?o a org:Organization ; org:classification/skos:prefLabel ?t }",
        "SELECT * WHERE { ?o a org:Organization ; org:classification ?t ; org:hasSite [] }",
        "SELECT * WHERE { ?o a org:Organization ; org:classification ?t . ?o ptce:x (1 2) }",
        "SELECT * WHERE { ?x ?p ?y FILTER EXISTS { ?o a org:Organization ; org:classification ?t } }",
        # relative IRIs and BASE: the engine resolves them by its own rules (RFC 3986), which the planner does not
        # repeat; read its own way, `<ontology?#PTCE>` would be ptce:PTCE, which ptce:axis implies
        "SELECT * WHERE { ?p a <ontology?#PTCE> ; ptce:axis ?x }",
        "BASE <https://w3id.org/ptce/ontology#PTCE> SELECT * WHERE { ?p a <> ; ptce:axis ?x }",
        "PREFIX o: <ontology#> SELECT * WHERE { ?p a o:PTCE ; ptce:axis ?x }",
        # the class is not implied, or the type stands alone
        "SELECT * WHERE { ?p a ptce:PTCE ; dcterms:subject ?t }",
        "SELECT * WHERE { ?o a org:Organization }",
    ],
)
def test_what_the_planner_must_not_touch_is_kept(bundled, query):
    prefixes, stats, _iris, _store = bundled
    assert plan(query, prefixes, stats) == query


def test_the_long_construct_and_subqueries_are_planned(bundled):
    prefixes, stats, _iris, _store = bundled
    construct = "CONSTRUCT { ?o a org:Organization } WHERE { ?o a org:Organization ; org:classification ?t }"
    assert plan(construct, prefixes, stats) == (
        "CONSTRUCT { ?o a org:Organization } WHERE { ?o org:classification ?t . }"
    )
    optional = "OPTIONAL { ?o a org:Organization ; org:classification ?t }"
    nested = f"SELECT ?t WHERE {{ {{ {TYPED_CLASSIFICATION} }} {optional} }}"
    assert "org:Organization" not in plan(nested, prefixes, stats)


PTCE, SUBJECT, LABEL = (
    "https://w3id.org/ptce/ontology#PTCE",
    "http://purl.org/dc/terms/subject",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)
# The counts of the 1M-triple synthetic directory (`ptce synth --orgs 14700`).
NATIONAL = Statistics(
    entities={PTCE: 588, "http://www.w3.org/ns/org#Organization": 14700},
    triples={SUBJECT: 3926, LABEL: 16935, "http://www.w3.org/ns/org#classification": 15612},
    class_triples={(PTCE, SUBJECT): 2945, (PTCE, LABEL): 588},
)


def test_large_parts_of_the_same_order_are_joined_as_sub_selects(bundled):
    """The stars of `co-theme-pairs` give about 3,000 rows each; a PTCE's type (588 instances) stays in its star."""
    prefixes = bundled[0]
    planned = plan(PAIRS, prefixes, NATIONAL)
    assert planned.count("{ SELECT ?a ?t WHERE { ?a a ptce:PTCE . ?a dcterms:subject ?t . } }") == 1
    assert planned.count("{ SELECT ?b ?t WHERE { ?b a ptce:PTCE . ?b dcterms:subject ?t . } }") == 1
    assert "FILTER(STR(?a) < STR(?b))" in planned


def test_a_star_of_large_patterns_is_split(bundled):
    """15,000 organisations and their 15,600 classifications, with no count saying one implies the other."""
    planned = plan(ORG_TYPES, bundled[0], NATIONAL)
    assert "{ SELECT ?o WHERE { ?o a org:Organization . } } { SELECT ?o ?type WHERE " in planned


def test_small_or_lopsided_parts_keep_their_lookups(bundled):
    prefixes, stats, _iris, _store = bundled
    assert "{ SELECT" not in plan(PAIRS, prefixes, stats)  # 15 PTCEs: looked up faster than read whole
    themes = plan(SAMPLE_QUERIES["themes-by-popularity"], prefixes, NATIONAL)  # 17,000 labels against 3,000 themes
    assert "{ SELECT ?p ?theme WHERE" not in themes and "{ SELECT ?theme ?label WHERE" not in themes


def test_no_hash_join_inside_optional(bundled):
    """The engine looks an OPTIONAL's right side up row by row from the left: reading its parts whole could be
    slower."""
    query = f"SELECT * WHERE {{ ?x a ptce:PTCE OPTIONAL {{ {PAIR} }} }}"
    assert plan(query, bundled[0], NATIONAL) == query
    assert "SELECT ?a ?t" in plan(f"SELECT * WHERE {{ ?x a ptce:PTCE {{ {PAIR} }} }}", bundled[0], NATIONAL)


@pytest.mark.parametrize(
    "binding",
    [
        "FILTER(?a = <https://w3id.org/ptce/id/ptce/x>)",
        "FILTER(?t IN (<urn:x:1>, <urn:x:2>))",
        "FILTER(sameTerm(?b, <urn:x:1>))",
        "VALUES ?t { <urn:x:1> }",
    ],
)
def test_no_hash_join_where_filters_or_values_bind_variables(bundled, binding):
    """The engine looks the few bound values up; reading every part whole would cost more."""
    query = f"SELECT * WHERE {{ {PAIR} {binding} }}"
    assert plan(query, bundled[0], NATIONAL) == query
    trailing = f"SELECT * WHERE {{ {PAIR} }} VALUES ?t {{ <urn:x:1> }}"
    assert plan(trailing, bundled[0], NATIONAL) == trailing
    assert "{ SELECT" in plan(f"SELECT * WHERE {{ {PAIR} FILTER(?a != ?b) }}", bundled[0], NATIONAL)


THEMES_GROUP = "?p a ptce:PTCE ; dcterms:subject ?theme . ?theme skos:prefLabel ?label FILTER(lang(?label) = 'fr')"
THEMES_COUNTED = "(COUNT(DISTINCT ?p) AS ?n)"
EXTRA_QUERIES = {
    "typed classification": TYPED_CLASSIFICATION,
    "ask": f"ASK {{ {TYPED} }}",
    "construct": f"CONSTRUCT {{ ?o ptce:kind ?t }} WHERE {{ {TYPED} }}",
    "describe": "DESCRIBE ?o WHERE { ?o a org:Organization ; org:classification ptce:SCIC }",
    "object list and trailing semicolons": f"SELECT * WHERE {{ ?o a {AGENT} , {TYPED[5:]} ;; . }}",
    "union": f"SELECT ?o WHERE {{ {{ {TYPED} }} UNION {{ ?o a ptce:PTCE ; ptce:partner ?x }} }}",
    "minus": f"SELECT ?o WHERE {{ ?o a org:Organization ; skos:prefLabel ?l "
    f"MINUS {{ {TYPED} FILTER(?t = ptce:CAE) }} }}",
    "bind between blocks": "SELECT * WHERE { ?o a org:Organization . BIND(STR(?o) AS ?s) ?o org:classification ?t }",
    "values": f"SELECT * WHERE {{ VALUES ?t {{ ptce:SCIC ptce:Association }} {TYPED} }}",
    "pairs with literals": f'SELECT ?a ?b WHERE {{ {PAIR} ; skos:prefLabel ?l FILTER(lang(?l) = "fr") }}',
    "limit without order": f"SELECT ?a WHERE {{ {PAIR} }} LIMIT 1000000",
    "dollar variables and rdf:type": "SELECT * WHERE { $o rdf:type org:Organization ; org:classification $t }",
    "a rewrite inside a sub-SELECT": f"SELECT ?b (COUNT(*) AS ?n) {{ {{ SELECT ?a ?b {{ {PAIR} }} }} }} GROUP BY ?b",
    "a relative IRI": "SELECT ?p WHERE { ?p a <ontology?#PTCE> ; ptce:axis ?x }",
    # sort keys: ORDER BY and text comparisons of subjects, with DISTINCT, OFFSET, ties, several keys
    "ordered by a key and compared": f"SELECT DISTINCT ?a ?b WHERE {{ {PAIR} FILTER(STR(?b) >= STR(?a) && "
    "STR(?a) != STR(?b)) } ORDER BY DESC(?b) ASC(?a) LIMIT 200 OFFSET 3",
    "keys in a star split in parts": "SELECT ?o ?t WHERE { ?o a org:Organization ; org:classification ?t ; "
    "skos:prefLabel ?l } ORDER BY ?o ?t",
    "an ordered key beside an OPTIONAL": "SELECT ?p ?c WHERE { ?p a ptce:PTCE OPTIONAL { ?p ptce:carriedBy ?c } } "
    "ORDER BY DESC(?p) ?c",
    "grouped, ordered and compared": f"SELECT ?a ?b (COUNT(*) AS ?n) WHERE {{ {PAIR} FILTER(STR(?a) > STR(?b)) }} "
    "GROUP BY ?a ?b HAVING(COUNT(*) > 1) ORDER BY ?b DESC(?a)",
    "a trailing VALUES": "SELECT ?p WHERE { ?p a ptce:PTCE } ORDER BY ?p VALUES ?zz { 1 2 }",
    # groups first: aggregates, filters on either side, DISTINCT, an empty grouped side
    "groups first, every aggregate": f"SELECT ?theme ?label (COUNT(*) AS ?rows) {THEMES_COUNTED} (MIN(?p) AS ?first) "
    f"(MAX(?p) AS ?last) WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label ORDER BY DESC(?n) ?theme",
    "groups first, a filter on each side": "SELECT DISTINCT ?theme (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE ; "
    "dcterms:subject ?theme ; skos:prefLabel ?name . ?theme a skos:Concept FILTER(STRLEN(?name) > 3) "
    "FILTER(isIRI(?theme)) } GROUP BY ?theme ORDER BY ?n ?theme",
    "groups first, none to group": "SELECT ?theme (COUNT(?p) AS ?n) WHERE { ?p a ptce:None ; dcterms:subject ?theme "
    ". ?theme skos:prefLabel ?l } GROUP BY ?theme ?l",
    # found by review: comparisons the tokenizer reads as an IRI, a comparison inside EXISTS's sub-SELECT
    "a comparison read as an IRI": "SELECT ?theme ?label (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE ; dcterms:subject "
    '?theme . ?theme skos:prefLabel ?label FILTER(""<xsd:string(STR(?label))&&2>1) } GROUP BY ?theme ?label',
    "a comparison inside EXISTS": "SELECT ?a ?b WHERE { ?a a ptce:PTCE . ?b a ptce:PTCE FILTER EXISTS { SELECT ?a ?b "
    "WHERE { ?a ?p ?o . ?b ?q ?r FILTER(STR(?a) < STR(?b)) } } }",
    "groups first, sums and averages": "SELECT ?t (SUM(?shops) AS ?s) (AVG(?shops) AS ?a) WHERE { ?i "
    "ptce:partnerShopCount ?shops ; dcterms:subject ?t . ?t skos:prefLabel ?l } GROUP BY ?t ?l",
}


@pytest.mark.parametrize("name", [*all_queries(), *EXTRA_QUERIES])
def test_a_planned_query_answers_what_the_query_answers(synthetic, few_rows, name):
    """On the synthetic directory, with every part counted as large: row for row the same answers."""
    prefixes, stats, _iris, store = synthetic
    query = {**all_queries(), **EXTRA_QUERIES}[name]
    text, sort_keys = planned(query, prefixes, stats)
    assert rows(store, text, sort_keys) == rows(store, query)


def _grouped_inside(text: str) -> bool:
    """Whether a text groups in a sub-SELECT (its last GROUP BY is before its last closing brace)."""
    return -1 < text.rfind("GROUP BY") < text.rfind("}")


def test_the_equivalence_tests_compare_rewritten_queries(synthetic, few_rows):
    """The test above compares different texts, for the rewrites of both kinds."""
    prefixes, stats, _iris, _store = synthetic
    queries = {**all_queries(), **EXTRA_QUERIES}
    changed = {name for name, query in queries.items() if plan(query, prefixes, stats) != query}
    assert {"organisation-types", "co-theme-pairs", "typed classification", "union", "pairs with literals"} <= changed
    assert any("{ SELECT" in plan(queries[name], prefixes, stats) for name in changed)
    keyed = {name for name, query in queries.items() if planned(query, prefixes, stats)[1]}
    assert {"co-theme-pairs", "initiatives-with-figures", "label-search", "queries/04-themes-shared-by-two-ptces.rq",
            "ordered by a key and compared", "keys in a star split in parts"} <= keyed  # fmt: skip


@pytest.fixture
def misled_build(tmp_path, build_dir):
    """The bundled build, with VoID counts that say every subject of ptce:department is an organisation (they
    are PTCEs): a planner that reads them drops the type pattern it should keep."""
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out, symlinks=True)
    _prefixes, stats, iris = _context(out)
    department = "https://w3id.org/ptce/ontology#department"
    void = Graph().parse(out / VOID_FILE)
    org_part = next(
        p for p in void.objects(iris.dataset, VOID.classPartition)
        if str(void.value(p, VOID["class"])) == "http://www.w3.org/ns/org#Organization"
    )  # fmt: skip
    nested = BNode()
    void.add((org_part, VOID.propertyPartition, nested))
    void.add((nested, VOID.property, URIRef(department)))
    void.add((nested, VOID.triples, Literal(stats.triples[department])))
    void.serialize(out / VOID_FILE, format="turtle")
    return out, stats.triples[department]


ORGS_WITH_DEPARTMENT = "SELECT (COUNT(*) AS ?n) WHERE { ?x a org:Organization ; ptce:department ?d }"


def _count(client, query, **params):
    response = client.get("/sparql", query_string={"query": query, **params},
                          headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return int(response.json["results"]["bindings"][0]["n"]["value"])


def test_the_endpoint_plans_with_the_builds_counts(client, misled_build):
    """Shown with counts that do not hold: the endpoint's answer follows them, where the true build's is 0."""
    folder, departments = misled_build
    assert _count(client, ORGS_WITH_DEPARTMENT) == 0
    misled = create_app({"BUILD_DIR": str(folder), "TESTING": True}).test_client()
    assert departments > 0 and _count(misled, ORGS_WITH_DEPARTMENT) == departments


def test_an_error_in_a_planned_query_is_reported_where_the_user_wrote_it(client, bundled):
    """The planner rewrites the block (shorter), the engine refuses the text: the position is in the user's text."""
    prefixes, stats, _iris, _store = bundled
    query = "SELECT ?t WHERE { ?o a org:Organization ; org:classification ?t } ORDER BY ?t LIMIT ?"
    assert plan(query, prefixes, stats) != query
    with pytest.raises(SyntaxError) as engine:
        ox.Store().query(query, prefixes=prefixes)
    position = re.search(r"\d+:\d+", str(engine.value)).group()
    assert position != "1:1"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert f"at {position}:" in response.text


# --- the early verdict ---------------------------------------------------------------------------------------


def test_a_cross_product_too_large_for_the_time_limit_is_refused_before_it_runs(bundled):
    prefixes, stats, _iris, _store = bundled
    with pytest.raises(WouldNotFinish) as verdict:
        check_finishes(CROSS_PRODUCT, prefixes, stats, 1)
    total = f"{stats.total:,}"
    assert str(verdict.value).startswith("This query would not finish within its 1 s: it joins 3 patterns")
    assert f"{total} × {total} × {total} = {stats.total**3:,} rows" in str(verdict.value)
    with pytest.raises(WouldNotFinish, match=r"joins 2 patterns .* 15 × "):
        check_finishes("SELECT ?p (COUNT(?o) AS ?n) { ?p a ptce:PTCE . ?x ?y ?o } GROUP BY ?p", prefixes, stats, 1e-4)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 10",  # the engine stops at the tenth row
        "ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?a = ?d) }",  # may become a join
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?c ?e ?f . ?f ?h ?i }",  # joined: its size is not known
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ptce:none . ?g ?h ?i }",  # a part may be empty
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?a ?a . ?d ?e ?f . ?g ?h ?i }",
        QUERIES_OF_DEATH["cross product"],  # groups: left to the time limit
        # DISTINCT streams, and the engine may fold or push down filters, HAVING and VALUES
        "SELECT DISTINCT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 10",
        "SELECT REDUCED ?a WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(false) }",
        'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(CONTAINS(STR(?c), "zzzz")) }',
        "SELECT ?a (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?a HAVING(false)",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } VALUES ?zz { }",
        "SELECT (COUNT(*) AS ?n) FROM <urn:x:g> WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    ],
)
def test_what_the_counts_cannot_judge_is_left_to_the_time_limit(bundled, query):
    prefixes, stats, _iris, _store = bundled
    check_finishes(query, prefixes, stats, 1)


def test_a_cross_product_that_fits_the_time_limit_runs(bundled):
    prefixes, stats, _iris, _store = bundled
    check_finishes(CROSS_PRODUCT, prefixes, stats, 2 * stats.total**3 / planner.ENGINE_ROWS_PER_SECOND)
    with pytest.raises(WouldNotFinish):
        check_finishes(CROSS_PRODUCT, prefixes, stats, stats.total**3 / planner.ENGINE_ROWS_PER_SECOND / 2)
    check_finishes(CROSS_PRODUCT, prefixes, None, 1)


def test_the_endpoint_answers_the_verdict_at_once(client):
    """503, as a query stopped by the time limit, with the reason; the endpoint goes on answering."""
    response = client.get("/sparql", query_string={"query": CROSS_PRODUCT})
    assert response.status_code == 503
    assert response.text.startswith("This query would not finish within its ")
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_a_job_with_its_own_dataset_runs_as_written(bundled):
    """The counts describe the default graph: a job that names graphs is neither planned nor judged."""
    prefixes, stats, _iris, _store = bundled
    ran = []
    for job in (QueryJob(ORG_TYPES, default_graphs=("urn:x:g",)), QueryJob(CROSS_PRODUCT, named_graphs=("urn:x:g",))):
        run_planned(ran.append, job, prefixes, stats, 1)
    assert [job.text for job in ran] == [ORG_TYPES, CROSS_PRODUCT]


def test_a_rewritten_text_the_engine_refuses_is_run_as_written(bundled):
    prefixes, stats, _iris, _store = bundled
    ran = []

    def run(job):
        ran.append(job.text)
        if len(ran) == 1:
            raise QueryRejected("error at 1:2")
        return "the answer"

    assert run_planned(run, QueryJob(ORG_TYPES), prefixes, stats, 1) == "the answer"
    assert ran == [plan(ORG_TYPES, prefixes, stats), ORG_TYPES]


def _mangled(query: str):
    """The query cut after each token, without each token, with each token twice, with each pair swapped."""
    tokens = tokenize(query)
    for t in tokens:
        yield query[: t.end]
        yield query[: t.start] + query[t.end :]
        yield query[: t.end] + " " + t.text + query[t.end :]
    for a, b in itertools.pairwise(tokens):
        yield query[: a.start] + b.text + " " + a.text + query[b.end :]


def test_the_planner_reads_any_text_without_failing(bundled):
    """What the endpoint is sent before the engine parses it: broken texts are left as written, never an error."""
    prefixes, stats, _iris, _store = bundled
    queries = [*all_queries().values(), *QUERIES_OF_DEATH.values(), CROSS_PRODUCT, *EXTRA_QUERIES.values()]
    texts = [v for q in queries for v in _mangled(q)]
    assert len(texts) > 3000
    for text in texts:
        plan(text, prefixes, stats)
        check_finishes(text, prefixes, stats, 1e12)


def test_a_relative_iri_is_answered_as_the_engine_reads_it(client):
    """Read by Python's urljoin, `<ontology?#PTCE>` against the base would be ptce:PTCE, a type ptce:axis implies:
    the planner would drop it. The engine reads another IRI, which no PTCE has."""
    assert _count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?p a <ontology?#PTCE> ; ptce:axis ?x }") == 0
    assert _count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?p a ptce:PTCE ; ptce:axis ?x }") > 0


ADVERSARIAL = {
    "a sub-SELECT the text ends in": "SELECT * { SELECT ?x }",
    "a sub-SELECT cut short": "ASK{SELECT",
    "a bracket after a sub-SELECT keyword": "SELECT * { SELECT",
    "a scheme-relative IRI urljoin refuses": "SELECT * WHERE { ?s a <//[x> }",
    "a base urljoin refuses": "BASE <http://[::1> SELECT * WHERE { ?s a <x> }",
    "16,000 type patterns on one subject": "SELECT * WHERE { ?x a " + ", ".join(["<urn:x:a>"] * 16_000) + " }",
    "a star of 420 objects": "SELECT * WHERE { ?p a ptce:PTCE ; dcterms:subject "
    + ", ".join(f"?t{i}" for i in range(420)) + " }",
}  # fmt: skip


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_texts_are_read_without_failing(bundled, name):
    """Texts found by review to hang, fail or take long in an earlier planner: each is read and left or rewritten."""
    prefixes, stats, _iris, _store = bundled
    plan(ADVERSARIAL[name], prefixes, stats)
    check_finishes(ADVERSARIAL[name], prefixes, stats, 1)


def test_a_verdict_on_a_huge_product_says_its_size(bundled):
    prefixes, stats, _iris, _store = bundled
    patterns = " . ".join(f"?a{i} ?b{i} ?c{i}" for i in range(700))
    size = f"about 10\\^{700 * math.log10(stats.total):.0f} rows"
    with pytest.raises(WouldNotFinish, match=rf"joins 700 patterns .* × … \(700 patterns\) = {size}"):
        check_finishes(f"SELECT (COUNT(*) AS ?n) WHERE {{ {patterns} }}", prefixes, stats, 1)


# --- sort keys -----------------------------------------------------------------------------------------------


def test_sort_keys_are_read_in_the_parts_before_they_are_joined(bundled):
    """`co-theme-pairs` at national size: each key inside its star's sub-SELECT, the filter and the order on the
    keys, the keys among the group keys."""
    prefixes, stats, _iris, _store = bundled
    text, sort_keys = planned(PAIRS, prefixes, replace(NATIONAL, sort_keys=stats.sort_keys))
    graph, rank = stats.sort_keys
    assert sort_keys
    for v in "ab":
        star = f"?{v} a ptce:PTCE . ?{v} dcterms:subject ?t . GRAPH <{graph}> {{ ?{v} <{rank}> ?{v}_rank }}"
        assert f"{{ SELECT ?{v} ?t ?{v}_rank WHERE {{ {star} }} }}" in text
    assert "FILTER(?a_rank < ?b_rank)" in text
    assert "GROUP BY ?a ?b ?a_rank ?b_rank ORDER BY DESC(?shared) ?a_rank ?b_rank LIMIT 50" in text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?p a ptce:PTCE } ORDER BY ?p",  # the key would be a column
        "SELECT ?p WHERE { ?p a ptce:PTCE GRAPH ?g { ?p ?x ?y } } ORDER BY ?p",  # the keys' graph would be a ?g
        "SELECT ?t WHERE { ?p dcterms:subject ?t } ORDER BY ?t",  # an object: maybe not ranked, maybe a literal
        "SELECT ?p ?c WHERE { ?x a ptce:PTCE OPTIONAL { ?p ptce:carriedBy ?c } } ORDER BY ?p",  # maybe unbound
        "SELECT ?p WHERE { { ?p a ptce:PTCE } UNION { ?p a org:Organization } } ORDER BY ?p",  # not the group's
        "SELECT ?p WHERE { ?p a ptce:PTCE } ORDER BY STR(?p) ?p2",  # an expression; ?p2 is bound nowhere
        "SELECT ?p WHERE { { SELECT ?p WHERE { ?p a ptce:PTCE } ORDER BY ?p LIMIT 3 } }",  # a sub-SELECT's order
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?p dcterms:subject ?t } GROUP BY ?p ORDER BY ?p",  # grouped, few groups
        "SELECT (SAMPLE(?p) AS ?s) WHERE { ?p a ptce:PTCE } ORDER BY ?p",  # one group, no key of it
        # comparisons something binds tighter than: the key would change what is compared
        "SELECT ?a ?b WHERE { ?a a ptce:PTCE . ?b a ptce:PTCE FILTER(!STR(?a) < STR(?b)) }",
        "SELECT ?a ?b WHERE { ?a a ptce:PTCE . ?b a ptce:PTCE FILTER(STR(?a) < STR(?b) + 1) }",
        "SELECT ?a ?b WHERE { ?a a ptce:PTCE . ?b a ptce:PTCE FILTER(STR(?a) < STR(?b) = true) }",
        "SELECT ?a ?b WHERE { ?a a ptce:PTCE . ?b a ptce:PTCE FILTER(STR(?a) = STR(?b)) }",  # not an order
        "SELECT ?a ?b WHERE { ?a a ptce:PTCE OPTIONAL { ?b a ptce:PTCE } FILTER(STR(?a) < STR(?b)) }",
    ],
)
def test_what_the_keys_must_not_order_is_kept(bundled, query):
    prefixes, stats, _iris, _store = bundled
    assert planned(query, prefixes, stats) == (query, False)


def _fuzzed_queries(seed: int, count: int):
    """Random valid queries that order by and compare subjects, keyed or not, with OPTIONAL, DISTINCT, groups."""
    import random

    rng = random.Random(seed)
    for _ in range(count):
        patterns = ["?a a ptce:PTCE", rng.choice(["?a dcterms:subject ?t", "?a skos:prefLabel ?l"])]
        names = {"a"} | ({"t"} if "?t" in patterns[1] else {"l"})
        if "t" in names and rng.random() < 0.6:
            patterns += ["?b dcterms:subject ?t"] + (["?b a ptce:PTCE"] if rng.random() < 0.5 else [])
            names.add("b")
        if rng.random() < 0.3:
            patterns.append("?a ptce:partner ?o")
            names.add("o")
        group = " . ".join(rng.sample(patterns, len(patterns)))
        if rng.random() < 0.3:
            group += " OPTIONAL { ?a ptce:carriedBy ?c }"
            names.add("c")
        ranked = sorted(names & {"a", "b", "o", "c"})
        filters = []
        for _ in range(rng.randrange(3)):
            x, y = rng.choice(ranked), rng.choice(ranked)
            filters.append(f"STR(?{x}) {rng.choice(['<', '>', '<=', '>='])} STR(?{y})")
        if filters:
            joined = f" {rng.choice(['&&', '||'])} ".join(filters)
            group += f" FILTER({joined})"
        grouped = rng.random() < 0.3
        keys = rng.sample(sorted(names), rng.randint(1, min(2, len(names))))
        if grouped:
            order = [*(rng.choice(["", "DESC"]) + f"(?{k})" if rng.random() < 0.5 else f"?{k}" for k in keys), "?n"]
            yield (
                f"SELECT {' '.join('?' + k for k in keys)} (COUNT(*) AS ?n) WHERE {{ {group} }} "
                f"GROUP BY {' '.join('?' + k for k in keys)} ORDER BY {' '.join(rng.sample(order, len(order)))}"
            )
        else:
            order = [rng.choice(["", "ASC", "DESC"]) + f"(?{k})" if rng.random() < 0.5 else f"?{k}" for k in keys]
            distinct = rng.choice(["", "DISTINCT "])
            yield (f"SELECT {distinct}{' '.join('?' + k for k in sorted(names))} WHERE {{ {group} }} "
                   f"ORDER BY {' '.join(order)}")  # fmt: skip


def _ordered(store, sparql, sort_keys=False) -> list[tuple]:
    return [tuple(str(term) for term in solution) for solution in store.query(sparql, sort_keys=sort_keys)]


def test_random_queries_answer_the_same_with_and_without_keys(synthetic, few_rows):
    """A differential test on the synthetic directory: the same multiset of rows, and the same sequence of the
    values ordered by (rows tied in the order may come in another order)."""
    prefixes, stats, _iris, store = synthetic
    keyed = 0
    for query in _fuzzed_queries(seed=18, count=150):
        text, sort_keys = planned(query, prefixes, stats)
        keyed += sort_keys
        written, rewritten = _ordered(store, query), _ordered(store, text, sort_keys)
        assert Counter(rewritten) == Counter(written), (query, text)
        names = [v for v in re.findall(r"\?\w+", query.split("WHERE")[0]) if v != "?n"]
        order_by = re.findall(r"\?\w+", query.split("ORDER BY")[1])
        columns = [names.index(v) if v in names else len(names) for v in order_by]
        assert [tuple(r[i] for i in columns) for r in rewritten] == [tuple(r[i] for i in columns) for r in written]
    assert keyed > 50


def test_plans_kept_per_text_are_those_of_the_builds_statistics(bundled):
    """The endpoint keeps each text's plan: another build's statistics (a reload) plan the same text afresh."""
    prefixes, stats, _iris, _store = bundled
    keyed = replace(NATIONAL, sort_keys=stats.sort_keys)
    ran = []
    for counts in (keyed, NATIONAL, keyed, NATIONAL):
        run_planned(ran.append, QueryJob(PAIRS), prefixes, counts, 1)
    assert [job.text for job in ran[:2]] == [planned(PAIRS, prefixes, keyed)[0], plan(PAIRS, prefixes, NATIONAL)]
    assert ran[2:] == ran[:2] and ran[0].sort_keys and not ran[1].sort_keys
    assert replace(NATIONAL) != NATIONAL  # equal only to itself: a plan is never another build's


# --- groups first --------------------------------------------------------------------------------------------


def test_groups_are_made_before_the_labels_are_joined(bundled):
    """`themes-by-popularity` at national size: the 2,945 rows of the PTCEs' themes grouped, then the labels."""
    prefixes, _stats, _iris, _store = bundled
    text = plan(SAMPLE_QUERIES["themes-by-popularity"], prefixes, NATIONAL)
    assert " ".join(text.split()) == (
        "SELECT ?theme ?label ?n WHERE { { SELECT ?theme (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a ptce:PTCE . "
        "?p dcterms:subject ?theme . } GROUP BY ?theme } ?theme skos:prefLabel ?label . "
        'FILTER(lang(?label) = "fr") } ORDER BY DESC(?n) ?theme'
    )


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?theme ?label {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label HAVING(?n > 1)",
        f"SELECT ?theme ?label (GROUP_CONCAT(?p) AS ?n) WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label",
        f"SELECT ?theme ?label (SAMPLE(?p) AS ?x) WHERE {{ {THEMES_GROUP} FILTER(?label != STR(?p)) }} "
        "GROUP BY ?theme ?label",  # a filter on both sides
        f"SELECT ?theme ?label (COUNT(?label) AS ?n) WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label",
        f"SELECT ?s {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} }} GROUP BY (STR(?theme) AS ?s) ?label",
        f"SELECT ?theme ?label {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} OPTIONAL {{ ?p ptce:x ?y }} }} "
        "GROUP BY ?theme ?label",
        f"SELECT ?theme ?label {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label "
        "ORDER BY DESC(COUNT(?p))",
        f"SELECT ?theme ?label (COUNT(?p) + 1 AS ?n) WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label",
        f"SELECT ?theme ?label {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} FILTER EXISTS {{ ?p ?q ?r }} }} "
        "GROUP BY ?theme ?label",
        f"SELECT * WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label",
        # no group key on the grouped side: it would be one group, which an empty side still makes
        "SELECT ?label (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE . ?t skos:prefLabel ?label } GROUP BY ?label ?t",
        f"SELECT ?theme ?label {THEMES_COUNTED} WHERE {{ {THEMES_GROUP} }} GROUP BY ?theme ?label VALUES ?p {{ 1 }}",
    ],
)
def test_what_groups_first_must_not_touch_is_kept(bundled, monkeypatch, query):
    """Whatever the sizes of the sides."""
    monkeypatch.setattr(planner, "MAX_OTHER_SIDE_RATIO", 1e9)
    prefixes, stats, _iris, _store = bundled
    assert plan(query, prefixes, stats) == query


def test_groups_first_only_when_the_other_side_is_small_enough(bundled):
    """A hash join reads the other side whole: not when it is much larger than the side that is grouped."""
    prefixes, _stats, _iris, _store = bundled
    query = SAMPLE_QUERIES["themes-by-popularity"]
    few_ptces = replace(NATIONAL, entities={**NATIONAL.entities, PTCE: 10}, class_triples={(PTCE, SUBJECT): 50})
    assert plan(query, prefixes, few_ptces) == query


GROUPS_FIRST = ["themes-by-popularity", *(name for name in EXTRA_QUERIES if name.startswith("groups first"))]


@pytest.mark.parametrize("name", GROUPS_FIRST)
def test_groups_first_answers_what_the_query_answers(synthetic, monkeypatch, name):
    """On the synthetic directory, whatever the sizes of the sides (its parts too small for hash joins, which
    would rewrite the blocks instead): the text is grouped first, and row for row the same answers."""
    monkeypatch.setattr(planner, "MAX_OTHER_SIDE_RATIO", 1e9)
    prefixes, stats, _iris, store = synthetic
    query = {**SAMPLE_QUERIES, **EXTRA_QUERIES}[name]
    text, sort_keys = planned(query, prefixes, stats)
    assert _grouped_inside(text) and not _grouped_inside(query) and not sort_keys
    assert rows(store, text) == rows(store, query)
