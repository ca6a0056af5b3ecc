"""The catalog against SEMIC's DCAT-AP 3.0.1 SHACL shapes, loaded as they are.

What the shapes still report on the bundled data needs facts only the publisher can give (who publishes the
dataset, whom to contact, the period it covers, how long its files stay available): the bundled metadata does not
state them yet, and ptce does not make them up. A copy of the data with those facts filled in (the test's own,
made-up values) meets every rule; `ptce build --dcat-ap` checks a build's catalog against the same shapes.
"""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SH

from ptce.build.pipeline import publish_build
from ptce.cli import main
from ptce.rdf.namespaces import VCARD, Iris
from ptce.sources.loader import SourceError, load_sources

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


AVAILABILITY = URIRef("http://data.europa.eu/r5r/availability")
PUBLISHER_FACTS = """
publisher:
  name: Exemple de publieur
  type: NonProfitOrganisation
  homepage: https://publisher.example.org/
contact:
  name: Équipe des données
  email: donnees@publisher.example.org
temporal: {start: 2024-01-01, end: 2026-06-30}
availability: stable
"""


@pytest.fixture(scope="module")
def stated_build(tmp_path_factory):
    """A build of the bundled data whose dataset.yaml states the publisher's facts (made-up values, for the test)."""
    import shutil

    from ptce.assets import DATA_DIR

    data = tmp_path_factory.mktemp("stated") / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / "dataset.yaml").open("a", encoding="utf-8") as f:
        f.write(PUBLISHER_FACTS)
    out = data.parent / "dist"
    publish_build(out, data)
    return data, out


@pytest.mark.parametrize("shapes", ["shapes.ttl", "shapes_recommended.ttl"])
def test_with_the_publishers_facts_the_catalog_meets_every_rule(stated_build, shapes):
    catalog = Graph().parse(stated_build[1] / "catalog.ttl")
    assert results(catalog, shapes) == []


def test_the_publishers_facts_are_where_harvesters_read_them(stated_build, client):
    catalog = Graph().parse(stated_build[1] / "catalog.ttl")
    ds, service = Iris().dataset, Iris().document("sparql")
    publisher = catalog.value(ds, DCTERMS.publisher)
    assert str(catalog.value(publisher, FOAF.name)) == "Exemple de publieur"
    assert str(catalog.value(publisher, DCTERMS.type)) == "http://purl.org/adms/publishertype/NonProfitOrganisation"
    assert catalog.value(Iris().document("catalog"), DCTERMS.publisher) == publisher
    contact = catalog.value(ds, DCAT.contactPoint)
    assert str(catalog.value(contact, VCARD.hasEmail)) == "mailto:donnees@publisher.example.org"
    assert catalog.value(service, DCAT.contactPoint) == contact
    period = catalog.value(ds, DCTERMS.temporal)
    assert (str(catalog.value(period, DCAT.startDate)), str(catalog.value(period, DCAT.endDate))) == (
        "2024-01-01", "2026-06-30")  # fmt: skip
    dists = set(catalog.objects(ds, DCAT.distribution))
    stable = "http://publications.europa.eu/resource/authority/planned-availability/STABLE"
    assert dists and {str(catalog.value(d, AVAILABILITY)) for d in dists} == {stable}
    from ptce.web import create_app

    page = (
        create_app({"BUILD_DIR": str(stated_build[1])}).test_client().get("/catalog", headers={"Accept": "text/html"})
    )
    assert '<dt>Publié par</dt><dd><a href="https://publisher.example.org/" rel="external">Exemple de publieur</a>' in (
        page.get_data(as_text=True))  # fmt: skip
    # and none of it in the bundled build, which states none of it
    assert client.get("/catalog.ttl").get_data(as_text=True).count("publisher") == 0


@pytest.fixture
def shapes_dir():
    if not (DCAT_AP / "shapes.ttl").is_file():
        pytest.skip(f"the DCAT-AP shapes are not there ({DCAT_AP})")
    return DCAT_AP


def test_the_build_checks_its_catalog_and_refuses_a_violation(runner, tmp_path, shapes_dir, data_copy):
    out = tmp_path / "dist"
    refused = runner.invoke(main, ["build", "--data", str(data_copy), "--out", str(out), "--dcat-ap", str(shapes_dir)])
    assert refused.exit_code == 1 and not out.exists()
    assert "does not meet DCAT-AP" in refused.output and "http://purl.org/dc/terms/publisher" in refused.output
    with (data_copy / "dataset.yaml").open("a", encoding="utf-8") as f:
        f.write(PUBLISHER_FACTS)
    built = runner.invoke(
        main, ["build", "--data", str(data_copy), "--out", str(out)], env={"PTCE_DCAT_AP": str(shapes_dir)}
    )
    assert built.exit_code == 0, built.output
    assert "DCAT-AP: no violation, 0 recommendation(s) not met" in built.output
    assert "meets every rule" in (out / "dcat-ap-report.txt").read_text(encoding="utf-8")


def test_a_folder_without_the_shapes_is_said_at_once(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "dist"), "--dcat-ap", str(tmp_path)])
    assert result.exit_code == 1 and "has no shapes.ttl" in result.output


@pytest.mark.parametrize(
    ("facts", "field", "words"),
    [
        ("publisher: {name: X, type: Association}", "publisher.type", "not an ADMS publisher type"),
        ("publisher: {name: X, type: Company, homepage: 'javascript:x'}", "publisher.homepage", "not an http(s)"),
        ("contact: {name: X, email: 'pas une adresse'}", "contact.email", "not an e-mail address"),
        ("contact: {name: X}", "contact", "give an e-mail address"),
        ("temporal: {start: 2026-01-01, end: 2025-01-01}", "temporal.end", "before it starts"),
        ("availability: forever", "availability", "one of available"),
        ("publisher: {name: X}", "publisher.type", "missing required field"),
    ],
)
def test_a_wrong_publisher_fact_names_its_file_line_and_field(data_copy, facts, field, words):
    with (data_copy / "dataset.yaml").open("a", encoding="utf-8") as f:
        f.write("\n" + facts + "\n")
    line = len((data_copy / "dataset.yaml").read_text(encoding="utf-8").splitlines())
    with pytest.raises(SourceError) as info:
        load_sources(data_copy)
    found = [str(p) for p in info.value.problems]
    assert any(f"dataset.yaml:{line}: {field}: " in p and words in p for p in found), found
