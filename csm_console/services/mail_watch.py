"""`csm worker` and `csm mail watch`: keep fetching until told to stop, and run the other
periodic work (the outbox, the automations).

    stop = threading.Event()          # set it (a signal handler does) to stop
    watch(store, mail, mailboxes=boxes, stop=stop, poll=60, periodic=[send_due_mail])

Each mailbox has a thread of its own holding one connection: it fetches a round
(`mail_fetch.fetch_mailbox`), then waits for new mail with IMAP IDLE where the server has it
(else it sleeps and polls), at most `poll` seconds and never longer than `IDLE_RENEW` (29
minutes, under the 30 that servers allow an IDLE), then fetches again.  A server that goes away
is reconnected with a growing pause (1 s doubling up to `MAX_BACKOFF`), said once per failure on
`say`.  The store unreachable or locked leaves the mail on the server for the next round.

**Other periodic work** (the outbox's sending, automations): `periodic` is a list of plain
callables with no arguments, each run once per round of the calling thread, every `poll`
seconds (and once at the start).  A callable that raises is reported on `say` and run again the
next round: one failing job never stops the watch or the others.  Keep each one short (a batch
with a limit): stopping waits for the one running to return.

Every wait checks `stop` at least twice a second, so a watch stops within a second of being
asked, except while a message is being taken in (that one is finished first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from csm_console.channels.imap import ImapSession
from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.errors import CsmError, MailServerError
from csm_console.services import automations
from csm_console.services.automations import describe_run
from csm_console.services.mail_fetch import FetchReport, TakeIn, fetch_mailbox, open_session
from csm_console.services.mail_send import deliver, smtp_password, smtp_target
from csm_console.store.engine import Store

IDLE_RENEW = 29 * 60.0  # seconds: an IDLE is ended and issued again at least this often
MAX_BACKOFF = 60.0  # seconds between two tries to reach a server that is down
STEP = 0.2  # seconds: how often every wait looks at `stop` (a stop within a second, issue 14)
JOIN_TIMEOUT = 30.0  # seconds given to a mailbox thread to finish its message when stopping

PeriodicWork = Callable[[], object]
Say = Callable[[str], None]


@dataclass(frozen=True)
class WatchOptions:
    poll: float = 60.0  # seconds between two rounds at most (IDLE may wake a round sooner)
    idle_renew: float = IDLE_RENEW
    max_backoff: float = MAX_BACKOFF


def describe(report: FetchReport) -> str | None:
    """The line that a round is worth on stderr, or None for a quiet round."""
    parts: list[str] = []
    if report.counts:
        parts.append(", ".join(f"{n} {k}" for k, n in sorted(report.counts.items())))
    parts.extend(report.notes)
    if report.error:
        parts.append(
            f"stopped: {report.error}"
            + ("; the next round retries" if report.store_unavailable else "")
        )
    return f"mailbox {report.mailbox}: " + "; ".join(parts) if parts else None


def run_periodic(periodic: Sequence[PeriodicWork], say: Say) -> None:
    """Run each job once; a job that fails is reported and the others still run."""
    for job in periodic:
        try:
            job()
        except CsmError as error:
            say(f"{_job_name(job)}: {error.message}")
        except Exception as error:  # one failing job never stops the watch
            say(f"{_job_name(job)} failed: {type(error).__name__}: {error}")


def _job_name(job: PeriodicWork) -> str:
    return getattr(job, "__name__", None) or type(job).__name__


def watch_mailbox(
    store: Store,
    mailbox: Mailbox,
    *,
    mail: MailSettings,
    stop: threading.Event,
    say: Say,
    options: WatchOptions = WatchOptions(),
    take_in: TakeIn | None = None,
    connect: Callable[[Mailbox], ImapSession] | None = None,
) -> None:
    """Fetch one mailbox round after round until `stop` is set (one thread's work)."""
    opener = connect or open_session
    backoff = 1.0
    failed = False
    while not stop.is_set():
        try:
            session = opener(mailbox)
        except MailServerError as error:
            failed = _pause(stop, say, f"{error.message}; trying again in {backoff:g} s", backoff)
            backoff = min(backoff * 2, options.max_backoff)
            continue
        if failed:
            say(f"mailbox {mailbox.name}: connected again")
            failed = False
        backoff = 1.0
        try:
            while not stop.is_set():
                report = fetch_mailbox(
                    store, mailbox, mail=mail, take_in=take_in, session=session, stop=stop
                )
                line = describe(report)
                if line:
                    say(line)
                if report.error and not report.store_unavailable:
                    raise MailServerError(report.error)
                if report.taken and not report.error:
                    continue  # mail that came during the round is not announced to an IDLE
                session.wait(min(options.poll, options.idle_renew), stop, STEP)
        except MailServerError as error:
            failed = _pause(stop, say, f"{error.message}; reconnecting in {backoff:g} s", backoff)
            backoff = min(backoff * 2, options.max_backoff)
        finally:
            session.close()


def _pause(stop: threading.Event, say: Say, message: str, seconds: float) -> bool:
    if not stop.is_set():
        say(message)
        stop.wait(seconds)
    return True


def watch(
    store: Store,
    mail: MailSettings,
    *,
    mailboxes: Sequence[Mailbox],
    stop: threading.Event,
    say: Say,
    options: WatchOptions = WatchOptions(),
    periodic: Sequence[PeriodicWork] = (),
    take_in: TakeIn | None = None,
) -> None:
    """Watch every mailbox (a thread each) and run `periodic` every `options.poll` seconds in
    this thread, until `stop` is set; then wait for the mailbox threads to finish."""
    threads = [
        threading.Thread(
            target=_guarded,
            args=(store, box, mail, stop, say, options, take_in),
            name=f"csm-watch-{box.name}",
            daemon=True,
        )
        for box in mailboxes
    ]
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set():
            run_periodic(periodic, say)
            due = time.monotonic() + options.poll
            while not stop.is_set() and time.monotonic() < due:
                stop.wait(min(STEP, max(0.0, due - time.monotonic())))
    finally:
        stop.set()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)


def _guarded(
    store: Store,
    mailbox: Mailbox,
    mail: MailSettings,
    stop: threading.Event,
    say: Say,
    options: WatchOptions,
    take_in: TakeIn | None,
) -> None:
    """A mailbox's thread: a bug in a round is said and the round tried again later, so one
    mailbox never takes the watch down."""
    while not stop.is_set():
        try:
            watch_mailbox(
                store, mailbox, mail=mail, stop=stop, say=say, options=options, take_in=take_in
            )
        except CsmError as error:
            say(f"mailbox {mailbox.name}: {error.message}; trying again in {options.poll:g} s")
            stop.wait(options.poll)
        except Exception as error:
            say(
                f"mailbox {mailbox.name}: unexpected {type(error).__name__}: {error}; "
                f"trying again in {options.poll:g} s"
            )
            stop.wait(options.poll)


AUTOMATIONS_EVERY = 60.0  # seconds: automations run at most this often


def periodic_jobs(
    store: Store,
    mail: MailSettings,
    say: Say,
    *,
    automations_every: float | None = None,
) -> list[PeriodicWork]:
    """The other work `csm worker` and `csm mail watch` run every round besides fetching (the
        place to add a job: a callable with no arguments): sending the outbox's due mail, when an
        `smtp_url` is set (its settings are checked now, so a bad one stops the watch before it
        starts), and the automations, at most every `automations_every` seconds (`csm worker` and
    `csm mail watch` give AUTOMATIONS_EVERY; None: no automations)."""
    jobs: list[PeriodicWork] = []
    if automations_every is not None:
        jobs.append(_automations_job(store, say, automations_every))
    if not mail.smtp_url:
        say("no smtp_url (config file or CSM_SMTP_URL): watching without sending")
        return jobs
    smtp_target(mail)
    smtp_password(mail)
    last_down: list[str | None] = [None]

    def send_due() -> None:
        report = deliver(store, mail=mail)
        if report.server_down != last_down[0]:  # say when the server goes away or is back
            last_down[0] = report.server_down
            if report.server_down is None:
                say("the SMTP server is reachable again")
        if report.sent or report.retrying or report.failed or report.server_down:
            say(f"outbox: {report.summary()}")

    return [send_due, *jobs]


def _automations_job(store: Store, say: Say, every: float) -> PeriodicWork:
    """Run the enabled automations (`services.automations.run`) when `every` seconds have gone
    since the last run began; say what they did."""
    next_due = [0.0]

    def run_automations() -> None:
        if time.monotonic() < next_due[0]:
            return
        next_due[0] = time.monotonic() + every
        for line in describe_run(automations.run(store)):
            say(line)

    return run_automations
