"""No query makes an outbound request: the guard decides on the text the engine runs, and the query processes
cannot connect anywhere even when the guard is bypassed.

Every trick below hides or disguises a `SERVICE` call to a local listener. Each is tried against a real
`ptce serve` (GET and POST), against `ptce query`, and straight against the query processes with no guard at
all; the listener must see no connection. The listener itself is checked to record connections, so a test that
sees none can fail.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from ptce.cli import main
from ptce.query.guard import QueryRefused, analyse, refusal
from ptce.query.runner import ProcessRunner, QueryJob, QueryRejected, RemoteFailed

from ..live_server import fetch, live_server


def escaped(text: str) -> str:
    """Every character of `text` as a \\uXXXX escape."""
    return "".join(f"\\u{ord(c):04X}" for c in text)


# {url} is the listener's root URL; {escaped} the same, every character escaped.
TRICKS = {
    "escaped IRI, then a comment sign": (
        "SELECT * {{ BIND(<http://a/\\u0041#> AS ?x) SERVICE <{url}/x> {{ ?s ?p ?o }} \n}}"
    ),
    "long escape": "SELECT * {{ BIND(<http://a/\\U00000041#> AS ?x) SERVICE <{url}/x> {{ ?s ?p ?o }}\n}}",
    "escaped endpoint": "SELECT * {{ SERVICE <{escaped}> {{ ?s ?p ?o }} }}",
    "escape in PREFIX": "PREFIX e: <http://a/\\u0041#> SELECT * {{ SERVICE <{url}/x> {{ ?s ?p ?o }}\n}}",
    "escape in BASE": "BASE <http://a/\\u0041#> SELECT * {{ SERVICE <{url}/x> {{ ?s ?p ?o }}\n}}",
    "escape in FROM": "SELECT * FROM <http://a/\\u0041#> {{ SERVICE <{url}/x> {{ ?s ?p ?o }}\n}}",
    "escape in a string": 'SELECT * {{ BIND("\\u0022 #" AS ?x) SERVICE <{url}/x> {{ ?s ?p ?o }}\n}}',
    "relative endpoint under BASE": "BASE <{url}/> SELECT * {{ SERVICE <x> {{ ?s ?p ?o }} }}",
    "prefixed endpoint": "PREFIX r: <{url}/> SELECT * {{ SERVICE r:x {{ ?s ?p ?o }} }}",
    "SERVICE SILENT": "SELECT * {{ SERVICE SILENT <{url}/x> {{ ?s ?p ?o }} }}",
    "no spaces, lower case": "select*{{service<{url}/x>{{?s ?p ?o}}}}",
    "variable endpoint": "SELECT * {{ BIND(<{url}/x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "in a subquery": "SELECT * {{ {{ SELECT * {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }} }} }}",
    "in FILTER EXISTS": "SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }} }}",
    "comment ended by CR": "SELECT * {{ ?s ?p ?o # note\r SERVICE <{url}/x> {{ ?s ?p ?o }} }}",
    "ASK": "ASK {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }}",
    "CONSTRUCT": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/x> {{ ?s ?p ?o }} }}",
}


def trick(name: str, url: str) -> str:
    return TRICKS[name].format(url=url, escaped=escaped(f"{url}/x"))


class Listener:
    """A local TCP listener that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.hits: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            try:
                self.hits.append(conn.recv(1024).decode(errors="replace"))
            except OSError:
                self.hits.append("")
            conn.close()

    def probe(self) -> None:
        """Connect once, and wait until the listener has recorded it."""
        before = len(self.hits)
        with socket.create_connection(self.sock.getsockname()) as conn:
            conn.sendall(b"probe")
        while len(self.hits) == before:
            time.sleep(0.01)
        assert self.hits[-1] == "probe"
        self.hits.pop()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    found = Listener()
    yield found
    found.close()


@pytest.mark.parametrize("name", TRICKS)
def test_the_guard_sees_every_service_call(listener, name):
    analysis = analyse(trick(name, listener.url))
    assert analysis.service
    assert "SERVICE is not allowed" in refusal(analysis)
    # even with the listener allowed, only the exact, absolute endpoint written in full would pass
    if name not in ("relative endpoint under BASE", "variable endpoint"):
        assert refusal(analysis, frozenset({f"{listener.url}/x"})) is None
    else:
        assert refusal(analysis, frozenset({f"{listener.url}/x"})) is not None


def test_the_engine_runs_the_text_the_guard_read():
    text = 'SELECT * { BIND(<http://a/\\u0041#> AS ?x) BIND("\\u0022" AS ?y) } # SERVICE <http://h/> {}'
    engine = analyse(text).text
    assert "\\u" not in engine and "#>" in engine and "SERVICE" not in engine
    assert engine.index("BIND(", 20) == text.index("BIND(", 20) - 5  # only the escapes were rewritten
    for bad in ("<http://a/\\u003E>", "<http://a/\\u0020>", "<http://a/\\uD800>", '"\\uDFFF"'):
        with pytest.raises(QueryRefused):
            analyse(f"SELECT * {{ BIND({bad} AS ?x) }}")


def test_error_positions_point_into_the_users_text(client):
    text = "SELECT * {\n  BIND(<http://a/\\u0041\\u0042\\u0043> AS ?x) oops }"
    r = client.get("/sparql", query_string={"query": text})
    assert r.status_code == 400
    message = r.get_data(as_text=True)
    engine = client.get("/sparql", query_string={"query": text.replace("\\u0041\\u0042\\u0043", "ABC")})
    line, column = engine.get_data(as_text=True).split("error at ", 1)[1].split(":")[:2]
    assert f"error at {line}:{int(column) + 15}:" in message  # three 6-character escapes, 1 character each


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("outbound"), "--build", str(build_dir), "--workers", "2") as live:
        yield live


def test_no_trick_gets_a_request_out_of_the_server(server, listener):
    listener.probe()
    for name in TRICKS:
        for method in ("GET", "POST"):
            status, body = fetch(server, trick(name, listener.url), method)
            assert status == 400, (name, body)
    assert listener.hits == []


def test_no_trick_gets_a_request_out_of_ptce_query(runner, build_dir, listener):
    listener.probe()
    for name in TRICKS:
        result = runner.invoke(main, ["query", trick(name, listener.url), "--build", str(build_dir)])
        assert result.exit_code == 2 and "Refused query" in result.output, (name, result.output)
    assert listener.hits == []


@pytest.fixture(scope="module")
def query_processes(build_dir):
    pool = ProcessRunner(build_dir, size=1)
    yield pool
    pool.close()


@pytest.mark.parametrize("name", TRICKS)
def test_query_processes_cannot_connect_even_without_the_guard(query_processes, listener, name):
    """The guard bypassed on purpose: the raw text goes straight to a query process, whose engine tries to
    connect and is refused by the sandbox."""
    listener.probe()
    text = trick(name, listener.url)
    try:
        query_processes.run(QueryJob(text), 30)
    except RemoteFailed as exc:
        assert "Permission denied" in str(exc)  # the engine tried, and the sandbox refused the socket
    except QueryRejected as exc:  # the engine does not call an endpoint bound by the query itself
        assert name == "variable endpoint" and "unbound" in str(exc)
    else:  # SILENT, or a FILTER (an error there is false), hides the sandbox's refusal
        assert "SILENT" in text or name == "in FILTER EXISTS"
    assert listener.hits == []


def test_the_sandbox_holds_for_the_whole_process_and_its_children(listener):
    listener.probe()
    port = listener.url.rsplit(":", 1)[1]
    script = (
        "import socket, subprocess, sys\n"
        "import pyoxigraph as ox\n"
        "from ptce.query.sandbox import deny_network, network_denied\n"
        "deny_network()\n"
        "assert network_denied()\n"
        f"try:\n    list(ox.Store().query('SELECT * {{ SERVICE <{listener.url}/x> {{ ?s ?p ?o }} }}'))\n"
        "except OSError as exc:\n    print('engine:', exc)\n"
        f"connect = 'import socket; socket.create_connection((\"127.0.0.1\", {port}))'\n"
        "r = subprocess.run([sys.executable, '-c', connect])\n"
        "print('child exit', r.returncode)\n"
        "a, b = socket.socketpair(); a.sendall(b'x'); print('unix sockets', b.recv(1))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "engine: Permission denied" in done.stdout
    assert "child exit 1" in done.stdout and "unix sockets b'x'" in done.stdout
    assert listener.hits == []


def test_federation_reaches_exactly_the_listed_endpoint(build_dir, listener):
    """With an allow-list, SERVICE to the listed endpoint is made; escapes cannot turn it into another one."""
    from ptce.web import create_app

    listener.probe()
    listed = f"{listener.url}/sparql"
    app = create_app({"BUILD_DIR": str(build_dir), "FEDERATION_ALLOWLIST": (listed,), "QUERY_TIMEOUT": 20})
    client = app.test_client()
    others = [
        f"SELECT * {{ SERVICE <{listed}\\u0023> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE <{listed}/../other> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ BIND(<http://a/\\u0041#> AS ?x) SERVICE <{listener.url}/other> {{ ?s ?p ?o }} \n}}",
    ]
    for text in others:
        assert client.get("/sparql", query_string={"query": text}).status_code == 400, text
    assert listener.hits == []
    r = client.get("/sparql", query_string={"query": f"SELECT * {{ SERVICE <{escaped(listed)}> {{ ?s ?p ?o }} }}"})
    assert r.status_code == 502 and "remote SPARQL endpoint failed" in r.get_data(as_text=True)
    assert len(listener.hits) == 1 and listener.hits[0].startswith("POST /sparql")
    listener.hits.clear()
    # queries without SERVICE still run walled in, next to the federating processes
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    for runner in app.extensions.values():
        if isinstance(runner, ProcessRunner):
            runner.close()


def test_the_row_limit_holds_on_the_result_whatever_the_text(build_dir):
    from ptce.web import create_app

    client = create_app({"BUILD_DIR": str(build_dir), "ROW_LIMIT": 7}).test_client()
    cross = "SELECT * WHERE { BIND(<http://a/\\u0041#> AS ?x) ?a ?b ?c . ?d ?e ?f }\n LIMIT 100000"
    for fmt in ("json", "xml", "csv", "tsv"):
        r = client.get("/sparql", query_string={"query": cross, "format": fmt})
        assert r.status_code == 200 and r.headers["X-SPARQL-Results-Truncated"] == "true"
        body = r.get_data(as_text=True)
        if fmt == "json":
            assert len(json.loads(body)["results"]["bindings"]) == 7
        elif fmt == "xml":
            assert body.count("<result>") == 7 and body.endswith("</results></sparql>")
        elif fmt == "csv":  # a value may hold line breaks (a quoted passage of the source): read it as CSV
            assert len(list(csv.reader(io.StringIO(body)))) == 8  # header and 7 rows
        else:  # TSV writes line breaks as \n
            assert len(body.strip().splitlines()) == 8


def test_the_query_processes_cut_rows_when_no_limit_was_written(query_processes):
    text = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
    output = query_processes.run(QueryJob(text, row_limit=3), 30)
    assert output.truncated and len(json.loads(output.body)["results"]["bindings"]) == 3
