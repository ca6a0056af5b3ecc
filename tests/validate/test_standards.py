"""The model against outside tools: OWL-RL over the W3C vocabularies' own axioms, and pySHACL's command line.

The vocabularies' files (ORG, PROV-O) are the W3C's, as published at their namespaces (`checkout.STANDARDS`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import ORG

from ptce.build.pipeline import publish_build
from ptce.rdf.namespaces import VOCAB, Iris

from ..checkout import ROOT, STANDARDS

VOCABULARIES = STANDARDS / "vocab"
PYSHACL = shutil.which("pyshacl") or str(Path(sys.executable).with_name("pyshacl"))
owlrl = pytest.importorskip("owlrl")


def closure(*graphs: Graph) -> Graph:
    g = Graph()
    for part in graphs:
        g += part
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    return g


def contradictions(g: Graph, base: str) -> dict[str, list]:
    """What OWL-RL concludes that a faithful graph must not: identities, disjoint classes, formal PTCEs."""
    ours = [s for s in set(g.subjects()) if isinstance(s, URIRef) and str(s).startswith(base)]
    same = sorted((s, o) for s in ours for o in g.objects(s, OWL.sameAs) if o != s and str(o).startswith(base))
    disjoint = []
    for a, b in g.subject_objects(OWL.disjointWith):
        disjoint += [(x, a, b) for x in ours if (x, RDF.type, a) in g and (x, RDF.type, b) in g]
    formal = [p for p in g.subjects(RDF.type, VOCAB.PTCE) if (p, RDF.type, ORG.FormalOrganization) in g]
    return {"sameAs": same, "disjoint": sorted(disjoint), "formal PTCEs": formal}


@pytest.fixture(scope="module")
def w3c() -> Graph:
    if not VOCABULARIES.is_dir():
        pytest.skip(f"the W3C vocabularies are not beside the checkout ({VOCABULARIES})")
    g = Graph()
    for name in ("org.ttl", "prov-o.ttl"):
        g.parse(VOCABULARIES / name)
    return g


def test_owl_rl_over_org_and_prov_finds_no_contradiction(build_dir, w3c):
    data = Graph().parse(build_dir / "ptce.nt")
    found = contradictions(closure(data, w3c), Iris().base)
    assert found == {"sameAs": [], "disjoint": [], "formal PTCEs": []}


def test_the_reasoning_check_finds_the_contradictions_it_looks_for(w3c):
    """The old modelling, in small: a PTCE 'having' two memberships, a working group as a unit, a recognition
    that is an activity derived from a document; OWL-RL must conclude each of the three."""
    base = Iris().base
    ptce, a, b = (URIRef(f"{base}id/{path}") for path in ("ptce/p", "organisation/a", "organisation/b"))
    m1, m2, unit, event = (URIRef(f"{base}id/{path}") for path in ("role/1", "role/2", "groupe/g", "evenement/e"))
    g = Graph()
    g.add((ptce, RDF.type, VOCAB.PTCE))
    for m, member in ((m1, a), (m2, b)):
        g.add((ptce, ORG.hasMembership, m))
        g.add((m, ORG.member, member))
    g.add((ptce, ORG.hasUnit, unit))
    g.add((event, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")))
    g.add((event, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), URIRef(f"{base}id/source/s")))
    found = contradictions(closure(g, w3c), base)
    assert (a, b) in found["sameAs"] and ptce in found["formal PTCEs"] and found["disjoint"]


def pyshacl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYSHACL, *args], cwd=ROOT, capture_output=True, text=True)


def test_pyshacl_on_the_repository_files_as_they_are(build_dir):
    result = pyshacl("-s", "shapes/ptce-shapes.ttl", "-e", "ontology/ptce.ttl", str(build_dir / "ptce.nt"))
    assert result.returncode == 0 and "Conforms: True" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("shapes", sorted(p.name for p in (ROOT / "shapes").glob("*.ttl")))
def test_each_shapes_file_stands_alone(build_dir, shapes):
    result = pyshacl("-s", f"shapes/{shapes}", "-e", "ontology/ptce.ttl", str(build_dir / "ptce.nt"))
    assert result.returncode == 0 and "Conforms: True" in result.stdout, result.stdout + result.stderr


def test_pyshacl_on_the_files_reports_a_broken_graph(build_dir, tmp_path):
    """The same command catches a violation (a PTCE without its name): the shapes do check something."""
    broken = tmp_path / "broken.nt"
    name = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    cohose = "<https://w3id.org/ptce/id/ptce/cohose>"
    lines = (build_dir / "ptce.nt").read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join(line for line in lines if not line.startswith(f"{cohose} {name}")) + "\n")
    result = pyshacl("-s", "shapes/ptce-shapes.ttl", "-e", "ontology/ptce.ttl", str(broken))
    assert result.returncode == 1 and "Conforms: False" in result.stdout and "cohose" in result.stdout


def test_another_base_iri_moves_the_instances_not_the_vocabulary(tmp_path):
    out = tmp_path / "dist"
    publish_build(out, iris=Iris("https://example.org/ptce/"))
    g = Graph().parse(out / "ptce.nt")
    ptces = set(g.subjects(RDF.type, URIRef("https://w3id.org/ptce/ontology#PTCE")))
    assert len(ptces) == 15 and all(str(p).startswith("https://example.org/ptce/id/ptce/") for p in ptces)
    assert not any(str(t).startswith("https://w3id.org/ptce/id/") for triple in g for t in triple)
