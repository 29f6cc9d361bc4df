"""How every command of `csm` ends: errors become one line on stderr and a documented exit code.

Shared by the Typer app (`cli/app.py`, around every command) and by the plain `csm tickets list`
that runs without Typer (`cli/quick.py`), so that both end the same way.  Nothing here imports
Typer or Click until a message is to be written: a command that succeeds never loads them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

from csm_console.errors import CsmError, StoreUnavailable

T = TypeVar("T")

_SURROGATE = re.compile("[\ud800-\udfff]")


def bad_utf8(args: Iterable[str]) -> str | None:
    """The first argument holding bytes that were not UTF-8 (Python's surrogateescape)."""
    return next((arg for arg in args if _SURROGATE.search(arg)), None)


def guarded(command: Callable[[], T], closing: Callable[[], Any]) -> T:
    """Run `command` under csm's one error handler (no traceback for a user error); then
    `closing()` gives what to close (the command's `CliState`, if one was made)."""
    from csm_console.cli.state import CliState

    try:
        return command()
    except CsmError as error:
        if error.exit_code == 0:  # nothing to do: said on stderr, and not an error
            _echo_err(error.message)
            raise SystemExit(0) from None
        fail(error.message, error.exit_code)
    except BrokenPipeError:
        reader_gone()
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as error:
        if type(error).__module__.startswith(("typer", "click")):
            raise  # usage errors and typer.Exit: the runner prints the usage, exits 2 (or 0)
        # A store error comes from SQLAlchemy, so it is loaded by then: never import it here
        # (`csm --version` ends with typer.Exit and would pay for importing it).
        if "sqlalchemy" in sys.modules:
            from sqlalchemy import exc

            if isinstance(error, exc.OperationalError | exc.InterfaceError):
                fail(
                    StoreUnavailable(f"store error: {str(error.orig).splitlines()[0]}").message,
                    6,
                )
        if os.environ.get("CSM_DEBUG"):
            raise
        first = (str(error).strip().splitlines() or [""])[0]
        fail(
            "unexpected error (a bug; please report it; CSM_DEBUG=1 shows the traceback): "
            f"{type(error).__name__}: {first}",
            1,
        )
    finally:
        obj = closing()
        if isinstance(obj, CliState):
            obj.close()


def reader_gone() -> NoReturn:
    """`csm ... | head -1`: the reader of stdout went away, which is a normal end (exit 0,
    nothing on stderr)."""
    stdout_to_devnull()
    raise SystemExit(0)


def stdout_to_devnull() -> None:
    """What is still buffered for a stdout whose reader has gone goes to /dev/null, so that
    flushing it when Python exits does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (a test runner's buffer): nothing to flush
        pass


def flush_at_exit() -> None:
    """When `csm` exits: the last of the output may still be in stdout's buffer, and a reader
    that has gone by now is a normal end too, not exit 120 and "Exception ignored" from the
    interpreter (the exit code stays the command's own)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_to_devnull()


def fail(message: str, code: int) -> NoReturn:
    # on failure only (its patterns take 25 ms to compile); a message may quote customer text
    from csm_console.domain.text import sanitize

    _echo_err(f"csm: {sanitize(message)}")
    raise SystemExit(code)


def _echo_err(message: str) -> None:
    from typer import echo  # Click's echo, as every message of csm is written (on failure only)

    echo(message, err=True)
