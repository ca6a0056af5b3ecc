"""Bad source data gets a clear message naming file, line and field, and publishes nothing."""

from __future__ import annotations

import re

import pytest

from ptce.build.pipeline import publish_build
from ptce.sources.loader import SourceError, load_sources


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, fragment):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def problems(data_dir):
    with pytest.raises(SourceError) as info:
        load_sources(data_dir)
    return [str(p) for p in info.value.problems]


def test_bundled_data_loads(data_copy):
    assert len(load_sources(data_copy).ptces) == 15


def test_yaml_syntax_error_names_file_and_line(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, "departement: pas-de-calais", "departement: [pas-de-calais")
    (msg,) = problems(data_copy)
    assert msg.startswith("data/ptce/cohose.yaml:")
    assert "YAML syntax error" in msg
    assert int(re.match(r"data/ptce/cohose.yaml:(\d+)", msg).group(1)) >= line_of(f, "departement")


def test_unknown_field(data_copy):
    f = data_copy / "ptce" / "valorizons.yaml"
    edit(f, "departement: somme", "departement: somme\nfounded: 2012")
    (msg,) = problems(data_copy)
    assert msg == f"data/ptce/valorizons.yaml:{line_of(f, 'founded')}: founded: unknown field; " + (
        "expected one of: " + msg.split("expected one of: ")[1]
    )
    assert "collective_approach_since" in msg


def test_unknown_theme(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, "theme: biodiversite", "theme: biodiversity")
    (msg,) = problems(data_copy)
    line = f.read_text(encoding="utf-8").splitlines().index("  - theme: biodiversity") + 1
    assert msg.startswith(f"data/ptce/cohose.yaml:{line}: themes[4]: unknown theme 'biodiversity'")


def test_unknown_department(data_copy):
    f = data_copy / "ptce" / "partage-travail.yaml"
    edit(f, "departement: oise", "departement: oyse")
    (msg,) = problems(data_copy)
    assert msg.startswith(
        f"data/ptce/partage-travail.yaml:{line_of(f, 'departement')}: departement: unknown departement 'oyse'"
    )


def test_unknown_organisation_in_role(data_copy):
    f = data_copy / "ptce" / "auton-hommes.yaml"
    edit(f, "organisation: collectif-phare", "organisation: collectif-phar")
    (msg,) = problems(data_copy)
    assert "roles[0].organisation: unknown organisation 'collectif-phar'" in msg


def test_duplicate_ptce_slug_across_files(data_copy):
    f = data_copy / "ptce" / "valorizons.yaml"
    edit(f, "slug: valorizons", "slug: cohose")
    (msg,) = problems(data_copy)
    assert msg.startswith("data/ptce/valorizons.yaml:1: slug: duplicate PTCE slug 'cohose'")
    assert "data/ptce/cohose.yaml" in msg


def test_missing_required_field(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, "name: CoHose\n", "")
    (msg,) = problems(data_copy)
    assert msg == "data/ptce/cohose.yaml:1: name: missing required field (text)"


def test_wrong_type_and_bad_slug(data_copy):
    f = data_copy / "ptce" / "eco-pole-alimentaire-d-audruicq.yaml"
    edit(f, "recognised: 2015", "recognised: deux mille quinze")
    edit(data_copy / "ptce" / "cohose.yaml", "slug: cohose", "slug: CoHose")
    found = problems(data_copy)
    assert any(
        m.startswith(
            f"data/ptce/eco-pole-alimentaire-d-audruicq.yaml:{line_of(f, 'recognised')}: recognised: expected year"
        )
        for m in found
    )
    assert any("'CoHose' is not a slug" in m for m in found)


def test_every_problem_is_reported_at_once(data_copy):
    edit(data_copy / "ptce" / "cohose.yaml", "theme: biodiversite", "theme: nope")
    edit(data_copy / "ptce" / "valorizons.yaml", "departement: somme", "departement: nope")
    assert len(problems(data_copy)) == 2


def test_bad_data_publishes_nothing_and_keeps_the_last_good_build(data_copy, tmp_path):
    out = tmp_path / "dist"
    info = publish_build(out, data_copy)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit(data_copy / "ptce" / "cohose.yaml", "theme: biodiversite", "theme: nope")
    with pytest.raises(SourceError):
        publish_build(out, data_copy)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert info.triples > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "dist"], "no temporary folder left behind"


# ---- the loader refuses what the document does not support ---------------------------------------


def test_a_quote_the_document_does_not_hold_is_refused_with_its_place(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, 'quote: "préserver la biodiversité"', 'quote: "protéger la biodiversité"')
    (msg,) = problems(data_copy)
    at = line_of(f, "protéger")
    assert msg.startswith(f"data/ptce/cohose.yaml:{at}: themes[4].quote: 'protéger la biodiversité'")
    assert "is not in the section 'CoHose' of the source document" in msg


def test_a_quote_found_twice_is_refused(data_copy):
    f = data_copy / "ptce" / "auton-hommes.yaml"
    edit(f, 'quote: "de monter en compétences"', 'quote: "collectif PHARE"')
    (msg,) = problems(data_copy)
    at = line_of(f, 'quote: "collectif PHARE"')
    assert msg.startswith(f"data/ptce/auton-hommes.yaml:{at}: themes[1].quote:")
    assert """is found 2 times in the section "Auton'Hommes" of the source document: quote more words""" in msg


def test_a_quote_from_another_ptce_is_refused(data_copy):
    edit(data_copy / "ptce" / "cohose.yaml", 'quote: "préserver la biodiversité"', 'quote: "La filière textile"')
    (msg,) = problems(data_copy)
    assert "'La filière textile' is not in the section 'CoHose'" in msg


def test_a_theme_without_its_words_is_refused(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, '  - theme: biodiversite\n    quote: "préserver la biodiversité"\n', "  - biodiversite\n")
    (msg,) = problems(data_copy)
    assert msg == (
        f"data/ptce/cohose.yaml:{line_of(f, 'themes:')}: themes[4]: 'biodiversite' needs the source's words that"
        " support it: {theme: biodiversite, quote: …}"
    )


def test_a_role_and_an_organisation_need_their_words(data_copy):
    edit(data_copy / "ptce" / "auton-hommes.yaml", "    quote: porté par le collectif PHARE\n", "")
    edit(data_copy / "organisations.yaml", "    quote: la SCIC TILT, coopérative d'activités et d'emploi\n", "")
    found = problems(data_copy)
    assert any(
        m.startswith("data/ptce/auton-hommes.yaml:") and "roles[0].quote: missing required field" in m for m in found
    )
    assert any(
        m.startswith("data/organisations.yaml:") and "organisations[2].quote: missing required field" in m
        for m in found
    )


def test_a_figure_needs_words_that_give_its_value(data_copy):
    f = data_copy / "ptce" / "anima-grand-calais.yaml"
    edit(
        f, "partner_shops: qui regroupe à ce jour 104 partenaires commerçants", "partner_shops: partenaires commerçants"
    )
    (msg,) = problems(data_copy)
    assert msg == (
        f"data/ptce/anima-grand-calais.yaml:{line_of(f, 'partner_shops: partenaires')}: "
        "initiatives[0].quotes.partner_shops: the quote does not give the value 104"
    )
    edit(
        data_copy / "ptce" / "eco-pole-alimentaire-d-audruicq.yaml",
        "quotes:\n  recognised: est labellisé PTCE en 2015\n",
        "",
    )
    assert any("recognised: needs the source's words that give it: quotes.recognised" in m for m in problems(data_copy))


def test_a_ptce_the_document_has_no_heading_for_is_refused(data_copy):
    f = data_copy / "ptce" / "cohose.yaml"
    edit(f, "name: CoHose", "name: Cohose")
    found = problems(data_copy)
    assert found[0] == (
        f"data/ptce/cohose.yaml:{line_of(f, 'name: Cohose')}: name: no line of the source document reads 'Cohose': the"
        " PTCE's heading there (give it as source_name where the source spells the name otherwise)"
    )


def test_an_empty_source_document_or_one_outside_the_folder_is_refused(data_copy, tmp_path):
    document = data_copy / "source" / "carte-regionale-ptce-hauts-de-france.txt"
    document.write_text("\n", encoding="utf-8")
    found = problems(data_copy)
    assert found[0] == (
        "data/dataset.yaml: source.file: source/carte-regionale-ptce-hauts-de-france.txt is empty: there is nothing"
        " to quote the facts from"
    )
    (tmp_path / "elsewhere.txt").write_text("CoHose\n", encoding="utf-8")
    edit(data_copy / "dataset.yaml", "file: source/carte-regionale-ptce-hauts-de-france.txt", "file: ../elsewhere.txt")
    assert "data/dataset.yaml: source.file: ../elsewhere.txt is outside the data folder" in problems(data_copy)
