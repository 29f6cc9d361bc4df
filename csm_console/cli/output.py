"""Writing data to stdout and diagnostics to stderr.

Every output goes through the sanitiser (`domain/text.py`): text printed to the console loses its
control sequences; JSON keeps every character but writes the ones a terminal acts on (C0, DEL,
C1, bidi controls) as `\\u` escapes; CSV cells are sanitised and a cell a spreadsheet would run as
a formula gets a leading `'` (unless a raw export is asked for, for a round trip).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from csm_console.domain.text import defuse_formula, escape_json_controls, sanitize
from csm_console.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class LazyConsole:
    """A rich `Console`, built (and rich imported) on first use: commands that write only
    JSON, NDJSON, CSV or ids never pay for importing rich."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console  # on first use (see the class docstring)

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
            # rich's own answer to a closed pipe is exit 1; csm's is a quiet exit 0 (cli.main)
            self._console.on_broken_pipe = _reader_gone  # type: ignore[method-assign]
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        """Print; a plain string is sanitised first (callers pass customer text as `Text`
        built from sanitised text, or as a string with `markup=False`)."""
        self.console.print(*(sanitize(o) if isinstance(o, str) else o for o in objects), **options)

    def table(self, table: Table) -> None:
        """Print a table; piped (not a terminal), its lines carry no trailing spaces."""
        if self.console.is_terminal:
            self.console.print(table)
            return
        with self.console.capture() as captured:
            self.console.print(table)
        lines = captured.get().splitlines()
        self.console.file.write("".join(line.rstrip() + "\n" for line in lines))

    @property
    def width(self) -> int:
        return self.console.width


def _reader_gone() -> None:
    raise BrokenPipeError


# Data goes to stdout, diagnostics to stderr; customer text is printed as plain text, never markup.
out = LazyConsole()
err = LazyConsole(stderr=True)


def plain(value: Any) -> Any:
    """JSON-ready plain data from dataclasses, enums and datetimes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.label if hasattr(value, "label") else value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def check_format(value: str, allowed: tuple[str, ...] = ("table", "json")) -> str:
    """The `--format` value, or UsageError (exit 2) naming the valid ones."""
    if value not in allowed:
        raise UsageError(f"unknown format {value!r}; valid: {', '.join(allowed)}")
    return value


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON text that is safe on a terminal (see the module) and loses nothing."""
    return escape_json_controls(json.dumps(value, ensure_ascii=False, indent=indent))


def emit_json(value: Any) -> None:
    sys.stdout.write(json_text(plain(value), indent=2) + "\n")


def write_records(
    stream: Any,
    records: Iterable[dict[str, Any]],
    fields: list[str],
    fmt: str,
    *,
    raw: bool = False,
) -> int:
    """Stream records as a JSON array, NDJSON or CSV; returns how many.  Nothing is held in
    memory but the record being written.  In CSV, a list (tags) is joined with `;`, as
    `csm import` reads it back, and None is an empty cell; text is sanitised and defused
    against formula injection, unless `raw` (values exactly as stored)."""
    count = 0
    if fmt == "csv":
        import csv  # here: only CSV needs it

        writer = csv.writer(stream)
        writer.writerow(fields)
        for item in records:
            writer.writerow([_csv_cell(item[name], raw=raw) for name in fields])
            count += 1
        return count
    if fmt == "json":
        stream.write("[")
    for item in records:
        line = json_text({name: item[name] for name in fields})
        if fmt == "json":
            stream.write(("," if count else "") + "\n  " + line)
        else:
            stream.write(line + "\n")
        count += 1
    if fmt == "json":
        stream.write("\n]\n")
    return count


def _csv_cell(value: Any, *, raw: bool) -> Any:
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if value is None:
        return ""
    if raw or not isinstance(value, str):
        return value
    return defuse_formula(sanitize(value))


def info(message: str) -> None:
    err.print(message, markup=False)
