"""`csm import tickets FILE` and `csm export tickets`: moving tickets in and out as files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from csm_console.cli.output import check_format, emit_json, info, plain, write_records
from csm_console.cli.state import state
from csm_console.errors import BadRecords, UsageError

if TYPE_CHECKING:
    from csm_console.services.records import TicketRow

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
) -> None:
    """Import tickets, all or nothing: one bad record and nothing is written (exit 2, each
    problem named by line or index and field).  A known external_id updates its ticket.
    Prints the ids of the tickets created or updated, one per line."""
    from csm_console.services.transfer import import_tickets as run_import

    if format is not None:
        check_format(format, FILE_FORMATS)
    source = "stdin" if file == "-" else file
    data = sys.stdin.buffer.read() if file == "-" else _read_file(file)
    st = state(ctx)
    try:
        result = run_import(
            st.store(), actor=st.actor(), data=data, fmt=format, source=source, dry_run=dry_run
        )
    except BadRecords as error:
        if len(error.problems) > 1:  # one problem is named in the error line itself
            for problem in error.problems:
                info(problem)
        raise
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
    batch = "" if result.dry_run else f" (batch {result.batch_id})"
    info(result.summary() + batch + ("; nothing was written" if result.dry_run else ""))


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


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
) -> None:
    """Export tickets as import records (streamed): `csm import tickets` reads them back.
    Each record carries the first customer message as `body`; the rest of the thread is not
    exported."""
    from csm_console.cli.tickets_cmd import selection
    from csm_console.domain.ticket_record import EXPORT_FIELDS, detect_format
    from csm_console.services.transfer import iter_export

    if format is None:
        format = detect_format(output, b"[") if output else "json"
    check_format(format, FILE_FORMATS)
    st = state(ctx)
    actor, parsed, order = selection(st, query=query, view=view, sort=sort)
    records = iter_export(
        st.store(), actor=actor, query=parsed, sort=order, limit=limit, on_invalid=_warn_invalid
    )
    if output is None:
        count = write_records(sys.stdout, records, list(EXPORT_FIELDS), format)
    else:
        target = Path(output)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = write_records(stream, records, list(EXPORT_FIELDS), format)
            partial.replace(target)  # a failed export never leaves half a file under the name
        except OSError as error:
            raise UsageError(f"cannot write {output}: {error.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
    info(
        f"exported {count} ticket{'s' if count != 1 else ''}" + (f" to {output}" if output else "")
    )


def _warn_invalid(row: TicketRow) -> None:
    from csm_console.domain.stored import describe_invalid

    info(f"warning: #{row.id} holds invalid values: {describe_invalid(row.invalid)}")
