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
    edit(f, "biodiversite]", "biodiversity]")
    (msg,) = problems(data_copy)
    assert msg.startswith(f"data/ptce/cohose.yaml:{line_of(f, 'themes')}: themes: unknown theme 'biodiversity'")


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
    edit(data_copy / "ptce" / "cohose.yaml", "biodiversite]", "nope]")
    edit(data_copy / "ptce" / "valorizons.yaml", "departement: somme", "departement: nope")
    assert len(problems(data_copy)) == 2


def test_bad_data_publishes_nothing_and_keeps_the_last_good_build(data_copy, tmp_path):
    out = tmp_path / "dist"
    info = publish_build(out, data_copy)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit(data_copy / "ptce" / "cohose.yaml", "biodiversite]", "nope]")
    with pytest.raises(SourceError):
        publish_build(out, data_copy)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert info.triples > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "dist"], "no temporary folder left behind"
