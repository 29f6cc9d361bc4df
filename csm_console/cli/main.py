"""`csm`: the entry point.  Errors become one line on stderr and a documented exit code.

The commands are a Typer app (`cli/app.py`).  The plain forms of `csm tickets list`, the
scripted hot path (issue 18), run without importing Typer at all (`cli/quick.py`), so this
module imports neither: `run` picks one.  The app's names (`app`, `COMMANDS`, `load_command`
...) are still found here, imported from `cli/app.py` when asked for.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from csm_console.cli.guard import flush_at_exit
from csm_console.cli.quick import plain_list


def run() -> None:
    try:
        plain = plain_list(sys.argv[1:], os.environ)
        if plain is not None:
            plain.run()
            raise SystemExit(0)  # as Click ends a command that returns
        gc.disable()  # no collection passes while Typer and the commands' table are imported
        try:
            from csm_console.cli.app import run_app
        finally:
            gc.enable()
        run_app()
    except SystemExit:
        flush_at_exit()
        raise


def __getattr__(name: str) -> Any:
    """`from csm_console.cli.main import app` (and COMMANDS, SUMMARIES, load_command ...): the
    names of the Typer app, from cli/app.py, as they were when it lived here."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from csm_console.cli import app

    try:
        return getattr(app, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
