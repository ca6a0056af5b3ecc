"""A real `ptce serve` process: real SPARQL clients, timeouts that free the worker, no outbound request ever."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import xml.dom.minidom
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from ptce.cli import main
from ptce.rdf.namespaces import Iris

from ..live_server import fetch, live_server
from ..sample_queries import QUERIES_OF_DEATH

pytestmark = [
    pytest.mark.server,
    # SPARQLWrapper and rdflib's JSON-LD parser still build a ConjunctiveGraph.
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]
IRIS = Iris()
COHOSE = IRIS.thing("ptce", "cohose")
DEPARTMENTS = "SELECT (STR(?c) AS ?code) WHERE { ?d a igeo:Departement ; igeo:codeINSEE ?c } ORDER BY ?c"
PREFIXED = "PREFIX igeo: <http://rdf.insee.fr/def/geo#>\n" + DEPARTMENTS


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--timeout", "1", "--workers", "2")
    with live_server(tmp_path_factory.mktemp("serve"), *args) as live:
        yield live


def wrapper(server, query, fmt, method=None) -> SPARQLWrapper:
    sw = SPARQLWrapper(f"{server.url}/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    if method:
        sw.setMethod(POST)
        sw.setRequestMethod(method)
    return sw


def test_serve_prints_the_urls_it_serves(server):
    assert f"{server.url}/sparql" in server.output()


@pytest.mark.parametrize("method", [None, "urlencoded", POSTDIRECTLY])
def test_sparqlwrapper_select_in_every_format(server, method):
    codes = ["02", "59", "60", "62", "80"]
    data = wrapper(server, PREFIXED, JSON, method).query().convert()
    assert [b["code"]["value"] for b in data["results"]["bindings"]] == codes
    doc = wrapper(server, PREFIXED, XML, method).query().convert()
    assert isinstance(doc, xml.dom.minidom.Document)
    assert [n.firstChild.data for n in doc.getElementsByTagName("literal")] == codes
    csv_text = wrapper(server, PREFIXED, CSV, method).query().convert().decode()
    assert csv_text.split("\r\n")[1:6] == codes
    tsv_text = wrapper(server, PREFIXED, TSV, method).query().convert().decode()
    assert tsv_text.splitlines()[1:] == [f'"{c}"' for c in codes]


def test_sparqlwrapper_ask_construct_describe(server, graph):
    assert wrapper(server, "ASK { ?p a <https://w3id.org/ptce/ontology#PTCE> }", JSON).query().convert()["boolean"]
    expected = set(graph.triples((COHOSE, None, None)))
    constructed = wrapper(server, f"CONSTRUCT WHERE {{ <{COHOSE}> ?p ?o }}", RDFXML).query().convert()
    assert set(constructed) == expected
    described = wrapper(server, f"DESCRIBE <{COHOSE}>", TURTLE).query().convert()
    assert set(Graph().parse(data=described, format="turtle")) == expected
    n3 = wrapper(server, f"DESCRIBE <{COHOSE}>", N3).query().convert()
    assert len(Graph().parse(data=n3, format="turtle")) == len(expected)


def test_rdflib_sparqlstore(server):
    remote = Graph(SPARQLStore(f"{server.url}/sparql", returnFormat="json"))
    rows = list(remote.query(PREFIXED))
    assert [str(r.code) for r in rows] == ["02", "59", "60", "62", "80"]
    assert remote.query(f"ASK {{ <{COHOSE}> ?p ?o }}").askAnswer is True
    assert (COHOSE, None, None) in remote
    label = remote.value(COHOSE, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))
    assert str(label) == "CoHose"


def test_a_runaway_query_gets_503_and_workers_are_free_again(server):
    death = QUERIES_OF_DEATH["cross product"]
    for _ in range(3):  # more than the two workers: each is replaced after its timeout
        assert fetch(server, death) == (503, "Query timed out after 1 s.\n")
    for _ in range(6):
        status, body = fetch(server, "ASK { ?s ?p ?o }")
        assert status == 200 and json.loads(body)["boolean"] is True
    assert server.process.poll() is None


@pytest.fixture
def listener():
    """A local TCP listener that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    hits: list[str] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            hits.append(conn.recv(1024).decode(errors="replace"))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", hits
    stop.set()
    thread.join()
    sock.close()


def test_no_outbound_request_of_any_kind(server, listener):
    remote, hits = listener
    attempts = [
        (f"SELECT * WHERE {{ SERVICE <{remote}/sparql> {{ ?s ?p ?o }} }}", {}),
        (f"select * where {{ service silent <{remote}/sparql> {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * FROM <{remote}/data.ttl> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{remote}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": f"{remote}/data.ttl"}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": f"{remote}/data.ttl"}),
        (f"LOAD <{remote}/data.ttl>", {}),
    ]
    for query, params in attempts:
        for method in ("GET", "POST"):
            status, body = fetch(server, query, method, **params)
            # SERVICE and LOAD are refused; a graph the store does not hold is an empty graph
            assert status in (400, 403) if "SERVICE" in query.upper() or "LOAD" in query else status == 200, body
    status, _ = fetch(server, None, "POST", update=f"LOAD <{remote}/data.ttl>")
    assert status == 403
    for query in (f"DESCRIBE <{remote}/thing>", f"DESCRIBE ?x WHERE {{ BIND(<{remote}/x> AS ?x) }}"):
        assert fetch(server, query)[0] == 200  # described from the store alone: nothing
    for path in (f"/id/ptce/cohose?format={remote}/x.ttl", f"/data/ptce/cohose?format={remote}", f"/{remote}"):
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(f"{server.url}{path}", timeout=30).close()
    assert hits == []
    # the listener does see a connection when one is made, so the check above can fail
    with socket.create_connection(("127.0.0.1", int(remote.rsplit(":", 1)[1]))) as probe:
        probe.sendall(b"probe")
    for _ in range(50):
        if hits:
            break
        time.sleep(0.1)
    assert hits == ["probe"]


def test_federation_allow_list_lets_only_listed_endpoints_through(build_dir, listener):
    """Off by default; with the option, SERVICE to a listed endpoint is made (and a failure there is a 502)."""
    from ptce.web import create_app

    listed, hits = listener
    client = create_app(
        {"BUILD_DIR": str(build_dir), "FEDERATION_ALLOWLIST": (f"{listed}/sparql",), "QUERY_TIMEOUT": 5}
    ).test_client()
    unlisted = client.get("/sparql", query_string={"query": f"SELECT * {{ SERVICE <{listed}/other> {{ ?s ?p ?o }} }}"})
    by_variable = client.get("/sparql", query_string={"query": "SELECT * { SERVICE ?e { ?s ?p ?o } }"})
    assert unlisted.status_code == by_variable.status_code == 400
    assert f"except <{listed}/sparql>" in unlisted.get_data(as_text=True)
    assert hits == []
    r = client.get("/sparql", query_string={"query": f"SELECT * {{ SERVICE <{listed}/sparql> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 502 and "remote SPARQL endpoint failed" in r.get_data(as_text=True)
    assert len(hits) == 1 and hits[0].startswith("POST /sparql")


def test_serve_refuses_a_bad_build(runner, data_copy):
    (data_copy / "ptce" / "cohose.yaml").write_text("slug: cohose\nname: [unclosed\n", encoding="utf-8")
    result = runner.invoke(main, ["serve", "--data", str(data_copy), "--port", "0"])
    assert result.exit_code == 1
    assert "nothing was published" in result.output and "cohose.yaml" in result.output
    both = runner.invoke(main, ["serve", "--data", str(data_copy), "--build", str(data_copy)])
    assert both.exit_code == 2


def test_serve_with_no_arguments_serves_the_bundled_data(tmp_path, graph, private_cache):
    """What `pip install -e . && ptce serve` does on a fresh machine: build and validate the bundled data once (in
    the cache), serve it; the next start reuses that build."""
    (tmp_path / "empty").mkdir()
    with live_server(tmp_path, "--workers", "1", cwd=tmp_path / "empty") as live:
        status, body = fetch(live, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert status == 200
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == str(len(graph))
        served = live.output().split("Serving ", 1)[1].split("/ (", 1)[0]
        assert Path(served).parent == private_cache and (Path(served) / "build.json").exists()
        assert "No build in dist/: using the bundled data's build." in live.output()
    with live_server(tmp_path, "--workers", "1", cwd=tmp_path / "empty") as again:
        assert f"Found it in the cache: {served}/" in again.output()
    assert Path(served).exists()
