"""What outside tools read: the pages' schema.org JSON-LD offline, the network's GEXF and CSV, VoID's network graph."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import VOID

from ptce.rdf.namespaces import SD, Iris

SCHEMA = "https://schema.org/"
PAGES = ("/", "/page/ptce/anima-grand-calais", "/page/theme/circuits-courts", "/id/theme", "/page/departement/nord")


def page_jsonld(client, path: str) -> Graph:
    html = client.get(path, headers={"Accept": "text/html"}, follow_redirects=True).get_data(as_text=True)
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return Graph().parse(data=data, format="json-ld")  # offline: the context is inline


def test_page_jsonld_parses_offline_to_the_schema_terms_the_dumps_use(client, graph):
    used_in_dumps = {str(p) for p in graph.predicates() if str(p).startswith(SCHEMA)}
    assert used_in_dumps  # the dumps use https://schema.org/ (schema:areaServed, ...)
    for path in PAGES:
        terms = {str(t) for triple in page_jsonld(client, path) for t in triple if isinstance(t, URIRef)}
        schema_terms = {t for t in terms if "schema.org" in t}
        assert schema_terms and all(t.startswith(SCHEMA) for t in schema_terms), path


def test_page_jsonld_uses_properties_within_their_domains(client):
    keywords, based_on = URIRef(SCHEMA + "keywords"), URIRef(SCHEMA + "isBasedOn")
    theme = page_jsonld(client, "/page/theme/circuits-courts")  # a DefinedTerm: no keywords, no isBasedOn
    assert (None, keywords, None) not in theme and (None, based_on, None) not in theme
    ptce = page_jsonld(client, "/page/ptce/anima-grand-calais")  # an Organization: keywords yes, isBasedOn no
    assert (None, keywords, None) in ptce and (None, based_on, None) not in ptce


def test_network_csv_and_text_say_their_charset_once(client):
    for path in ("/network.csv", "/network.txt"):
        assert client.get(path).headers["Content-Type"].count("charset") == 1, path


def test_gexf_graphs_have_a_name(client):
    for project in ("ptce", "theme"):
        root = ET.fromstring(client.get(f"/network.gexf?project={project}").data)
        (graph,) = [e for e in root if e.tag.endswith("graph")]
        assert graph.get("name"), project


def test_void_describes_the_network_graph_and_its_dump(client, build_dir):
    void = Graph().parse(data=client.get("/.well-known/void").data, format="turtle")
    iris = Iris()
    (network,) = [s for s in void.objects(iris.dataset, VOID.subset) if (s, SD.name, iris.network_graph) in void]
    assert (network, RDF.type, VOID.Dataset) in void
    lines = [line for line in (build_dir / "network.nq").read_bytes().splitlines() if line.strip()]
    assert int(void.value(network, VOID.triples)) == len(lines) > 0
    dump = str(void.value(network, VOID.dataDump))
    answer = client.get(iris.path_of(dump))
    assert answer.status_code == 200 and answer.data.count(b"\n") == len(lines)
