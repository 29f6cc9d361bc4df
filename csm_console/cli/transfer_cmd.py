"""`csm import tickets FILE` and `csm export tickets`: moving tickets in and out as files."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from csm_console.cli.files import limits, read_lines
from csm_console.cli.output import check_format, emit_json, info, plain, write_records
from csm_console.cli.progress import progress_bar, showing
from csm_console.cli.state import state
from csm_console.domain.stored import describe_invalid
from csm_console.domain.ticket_record import EXPORT_FIELDS, detect_format
from csm_console.errors import BadRecords, UsageError
from csm_console.services.ticket_reads import count_tickets
from csm_console.services.transfer import import_tickets as run_import
from csm_console.services.transfer import iter_export

if TYPE_CHECKING:
    from csm_console.domain.query import Query
    from csm_console.domain.rights import Actor
    from csm_console.services.importing import ImportResult
    from csm_console.services.records import TicketRow
    from csm_console.store.engine import Store

import_app = typer.Typer(help="Import tickets from JSON, NDJSON or CSV.", no_args_is_help=True)
export_app = typer.Typer(help="Export tickets as JSON, NDJSON or CSV.", no_args_is_help=True)

FILE_FORMATS = ("json", "ndjson", "csv")


@import_app.command("tickets")
def import_tickets(
    ctx: typer.Context,
    file: str = typer.Argument(
        ..., metavar="FILE", help="A .json, .ndjson or .csv file; - reads stdin."
    ),
    format: str | None = typer.Option(
        None,
        "--format",
        help="json, ndjson or csv (default: from the file name, else the content).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check everything and say what would change; write nothing."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the outcome of every record as JSON instead of the ids."
    ),
    raw: bool = typer.Option(
        False, "--raw", help="CSV cells as they are (a file from `csm export tickets --raw`)."
    ),
) -> None:
    """Import tickets, all or nothing: one bad record and nothing is written (exit 2, each
    problem named by line or index and field).  A known external_id updates its ticket.
    Prints the ids of the tickets created or updated, one per line."""
    if format is not None:
        check_format(format, FILE_FORMATS)
    source = "stdin" if file == "-" else file

    cap = limits(ctx).records
    lines = read_lines(file, limit=cap, setting="max_import_file")
    st = state(ctx)
    try:
        with progress_bar() as progress:
            result = run_import(
                st.store(),
                actor=st.actor(),
                lines=lines,
                fmt=format,
                source=source,
                dry_run=dry_run,
                raw=raw,
                progress=progress,
            )
    except BadRecords as error:
        if len(error.problems) > 1:  # one problem is named in the error line itself
            for problem in error.problems:
                info(problem)
        raise
    try:
        _print_outcomes(result, as_json=as_json)
    finally:
        result.close()
    batch = "" if result.dry_run else f" (batch {result.batch_id})"
    info(result.summary() + batch + ("; nothing was written" if result.dry_run else ""))


def _print_outcomes(result: ImportResult, *, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "batch_id": None if result.dry_run else result.batch_id,
                "dry_run": result.dry_run,
                "created": result.count("created"),
                "updated": result.count("updated"),
                "unchanged": result.count("unchanged"),
                "records": [plain(o) for o in result.outcomes],
            }
        )
    else:
        for outcome in result.outcomes:
            if outcome.action != "unchanged" and outcome.ticket_id is not None:
                sys.stdout.write(f"{outcome.ticket_id}\n")


@export_app.command("tickets")
def export_tickets(
    ctx: typer.Context,
    query: str = typer.Option("", "--query", "-q", help="Query language, e.g. 'status:open'."),
    view: str | None = typer.Option(None, "--view", help="A named view (standard or from config)."),
    sort: str | None = typer.Option(
        None, "--sort", help="sla, priority, created, updated, id; prefix - to reverse."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N tickets."),
    format: str | None = typer.Option(
        None, "--format", help="json, ndjson or csv (default: from --output's name, else json)."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."
    ),
    raw: bool = typer.Option(
        False,
        "--raw",
        help="CSV cells exactly as stored: no formula defusing, control characters kept "
        "(read back with `csm import tickets --raw`; not for spreadsheets or terminals).",
    ),
) -> None:
    """Export tickets as import records (streamed): `csm import tickets` reads them back.
    Each record carries the first customer message as `body`; the rest of the thread is not
    exported."""
    # a helper of `csm tickets`, whose module is loaded only when a command needs it
    from csm_console.cli.tickets_cmd import selection

    if format is None:
        format = detect_format(output, b"[") if output else "json"
    check_format(format, FILE_FORMATS)
    if raw and output is None and sys.stdout.isatty():
        raise UsageError(
            "--raw would write control characters to a terminal: use -o FILE or a pipe"
        )
    st = state(ctx)
    actor, parsed, order = selection(st, query=query, view=view, sort=sort)
    records = iter_export(
        st.store(), actor=actor, query=parsed, sort=order, limit=limit, on_invalid=_warn_invalid
    )
    with _export_progress(st.store(), actor, parsed, limit) as counted:
        records = counted(records)
        if output is None:
            count = write_records(sys.stdout, records, list(EXPORT_FIELDS), format, raw=raw)
        else:
            count = _write_file(Path(output), records, format, raw=raw)
    info(
        f"exported {count} ticket{'s' if count != 1 else ''}" + (f" to {output}" if output else "")
    )


def _write_file(target: Path, records: Iterator[dict[str, Any]], format: str, *, raw: bool) -> int:
    partial = target.with_name(f".{target.name}.partial")
    try:
        with _open_replacing(target, partial) as stream:
            count = write_records(stream, records, list(EXPORT_FIELDS), format, raw=raw)
        partial.replace(target)  # a failed export never leaves half a file under the name
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return count


@contextmanager
def _export_progress(
    store: Store, actor: Actor | None, query: Query, limit: int | None
) -> Iterator[Callable[[Iterator[dict[str, Any]]], Iterator[dict[str, Any]]]]:
    """Counts the records written, on a progress bar when stderr is a terminal (only then is
    the total counted first)."""
    total: int | None = None
    if showing():
        total = count_tickets(store, actor=actor, query=query)
        total = min(total, limit) if limit is not None else total
    with progress_bar() as progress:

        def counted(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for number, record in enumerate(records, 1):
                yield record
                progress("exporting", number, total)

        yield counted


def _open_replacing(target: Path, partial: Path) -> TextIO:
    """`partial`, opened for writing, with the mode of the `target` it will replace (a 0600
    export stays 0600), or the default mode for a new file."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    fd = os.open(
        partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if mode is not None else 0o666
    )
    if mode is not None:
        os.fchmod(fd, mode)  # exactly the old mode, whatever the umask or a stale partial's
    return open(fd, "w", encoding="utf-8", newline="")


def _warn_invalid(row: TicketRow) -> None:
    info(f"warning: #{row.id} holds invalid values: {describe_invalid(row.invalid)}")
