"""/network, /network.json and the /network.<fmt> downloads, through Flask's test client."""

from __future__ import annotations

import io
import json
import re
import shutil
from html.parser import HTMLParser

import networkx as nx
import pytest
from rdflib.namespace import RDF

from ptce.build_folder import NETWORK_SHAPE, BuildInfo
from ptce.network import cotheme as network_module
from ptce.rdf.formats import NETWORK_FORMATS
from ptce.web import create_app
from ptce.web import network as web_network

from ..conftest import IRIS


class Page(HTMLParser):
    """Collects what the tests look at: scripts, links, table rows, select options."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.rows, self.options, self.inline_script = [], [], [], {}, False
        self.graph = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("src"))
            # a JSON block (the script's words) is data, never run
            self.inline_script = self.inline_script or not (a.get("src") or a.get("type") == "application/json")
        elif tag == "a":
            self.links.append(a)
        elif tag == "tr" and "data-node" in a:
            self.rows.append(a)
        elif tag == "select":
            self._select = a.get("id") or a.get("name")
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))
        elif a.get("id") == "network-graph":
            self.graph = a
        if "style" in a or any(k.startswith("on") for k in a):
            raise AssertionError(f"inline style or handler on <{tag}>: CSP would block it")


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_page_lists_the_15_ptces_with_filters_and_downloads(client, graph):
    response = client.get("/network")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = parse(response.get_data(as_text=True))
    assert len(page.rows) == 15
    assert {r["data-node"] for r in page.rows} == {str(p) for p in graph.subjects(RDF.type, IRIS.vocab.PTCE)}
    assert not page.inline_script
    code = [s.rsplit("/", 1)[-1] for s in page.scripts if s]  # and a JSON block: the script's words
    assert code == ["graphology.umd.min.js", "sigma.min.js", "messages.js", "network.js"]
    assert page.graph["data-src"] == "/network.json" and page.graph["data-base"] == IRIS.base
    themes = {o for p in page.rows for o in p["data-themes"].split()}
    assert set(page.options["filter-theme"]) == {""} | themes
    assert len(page.options["filter-department"]) == 1 + 4  # "tous" + the four departments that have a PTCE
    downloads = [a["href"] for a in page.links if "download" in a]
    for fmt in NETWORK_FORMATS:
        assert f"/network.{fmt.suffix}" in downloads
        assert f"/network.{fmt.suffix}?project=theme" in downloads


def test_page_links_each_ptce_to_its_page_and_escapes_labels(client):
    html = client.get("/network").get_data(as_text=True)
    assert '<a href="/id/ptce/cohose">CoHose</a>' in html
    assert "Amiens Métropole &#34;Une Ville Idéale&#34;" in html
    assert 'Amiens Métropole "Une' not in html


def test_every_download_link_serves_its_format(client):
    page = parse(client.get("/network?weight=newman&min_weight=0.4").get_data(as_text=True))
    links = [a["href"] for a in page.links if "download" in a]
    assert len(links) == 2 * len(NETWORK_FORMATS)
    types = {f.suffix: f.media_type.split(";")[0] for f in NETWORK_FORMATS}
    for href in links:
        assert "weight=newman" in href and "min_weight=0.4" in href
        response = client.get(href)
        suffix = re.match(r"/network\.(\w+)", href).group(1)
        assert response.status_code == 200, href
        assert response.mimetype == types[suffix], href
        assert len(response.data) > 500


def test_network_json_is_the_same_graph_as_the_linked_data(client, app):
    data = client.get("/network.json").get_json()
    g = nx.node_link_graph(data, edges="links")
    assert g.number_of_nodes() == 15
    store = app.extensions["ptce"].build.store
    rows = store.select(
        f"SELECT ?a ?b ?n WHERE {{ GRAPH <{IRIS.network_graph}> {{ ?l ptce:linkedPTCE ?a , ?b ; "
        "ptce:sharedThemeCount ?n FILTER(STR(?a) < STR(?b)) } }"
    )
    assert {(r["a"], r["b"], r["n"]) for r in rows} == {
        (*sorted((u, v)), d["shared"]) for u, v, d in g.edges(data=True)
    }
    assert all(isinstance(d["x"], float) and isinstance(d["y"], float) for _, d in g.nodes(data=True))
    meta = data["graph"]["metadata"]
    assert meta["build_version"] == app.extensions["ptce"].build.info.version
    assert meta["parameters"]["project"] == "ptce"


def test_parameters_change_the_network(client):
    everything = client.get("/network.json").get_json()
    strong = client.get("/network.json?weight=jaccard&min_weight=0.3").get_json()
    assert 0 < len(strong["links"]) < len(everything["links"])
    assert all(link["jaccard"] >= 0.3 for link in strong["links"])
    themes = client.get("/network.json?project=theme&broader=1").get_json()
    assert {n["kind"] for n in themes["nodes"]} == {"theme"} and len(themes["nodes"]) < 15
    assert themes["graph"]["metadata"]["parameters"]["broader"] is True


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("weight=cosine", "weight must be one of shared, jaccard, newman"),
        ("min_weight=lots", "min_weight must be a number"),
        ("min_weight=-1", "min_weight must be a number >= 0"),
        ("min_weight=inf", "min_weight must be a number >= 0"),
        ("project=organisation", "project must be one of"),
        ("seed=99999999999", "seed must be an integer"),
        ("resolution=0", "resolution must be a number > 0"),
        ("top_k=0", "top_k must be a positive integer"),
        ("top_k=many", "top_k must be a number"),
    ],
)
@pytest.mark.parametrize("path", ["/network", "/network.json", "/network.gexf"])
def test_bad_parameters_are_a_400_with_a_message(client, path, query, words):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_page_shows_the_ptce_network_only(client):
    response = client.get("/network?project=theme")
    assert response.status_code == 400 and "theme network is in the downloads" in response.get_data(as_text=True)


def test_unknown_export_is_a_404_naming_the_formats(client):
    response = client.get("/network.xlsx")
    assert response.status_code == 404 and ".gexf" in response.get_data(as_text=True)


def test_downloads_are_named_and_carry_the_build_version(client, build_dir):
    response = client.get("/network.graphml?weight=jaccard")
    assert response.headers["Content-Disposition"] == 'attachment; filename="ptce-network-ptce-jaccard.graphml"'
    back = nx.read_graphml(io.BytesIO(response.data))
    assert back.graph["build_version"] == BuildInfo.read(build_dir).version
    assert json.loads(back.graph["parameters"])["weight"] == "jaccard"


def test_networks_are_computed_once_per_build_and_parameters(build_dir, monkeypatch):
    calls = []
    original = web_network.build_network

    def counting(store, params, **kwargs):
        calls.append(params)
        return original(store, params, **kwargs)

    monkeypatch.setattr(web_network, "build_network", counting)
    client = create_app({"BUILD_DIR": str(build_dir), "TESTING": True}).test_client()
    first = client.get("/network.json?weight=newman").get_json()
    client.get("/network.csv?weight=newman")
    assert client.get("/network.json?weight=newman").get_json() == first
    assert len(calls) == 1
    client.get("/network.json?weight=jaccard")
    assert [p.weight for p in calls] == ["newman", "jaccard"]


def test_top_k_keeps_each_ptces_strongest_links_and_large_networks_say_so(build_dir, monkeypatch):
    client = create_app({"BUILD_DIR": str(build_dir), "TESTING": True}).test_client()
    everything = client.get("/network.json").get_json()
    strongest = client.get("/network.json?top_k=2").get_json()
    assert strongest["graph"]["metadata"]["parameters"]["top_k"] == 2
    assert 0 < len(strongest["links"]) < len(everything["links"])
    page = client.get("/network?top_k=2").get_data(as_text=True)
    assert 'name="top_k" type="number" min="1" step="1"\n    value="2"' in page
    page = client.get("/network").get_data(as_text=True)
    assert "liens les plus" not in page and 'value="" placeholder="tous"' in page
    monkeypatch.setattr(network_module, "LARGE_NETWORK", 10)
    client = create_app({"BUILD_DIR": str(build_dir), "TESTING": True}).test_client()
    page = client.get("/network").get_data(as_text=True)
    assert "15 PTCE : chaque PTCE garde ses 10 liens les plus forts" in page
    assert 'value="" placeholder="10"' in page, "the field shows the limit in force"
    assert client.get("/network.json").get_json()["graph"]["metadata"]["parameters"]["top_k"] == 10


def test_the_default_network_is_served_from_the_shape_its_build_kept(build_dir, tmp_path):
    build = tmp_path / "dist"
    shutil.copytree(build_dir, build, symlinks=True)
    kept = json.loads((build / NETWORK_SHAPE).read_text())
    node = sorted(kept["shape"]["positions"])[0]
    kept["shape"]["positions"][node] = [0.12345, -0.54321]  # a position the layout never gave: seen if served
    (build / NETWORK_SHAPE).write_text(json.dumps(kept))
    client = create_app({"BUILD_DIR": str(build), "TESTING": True}).test_client()
    for lang in ("fr", "en"):
        nodes = {n["id"]: n for n in client.get(f"/network.json?lang={lang}").get_json()["nodes"]}
        assert (nodes[node]["x"], nodes[node]["y"]) == (0.12345, -0.54321)
    other = {n["id"]: n for n in client.get("/network.json?seed=7").get_json()["nodes"]}
    assert (other[node]["x"], other[node]["y"]) != (0.12345, -0.54321)  # another network: its own layout

    (build / NETWORK_SHAPE).write_text("{ not JSON")  # an unreadable shape: the analysis is computed
    client = create_app({"BUILD_DIR": str(build), "TESTING": True}).test_client()
    computed = client.get("/network.json").get_json()
    assert computed == create_app({"BUILD_DIR": str(build_dir), "TESTING": True}).test_client().get(
        "/network.json"
    ).get_json() | {"graph": computed["graph"]}
    assert client.get("/network").status_code == 200
