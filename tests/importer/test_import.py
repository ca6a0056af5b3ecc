"""`ptce import`: a regional map in plain text becomes YAML sources that reproduce the curated data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ptce.assets import DATA_DIR
from ptce.cli import main
from ptce.importer.output import suggestion_quality
from ptce.importer.reader import DocumentError, parse_document, read_document
from ptce.sources.loader import load_sources

from ..checkout import ROOT as PROJECT_ROOT

DOCUMENT = DATA_DIR / "source" / "carte-regionale-ptce-hauts-de-france.txt"
TEST_DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def sources():
    return load_sources(DATA_DIR)


@pytest.fixture(scope="module")
def imported(sources):
    return read_document(DOCUMENT, sources)


def curated_fields(p):
    """What the importer must reproduce of a curated PTCE; the name as the source spells it."""
    return (p.source_name or p.name, p.departement, p.description, p.objectives, p.axes)


def test_import_reproduces_the_curated_ptces(sources, imported):
    curated = {curated_fields(p)[0]: curated_fields(p) for p in sources.ptces}
    got = {r.name: (r.name, r.departement, r.description, r.objectives, r.axes) for r in imported.ptces}
    assert len(imported.ptces) == len(sources.ptces) == 15
    assert got.keys() == curated.keys()
    for name, fields in curated.items():
        assert got[name] == fields, name
    assert [r.unplaced for r in imported.ptces] == [[]] * 15
    assert imported.title == "CARTE RÉGIONALE DES PÔLES TERRITORIAUX DE COOPÉRATION ÉCONOMIQUE"


def test_source_spelling_is_kept_and_slugs_follow_it(imported):
    names = {r.slug: r.name for r in imported.ptces}
    assert names["transition-plurielle-montreuillois-termois-7-vallees"] == (
        "Transition Plurielle Montreuillois Termois 7 Vallées"
    )
    assert names["amiens-metropole-une-ville-ideale"] == 'Amiens Métropole "Une Ville Idéale"'


def test_every_fact_points_at_its_lines(imported):
    lines = DOCUMENT.read_text(encoding="utf-8").splitlines()

    def at(span):
        first, _, last = str(span).partition("-")
        return lines[int(first) - 1 : int(last or first)]

    for r in imported.ptces:
        assert at(r.lines["name"]) == [r.name]
        assert re.search(r"\(\d+\)$", at(r.lines["departement"])[0])
        assert at(r.lines["description"])[0].replace("*", "") == r.description
        for key in ("objectives", "axes"):
            if getattr(r, key):
                items = [line.removeprefix("- ").replace("*", "").removesuffix(",") for line in at(r.lines[key])]
                assert items == getattr(r, key)
        for s in r.suggestions:
            assert s.phrase in lines[s.line - 1].replace("*", ""), (r.slug, s)


def test_import_writes_a_data_folder_that_validates_once_themes_are_chosen(runner, tmp_path, sources):
    out = tmp_path / "imported"
    result = runner.invoke(main, ["import", str(DOCUMENT), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Read 15 PTCE(s)" in result.output and f"ptce validate {out}" in result.output
    assert (out / "source" / DOCUMENT.name).read_bytes() == DOCUMENT.read_bytes()
    files = sorted((out / "ptce").glob("*.yaml"))
    assert len(files) == 15

    check = runner.invoke(main, ["validate", str(out)])
    assert check.exit_code == 1
    problems = [line for line in check.output.splitlines()[1:] if line.strip()]
    assert len(problems) == 15
    assert all(p.endswith("themes: a PTCE needs at least one theme") for p in problems), problems

    curated = {p.source_name or p.name: p for p in sources.ptces}
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert raw["themes"] == [] and raw["suggested_themes"]
        assert raw["provenance"]["document"] == f"source/{DOCUMENT.name}"
        chosen = curated[raw["name"]]  # what a person would choose, with the words that support each theme
        themes = "".join(
            f"\n  - theme: {t}\n    quote: {json.dumps(chosen.passages[f'theme:{t}'].exact, ensure_ascii=False)}"
            for t in chosen.themes
        )
        text = path.read_text(encoding="utf-8").replace("themes: []", f"themes:{themes}", 1)
        path.write_text(text, encoding="utf-8")
    check = runner.invoke(main, ["validate", str(out)])
    assert check.exit_code == 0, check.output
    assert "Conforms" in check.output
    reloaded = load_sources(out).ptces
    assert sorted(curated_fields(p) for p in reloaded) == sorted(curated_fields(p) for p in sources.ptces)


def test_import_never_overwrites_curated_files(runner, data_copy):
    before = {p.name: p.read_bytes() for p in (data_copy / "ptce").glob("*.yaml")}
    result = runner.invoke(main, ["import", str(DOCUMENT), "--out", str(data_copy), "--data", str(data_copy)])
    assert result.exit_code == 0, result.output
    assert "Wrote 0 file(s)" in result.output and "kept 23 existing file(s)" in result.output
    assert {p.name: p.read_bytes() for p in (data_copy / "ptce").glob("*.yaml")} == before


def test_import_refuses_a_different_document_of_the_same_name(runner, tmp_path):
    out = tmp_path / "out"
    (out / "source").mkdir(parents=True)
    (out / "source" / DOCUMENT.name).write_text("another text\n", encoding="utf-8")
    result = runner.invoke(main, ["import", str(DOCUMENT), "--out", str(out)])
    assert result.exit_code == 1
    assert "already exists and differs from the document" in result.output
    assert not (out / "ptce").exists()


def test_diff_shows_changes_new_and_missing_ptces_and_theme_suggestions(runner, data_copy, tmp_path):
    changed = tmp_path / DOCUMENT.name  # a new version of the document: the data quotes the old one
    changed.write_text(DOCUMENT.read_text(encoding="utf-8").replace("pour tous", "pour toutes et tous"), "utf-8")
    (data_copy / "ptce" / "valorizons.yaml").unlink()
    result = runner.invoke(main, ["import", str(changed), "--diff", "--data", str(data_copy), "--out", "unused"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "14 PTCE(s) in both, 1 only in the document, 0 only in the data" in out
    assert "~ cohose (data/ptce/cohose.yaml): differs:" in out
    assert (
        "    - data:     L'ambition du PTCE : permettre l'accès à une alimentation saine et de proximité pour tous,"
        in out
    )
    assert (
        "    + document: L'ambition du PTCE : permettre l'accès à une alimentation saine et de proximité pour toutes"
        in out
    )
    assert "+ valorizons (line 97): new in the document" in out
    assert "= anima-grand-calais (data/ptce/anima-grand-calais.yaml): same department" in out
    assert "name: same source spelling; the data corrects it to 'Transition Plurielle Montreuillois Ternois" in out
    assert "suggested, not curated: promotion-ess ('ESS', line 92), formation ('formation', line 92)" in out
    assert "curated, not suggested: circuits-courts, economie-locale" in out
    assert not Path("unused").exists()


def test_diff_reports_ptces_missing_from_the_document(runner, tmp_path, sources):
    text = DOCUMENT.read_text(encoding="utf-8")
    shorter = tmp_path / "carte.txt"
    shorter.write_text(text[: text.index("Valorizons")], encoding="utf-8")
    result = runner.invoke(main, ["import", str(shorter), "--diff"])
    assert result.exit_code == 0, result.output
    assert "- valorizons (data/ptce/valorizons.yaml): not in the document" in result.output


def test_parts_it_cannot_place_are_reported_not_guessed(runner, tmp_path):
    out = tmp_path / "out"
    document = TEST_DATA / "import-unplaced.txt"
    result = runner.invoke(main, ["import", str(document), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Could not place 2 part(s)" in result.output
    assert f"{document}:8-9 (pole-des-deux-caps): a list whose lead sentence names neither objectives" in result.output
    assert f"{document}:11 (pole-des-deux-caps): a paragraph after the first list" in result.output
    caps = (out / "ptce" / "pole-des-deux-caps.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(caps)
    assert raw["description"] == "Le PTCE réunit des acteurs locaux du littoral. Ses réalisations :"
    assert "objectives" not in raw and "axes" not in raw
    assert "#   Une ressourcerie pour le réemploi\n" in caps
    assert "# Not placed by the importer (document line 11): a paragraph after the first list:" in caps
    textile = yaml.safe_load((out / "ptce" / "pole-textile.yaml").read_text(encoding="utf-8"))
    assert textile["objectives"] == [
        "Relancer la filière textile locale",
        "Former aux métiers de la couture, en lien avec les ateliers d'insertion.",
    ]
    assert textile["provenance"]["lines"] == {"name": 13, "departement": 1, "description": 15, "objectives": "16-18"}


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("no-heading", 1, "no department heading found; expected a line such as 'Les PTCE situés dans le NORD (59)'"),
        ("ptce-before-department", 3, "PTCE 'Pôle Exemple' before any department heading; expected a heading"),
        ("empty-section", 1, "empty section: no PTCE under the heading 'Les PTCE situés dans le NORD (59)'"),
        ("empty-ptce", 3, "PTCE 'Pôle Sans Texte' has no text: expected a paragraph after its name"),
        ("unknown-department", 1, "unknown department code '03' for region 32 (Hauts-de-France); expected one of: "),
        ("heading-without-code", 1, "a department heading needs the department's code in brackets"),
        ("heading-name-mismatch", 1, "department code 59 is Nord, but the heading says 'SOMME'"),
        ("list-without-lead", 5, "PTCE 'Pôle Nord': expected a paragraph before the list (its lead sentence)"),
        ("duplicate-ptce", 7, "PTCE 'Pôle  Nord' has the same slug 'pole-nord' as the PTCE at line 3"),
    ],
)
def test_malformed_documents_say_which_line_and_what_was_expected(runner, tmp_path, name, line, message):
    document = TEST_DATA / f"import-{name}.txt"
    out = tmp_path / "out"
    result = runner.invoke(main, ["import", str(document), "--out", str(out)])
    assert result.exit_code == 1
    assert f"Cannot import {document}: 1 problem(s); nothing was written." in result.output
    assert f"{document}:{line}: {message}" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_every_problem_is_reported_at_once(sources):
    text = "Les PTCE situés dans le NORD (59)\n\nLes PTCE situés dans le PAS (99)\n\nPôle\n\n- item\n"
    with pytest.raises(DocumentError) as info:
        parse_document(Path("carte.txt"), text, sources)
    assert [(p.line, p.message.split(":")[0]) for p in info.value.problems] == [
        (1, "empty section"),
        (3, "unknown department code '99' for region 32 (Hauts-de-France); expected one of"),
        (7, "PTCE 'Pôle'"),
    ]


def test_region_must_be_the_one_the_data_describes(runner, tmp_path):
    result = runner.invoke(main, ["import", str(DOCUMENT), "--region", "53", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "region '53' is not the one the data describes (32, Hauts-de-France)" in result.output


def test_unreadable_document(runner, tmp_path):
    bad = tmp_path / "carte.txt"
    bad.write_bytes("Les PTCE situés dans le NORD (59)\n".encode("latin-1"))
    result = runner.invoke(main, ["import", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "cannot read the document" in result.output
    assert "Traceback" not in result.output


def test_import_help_has_an_example(runner):
    result = runner.invoke(main, ["import", "--help"])
    assert result.exit_code == 0 and "Example:\n    ptce import carte.txt --out imported/" in result.output


def test_quality_script_prints_the_figures_the_readme_states(sources, imported):
    script = PROJECT_ROOT / "scripts" / "theme_suggestion_quality.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    quality, rows = suggestion_quality(imported, sources)
    assert len(rows) == 15
    summary = result.stdout.splitlines()[-1]
    assert summary == f"Theme suggestions, 15 PTCEs: {quality}"
    assert str(quality) in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert quality.precision >= 0.85 and quality.recall >= 0.75  # a regression in folding or matching shows here
