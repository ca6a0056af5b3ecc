"""The same checks against both backends: the embedded store and a real Virtuoso loaded with `publish_to`.

Virtuoso (Debian's `virtuoso-opensource`, installed by .ci/run) is started on loopback with its own configuration
and data folder; the tests skip only when its binary is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from ptce.assets import DATA_DIR
from ptce.build import gsp as remote_module
from ptce.build.gsp import publish_to
from ptce.build_folder import BuildInfo
from ptce.cli import main
from ptce.linkeddata.describe import describe_graph
from ptce.linkeddata.stats import graph_stats
from ptce.rdf.namespaces import Iris
from ptce.sources.loader import load_sources
from ptce.store.engine import open_build
from ptce.store.remote import RemoteStoreError, SparqlStore, query_form
from ptce.web import create_app
from ptce.web.site import get_site

from .. import virtuoso
from ..live_server import free_port
from ..sample_queries import all_queries
from ..waiting import GIVE_UP, answers, wait_for

IRIS = Iris()
DATASET_GRAPH = str(IRIS.dataset)
pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with virtuoso.running(tmp_path_factory.mktemp("virtuoso")) as running:
        yield running


@pytest.fixture(scope="module")
def virtuoso_store(server, build_dir):
    publish_to(server.gsp_url, build_dir, auth=server.auth)
    return SparqlStore(server.sparql_url, graph=DATASET_GRAPH)


@dataclass
class OxigraphServer:
    """Oxigraph's own server (`oxigraph serve`, from PyPI's `oxigraph`), on a free loopback port."""

    url: str
    process: subprocess.Popen

    @property
    def sparql_url(self) -> str:
        return f"{self.url}/query"

    @property
    def gsp_url(self) -> str:
        return f"{self.url}/store"

    @property
    def update_url(self) -> str:
        return f"{self.url}/update"


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.skip("Oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    folder = tmp_path_factory.mktemp("oxigraph")
    log = (folder / "log").open("w")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=log
    )
    server = OxigraphServer(f"http://127.0.0.1:{port}", process)
    wait_for(lambda: answers(f"{server.sparql_url}?query=ASK%7B%7D") or process.poll() is not None, "Oxigraph")
    assert process.poll() is None, (folder / "log").read_text()
    yield server
    process.terminate()
    process.wait(GIVE_UP)


@pytest.fixture(scope="module")
def oxigraph_store(oxigraph_server, build_dir):
    publish_to(oxigraph_server.gsp_url, build_dir, update_url=oxigraph_server.update_url)
    return SparqlStore(oxigraph_server.sparql_url, graph=DATASET_GRAPH)


@pytest.fixture(scope="module")
def embedded_store(build_dir):
    return open_build(build_dir)


@pytest.fixture(params=["embedded", "virtuoso", "oxigraph"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def rows(store, sparql):
    """The rows as a multiset; GROUP_CONCAT has no defined order in SPARQL 1.1, so ", "-joined lists are sorted."""

    def normal(value):
        return ", ".join(sorted(value.split(", "))) if isinstance(value, str) and ", " in value else value

    return Counter(tuple(sorted((k, normal(v)) for k, v in r.items())) for r in store.select(sparql))


def test_counts_per_department_match_the_sources(store):
    expected = Counter(p.departement for p in load_sources(DATA_DIR).ptces)
    names = {d.slug: d.name for d in load_sources(DATA_DIR).departements}
    stats = dict(graph_stats(store))
    for slug, name in names.items():
        assert stats[f"PTCEs in {name}"] == expected[slug]
    assert stats["PTCEs"] == 15


def test_same_size_on_both_backends(embedded_store, virtuoso_store, build_dir):
    triples = BuildInfo.read(build_dir).triples
    assert dict(graph_stats(virtuoso_store))["triples"] == dict(graph_stats(embedded_store))["triples"] == triples


def test_select_ask_and_typed_values(store):
    found = store.select(
        "SELECT ?name ?shops WHERE { ?i ptce:partnerShopCount ?shops ; skos:prefLabel ?name } ORDER BY ?name"
    )
    assert found == [{"name": "Mon shopping c'est Calais", "shops": 104}]
    assert store.ask("ASK { ?p a ptce:PTCE ; skos:prefLabel 'CoHose'@fr }")
    assert not store.ask("ASK { ?p a ptce:PTCE ; skos:prefLabel 'Nowhere'@fr }")


def test_construct_in_every_graph_format(store):
    sparql = "CONSTRUCT { ?p skos:prefLabel ?n } WHERE { ?p a ptce:PTCE ; skos:prefLabel ?n }"
    for key, fmt in [("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml")]:
        graph = Graph().parse(data=store.serialize(store.query(sparql), key), format=fmt)
        assert len(graph) == 15
        assert (IRIS.thing("ptce", "cohose"), SKOS.prefLabel, None) in graph
    assert b"cohose" in store.serialize(store.query(sparql), "jsonld")


def test_select_in_every_result_format(store):
    sparql = "SELECT ?p WHERE { ?p a ptce:PTCE } ORDER BY ?p"
    bindings = json.loads(store.serialize(store.query(sparql), "json"))["results"]["bindings"]
    assert len(bindings) == 15
    tree = ET.fromstring(store.serialize(store.query(sparql), "xml"))
    assert len(tree.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 15
    for key in ("csv", "tsv"):
        assert store.serialize(store.query(sparql), key).decode().count("/id/ptce/") == 15


def test_malformed_query_is_a_syntax_error(store):
    with pytest.raises(SyntaxError):
        store.select("SELECT ?x WHERE { ?x ?y }")


@pytest.mark.parametrize("name", sorted(all_queries()))
def test_query_gives_the_same_rows_on_every_backend(name, embedded_store, virtuoso_store, oxigraph_store):
    sparql = all_queries()[name]
    expected = rows(embedded_store, sparql)
    assert expected, f"{name} returns no rows on the real data"
    if uses_geosparql(sparql):  # Virtuoso 7 (open source) has no geof: functions, only its own bif:st_*
        with pytest.raises(RemoteStoreError, match="Undefined procedure"):
            rows(virtuoso_store, sparql)
    else:
        assert rows(virtuoso_store, sparql) == expected
    assert rows(oxigraph_store, sparql) == expected


@pytest.fixture(scope="module")
def endpoints(virtuoso_store, server, oxigraph_store, oxigraph_server, build_dir):
    """Test clients of the whole app, embedded and `--store sparql:URL` over Virtuoso and over Oxigraph server."""
    remote = {"virtuoso": server.sparql_url, "oxigraph": oxigraph_server.sparql_url}
    return {
        "embedded": create_app({"BUILD_DIR": str(build_dir)}).test_client(),
        **{
            name: create_app({"BUILD_DIR": str(build_dir), "STORE": f"sparql:{url}"}).test_client()
            for name, url in remote.items()
        },
    }


@pytest.mark.parametrize("name", sorted(all_queries()))
def test_query_gives_the_same_rows_through_the_endpoint_on_every_backend(name, endpoints):
    """What users send to /sparql, through the guard (which bounds the rows with a LIMIT), on both backends."""
    answers = {}
    geosparql = uses_geosparql(all_queries()[name])
    for backend, client in endpoints.items():
        response = client.post(
            "/sparql", data={"query": all_queries()[name]}, headers={"Accept": "application/sparql-results+json"}
        )
        if geosparql and backend == "virtuoso":  # refused by the backend, said as such (see above)
            assert response.status_code == 502 and "Undefined procedure" in response.get_data(as_text=True)
            continue
        assert response.status_code == 200, f"{backend}: {response.get_data(as_text=True)[:500]}"
        answers[backend] = len(response.get_json()["results"]["bindings"])
    assert answers["embedded"] > 0 and answers["oxigraph"] == answers["embedded"]
    assert geosparql or answers["virtuoso"] == answers["embedded"]


def uses_geosparql(sparql: str) -> bool:
    """Whether a query calls GeoSPARQL functions (the embedded engine and Oxigraph server evaluate them)."""
    return "http://www.opengis.net/def/function/geosparql/" in sparql


def test_one_request_to_the_server_per_query(server, virtuoso_store, build_dir, monkeypatch):
    """Named graphs included: a graph the server does not hold is an empty graph there too, nothing to check first."""
    app = create_app({"BUILD_DIR": str(build_dir), "STORE": f"sparql:{server.sparql_url}"})
    store, sent = get_site(app).build.store, []
    original = store.query_bytes
    monkeypatch.setattr(
        store, "query_bytes", lambda result, media: sent.append(result.sparql) or original(result, media)
    )
    client, accept = app.test_client(), {"Accept": "application/sparql-results+json"}
    plain = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s a ptce:PTCE } LIMIT 1"}, headers=accept)
    assert plain.status_code == 200 and len(sent) == 1
    named = f"SELECT * FROM <{DATASET_GRAPH}> WHERE {{ ?s a ptce:PTCE }} LIMIT 1"
    answer = client.get("/sparql", query_string={"query": named}, headers=accept)
    assert answer.status_code == 200 and len(answer.get_json()["results"]["bindings"]) == 1 and len(sent) == 2
    unknown = "SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }"
    empty = client.get("/sparql", query_string={"query": unknown}, headers=accept)
    assert empty.status_code == 200 and empty.get_json()["results"]["bindings"] == [] and len(sent) == 3


def test_relative_iris_and_error_lines_are_the_users_on_the_remote_store(server, virtuoso_store, build_dir):
    app = create_app({"BUILD_DIR": str(build_dir), "STORE": f"sparql:{server.sparql_url}"})
    client, accept = app.test_client(), {"Accept": "application/sparql-results+json"}
    relative = client.get("/sparql", query_string={"query": "ASK { <id/ptce/cohose> a ptce:PTCE }"}, headers=accept)
    assert relative.status_code == 200 and relative.get_json()["boolean"] is True
    broken = client.get("/sparql", query_string={"query": "SELECT *\nWHERE { ?s ?p }"}, headers=accept)
    assert broken.status_code == 400 and "line 2" in broken.get_data(as_text=True).lower()


def test_query_form_reads_past_the_prologue():
    assert query_form("PREFIX s: <http://x/select#>\n# ASK me\nCONSTRUCT { ?a ?b ?c } WHERE { ?a ?b ?c }") == "graph"
    assert query_form("BASE <http://x/> SELECT * { ?a ?b ?c }") == "solutions"
    assert query_form("ask {}") == "boolean"
    with pytest.raises(SyntaxError):
        query_form("INSERT DATA { <a> <b> <c> }")


def test_publish_replaces_the_graph(server, build_dir, synth_build, tmp_path):
    graph = "https://example.org/graph/replaced"
    remote = SparqlStore(server.sparql_url, graph=graph)
    publish_to(server.gsp_url, synth_build, graph, server.auth)
    assert len(remote) == BuildInfo.read(synth_build).triples
    publish_to(server.gsp_url, build_dir, graph, server.auth)
    assert len(remote) == BuildInfo.read(build_dir).triples
    publish_to(server.gsp_url, synth_build, graph, server.auth, chunk=1000)  # a PUT, then POSTs
    assert len(remote) == BuildInfo.read(synth_build).triples
    publish_to(server.gsp_url, build_dir, graph, server.auth, chunk=300)
    assert len(remote) == BuildInfo.read(build_dir).triples
    assert not remote.ask("ASK { ?d a igeo:Departement ; igeo:codeINSEE '2A' }")
    assert remote.ask("ASK { ?d a igeo:Departement ; igeo:codeINSEE '80'^^xsd:token }")


def test_large_publish_with_update_endpoint_switches_the_graph_in_one_move(server, build_dir, synth_build, monkeypatch):
    """Pieces go to a staging graph while readers still see the old graph; one MOVE switches; no staging is left."""
    graph = "https://example.org/graph/atomic"
    remote, old = SparqlStore(server.sparql_url, graph=graph), BuildInfo.read(build_dir).triples
    publish_to(server.gsp_url, build_dir, graph, server.auth)
    seen = []
    original = remote_module._send

    def send_and_look(target, method, body, auth, **kwargs):
        original(target, method, body, auth, **kwargs)
        seen.append((urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)["graph"][0], len(remote)))

    monkeypatch.setattr(remote_module, "_send", send_and_look)
    sent = publish_to(server.gsp_url, synth_build, graph, server.auth, chunk=1000, update_url=server.update_url)
    assert sent == BuildInfo.read(synth_build).triples > 1000 and len(seen) > 1
    data = [(g, n) for g, n in seen if g != str(IRIS.network_graph)]  # the network's graph follows, on its own
    assert {g for g, _ in data} == {f"{graph}/staging-{BuildInfo.read(synth_build).version}"}
    assert {n for _, n in data} == {old}, "readers saw only the old graph while the pieces were loading"
    assert len(remote) == sent
    assert not any("staging" in g for g in remote.graph_names())


def test_failed_switch_leaves_the_graph_unchanged_and_says_where_the_build_is(server, build_dir, synth_build):
    graph = "https://example.org/graph/unswitched"
    publish_to(server.gsp_url, build_dir, graph, server.auth)
    staging = f"{graph}/staging-{BuildInfo.read(synth_build).version}"
    expected = rf"(?s)refused the update .*{re.escape(f'<{graph}> is unchanged, the build is in <{staging}>')}"
    with pytest.raises(RemoteStoreError, match=expected):
        # the anonymous endpoint: Virtuoso refuses updates there
        publish_to(server.gsp_url, synth_build, graph, server.auth, chunk=1000, update_url=server.sparql_url)
    assert len(SparqlStore(server.sparql_url, graph=graph)) == BuildInfo.read(build_dir).triples
    assert len(SparqlStore(server.sparql_url, graph=staging)) == BuildInfo.read(synth_build).triples


def test_publish_command(server, build_dir, runner):
    graph = "https://example.org/graph/cli"
    args = ["publish", "--build", str(build_dir), "--to", server.gsp_url, "--graph", graph]
    result = runner.invoke(main, [*args, "--auth", server.auth])
    assert result.exit_code == 0, result.output
    assert f"Published {BuildInfo.read(build_dir).triples} triples" in result.output
    assert SparqlStore(server.sparql_url, graph=graph).ask(f"ASK {{ <{IRIS.thing('ptce', 'cohose')}> ?p ?o }}")
    for auth, message in [("dba:wrong", "refused the credentials"), (None, "asks for credentials")]:
        result = runner.invoke(main, args + (["--auth", auth] if auth else []))
        assert result.exit_code == 1
        assert message in result.output and "Traceback" not in result.output


def test_unreachable_server_is_a_clear_error(build_dir):
    store = SparqlStore(f"http://127.0.0.1:{virtuoso.free_port()}/sparql")
    with pytest.raises(RemoteStoreError, match="cannot reach"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(RemoteStoreError, match="cannot reach"):
        publish_to(f"http://127.0.0.1:{virtuoso.free_port()}/gsp", build_dir, auth="a:b")


def test_store_reads_only_its_graph(server, virtuoso_store):
    other = SparqlStore(server.sparql_url, graph="https://example.org/graph/empty")
    assert len(other) == 0
    assert virtuoso_store.ask(f"ASK {{ <{IRIS.thing('ptce', 'cohose')}> a ptce:PTCE }}")


def test_publish_retries_a_deadlocked_transaction(build_dir):
    """A GSP server that answers SQLSTATE 40001 (as Virtuoso does under load) once, then accepts."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the probe: no credentials asked for
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def do_PUT(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            deadlocked = len(received) == 1
            self.send_response(500 if deadlocked else 201)
            self.end_headers()
            self.wfile.write(b"SR172: Transaction deadlocked (40001)" if deadlocked else b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/gsp"
        assert publish_to(url, build_dir) == BuildInfo.read(build_dir).triples
    finally:
        server.shutdown()
        server.server_close()
    # the deadlocked piece sent again, then the network's graph
    assert len(received) == 3 and received[0] == received[1]
    assert received[1].count(b"\n") == BuildInfo.read(build_dir).triples


def test_the_whole_app_serves_from_virtuoso(virtuoso_store, server, build_dir):
    """`ptce serve --store sparql:URL`: endpoint, pages, map and network all answered by the remote server."""
    app = create_app({"BUILD_DIR": str(build_dir), "STORE": f"sparql:{server.sparql_url}"})
    assert isinstance(get_site(app).build.store, SparqlStore)
    client = app.test_client()
    count = client.get(
        "/sparql",
        query_string={"query": "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert count.status_code == 200
    assert count.get_json()["results"]["bindings"][0]["n"]["value"] == "15"
    page = client.get("/page/ptce/cohose")
    assert page.status_code == 200 and "CoHose" in page.get_data(as_text=True)
    assert "Anima Grand Calais" in page.get_data(as_text=True), "PTCEs sharing themes, computed over the server"
    assert len(client.get("/map.geojson").get_json(force=True)["features"]) == 15
    assert len(client.get("/network.json").get_json()["nodes"]) == 15
    assert client.get("/sparql", query_string={"query": "SELECT * WHERE {"}).status_code == 400
    assert client.get("/-/health").get_json()["status"] == "ok"


def test_descriptions_and_pages_are_the_same_from_virtuoso(virtuoso_store, embedded_store, server, build_dir):
    """A remote store's descriptions are asked one resource at a time (Virtuoso's plan for several named by one
    VALUES reads every triple): the same graph as the embedded store's one query, and the same pages."""
    iris = embedded_store.iris
    kinds = "ptce:PTCE org:Organization igeo:Departement ptce:Territory skos:Concept org:Membership oa:SpecificResource"
    rows = embedded_store.select(f"SELECT DISTINCT ?x WHERE {{ VALUES ?c {{ {kinds} }} ?x a ?c }}")
    nodes = [*sorted(r["x"] for r in rows), str(iris.ontology)]
    assert len(nodes) > 100
    embedded, remote = describe_graph(embedded_store, nodes, iris), describe_graph(virtuoso_store, nodes, iris)
    assert len(embedded) > 1000 and isomorphic(embedded, remote)
    local = create_app({"BUILD_DIR": str(build_dir)}).test_client()
    over = create_app({"BUILD_DIR": str(build_dir), "STORE": f"sparql:{server.sparql_url}"}).test_client()
    for path in ["/", "/?lang=en", "/page/theme", "/ontology", "/page/ptce/cohose", "/page/departement/pas-de-calais"]:
        page = local.get(path)
        assert page.status_code == 200 and over.get(path).get_data() == page.get_data(), path


def test_serve_refuses_a_malformed_store_option(runner, build_dir):
    result = runner.invoke(main, ["serve", "--build", str(build_dir), "--store", "virtuoso"])
    assert result.exit_code != 0
    assert "expected sparql:http(s)://" in result.output


def test_publish_sends_the_network_graph_too(oxigraph_store, oxigraph_server, build_dir):
    network = str(IRIS.network_graph)
    lines = [line for line in (build_dir / "network.nq").read_bytes().splitlines() if line.strip()]
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{network}> {{ ?s ?p ?o }} }}"
    remote = SparqlStore(oxigraph_server.sparql_url)
    assert remote.select(count)[0]["n"] == len(lines) > 0
    assert len(oxigraph_store) >= BuildInfo.read(build_dir).triples
