"""Bad input to `ptce build` and `ptce import`: one clear line naming file, line and field, exit 1, nothing lost.

Each case starts from a good build in `out/`; after the failure that build is still there, byte for byte.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import shutil
from pathlib import Path

import pytest

from ptce.cli import main
from ptce.rdf import serialize

from ..checkout import ROOT

COHOSE = "ptce/cohose.yaml"


@pytest.fixture
def good(runner, tmp_path, data_copy) -> tuple[Path, bytes]:
    """A good build of `data_copy` in tmp_path/out, and its N-Triples."""
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", "--data", str(data_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, (out / "ptce.nt").read_bytes()


def build_fails(runner, data: Path, out: Path, before: bytes) -> str:
    """Build `data` into `out`: exit 1, no traceback, the last build untouched; returns the message."""
    result = runner.invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert (out / "ptce.nt").read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no half-written folder left
    return result.output


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "content", ["", "~\n", "---\n", "# a PTCE, some day\n"], ids=["empty", "null", "dashes", "comment"]
)
def test_an_empty_ptce_file_is_an_error_not_a_missing_ptce(runner, data_copy, good, content):
    (data_copy / COHOSE).write_text(content, encoding="utf-8")
    message = build_fails(runner, data_copy, *good)
    assert "data/ptce/cohose.yaml:1: the file holds no data (it is empty, or only comments)" in message


def test_a_value_of_the_wrong_type_names_its_field(runner, data_copy, good):
    path = data_copy / COHOSE
    path.write_text(re.sub(r"(?m)^departement:.*$", "departement: 42", path.read_text(encoding="utf-8")), "utf-8")
    message = build_fails(runner, data_copy, *good)
    assert re.search(r"data/ptce/cohose\.yaml:\d+: departement: expected slug, got int 42", message)


def test_yaml_aliases_are_refused_before_they_expand(runner, data_copy, good):
    """A 600-byte alias bomb (9 levels of 9 references) would be 387 million strings; it is refused at once."""
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "\n".join(levels) + "\n"
    assert len(bomb) < 650
    (data_copy / COHOSE).write_text((data_copy / COHOSE).read_text(encoding="utf-8") + bomb, encoding="utf-8")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    message = build_fails(runner, data_copy, *good)
    assert resource.getrlimit(resource.RLIMIT_AS) == (soft, hard)
    assert re.search(r"data/ptce/cohose\.yaml:\d+: YAML: YAML aliases \(\*name\) are not accepted", message)


def test_a_huge_text_is_refused_with_its_size(runner, data_copy, good):
    replace_in(data_copy / COHOSE, "description: >-\n", "description: >-\n  " + "x" * 20_000_001 + "\n")
    message = build_fails(runner, data_copy, *good)
    assert "data/ptce/cohose.yaml:4: description: text of 20,000,203 characters; at most 20,000" in message


@pytest.mark.parametrize(
    ("char", "label"),
    [("\\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"), ("\\x07", "U+0007 (a control character)")],
    ids=["bidi override", "control"],
)
def test_control_and_bidi_override_characters_are_refused_in_names(runner, data_copy, good, char, label):
    replace_in(data_copy / COHOSE, "name: CoHose", f'name: "Co{char}Hose"')
    message = build_fails(runner, data_copy, *good)
    assert f"data/ptce/cohose.yaml:2: name: {label} at character 3 is not allowed in text" in message


def test_a_link_out_of_the_data_folder_is_refused(runner, data_copy, good, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    shutil.move(data_copy / "organisations.yaml", outside)
    (data_copy / "organisations.yaml").symlink_to(outside)
    message = build_fails(runner, data_copy, *good)
    assert f"data/organisations.yaml: is a link to {outside}, outside the data folder" in message


def test_a_link_inside_the_data_folder_is_followed(runner, data_copy, good):
    shutil.move(data_copy / COHOSE, data_copy / "cohose-original.yaml")
    (data_copy / COHOSE).symlink_to("../cohose-original.yaml")
    out, _ = good
    assert runner.invoke(main, ["build", "--data", str(data_copy), "--out", str(out)]).exit_code == 0


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(runner, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "a-file" / "dist")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Cannot write the build: ") and "Nothing was published" in result.output


def test_a_full_disk_is_a_clear_error_and_keeps_the_last_build(runner, data_copy, good, monkeypatch):
    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out/ptce.rdf")

    monkeypatch.setattr(serialize.Graph, "serialize", no_space)
    message = build_fails(runner, data_copy, *good)
    assert "Cannot write the build: No space left on device (out/ptce.rdf)." in message


def test_an_interrupted_import_leaves_the_output_folder_as_it_was(runner, tmp_path, monkeypatch):
    from ptce.importer import output as import_output

    document = ROOT / "data" / "source" / "carte-regionale-ptce-hauts-de-france.txt"
    out = tmp_path / "imported"
    assert runner.invoke(main, ["import", str(document), "--out", str(out)]).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for name in ("cohose.yaml", "valorizons.yaml"):  # the next import writes them again, one after the other
        (out / "ptce" / name).unlink()
        del before[Path("ptce", name)]
    written = []
    real = import_output.ptce_yaml

    def interrupted(record, *args):
        if written:
            raise KeyboardInterrupt
        written.append(record.slug)
        return real(record, *args)

    monkeypatch.setattr(import_output, "ptce_yaml", interrupted)
    result = runner.invoke(main, ["import", str(document), "--out", str(out)])
    assert result.exit_code == 1 and "Aborted!" in result.output and written == ["cohose"]  # as Ctrl+C does
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # not even the one file written before the interruption
    assert [p.name for p in tmp_path.iterdir()] == ["imported"]
