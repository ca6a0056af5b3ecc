"""HTTP caching (ETag, Last-Modified, 304, Cache-Control), security headers and error responses."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.http import http_date

from ptce.web import create_app
from ptce.web.site import get_site

from ..source_text import rename_cohose

CACHED = ["/", "/page/ptce/cohose", "/data/ptce/cohose.ttl", "/dumps/ptce.nt", "/dumps/ptce.nt.gz", "/ontology"]
CACHED += ["/catalog", "/.well-known/void", "/page/theme/alimentation"]


@pytest.fixture(scope="module")
def info(app):
    return get_site(app).build.info


@pytest.mark.parametrize("path", CACHED)
def test_strong_etag_of_the_build_and_last_modified(client, info, path):
    r = client.get(path)
    assert r.status_code == 200
    etag, weak = r.get_etag()
    assert not weak and etag.startswith(info.version)
    assert r.last_modified == dt.datetime.fromisoformat(info.built_at)
    assert r.cache_control.public and r.cache_control.max_age == 300


@pytest.mark.parametrize("path", CACHED)
def test_conditional_gets_answer_304(client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"0000000000000000-other"'})
    assert stale.status_code == 200 and stale.get_data() == first.get_data()
    earlier = http_date(first.last_modified - dt.timedelta(days=1))
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200


def test_each_representation_has_its_own_etag(client):
    html = client.get("/ontology", headers={"Accept": "text/html"})
    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert html.headers["ETag"] != turtle.headers["ETag"]
    assert "Accept" in html.vary and "Accept" in turtle.vary
    # A cached HTML ETag does not validate the Turtle representation.
    assert (
        client.get("/ontology", headers={"Accept": "text/turtle", "If-None-Match": html.headers["ETag"]}).status_code
        == 200
    )


def test_a_new_build_changes_the_etag(tmp_path, data_copy, client):
    from ptce.build.pipeline import publish_build

    rename_cohose(data_copy, "CoHose bis")
    out = tmp_path / "dist"
    publish_build(out, data_copy)
    other = create_app({"BUILD_DIR": str(out)}).test_client()
    old = client.get("/page/ptce/cohose").headers["ETag"]
    r = other.get("/page/ptce/cohose", headers={"If-None-Match": old})
    assert r.status_code == 200 and "CoHose bis" in r.get_data(as_text=True)


def test_redirects_are_cacheable_but_errors_are_not(client):
    r = client.get("/id/ptce/cohose")
    assert r.status_code == 303 and r.cache_control.max_age == 300 and "ETag" not in r.headers
    missing = client.get("/page/ptce/nowhere")
    assert missing.status_code == 404 and "ETag" not in missing.headers and not missing.cache_control.public


@pytest.mark.parametrize("path", ["/", "/page/ptce/cohose", "/data/ptce/cohose.ttl", "/nowhere", "/-/health"])
def test_security_headers_everywhere(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_are_html_or_json_by_accept(client):
    page = client.get("/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "404" in page.get_data(as_text=True)
    data = client.get("/nowhere", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.get_json()["status"] == 404
    wrong = client.post("/page/ptce/cohose")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]


def test_no_traceback_ever_reaches_a_client(build_dir):
    app = create_app({"BUILD_DIR": str(build_dir), "TESTING": True})

    @app.get("/-/boom")
    def boom():
        raise RuntimeError("secret detail in /srv/ptce/app.py line 42")

    client = app.test_client()
    for accept in ("text/html", "application/json"):
        r = client.get("/-/boom", headers={"Accept": accept})
        assert r.status_code == 500
        body = r.get_data(as_text=True)
        assert "Traceback" not in body and "secret detail" not in body and "RuntimeError" not in body
        assert r.headers["Content-Security-Policy"]
