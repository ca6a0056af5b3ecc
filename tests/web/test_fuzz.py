"""Property-based fuzzing of every route: random and mutated queries, parameters, headers, methods and paths.

Whatever comes in, the answer is a client error or a success, never a 500, never a traceback. Routes are read
from the app's URL map, so a new route is fuzzed without changing this file. Queries run in query processes
(the test client cannot end a worker), with a short timeout so that a generated query cannot hang the suite.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptce.query.examples import load_examples
from ptce.web import create_app

from ..routes import route_paths

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in|Error:\s*$", re.M)
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "get"]
MEDIA_TYPES = [
    "application/x-www-form-urlencoded",
    "application/sparql-query",
    "application/sparql-update",
    "multipart/form-data; boundary=x",
    "text/plain; charset=latin-1",
    "application/json",
    "*/*",
    "text/html;q=abc",
    "application/sparql-results+json;q=0",
    "\u00e9/\u00e9",
    ";;;",
    "",
]
SPARQL_WORDS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", ".", "FILTER", "(", ")",
    "REGEX", "LIMIT", "OFFSET", "999999999999999999999", "-1", "SERVICE", "FROM", "NAMED", "GRAPH", "<x:y>",
    "<http://127.0.0.1:9/x>", "ptce:PTCE", "a", "*", "|", "^", "+", "/", "OPTIONAL", "UNION", "VALUES", "UNDEF",
    "INSERT", "DATA", "LOAD", "'\\u0000'", '"""', "#", "\n", "\u202e", "\ufffd", "BIND", "AS", "COUNT", "\\",
]  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_app(build_dir):
    return create_app({"BUILD_DIR": str(build_dir), "TESTING": False, "QUERY_TIMEOUT": 2})


def check(response) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.status_code
    body = response.get_data().decode("utf-8", "replace")  # some answers are binary (XLSX, PNG, gzip)
    assert not TRACEBACK.search(body), body[:500]


def mutate(text: str, data) -> str:
    """Delete, duplicate or insert at a few random places of a query."""
    for _ in range(data.draw(st.integers(0, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 20)))
        op = data.draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + data.draw(st.sampled_from(SPARQL_WORDS)) + " " + text[i:]
    return text


texts = st.one_of(st.text(max_size=60), st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
header_values = texts.map(lambda t: re.sub(r"[\r\n]", "", t).encode().decode("latin-1"))  # HTTP cannot carry CR/LF
queries = st.one_of(texts, st.lists(st.sampled_from(SPARQL_WORDS), max_size=25).map(" ".join))


def test_routes_are_enumerated(fuzz_app):
    paths = route_paths(fuzz_app)
    for expected in ("/sparql", "/page/ptce/cohose", "/map.geojson", "/network.json", "/-/health", "/dumps/ptce.ttl"):
        assert expected in paths


@SETTINGS
@given(data=st.data())
def test_every_route_survives_hostile_requests(fuzz_app, data):
    client = fuzz_app.test_client()
    path = data.draw(st.sampled_from(route_paths(fuzz_app)))
    method = data.draw(st.sampled_from(METHODS))
    params = data.draw(
        st.dictionaries(st.sampled_from(["format", "query", "q", "page", "update", "x"]), texts, max_size=3)
    )
    headers = {
        "Accept": data.draw(st.one_of(st.sampled_from(MEDIA_TYPES), header_values)),
        "If-None-Match": data.draw(st.sampled_from(["", "*", '"x"', "W/", '"' * 40])),
        "Accept-Encoding": data.draw(st.sampled_from(["gzip", "br;q=2", "identity;q=0", ""])),
        "Content-Type": data.draw(st.sampled_from(MEDIA_TYPES)),
    }
    body = data.draw(st.one_of(st.binary(max_size=200), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))))
    check(client.open(path, method=method, query_string=params, headers=headers, data=body))


@SETTINGS
@given(data=st.data())
def test_mutated_example_queries_are_answered_or_refused_cleanly(fuzz_app, data):
    client = fuzz_app.test_client()
    examples = [e.text for e in load_examples()]
    query = mutate(data.draw(st.sampled_from(examples)), data) if data.draw(st.booleans()) else data.draw(queries)
    send = data.draw(st.sampled_from(["get", "form", "direct"]))
    accept = data.draw(st.sampled_from(MEDIA_TYPES))
    extra = data.draw(
        st.dictionaries(st.sampled_from(["default-graph-uri", "named-graph-uri", "format"]), texts, max_size=2)
    )
    if send == "get":
        r = client.get("/sparql", query_string={"query": query, **extra}, headers={"Accept": accept})
    elif send == "form":
        r = client.post("/sparql", data={"query": query, **extra}, headers={"Accept": accept})
    else:
        encoding = data.draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
        raw = query.encode(encoding, "replace")
        r = client.post("/sparql", data=raw, content_type="application/sparql-query", headers={"Accept": accept})
    check(r)


@SETTINGS
@given(path=st.text(max_size=80), prefix=st.sampled_from(["/", "/id/", "/page/", "/data/", "/dumps/", "/ontology/"]))
def test_random_paths_never_fail(fuzz_app, path, prefix):
    client = fuzz_app.test_client()
    target = prefix + path.replace("?", "%3F").replace("#", "%23")
    if target.startswith("//"):  # the test client would read it as a host: the server gets it as the path sent
        check(client.get("/", environ_overrides={"PATH_INFO": target.encode("utf-8").decode("latin-1")}))
    else:
        check(client.get(target))
