"""Answers of a published build are kept and revalidated: the same query is answered without running it again,
clients get a strong ETag and `304` on revalidation, and nothing stale or volatile is ever served."""

from __future__ import annotations

import pytest

from ptce.build.pipeline import publish_build
from ptce.web import create_app
from ptce.web.site import get_site

from ..source_text import rename_cohose

NAME = "SELECT ?n WHERE { <https://w3id.org/ptce/id/ptce/cohose> skos:prefLabel ?n }"


@pytest.fixture
def app(build_dir):
    return create_app({"BUILD_DIR": str(build_dir)})


def results(app):
    return app.extensions.get("ptce.results")


def test_the_same_query_is_answered_from_the_cache(app):
    client = app.test_client()
    first = client.get("/sparql", query_string={"query": NAME})
    assert first.status_code == 200 and results(app).misses == 1 and results(app).hits == 0
    again = client.post("/sparql", data={"query": NAME})
    assert again.get_data() == first.get_data() and results(app).hits == 1
    assert again.headers["ETag"] == first.headers["ETag"]
    # another format, another row limit or another dataset is another answer
    assert client.get("/sparql", query_string={"query": NAME, "format": "csv"}).headers["ETag"] != first.headers["ETag"]
    assert results(app).hits == 1


def test_clients_revalidate_with_304(app):
    client = app.test_client()
    first = client.get("/sparql", query_string={"query": NAME})
    assert first.headers["Cache-Control"] == "public, max-age=300" and first.headers["Vary"] == "Accept"
    etag = first.headers["ETag"]
    again = client.get("/sparql", query_string={"query": NAME}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    other = client.get("/sparql", query_string={"query": NAME}, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert client.post("/sparql", data={"query": NAME}).headers.get("Cache-Control") is None  # POSTs: ETag only


def test_a_new_build_is_a_new_answer(tmp_path, data_copy):
    out = tmp_path / "dist"
    publish_build(out, data_copy)
    app = create_app({"BUILD_DIR": str(out)})
    client = app.test_client()
    before = client.get("/sparql", query_string={"query": NAME})
    rename_cohose(data_copy, "CoHose Bis")
    publish_build(out, data_copy)
    get_site(app).reload()
    after = client.get("/sparql", query_string={"query": NAME}, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "CoHose Bis" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize("function", ["RAND()", "NOW()", "STRUUID()", "UUID()", "BNODE()"])
def test_volatile_answers_are_never_kept(app, function):
    client = app.test_client()
    query = f"SELECT ?v WHERE {{ BIND({function} AS ?v) }}"
    answers = {client.get("/sparql", query_string={"query": query}).get_data() for _ in range(3)}
    assert len(answers) == 3  # each run is a new value
    assert "ETag" not in client.get("/sparql", query_string={"query": query}).headers


def test_errors_are_not_kept(app):
    client = app.test_client()
    assert client.get("/sparql", query_string={"query": "SELECT ?x WHERE { oops }"}).status_code == 400
    assert len(results(app) or []) == 0


def test_the_cache_can_be_switched_off(build_dir):
    app = create_app({"BUILD_DIR": str(build_dir), "RESULT_CACHE_BYTES": 0})
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": NAME}).status_code == 200
    assert results(app).hits == 0 and len(results(app)) == 0
