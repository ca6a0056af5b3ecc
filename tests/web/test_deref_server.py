"""A real server, and an RDF client no one here wrote: rdflib dereferences every IRI of the dataset."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF, VOID

from ..conftest import IRIS
from ..live_server import running_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(build_dir):
    with running_server(build_dir) as root:
        yield root


def dataset_iris(graph: Graph) -> set[URIRef]:
    """Every IRI under the base that the published graph mentions, as subject or object."""
    nodes = set(graph.subjects()) | set(graph.objects())
    return {n for n in nodes if isinstance(n, URIRef) and str(n).startswith(IRIS.base)}


def test_rdflib_dereferences_every_iri_of_the_dataset(server, graph):
    iris = dataset_iris(graph)
    assert len(iris) > 120
    for iri in sorted(iris):
        got = Graph().parse(server + IRIS.path_of(str(iri)))
        if (iri, None, None) in graph:
            assert set(graph.predicate_objects(iri)) <= set(got.predicate_objects(iri)), iri
        else:  # only ever an object, such as the ontology's version IRI
            assert (None, None, iri) in got, iri


def test_rdflib_reads_void_dcat_and_the_dumps(server, graph):
    void = Graph().parse(server + "/.well-known/void")
    assert int(void.value(IRIS.dataset, VOID.triples)) == len(graph)
    for dump in void.objects(IRIS.dataset, VOID.dataDump):
        assert set(Graph().parse(server + IRIS.path_of(str(dump)))) == set(graph)
    catalog = Graph().parse(server + "/catalog")
    assert (IRIS.dataset, RDF.type, DCAT.Dataset) in catalog
    described = Graph().parse(server + "/id/dataset")
    assert (IRIS.document("catalog"), DCAT.dataset, IRIS.dataset) in described
