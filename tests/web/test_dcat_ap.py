"""The catalog against SEMIC's DCAT-AP 3.0.1 SHACL shapes, loaded as they are.

What the shapes still report needs facts only the publisher can give (who publishes the dataset, whom to contact,
the period it covers, how long its files stay available): the dataset's metadata does not state them yet, and ptce
does not make them up. Everything else conforms.
"""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Literal
from rdflib.namespace import DCAT, DCTERMS, SH

from ptce.rdf.namespaces import Iris

from ..checkout import STANDARDS

DCAT_AP = STANDARDS / "dcat-ap-3.0.1"
AWAITING_THE_PUBLISHER = {
    str(DCTERMS.publisher),
    "http://www.w3.org/ns/dcat#contactPoint",
    str(DCTERMS.temporal),
    "http://data.europa.eu/r5r/availability",
}


def results(catalog: Graph, shapes: str) -> list[tuple[str, str]]:
    if not (DCAT_AP / shapes).is_file():
        pytest.skip(f"the DCAT-AP shapes are not there ({DCAT_AP})")
    _, report, _ = pyshacl.validate(catalog, shacl_graph=Graph().parse(DCAT_AP / shapes), allow_warnings=True)
    return sorted(
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
        for r in report.subjects(SH.resultSeverity, None)
    )


@pytest.fixture(scope="module")
def catalog(build_dir) -> Graph:
    return Graph().parse(build_dir / "catalog.ttl")


@pytest.mark.parametrize("shapes", ["shapes.ttl", "shapes_recommended.ttl"])
def test_the_catalog_conforms_but_for_what_the_publisher_must_state(catalog, shapes):
    found = results(catalog, shapes)
    assert [(focus, path) for focus, path in found if path not in AWAITING_THE_PUBLISHER] == []


def test_the_shapes_do_find_what_they_look_for(catalog):
    """A distribution whose format is a literal again (as it was) is reported: the check above can fail."""
    broken = Graph() + catalog
    dist = next(iter(broken.subjects(DCTERMS["format"], None)))
    broken.set((dist, DCTERMS["format"], Literal("ttl")))
    assert any(path == str(DCTERMS["format"]) for _, path in results(broken, "shapes.ttl"))


def test_a_harvester_that_sends_no_accept_and_follows_no_redirect_gets_the_catalog(client, build_dir):
    """What data.gouv.fr's DCAT harvester does (udata): no Accept header, redirects refused."""
    answer = client.get("/catalog", headers={})  # the test client sends no Accept unless told
    assert answer.status_code == 200 and answer.mimetype == "text/turtle"
    catalog = Graph().parse(data=answer.get_data(as_text=True), format="turtle")
    dataset, service = Iris().dataset, Iris().document("sparql")
    assert catalog.value(dataset, DCTERMS.title) is not None
    assert catalog.value(service, DCTERMS.identifier) is not None  # a service without one is skipped
    spatial = catalog.value(dataset, DCTERMS.spatial)
    assert str(catalog.value(spatial, DCAT.bbox)).startswith("POLYGON((")  # mapped only with a geometry
    assert str(catalog.value(spatial, DCAT.centroid)).startswith("POINT(")
    assert catalog.value(dataset, DCTERMS.accrualPeriodicity) is not None
    assert {str(k) for k in catalog.objects(dataset, DCAT.keyword)} >= {"PTCE", "ESS", "Alimentation"}  # + themes
    browser = client.get("/catalog", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 200 and browser.mimetype == "text/html"
