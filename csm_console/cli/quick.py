"""`csm tickets list` without Typer: the scripted hot path (issue 18).

A script calling `csm tickets list` in a loop pays for the command's start-up on every call, and
importing Typer (with its Click) and building the command's options was a good part of what the
list did not need.  So `run` (cli/main.py) first hands the command line to `plain_list`: when it
is exactly

    csm [--db|--as|--config|--theme VALUE]... tickets list
        [--query|-q|--view|--sort|--limit|--format|--fields VALUE]...

(`--name VALUE` or `--name=VALUE`, the last of a repeated option winning, a `--limit` of plain
decimal digits of at least 1), it is read here as Click reads it, and the list runs the very
function Typer's command runs (`cli/listing.py`) under the same error handler (`cli/guard.py`).
Anything else (help, `--version`, `--`, an option or a value written another way, an argument,
shell completion) is Typer's, as before.  tests/cli/test_cli_quick.py runs both on the same
command lines and checks these options against the Typer command's own.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from csm_console.cli.guard import bad_utf8, guarded

# The options of `csm` (cli/app.py's `main`) and of `csm tickets list` (cli/tickets_cmd.py) that
# take a value: each name, and the keyword it is passed as.  Every other option is Typer's.
ROOT_OPTIONS = {
    "--db": "database_url",
    "--as": "agent",
    "--config": "config_file",
    "--theme": "theme",
}
LIST_OPTIONS = {
    "--query": "query",
    "-q": "query",
    "--view": "view",
    "--sort": "sort",
    "--limit": "limit",
    "--format": "format",
    "--fields": "fields",
}
# the list's defaults, as its Typer command declares them
LIST_DEFAULTS: dict[str, Any] = {
    "query": "",
    "view": None,
    "sort": None,
    "limit": None,
    "format": "table",
    "fields": None,
}
LIMIT_MIN = 1


@dataclass(frozen=True)
class PlainList:
    """A plain `csm tickets list`: `CliState`'s arguments and the list's."""

    state: dict[str, str]
    options: dict[str, Any]

    def run(self) -> None:
        """List, as `csm tickets list` does through Typer."""
        # Importing creates many objects and hardly any garbage: no collection passes while
        # the modules every list uses are imported (about 5% of the start-up).  What the list
        # then reads is collected as usual.
        gc.disable()
        try:
            from csm_console import config  # noqa: F401  (the settings)
            from csm_console.cli.listing import list_tickets
            from csm_console.cli.state import CliState
            from csm_console.services import acting, ticket_list  # noqa: F401  (SQLAlchemy ...)
            from csm_console.store import migrate  # noqa: F401  (the schema's check)
        finally:
            gc.enable()
        given = self.state.get
        state = CliState(
            config_file=given("config_file"),
            database_url=given("database_url"),
            agent=given("agent"),
            theme=given("theme"),
        )
        guarded(lambda: list_tickets(state, **self.options), lambda: state)


def plain_list(args: Sequence[str], environ: Mapping[str, str]) -> PlainList | None:
    """The plain `csm tickets list` that `args` (the command line after `csm`) asks for, or
    None for anything Typer is to read."""
    if "_CSM_COMPLETE" in environ or bad_utf8(args) is not None or os.name == "nt":
        # shell completion; bytes that were not UTF-8 (cli.app's message); Windows, where
        # Click expands wildcards in the arguments
        return None
    state: dict[str, str] = {}
    at = _options(args, 0, ROOT_OPTIONS, state)
    if at is None or list(args[at : at + 2]) != ["tickets", "list"]:
        return None
    given: dict[str, str] = {}
    if _options(args, at + 2, LIST_OPTIONS, given) != len(args):
        return None  # an argument, or an option that is not a plain one
    options = {**LIST_DEFAULTS, **given}
    if "limit" in given:
        limit = plain_int(given["limit"])
        if limit is None or limit < LIMIT_MIN:
            return None  # Typer's coercion, and its message
        options["limit"] = limit
    return PlainList(state, options)


def _options(
    args: Sequence[str], at: int, known: Mapping[str, str], into: dict[str, str]
) -> int | None:
    """Read the options of `known` from `args[at]` on, into `into`, as Click does (an option's
    value is the next argument, whatever it is, or the part after `=` of `--name=value`): the
    index of the first argument that is not an option, or None at anything else."""
    while at < len(args):
        arg = args[at]
        if arg[:1] != "-" or len(arg) == 1:
            return at  # a command's name, or an argument
        name, equals, value = arg.partition("=")
        if equals and name.startswith("--") and name in known:
            into[known[name]] = value
            at += 1
        elif arg in known and at + 1 < len(args):
            into[known[arg]] = args[at + 1]
            at += 2
        else:  # `--`, help, a flag, an unknown option, `-qVALUE`, an option without its value
            return None
    return at


def plain_int(value: object) -> int | None:
    """An int, or a str of at most 18 ASCII digits (an optional minus, no leading zero), as an
    int: the values whose int is certain (cli/params.py gives every other to Typer)."""
    if type(value) is int:
        return value
    if type(value) is not str:
        return None
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit()) or (len(digits) > 1 and digits[0] == "0"):
        return None
    if len(digits) > 18:  # a huge number (past int()'s digit limit, too): Typer's to refuse
        return None
    return int(value)
