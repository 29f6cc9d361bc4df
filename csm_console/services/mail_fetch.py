"""`csm mail fetch`: take in the new mail of a mailbox's IMAP folder, once.

One round, for one mailbox:

1. select the folder; compare its UIDVALIDITY with the one kept in `mailbox_state`.  A new
   UIDVALIDITY (the folder was recreated, the server rebuilt) means the old UIDs mean nothing:
   the folder is scanned again from the start, and the report says so.  Messages seen before
   are duplicates to the intake (`mail_receipt`), so nothing is stored twice;
2. list the UIDs above the last one taken in, whatever their flags (`\\Seen` set by another
   client or not), and their sizes (RFC822.SIZE);
3. fetch them in batches with BODY.PEEK[] (fetching sets no flag).  A message over
   `MailSettings.max_message` is never downloaded: its header alone is quarantined, with the
   reason, and the message stays on the server for someone to look at;
4. for each message in UID order: hand the raw bytes to the intake (`take_in`), then flag it
   (`$CsmProcessed`, or `\\Flagged` where the folder allows no keyword), move it to `move_to`
   if the mailbox has one, and only then advance `last_uid`.

A crash anywhere in 4 leaves `last_uid` at the message before: the next round hands the same
message to the intake again, which finds it in `mail_receipt` (a duplicate, no second ticket).
The store unreachable or locked stops the round at once, with the message unflagged and
`last_uid` where it was; a server failure stops it the same way.  Either is in the report,
and the next round retries.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc

from csm_console.channels.imap import ImapSession, parse_imap_url, password_for
from csm_console.domain.mail import Mailbox, MailSettings, Outcome
from csm_console.errors import ConfigError, MailServerError, StoreUnavailable, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.mail_intake import Intake
from csm_console.services.mail_intake import take_in as take_in_raw
from csm_console.services.progress import Progress, no_progress
from csm_console.services.quarantine import quarantine_too_large
from csm_console.store.engine import Store
from csm_console.store.models import MailboxState

BATCH_COUNT = 50  # messages fetched in one FETCH
BATCH_BYTES = 32 * 1024 * 1024  # bytes of messages fetched in one FETCH (by RFC822.SIZE)


# `mail_intake.take_in(store, raw, *, mail, mailbox, now=None) -> Intake`, or a stand-in of
# the same shape (tests); never raises for a bad message, raises StoreUnavailable when the
# store cannot take it
TakeIn = Callable[..., Intake]


@dataclass(frozen=True)
class FetchReport:
    """What one round did for one mailbox.  `counts` is by `Outcome` value; `error` says why
    the round stopped before the end (the server or the store), None when it finished."""

    mailbox: str
    folder: str
    counts: dict[str, int] = field(default_factory=dict)
    taken: int = 0  # messages handed over (and flagged) this round
    waiting: int = 0  # new messages found on the server this round
    rescanned: bool = False  # UIDVALIDITY changed: the folder was read again from the start
    notes: tuple[str, ...] = ()
    error: str | None = None
    store_unavailable: bool = False  # the error was the store's (the next round retries)

    @property
    def ok(self) -> bool:
        return self.error is None


def imap_mailboxes(mail: MailSettings, name: str | None = None) -> list[Mailbox]:
    """The mailboxes to fetch: the one named, or every one with an `imap_url`."""
    if name is not None:
        box = mail.mailbox(name)
        if box is None:
            known = ", ".join(m.name for m in mail.mailboxes) or "none is configured"
            raise UsageError(f"no mailbox named {name!r} (known: {known})")
        if not box.imap_url:
            raise ConfigError(f"mailbox {name}: no imap_url in the config file")
        return [box]
    boxes = [m for m in mail.mailboxes if m.imap_url]
    if not boxes:
        raise ConfigError("no mailbox has an imap_url: add one to [[mailboxes]] in the config file")
    return boxes


def open_session(mailbox: Mailbox, env: dict[str, str] | None = None) -> ImapSession:
    """A logged-in session on the mailbox's server (its URL checked, its password read)."""
    if not mailbox.imap_url:
        raise ConfigError(f"mailbox {mailbox.name}: no imap_url in the config file")
    target = parse_imap_url(mailbox.imap_url, where=f"mailbox {mailbox.name}: imap_url")
    session = ImapSession(
        target, password_for(mailbox, env), label=f"mailbox {mailbox.name} ({target.display()})"
    )
    session.open()
    return session


def check_mailbox(mailbox: Mailbox, env: dict[str, str] | None = None) -> None:
    """Refuse a mailbox whose URL or password setting cannot work (before a watch starts)."""
    if not mailbox.imap_url:
        raise ConfigError(f"mailbox {mailbox.name}: no imap_url in the config file")
    parse_imap_url(mailbox.imap_url, where=f"mailbox {mailbox.name}: imap_url")
    password_for(mailbox, env)


# -- the position in a folder (mailbox_state) -------------------------------------------------


@dataclass(frozen=True)
class Position:
    uidvalidity: int
    last_uid: int


def read_position(store: Store, mailbox: str, folder: str) -> Position | None:
    with store.read() as session:
        row = session.get(MailboxState, (mailbox, folder))
        return None if row is None else Position(row.uidvalidity, row.last_uid)


def save_position(
    store: Store, mailbox: str, folder: str, position: Position, *, now: datetime | None = None
) -> None:
    """Keep where a folder was read up to.  A new UIDVALIDITY replaces the old position; under
    the same one, `last_uid` only moves forward (two fetchers at once never move it back)."""
    when = now or utcnow()
    for attempt in range(2):
        try:
            with store.write() as session:
                row = session.get(MailboxState, (mailbox, folder))
                if row is None:
                    session.add(
                        MailboxState(
                            mailbox=mailbox,
                            folder=folder,
                            uidvalidity=position.uidvalidity,
                            last_uid=position.last_uid,
                            updated_at=when,
                        )
                    )
                elif row.uidvalidity != position.uidvalidity or row.last_uid < position.last_uid:
                    row.uidvalidity, row.last_uid = position.uidvalidity, position.last_uid
                    row.updated_at = when
            return
        except sa_exc.IntegrityError:  # another fetcher inserted it first: update it then
            if attempt:
                raise


# -- one round -------------------------------------------------------------------------------


def _batches(uids: list[int], sizes: dict[int, int], limit: int) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if size > limit:  # never downloaded: a batch of its own
            if batch:
                yield batch
                batch, total = [], 0
            yield [uid]
            continue
        if batch and (len(batch) >= BATCH_COUNT or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _store_failure(error: BaseException) -> str | None:
    """The one-line reason when `error` means the store cannot be used right now."""
    if isinstance(error, StoreUnavailable):
        return error.message
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return f"store error: {str(error.orig).splitlines()[0] if error.orig else error}"
    return None


def fetch_mailbox(
    store: Store,
    mailbox: Mailbox,
    *,
    mail: MailSettings,
    take_in: TakeIn | None = None,
    session: ImapSession | None = None,
    progress: Progress = no_progress,
    stop: threading.Event | None = None,
    now: datetime | None = None,
) -> FetchReport:
    """One round for one mailbox (see the module's text).  With `session`, that connection is
    used and left open (watch keeps one); without, one is opened and closed.  A server or store
    failure ends the round and is in the report (`error`); a bad configuration raises."""
    take = take_in or take_in_raw
    folder = mailbox.folder
    report: dict[str, Any] = {"mailbox": mailbox.name, "folder": folder}
    counts: Counter[str] = Counter()
    notes: list[str] = []
    taken = 0
    own = session is None
    try:
        if session is None:
            session = open_session(mailbox)
        status = session.select(folder)
        known = read_position(store, mailbox.name, folder)
        last = 0
        if known is not None and known.uidvalidity == status.uidvalidity:
            last = known.last_uid
        else:
            if known is not None:
                report["rescanned"] = True
                notes.append(
                    f"UIDVALIDITY of {folder} changed ({known.uidvalidity} -> "
                    f"{status.uidvalidity}): the folder is read again from the start; messages "
                    "taken in before are duplicates and stored once"
                )
            save_position(store, mailbox.name, folder, Position(status.uidvalidity, 0), now=now)
        if mailbox.move_to:
            session.ensure_folder(mailbox.move_to)
            session.select(folder)
        uids = session.uids_after(last)
        report["waiting"] = len(uids)
        sizes = session.sizes(uids)
        progress(f"fetching {mailbox.name}", 0, len(uids))
        for batch in _batches(uids, sizes, mail.max_message):
            if stop is not None and stop.is_set():
                break
            small = [u for u in batch if sizes.get(u, 0) <= mail.max_message]
            bodies = session.fetch(small)
            for uid in batch:
                if stop is not None and stop.is_set():
                    break
                raw = bodies.get(uid)
                if uid not in small or (raw is not None and len(raw) > mail.max_message):
                    size = max(sizes.get(uid, 0), len(raw or b""))
                    held = quarantine_too_large(
                        store,
                        session.header(uid),
                        size=size,
                        limit=mail.max_message,
                        mailbox=mailbox,
                        kept="only the header was fetched, the message is still on the server",
                        now=now,
                    )
                    counts[held.outcome.value] += 1
                elif raw is None:  # removed by another client since it was listed
                    notes.append(f"UID {uid} went away before it was fetched")
                    save_position(store, mailbox.name, folder, Position(status.uidvalidity, uid))
                    continue
                else:
                    result = take(store, raw, mail=mail, mailbox=mailbox, now=now)
                    counts[Outcome(result.outcome).value] += 1
                session.mark_processed(uid)
                if mailbox.move_to:
                    session.move(uid, mailbox.move_to)
                save_position(store, mailbox.name, folder, Position(status.uidvalidity, uid))
                taken += 1
                progress(f"fetching {mailbox.name}", taken, len(uids))
    except MailServerError as error:
        report["error"] = error.message
    except (StoreUnavailable, sa_exc.OperationalError, sa_exc.InterfaceError) as error:
        report["error"] = _store_failure(error)
        report["store_unavailable"] = True
    finally:
        if own and session is not None:
            session.close()
    return FetchReport(counts=dict(counts), taken=taken, notes=tuple(notes), **report)


def fetch_all(
    store: Store,
    mail: MailSettings,
    *,
    name: str | None = None,
    take_in: TakeIn | None = None,
    progress: Progress = no_progress,
    now: datetime | None = None,
) -> list[FetchReport]:
    """One round for the named mailbox, or for every one with an `imap_url`, in order, after
    checking all their settings (a `ConfigError` before anything is fetched).  One mailbox's
    server failing does not stop the others; the store failing does (it fails them all)."""
    boxes = imap_mailboxes(mail, name)
    for box in boxes:  # a bad setting anywhere stops the run before any mail is touched
        check_mailbox(box)
    take = take_in or take_in_raw
    reports: list[FetchReport] = []
    for box in boxes:
        report = fetch_mailbox(store, box, mail=mail, take_in=take, progress=progress, now=now)
        reports.append(report)
        if report.store_unavailable:
            break
    return reports
