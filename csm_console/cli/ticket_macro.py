"""`csm tickets macro ID... NAME`: apply a macro from the shell (a command of the tickets
group, `GROUP_EXTRAS` in cli/app.py).  Each ticket gets the variant for its customer's
language, the macro's reply rendered for it (sent as a public reply: an e-mail ticket's mail is
queued) and the macro's actions, in one transaction per ticket; `--dry-run` says what would
change and writes nothing.

The services (and with them jinja2 and the outbox's mail modules) are imported inside the
command: the tickets group loads this module for `csm tickets list` too."""

from __future__ import annotations

import sys

import typer

from csm_console.cli.output import info, out
from csm_console.cli.state import state
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError

MAX_TICKETS = 100_000


def _shorten(text: str, width: int = 60) -> str:
    line = " ".join(sanitize(text, single_line=True).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def macro(
    ctx: typer.Context,
    ids_and_name: list[str] = typer.Argument(
        ...,
        metavar="ID... NAME",
        help="Ticket ids (- reads them from stdin), then the macro's name.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would change on each ticket; write nothing."
    ),
    max_tickets: int = typer.Option(
        100, "--max", min=1, max=MAX_TICKETS, help="Refuse if more tickets are given."
    ),
) -> None:
    """Apply a macro to tickets: its reply (the customer's language variant, rendered for each
    ticket) is sent as a public reply and its actions are applied, in one transaction per
    ticket.  Changed ids go to stdout, a line per refused ticket to stderr (exit code of the
    first refusal); --dry-run prints what would change and writes nothing."""
    from csm_console.cli.tickets_cmd import read_ids
    from csm_console.services import macros

    if len(ids_and_name) < 2:
        raise UsageError("give one or more ticket ids (or -), then the macro's name")
    *raw_ids, name = ids_and_name
    chosen = read_ids(raw_ids)
    if len(set(chosen)) > max_tickets:
        raise UsageError(
            f"{len(set(chosen))} tickets is more than --max {max_tickets}; nothing changed"
        )
    st = state(ctx)
    store = st.store()
    from csm_console.cli.progress import progress_bar

    with progress_bar() as progress:
        run = macros.apply_many(
            store,
            actor=st.actor(),
            ticket_ids=chosen,
            name=name,
            dry_run=dry_run,
            after_each=lambda done: progress("applying", done, len(set(chosen))),
        )
    shown = _shorten(run.name, 40)
    if dry_run:
        info(f"dry run of macro {shown}: {run.summary()}; nothing changed")
        for result in run.results:
            head = f"#{result.ticket_id} ({result.macro.variant})"
            if not result.changes:
                out.print(f"{head}: nothing to change", markup=False)
            for change in result.changes:
                if change.field in ("reply", "note", "notify"):
                    what = f"{change.field}: {_shorten(change.new or '')}"
                else:
                    what = _shorten(str(change), 80)
                out.print(f"{head} {what}", markup=False, soft_wrap=True)
    else:
        for ticket_id in run.changed:
            sys.stdout.write(f"{ticket_id}\n")
        batch = f" (batch {run.batch_id})" if run.changed else ""
        nothing = "" if run.changed or run.refused else "; nothing to do"
        info(f"macro {shown}: {run.summary()}{batch}{nothing}")
    for ticket_id, reason in run.refused:
        info(f"  #{ticket_id} refused: {reason}")
    if run.refused:
        raise typer.Exit(run.refusal_codes[0])
