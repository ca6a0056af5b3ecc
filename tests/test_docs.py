"""The README documents every command and every server setting, so docs cannot drift from the code."""

from __future__ import annotations

import re

import pytest

from ptce.cli import main
from ptce.web import DEFAULTS

from .checkout import ROOT as PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_in_the_readme_table(command):
    assert re.search(rf"^\| `ptce {command}\b", README, re.M), f"`ptce {command}` is missing from the README table"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_the_two_setup_commands_are_in_the_readme():
    assert "pip install -e . && ptce serve" in README
    assert "pip install -e '.[test]' && python -m pytest" in README
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]' && python -m pytest" in ci


@pytest.mark.parametrize("setting", ["QUERY_TIMEOUT", "ROW_LIMIT", "MAX_CONTENT_LENGTH"])
def test_limits_are_documented(setting):
    assert setting in DEFAULTS
    assert setting in README, f"{setting} is not documented in the README"
