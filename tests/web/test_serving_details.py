"""What a public server must get right besides answering: one build snapshot for everything, bodies of unknown
length, headers on every answer, absolute URLs from the configured public base, on-disk stores across reloads."""

from __future__ import annotations

import http.client
import io
import json
import signal
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from ptce.build.pipeline import publish_build
from ptce.web import create_app
from ptce.web.site import get_site

from ..live_server import fetch, live_server
from ..sample_queries import QUERIES_OF_DEATH
from ..source_text import rename_cohose

NAME_OF_COHOSE = "SELECT ?n WHERE { <https://w3id.org/ptce/id/ptce/cohose> skos:prefLabel ?n }"


def cohose_name(client) -> str:
    r = client.get("/sparql", query_string={"query": NAME_OF_COHOSE})
    return json.loads(r.get_data())["results"]["bindings"][0]["n"]["value"]


def test_dumps_metadata_pages_and_sparql_come_from_one_build_until_reload(tmp_path, data_copy):
    out = tmp_path / "dist"
    first = publish_build(out, data_copy)
    app = create_app({"BUILD_DIR": str(out)})
    client = app.test_client()
    dump = client.get("/dumps/ptce.nt").get_data()
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data()
    assert b'"CoHose"@fr' in dump and cohose_name(client) == "CoHose"

    rename_cohose(data_copy, "CoHose Renamed")
    second = publish_build(out, data_copy)  # a rebuild in place, no reload yet
    assert second.version != first.version
    assert client.get("/dumps/ptce.nt").get_data() == dump
    assert client.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data() == void
    assert cohose_name(client) == "CoHose"
    assert "CoHose Renamed" not in client.get("/page/ptce/cohose").get_data(as_text=True)
    assert client.get("/-/health").get_json()["build"] == first.version

    get_site(app).reload()  # everything switches together
    assert b'"CoHose Renamed"@fr' in client.get("/dumps/ptce.nt").get_data()
    assert cohose_name(client) == "CoHose Renamed"
    assert "CoHose Renamed" in client.get("/page/ptce/cohose").get_data(as_text=True)
    assert client.get("/-/health").get_json()["build"] == second.version


def test_the_build_in_service_survives_its_folder_being_removed(tmp_path, data_copy):
    out = tmp_path / "dist"
    publish_build(out, data_copy)
    client = create_app({"BUILD_DIR": str(out)}).test_client()
    for path in out.iterdir():
        path.unlink()
    out.rmdir()
    assert client.get("/dumps/ptce.nt").status_code == 200
    assert client.get("/catalog", headers={"Accept": "text/turtle"}).status_code == 200
    assert cohose_name(client) == "CoHose"


def test_a_timeout_answer_carries_the_security_headers(build_dir, tmp_path):
    """Through a real server, where the timeout once answered on the raw socket, bypassing the app's headers."""
    with live_server(tmp_path, "--build", str(build_dir), "--workers", "1", "--timeout", "1") as live:
        url = f"{live.url}/sparql?" + urllib.parse.urlencode({"query": QUERIES_OF_DEATH["cross product"]})
        try:
            urllib.request.urlopen(url, timeout=60)
        except urllib.error.HTTPError as err:
            r = err
        assert r.code == 503
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_the_app_reads_a_chunked_body_whole_under_any_server(build_dir):
    """The WSGI layer's own check, for servers without the front: no Content-Length, a body past the limit."""
    app = create_app({"BUILD_DIR": str(build_dir)})

    def post(body: bytes):
        headers = {"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked"}
        builder = EnvironBuilder(path="/sparql", method="POST", input_stream=io.BytesIO(body), headers=headers)
        environ = builder.get_environ()
        del environ["CONTENT_LENGTH"]  # as a server passes a chunked body on
        environ["wsgi.input_terminated"] = True
        chunks, status, _ = run_wsgi_app(app, environ)
        return int(status.split()[0]), b"".join(chunks)

    status, answer = post(("ASK { " + "?s ?p ?o . " * 8000 + "}").encode())
    assert status == 413 and b"longer than 65536 bytes" in answer
    status, answer = post(b"ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(answer)["boolean"] is True


def test_rdf_1_2_results_asked_as_json_ld_get_406_with_the_reason(client):
    query = "CONSTRUCT { ?s ?p <<( ?s ?p ?o )>> } WHERE { ?s ?p ?o } LIMIT 1"
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 406
    assert "JSON-LD does not support RDF 1.2" in r.get_data(as_text=True)
    assert client.get("/sparql", query_string={"query": query, "format": "nt"}).status_code == 200


def test_dumps_have_one_coherent_cache_control(client):
    r = client.get("/dumps/ptce.nt")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=300"
    assert r.headers["ETag"]


def test_absolute_urls_never_come_from_the_host_header(build_dir):
    public = "https://ptce.example.org/"
    for config, root in (({}, "https://w3id.org/ptce/"), ({"PUBLIC_URL": public}, public)):
        client = create_app({"BUILD_DIR": str(build_dir), **config}).test_client()
        evil = {"Host": "evil.example"}
        sd = client.get("/sparql", headers={**evil, "Accept": "application/n-triples"}).get_data(as_text=True)
        assert f"<{root}sparql>" in sd and "evil" not in sd
        robots = client.get("/robots.txt", headers=evil).get_data(as_text=True)
        assert f"Sitemap: {root}sitemap.xml" in robots
        sitemap = client.get("/sitemap.xml", headers=evil).get_data(as_text=True)
        assert f"<loc>{root}page/ptce/cohose</loc>" in sitemap and "evil" not in sitemap
        for path in ("/id//ptce/cohose", "/dumps"):
            r = client.get(path, headers=evil)
            assert 300 <= r.status_code < 400 and "evil" not in r.headers["Location"], (path, r.headers)
            assert r.headers["Location"].startswith("/") and not r.headers["Location"].startswith("//")


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--workers", "2", "--public-url", "https://ptce.example.org/")
    with live_server(tmp_path_factory.mktemp("details"), *args) as live:
        yield live


def chunked_post(server, body: bytes, content_type: str) -> tuple[int, bytes]:
    """POST a body in chunks, without Content-Length."""
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.putrequest("POST", "/sparql")
    conn.putheader("Content-Type", content_type)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for start in range(0, len(body), 4096):
            part = body[start : start + 4096]
            conn.send(b"%x\r\n%s\r\n" % (len(part), part))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer (413) and stop reading before the whole body is sent: read its answer
    response = conn.getresponse()
    answer = response.status, response.read()
    conn.close()
    return answer


def test_a_chunked_body_past_the_limit_is_refused_not_cut(server):
    long_query = "ASK { " + "?s ?p ?o . " * 8000 + "}"  # 88 KB: longer than the 64 KiB limit
    as_form = urllib.parse.urlencode({"query": long_query}).encode()
    form, query = "application/x-www-form-urlencoded", "application/sparql-query"
    for body, kind in ((long_query.encode(), query), (as_form, form)):
        status, answer = chunked_post(server, body, kind)
        assert status == 413 and b"longer than 65536 bytes" in answer, (kind, answer[:200])
    short = "ASK { ?s ?p ?o }"
    for body, kind in ((short.encode(), query), (urllib.parse.urlencode({"query": short}).encode(), form)):
        status, answer = chunked_post(server, body, kind)
        assert status == 200 and json.loads(answer)["boolean"] is True, (kind, answer)


def test_serve_writes_the_public_url(server):
    with urllib.request.urlopen(f"{server.url}/robots.txt", timeout=30) as r:
        assert "Sitemap: https://ptce.example.org/sitemap.xml" in r.read().decode()


@pytest.fixture(scope="module")
def disk_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("disk") / "dist"
    publish_build(out, on_disk=True)
    assert (out / "store").is_dir()
    return out


def test_an_on_disk_store_survives_reload_and_stop(disk_build, tmp_path):
    with live_server(tmp_path, "--build", str(disk_build), "--workers", "2") as live:
        assert fetch(live, "ASK { ?s ?p ?o }")[0] == 200
        live.process.send_signal(signal.SIGHUP)
        for _ in range(6):  # more requests than workers: every new worker opens the store itself
            status, body = fetch(live, NAME_OF_COHOSE)
            assert status == 200 and "CoHose" in body
            with urllib.request.urlopen(f"{live.url}/page/ptce/cohose", timeout=30) as r:
                assert r.status == 200
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(60) == 0
    log = live.output()
    assert "SIGSEGV" not in log and "signal 11" not in log, log
