"""`ptce synth`: a deterministic synthetic national directory that the real pipeline builds and validates."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest

from ptce.cli import main
from ptce.sources.loader import load_sources
from ptce.store.engine import open_build
from ptce.synth import DEPARTMENT_CODES, generate


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files(tmp_path):
    generate(tmp_path / "a", orgs=300, seed=7)
    generate(tmp_path / "b", orgs=300, seed=7)
    generate(tmp_path / "c", orgs=300, seed=8)
    a, b, c = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(tmp_path / "c")
    assert a == b
    assert a != c
    assert len(a) > 10


def test_generated_folder_is_valid_source_data(synth_dir):
    sources = load_sources(synth_dir)
    assert "synthétique" in sources.dataset.title["fr"] and "Synthetic" in sources.dataset.title["en"]
    assert sorted(d.insee for d in sources.departements) == sorted(DEPARTMENT_CODES)
    assert len(sources.departements) == 101
    assert len(sources.organisations) == 200
    assert len(sources.ptces) == 8
    members = {r.organisation for p in sources.ptces for r in p.roles}
    assert members == {o.slug for o in sources.organisations}
    assert all(p.roles[0].role == "porteur" for p in sources.ptces)


def test_synthetic_build_conforms_and_links_every_organisation(synth_build):
    store = open_build(synth_build)
    assert store.select("SELECT (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE }")[0]["n"] == 8
    assert store.select("SELECT (COUNT(?d) AS ?n) WHERE { ?d a igeo:Departement }")[0]["n"] == 101
    assert not store.ask(
        "ASK { ?o a org:Organization FILTER NOT EXISTS { ?o a ptce:PTCE } FILTER NOT EXISTS { ?m org:member ?o } }"
    )
    carriers = store.select(
        "SELECT ?p (COUNT(?o) AS ?n) WHERE { ?p a ptce:PTCE OPTIONAL { ?p ptce:carriedBy ?o } } GROUP BY ?p"
    )
    assert [row["n"] for row in carriers] == [1] * 8
    assert (synth_build / "validation-report.txt").read_text().startswith("Conforms")


def test_theme_popularity_is_skewed(tmp_path):
    generate(tmp_path / "d", orgs=3000, seed=2)
    counts = Counter(t for p in load_sources(tmp_path / "d").ptces for t in p.themes)
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[0] >= 4 * statistics.median(ranked)


def test_cli_writes_and_refuses_to_overwrite_other_data(runner, tmp_path, data_copy):
    out = tmp_path / "synth"
    result = runner.invoke(main, ["synth", "--orgs", "50", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "50 organisations" in result.output and "2 ptces" in result.output
    assert runner.invoke(main, ["synth", "--orgs", "60", "--out", str(out)]).exit_code == 0  # replaces its own
    before = tree(data_copy)
    result = runner.invoke(main, ["synth", "--orgs", "50", "--out", str(data_copy)])
    assert result.exit_code == 1
    assert "is not a synthetic data folder" in result.output
    assert "Traceback" not in result.output
    assert tree(data_copy) == before


@pytest.mark.parametrize("orgs", ["0", "-5", "many"])
def test_cli_rejects_bad_sizes(runner, tmp_path, orgs):
    result = runner.invoke(main, ["synth", "--orgs", orgs, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "--orgs" in result.output
