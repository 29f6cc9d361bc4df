"""`csm mail send` and `csm mail outbox list|retry|cancel`: delivering the outbox.

The services are imported inside the commands, as in `mail_cmd`: the `mail` group is loaded
for `csm mail receive` too, which must not pay for SMTP and the outbox."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from csm_console.cli.output import check_format, info, out, plain, write_records
from csm_console.cli.state import state
from csm_console.domain.text import sanitize
from csm_console.errors import MailServerUnavailable, NothingToDo, UsageError

if TYPE_CHECKING:
    from csm_console.services.outbox import OutboxView

outbox_app = typer.Typer(help="The outbox: list, retry, cancel.", no_args_is_help=True)

FIELDS = [
    "id", "ticket_id", "kind", "state", "attempts", "next_attempt_at", "recipient",
    "mailbox", "mail_id", "subject", "created_at", "sent_at", "server_reply",
]  # fmt: skip
TABLE_FIELDS = ["id", "ticket_id", "kind", "state", "attempts", "next", "recipient", "reply"]


def send(
    ctx: typer.Context,
    limit: int | None = typer.Option(
        None, "--limit", min=1, max=10_000_000, help="At most N mails this run."
    ),
    batch: int = typer.Option(50, "--batch", min=1, max=1000, help="Mails claimed at a time."),
    lease: int = typer.Option(
        300,
        "--lease",
        min=1,
        max=86_400,
        metavar="SECONDS",
        help="How long a claim holds (default 300, at most a day).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="One line per mail on stderr."),
) -> None:
    """Deliver the mail that is due (over one SMTP connection), then exit.

    The server is `smtp_url` (or CSM_SMTP_URL); the password comes from `smtp_password_env` or
    `smtp_password_command`, never a flag.  4xx answers and a server that is down are retried
    later (1, 2, 4 ... minutes, at most hourly, given up after about a day); 5xx fails at once.
    Two senders at once never send the same mail.  Exit 75 when the server is unreachable.
    """
    from datetime import timedelta

    from csm_console.services import mail_send

    st = state(ctx)
    mail = st.settings().mail
    store = st.store()
    report = mail_send.deliver(
        store,
        mail=mail,
        limit=limit,
        batch=batch,
        lease=timedelta(seconds=lease),
        on_result=(
            (
                lambda item, state_, delivery: info(
                    sanitize(f"#{item.id} {state_}: {delivery.reply}")
                )
            )
            if verbose
            else None
        ),
    )
    if report.server_down:
        raise MailServerUnavailable(report.summary())
    if not (report.sent or report.retrying or report.failed):
        raise NothingToDo("nothing to send: no mail is due")
    info(report.summary())


def _next(view: OutboxView, now: datetime) -> str:
    from csm_console.domain.durations import format_duration

    if view.state != "queued":
        return "—"
    due = view.next_attempt_at
    return "now" if due <= now else "in " + format_duration(due - now, parts=1)


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    state_: list[str] = typer.Option(
        [], "--state", help="queued, sending, sent, failed or cancelled; repeatable."
    ),
    ticket: str | None = typer.Option(None, "--ticket", metavar="ID", help="One ticket's mail."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most N, newest first."),
    format: str = typer.Option("table", "--format", help="table, json, ndjson, csv or ids."),
) -> None:
    """Outgoing mail with its state, attempts, next attempt and the server's last answer."""
    from csm_console.services import outbox
    from csm_console.services.ticket_reads import parse_ticket_id

    check_format(format, ("table", "json", "ndjson", "csv", "ids"))
    states = [part for value in state_ for part in value.split(",")]
    rows = outbox.list_outbox(
        state(ctx).store(),
        states=states,
        ticket_id=parse_ticket_id(ticket) if ticket else None,
        limit=limit,
    )
    if format == "ids":
        sys.stdout.write("".join(f"{r.id}\n" for r in rows))
        return
    if format != "table":
        write_records(sys.stdout, (plain(r) for r in rows), FIELDS, format)
        return
    if not rows:
        out.print("no outgoing mail", style="dim", markup=False)
        return
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in TABLE_FIELDS:
        table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=50)
    for r in rows:
        cells = [
            str(r.id), f"#{r.ticket_id}", r.kind, r.state, str(r.attempts), _next(r, now),
            r.recipient, r.server_reply,
        ]  # fmt: skip
        table.add_row(*(Text(sanitize(c, single_line=True)) for c in cells))
    out.table(table)


def _ids(values: list[str]) -> list[int]:
    from csm_console.domain.model import as_id

    ids: list[int] = []
    for value in values:
        lines = sys.stdin.read().split() if value == "-" else [value]
        for text in lines:
            number = as_id(text)
            if number is None:
                raise UsageError(f"not an outbox id: {sanitize(text, single_line=True)[:40]!r}")
            ids.append(number)
    if not ids:
        raise NothingToDo("nothing to do: no outbox ids")
    return ids


def _report(changed: list[OutboxView], refused: list[tuple[int, str]], done: str) -> None:
    for item in changed:
        info(f"{item.id} {done}")
    for number, why in refused:
        info(f"{number} refused: {why}")
    if refused and not changed:
        raise UsageError(f"{len(refused)} refused, nothing changed")


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Outbox ids, or - for stdin."),
) -> None:
    """Queue failed or cancelled mail again, due now, with the same Message-ID (leads)."""
    from csm_console.services import outbox

    st = state(ctx)
    changed, refused = outbox.retry(st.store(), actor=st.actor(), ids=_ids(ids))
    _report(changed, refused, "queued")


@outbox_app.command("cancel")
def outbox_cancel(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Outbox ids, or - for stdin."),
) -> None:
    """Cancel queued or failed mail so it is never sent; not mail being sent (leads)."""
    from csm_console.services import outbox

    st = state(ctx)
    changed, refused = outbox.cancel(st.store(), actor=st.actor(), ids=_ids(ids))
    _report(changed, refused, "cancelled")
