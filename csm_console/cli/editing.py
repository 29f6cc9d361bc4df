"""Editing a Markdown file with front matter in $EDITOR, checked on save (`csm kb`, `csm
templates`): a problem reopens the file at a terminal, and no edit is ever lost."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from csm_console.errors import UsageError

T = TypeVar("T")


def run_editor(path: Path) -> None:
    """Open `path` in $VISUAL or $EDITOR (default vi) and wait for it."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        result = subprocess.run([*shlex.split(command), str(path)], check=False)
    except FileNotFoundError:
        raise UsageError(f"cannot run the editor {command!r}; set EDITOR") from None
    if result.returncode != 0:
        raise UsageError(f"the editor {command!r} failed (exit {result.returncode}); kept {path}")


def edit_until_valid(start: str, name: str, parse: Callable[..., T]) -> T:
    """Edit `start` in $EDITOR; parse the result.  A problem is reported and, at a terminal,
    the file reopens; otherwise the edited file is kept and its path given: no edit is lost."""
    folder = Path(tempfile.mkdtemp(prefix="csm-edit-"))
    path = folder / name
    path.write_text(start, encoding="utf-8")
    while True:
        run_editor(path)
        text = path.read_text(encoding="utf-8")
        if text == start:
            path.unlink()
            folder.rmdir()
            raise UsageError("nothing changed; nothing was saved")
        try:
            result = parse(text, source=name)
        except ValueError as exc:
            if sys.stdin.isatty() and typer.confirm(f"{exc}\nEdit again?", default=True):
                continue
            raise UsageError(f"{exc}; your text is kept in {path}") from None
        path.unlink()
        folder.rmdir()
        return result
