"""The layers of DESIGN.md, as import-linter contracts in pyproject.toml: faces (cli, tui) over
services over store over domain, the faces never import the ORM tables, nothing below the TUI
imports Textual, and no import cycle between the modules of one layer (imports inside
functions count too)."""

from __future__ import annotations

import tomllib

import pytest
from importlinter import cli

from tests.conftest import ROOT

PYPROJECT = ROOT / "pyproject.toml"


def test_the_contracts_are_written_down() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    ids = {c["id"] for c in config["contracts"]}
    assert {"layers", "faces-no-orm", "core-no-textual", "no-cycles"} <= ids


def test_the_import_contracts_hold(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out
