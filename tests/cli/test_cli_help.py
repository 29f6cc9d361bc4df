"""`csm --help` lists every command from `cli/app.py`'s SUMMARIES, without loading the command
modules: the summaries must say what each command's own help says."""

from __future__ import annotations

import pytest
from typer.core import TyperCommand

from csm_console.cli.main import COMMANDS, SUMMARIES, load_command
from tests.conftest import Cli


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_summary_says_what_the_command_says(name: str) -> None:
    assert name in SUMMARIES, f"add {name!r} to SUMMARIES in cli/app.py (csm --help lists it)"
    real = load_command(name)
    stand_in = TyperCommand(name, help=SUMMARIES[name])
    for limit in range(10, 130):  # any terminal width
        assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), limit


def test_no_summary_of_a_command_that_is_gone() -> None:
    assert set(SUMMARIES) <= set(COMMANDS)


def test_help_lists_every_command_in_order(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0, result.output
    listed = result.stdout.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("  ")]
    assert names == list(COMMANDS)
    width = max(len(name) for name in COMMANDS)  # the names' column is as wide as the longest
    assert f"  {'db':<{width}}  Schema migrations of the store.\n" in listed


def test_a_group_builds_only_the_command_used() -> None:
    """`csm tickets list` builds `list` alone (cli.app's _LazyGroup); the help lists them all."""
    import typer

    group = load_command("tickets")
    ctx = typer.Context(group)
    assert group.get_command(ctx, "list") is not None
    assert set(group.commands) == {"list"}
    names = group.list_commands(ctx)
    assert names[:2] == ["list", "show"] and {"attachments", "attachment", "macro"} <= set(names)


@pytest.mark.parametrize(
    ("args", "meant"), [(["tickets", "lst"], "list"), (["mail", "outbx"], "outbox")]
)
def test_a_mistyped_subcommand_gets_a_suggestion(cli: Cli, args: list[str], meant: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert f"Did you mean '{meant}'?" in result.output
