"""`csm mail ...`: the e-mail channel from the shell: receive one message from a mail server's
pipe, import files, and the quarantine.

Other modules add their commands to this group through `cli.app.GROUP_EXTRAS` (`fetch` and
`watch` in `mail_fetch_cmd`, `send` and `outbox` in `outbox_cmd`): loading `mail` loads every
`csm mail` command, and no module imports another.  So each command imports the services
it alone uses inside itself: `csm mail receive` runs once for every message a mail server
delivers, and should not pay for the import, IMAP, quarantine and SMTP code.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from csm_console.cli.output import check_format, emit_json, json_text, out, write_records
from csm_console.cli.state import CliState, state
from csm_console.domain.text import sanitize
from csm_console.errors import ConfigError, CsmError, NothingToDo, StoreUnavailable, UsageError

if TYPE_CHECKING:
    from csm_console.domain.mail import Mailbox, MailSettings

EX_TEMPFAIL = 75  # sysexits.h: the mail server keeps the message and tries again later

app = typer.Typer(
    help="E-mail: take mail in (a mail server's pipe, files, IMAP), send the outbox; the "
    "quarantine.",
    no_args_is_help=True,
)
quarantine_app = typer.Typer(
    help="Messages that could not be stored, kept raw with the reason.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")


class TempFail(CsmError):
    """`csm mail receive` could not take the message in now (the store is unavailable, the
    configuration is broken): nothing was written; exit 75 so the mail server tries again."""

    exit_code = EX_TEMPFAIL


def _mailbox(mail: MailSettings, name: str | None) -> Mailbox | None:
    """The `--mailbox` named, or None (the intake goes by the message's To and Cc)."""
    if name is None:
        return None
    found = mail.mailbox(name)
    if found is None:
        known = ", ".join(m.name for m in mail.mailboxes) or "none is configured"
        raise UsageError(f"no mailbox named {name!r} in [[mailboxes]] ({known})")
    return found


@app.command("receive")
def receive(
    ctx: typer.Context,
    mailbox: str | None = typer.Option(
        None,
        "--mailbox",
        metavar="NAME",
        help="The [[mailboxes]] entry it came by (default: the one it was sent to).",
    ),
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Take in one message from stdin, as a mail server's pipe delivers it; print what it became.

    Exit 0 when the message is safe: stored, a duplicate, dropped (a loop) or quarantined.
    Exit 75 (EX_TEMPFAIL) when the store cannot be used now (unreachable, locked, missing) or
    the configuration is broken: nothing was written, and the mail server tries again later.
    A message larger than max_mail_size is quarantined from its header (exit 0): its size
    is recorded, its body is read to the end but not kept. Empty input is an error (exit 2).
    """
    from csm_console.cli.files import read_stdin_head
    from csm_console.services.mail_intake import HEADER_PEEK, take_in
    from csm_console.services.quarantine import quarantine_too_large

    check_format(format, ("text", "json"))
    st = state(ctx)
    try:
        mail = st.settings().mail
        box = _mailbox(mail, mailbox)
    except UsageError as error:  # a broken [[mailboxes]] or --mailbox: fix it, mail waits
        raise TempFail(f"{error.message}; the mail server will try again") from None
    raw, size = read_stdin_head(limit=mail.max_message, head=HEADER_PEEK)
    if not raw.strip():
        raise UsageError("stdin is empty: no message to take in")
    try:
        if size > mail.max_message:
            result = quarantine_too_large(
                st.store(),
                raw,
                size=size,
                limit=mail.max_message,
                mailbox=box,
                kept="only the header was kept, the body was not kept: raise max_mail_size "
                "and ask the sender to send it again",
            )
        else:
            result = take_in(st.store(), raw, mail=mail, mailbox=box)
    except (StoreUnavailable, ConfigError) as error:
        raise TempFail(f"{error.message}; nothing was written, try again later") from None
    except CsmError:
        raise
    except Exception as error:  # a bug must not bounce the customer's mail: it waits
        raise TempFail(
            f"unexpected error (a bug; please report it): {type(error).__name__}; nothing was "
            "written, the mail server will try again"
        ) from None
    if format == "json":
        sys.stdout.write(json_text(result.as_json()) + "\n")
    else:
        out.print(result.line(), markup=False)


@app.command("import")
def import_mail(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., metavar="PATH...", help="Maildir folders, mbox files or single .eml files."
    ),
    mailbox: str | None = typer.Option(
        None,
        "--mailbox",
        metavar="NAME",
        help="The [[mailboxes]] entry they came by (default: each one's To and Cc).",
    ),
    format: str = typer.Option("text", "--format", help="text or json."),
    acknowledge: bool = typer.Option(
        False,
        "--acknowledge",
        help="Acknowledge each new ticket to its customer, as mail taken in from a pipe or "
        "IMAP is (off by default: an import is usually old mail).",
    ),
) -> None:
    """Take in the messages of Maildir folders, mbox files and .eml files, oldest first.

    Prints a summary by outcome; a re-run adds nothing (each message is a duplicate). A
    message larger than max_mail_size, or a file that cannot be read, is skipped and named
    on stderr (exit 2 after the rest is imported): raise the limit and run it again.
    """
    from csm_console.channels.mail_files import find_messages
    from csm_console.cli.output import info
    from csm_console.cli.progress import progress_bar
    from csm_console.services.mail_import import import_messages

    check_format(format, ("text", "json"))
    st = state(ctx)
    mail = st.settings().mail
    box = _mailbox(mail, mailbox)
    store = st.store()
    found = find_messages(paths)
    if not found:
        raise NothingToDo(
            "no messages in " + ", ".join(sanitize(p, single_line=True) for p in paths)
        )
    with progress_bar() as progress:
        summary = import_messages(
            store, found, mail=mail, mailbox=box, progress=progress, acknowledge_new=acknowledge
        )
    for problem in summary.quarantined:
        info(f"{problem.source}: quarantined Q{problem.quarantine_id}: {problem.reason}")
    for problem in summary.skipped:
        info(f"{problem.source}: skipped: {problem.reason}")
    if format == "json":
        emit_json(summary)
    else:
        out.print(summary.line(), markup=False)
    if summary.skipped:
        raise UsageError(
            f"{len(summary.skipped)} of {summary.total} messages were skipped (named above); "
            "the rest was taken in"
        )


# ---- the quarantine ----------------------------------------------------------------------

LIST_FIELDS = ("id", "state", "received_at", "mailbox", "sender", "subject", "size", "reason")


def _record(view: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "state": view.state,
        "received_at": view.received_at.isoformat(timespec="seconds"),
        "mailbox": view.mailbox,
        "sender": view.sender,
        "subject": view.subject,
        "size": view.size,
        "reason": view.reason,
    }


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    state_name: str = typer.Option("held", "--state", help="held, released, dropped or all."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N, newest first."),
    format: str = typer.Option("table", "--format", help="table, json, ndjson, csv or ids."),
) -> None:
    """List quarantined messages, newest first: sender, subject, size and the reason."""
    from csm_console.services.quarantine import list_held

    check_format(format, ("table", "json", "ndjson", "csv", "ids"))
    views = list_held(
        state(ctx).store(), state=None if state_name == "all" else state_name, limit=limit
    )
    if format == "ids":
        for view in views:
            sys.stdout.write(f"Q{view.id}\n")
    elif format == "table":
        _table(views)
    else:
        write_records(sys.stdout, (_record(v) for v in views), list(LIST_FIELDS), format)


def _table(views: list[Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not views:
        out.print("the quarantine holds nothing here", markup=False)
        return
    rows = [
        [
            Text(f"Q{v.id}"),
            Text(v.state),
            Text(v.received_at.strftime("%Y-%m-%d %H:%M")),
            Text(f"{v.size:,}"),
            Text(sanitize(v.sender, single_line=True)),
            Text(sanitize(v.subject, single_line=True)),
            Text(sanitize(v.reason, single_line=True)),
        ]
        for v in views
    ]
    names = ("id", "state", "received", "size", "from", "subject", "reason")
    # id, state, received and size are never cut; from, subject and reason share the rest
    fixed = [max(len(n), *(r[i].cell_len for r in rows)) for i, n in enumerate(names[:4])]
    left = max(30, out.width - sum(w + 1 for w in fixed) - 1)
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name, width in zip(names[:4], fixed, strict=True):
        table.add_column(name, no_wrap=True, min_width=width)
    for name, share in (("from", 0.25), ("subject", 0.35), ("reason", 1.0)):
        needed = max(len(name), *(r[names.index(name)].cell_len for r in rows))
        width = min(needed, max(8, int(left * share) if share < 1 else left))
        left -= width + 1
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=width)
    for row in rows:
        table.add_row(*row)
    out.table(table)


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    quarantine_id: str = typer.Argument(..., metavar="ID", help="Q17 or 17."),
    raw: bool = typer.Option(
        False, "--raw", help="Write the raw bytes (to a pipe or file only, never a terminal)."
    ),
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Show a quarantined message: the reason, size and headers (sanitised); --raw the bytes."""
    from csm_console.services import quarantine

    check_format(format, ("text", "json"))
    st = state(ctx)
    number = quarantine.parse_quarantine_id(quarantine_id)
    if raw:
        if sys.stdout.isatty():
            raise UsageError(
                "--raw writes the message's bytes, which may hold terminal escapes: redirect "
                "it to a file or a pipe (csm mail quarantine show Q17 --raw > q17.eml)"
            )
        data = quarantine.raw_of(st.store(), number)
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    detail = quarantine.show(st.store(), number)
    if format == "json":
        emit_json(
            {
                **_record(detail.view),
                "raw_sha256": detail.raw_sha256,
                "headers": [[name, value] for name, value in detail.headers],
            }
        )
        return
    v = detail.view
    lines = [
        f"Q{v.id}  {v.state}  {v.size:,} bytes  received {v.received_at:%Y-%m-%d %H:%M} UTC"
        + (f"  mailbox {v.mailbox}" if v.mailbox else ""),
        f"reason: {v.reason}",
        f"sha256: {detail.raw_sha256}",
        "",
        *(f"{name}: {value}" for name, value in detail.headers),
    ]
    for line in lines:
        out.print(sanitize(line, single_line=True), markup=False)


def _ids(st: CliState, ids: list[str], every: bool) -> list[int] | None:
    from csm_console.services.quarantine import parse_quarantine_id

    if every and ids:
        raise UsageError("give IDs or --all, not both")
    if not every and not ids:
        raise UsageError("which messages? give IDs (Q17 ...) or --all")
    if ids == ["-"]:
        ids = [line.strip() for line in sys.stdin if line.strip()]
    return None if every else [parse_quarantine_id(i) for i in ids]


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(
        None, metavar="ID...", help="Q17 ... (optional with --all; '-': from stdin)."
    ),
    every: bool = typer.Option(False, "--all", help="Every held message, oldest first."),
    format: str = typer.Option("text", "--format", help="text or ndjson."),
) -> None:
    """Run the intake again on held messages (after raising max_mail_size, say). Admins.

    Prints one line per message: what it became, or quarantined again with the new reason.
    """
    from csm_console.services.quarantine import retry_all

    check_format(format, ("text", "ndjson"))
    st = state(ctx)
    chosen = _ids(st, ids or [], every)
    results = retry_all(st.store(), actor=st.actor(), mail=st.settings().mail, ids=chosen)
    if not results:
        raise NothingToDo("the quarantine holds no message to retry")
    for number, result in results:
        if format == "ndjson":
            sys.stdout.write(json_text({"quarantine_id": number, **result.as_json()}) + "\n")
        else:
            out.print(f"Q{number}: {result.line()}", markup=False)


@quarantine_app.command("drop")
def quarantine_drop(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Q17 ... ('-': from stdin)."),
) -> None:
    """Give up on held messages: their bytes are deleted; a copy fetched again stays a duplicate.
    Admins."""
    from csm_console.services.quarantine import drop

    st = state(ctx)
    chosen = _ids(st, ids, False) or []
    actor = st.actor()
    for number in chosen:
        view = drop(st.store(), actor=actor, quarantine_id=number)
        out.print(f"Q{view.id} dropped", markup=False)
