"""Virtuoso federating into ptce: a `SERVICE` clause on Virtuoso's endpoint that calls a running `ptce serve`.

Virtuoso first probes the remote endpoint with queries of its own (relative IRIs among them) to learn what it
supports; then it sends the pattern inside `SERVICE`. With an aggregate, a `GRAPH` and a `BIND` inside, the rows
come back only if ptce answered those probes as SPARQL 1.1 says.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from .. import virtuoso
from ..live_server import live_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def ptce(build_dir, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("ptce"), "--build", str(build_dir), "--workers", "2") as live:
        yield live


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with virtuoso.running(tmp_path_factory.mktemp("virtuoso")) as running:
        yield running


def on_virtuoso(engine, query: str) -> list[dict]:
    """Rows of `query` run by Virtuoso as its dba (the account allowed to call SERVICE)."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    user, password = engine.auth.split(":", 1)
    passwords.add_password(None, engine.update_url, user, password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    request = urllib.request.Request(
        engine.update_url,
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with opener.open(request, timeout=300) as response:
        data = json.loads(response.read())
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


PREFIXES = """PREFIX ptce: <https://w3id.org/ptce/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def test_an_aggregate_inside_service(engine, ptce):
    query = (
        PREFIXES
        + f"""SELECT ?code ?n WHERE {{
      SERVICE <{ptce.url}/sparql> {{
        SELECT ?code (COUNT(?p) AS ?n) WHERE {{
          ?p a ptce:PTCE ; ptce:department ?d . ?d <http://rdf.insee.fr/def/geo#codeINSEE> ?code
        }} GROUP BY ?code
      }}
    }} ORDER BY ?code"""
    )
    rows = on_virtuoso(engine, query)
    assert sum(int(r["n"]) for r in rows) == 15 and {r["code"] for r in rows} <= {"02", "59", "60", "62", "80"}


def test_a_graph_and_a_bind_inside_service(engine, ptce):
    query = f"""SELECT ?link ?label WHERE {{
      SERVICE <{ptce.url}/sparql> {{
        GRAPH <https://w3id.org/ptce/graph/network> {{ ?link a <https://w3id.org/ptce/ontology#ThemeLink> }}
        BIND(STR(?link) AS ?label)
      }}
    }} LIMIT 5"""
    rows = on_virtuoso(engine, query)
    assert len(rows) == 5 and all(r["label"] == r["link"] for r in rows)
