"""`csm mail fetch` and `csm mail watch`: mail from IMAP mailboxes into the queue; and `csm
worker`, the long-running worker that also sends the outbox and runs the automations.

The two commands join the `csm mail` group (see `main.GROUP_EXTRAS`); the rules are in
`services.mail_fetch` and `services.mail_watch`. Their services are imported inside the
commands, as in `mail_cmd`: the group is loaded for `csm mail receive` too.
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from csm_console.cli.output import check_format, emit_json, err, out
from csm_console.cli.state import state
from csm_console.domain.text import sanitize
from csm_console.errors import MailServerError, StoreUnavailable

if TYPE_CHECKING:
    from csm_console.domain.mail import Mailbox
    from csm_console.services.mail_fetch import FetchReport

FORMATS = ("text", "json")


def summary(report: FetchReport) -> str:
    """`support (INBOX): 3 taken in: 2 new, 1 duplicate`."""
    head = f"{report.mailbox} ({report.folder})"
    if not report.taken:
        return f"{head}: failed (see the error)" if report.error else f"{head}: nothing new"
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.counts.items()))
    text = f"{head}: {report.taken} taken in" + (f": {counts}" if counts else "")
    if report.error:
        text += f"; stopped, {report.waiting - report.taken} left for the next run"
    return text


def record(report: FetchReport) -> dict[str, Any]:
    """A report as JSON (a stable contract: these field names)."""
    return {
        "mailbox": report.mailbox,
        "folder": report.folder,
        "taken": report.taken,
        "waiting": report.waiting,
        "counts": dict(sorted(report.counts.items())),
        "rescanned": report.rescanned,
        "notes": list(report.notes),
        "error": report.error,
    }


def fetch(
    ctx: typer.Context,
    mailbox: str | None = typer.Option(
        None, "--mailbox", "-m", metavar="NAME", help="Only this mailbox (default: every one "
        "with an imap_url)."
    ),
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:  # fmt: skip
    """Fetch new mail once from IMAP mailboxes and take it in: new tickets, follow-ups, ...

    Reads each mailbox's folder by UID from where the last fetch stopped (flags such as \\Seen
    do not matter), flags what it took in, and moves it to move_to if set. Prints one line per
    mailbox with the outcomes. Exit 6 if the store is unavailable, 8 if a server cannot be
    reached or refuses the login; what was not taken in is fetched by the next run.
    """
    from csm_console.cli.progress import progress_bar
    from csm_console.services.mail_fetch import fetch_all

    check_format(format, FORMATS)
    st = state(ctx)
    settings = st.settings()
    store = st.store()
    with progress_bar() as progress:
        reports = fetch_all(store, settings.mail, name=mailbox, progress=progress)
    if format == "json":
        emit_json([record(r) for r in reports])
    else:
        for report in reports:
            out.print(summary(report), markup=False)
    for report in reports:
        for note in report.notes:
            err.print(f"{report.mailbox}: {note}", markup=False)
    failed = [r for r in reports if r.error]
    store_failed = [r for r in failed if r.store_unavailable]
    if store_failed:
        raise StoreUnavailable(f"{store_failed[0].error} (the next fetch takes the rest)")
    if failed:
        raise MailServerError("; ".join(r.error or "" for r in failed))


def watch(
    ctx: typer.Context,
    mailbox: str | None = typer.Option(
        None, "--mailbox", "-m", metavar="NAME", help="Only this mailbox (default: every one "
        "with an imap_url)."
    ),
    poll: float = typer.Option(
        60.0, "--poll", min=1.0, max=1740.0, metavar="SECONDS",
        help="Fetch (and run the other periodic work) at least this often; with IMAP IDLE new "
        "mail is taken in as it arrives.",
    ),
) -> None:  # fmt: skip
    """Keep fetching mail from IMAP mailboxes until Ctrl-C or SIGTERM.

    One connection per mailbox, waiting with IMAP IDLE where the server has it, else polling
    every --poll seconds. A server that goes away is reconnected with a growing pause, said
    on stderr. Stops within a second (after the message being taken in). Exit 0 when stopped.
    Like `csm worker`, it also sends the outbox and runs the automations every minute.
    """
    from csm_console.services.mail_fetch import check_mailbox, imap_mailboxes

    st = state(ctx)
    boxes = imap_mailboxes(st.settings().mail, mailbox)
    for box in boxes:
        check_mailbox(box)
    names = ", ".join(b.name for b in boxes)
    _serve(ctx, boxes, poll, f"watching {names} (every {poll:g} s at most)")


def worker(
    ctx: typer.Context,
    poll: float = typer.Option(
        60.0, "--poll", min=1.0, max=1740.0, metavar="SECONDS",
        help="Fetch mail and send the outbox at least this often (automations run every "
        "minute).",
    ),
) -> None:  # fmt: skip
    """The one long-running worker: fetch mail when mailboxes have an imap_url, send the
    outbox when smtp_url is set, and run the automations every minute, until Ctrl-C or SIGTERM.

    Each part also runs once from the CLI (`csm mail fetch`, `csm mail send`, `csm automations
    run`). Stops within a second (after the message being taken in). Exit 0 when stopped.
    """
    from csm_console.services.mail_fetch import check_mailbox

    st = state(ctx)
    boxes = [m for m in st.settings().mail.mailboxes if m.imap_url]
    for box in boxes:
        check_mailbox(box)
    fetching = f"fetching {', '.join(b.name for b in boxes)}" if boxes else "no mailbox to fetch"
    _serve(ctx, boxes, poll, f"worker: {fetching}, automations every minute")


def _serve(ctx: typer.Context, boxes: list[Mailbox], poll: float, started: str) -> None:
    """Run the watch (the mailboxes, the outbox, the automations) until Ctrl-C or SIGTERM;
    every line on stderr with the time."""
    from csm_console.services.mail_watch import AUTOMATIONS_EVERY, WatchOptions, periodic_jobs
    from csm_console.services.mail_watch import watch as run

    st = state(ctx)
    settings = st.settings()
    store = st.store()
    stop = threading.Event()

    def say(message: str) -> None:
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        err.print(f"{stamp} {sanitize(message, single_line=True)}", markup=False)

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        say(f"{started}; stop with Ctrl-C or SIGTERM")
        run(
            store,
            settings.mail,
            mailboxes=boxes,
            stop=stop,
            say=say,
            options=WatchOptions(poll=poll),
            periodic=periodic_jobs(store, settings.mail, say, automations_every=AUTOMATIONS_EVERY),
        )
        say("stopped")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
