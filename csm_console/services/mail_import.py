"""`csm mail import`: messages from files (Maildir, mbox, .eml) through the intake, in date order.

The messages are taken in by batches: one write transaction holds up to `BATCH_MESSAGES`
messages (read ahead: `BATCH_BYTES` at most), or as many as it stores in `BATCH_SECONDS`,
each in a savepoint of its own (`mail_intake.take_in_within`), so a message that cannot be
stored is rolled back alone and quarantined while the others of its batch stand.  Each batch
is committed before the next begins, and the import runs inside `Store.bulk`: on SQLite a
writer waiting meanwhile (a console's reply) gets its turn between two batches, after at most
about `BATCH_SECONDS`.

A re-run adds nothing (the receipts make every message already taken in a duplicate), and an
import stopped halfway (the store went away, Ctrl-C, a crash) loses at most the batch it was
writing, which was never committed: run again, it resumes where the last commit stopped.  A
message over `max_mail_size`, or a file that cannot be read, is skipped and named: the file
is still there, and a re-run after raising the limit takes it in.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from csm_console.channels.mail_files import FoundMessage
from csm_console.domain.mail import Mailbox, MailSettings, Outcome, ParsedMail
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services.clock import utcnow
from csm_console.services.mail_intake import Intake, parse_or_reason, take_in_within
from csm_console.services.progress import Progress, no_progress
from csm_console.store.engine import Store

BATCH_MESSAGES = 100  # messages in one write transaction, at most
BATCH_SECONDS = 0.5  # and no more than about this long: then a waiting writer gets its turn
BATCH_BYTES = 64 * 1024 * 1024  # messages read ahead, at most (one always: up to max_mail_size)


@dataclass(frozen=True)
class Problem:
    source: str
    reason: str
    quarantine_id: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    total: int  # messages found
    outcomes: dict[str, int]  # Outcome value → how many (and "skipped")
    skipped: tuple[Problem, ...]  # not taken in (too large, unreadable)
    quarantined: tuple[Problem, ...]

    def line(self) -> str:
        parts = [f"{n} {name}" for name, n in self.outcomes.items() if n]
        return f"{self.total} messages" + (": " + ", ".join(parts) if parts else "")


def import_messages(
    store: Store,
    found: Sequence[FoundMessage],
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    progress: Progress = no_progress,
    now: datetime | None = None,
    acknowledge_new: bool = False,
) -> ImportSummary:
    """Take in every message found, in the order given (`find_messages` sorts by date).  New
    tickets are not acknowledged unless `acknowledge_new`: an import is usually old mail."""
    counts: Counter[str] = Counter()
    skipped: list[Problem] = []
    quarantined: list[Problem] = []
    total = len(found)
    progress("importing", 0, total)
    pending: deque[_Prepared] = deque()  # read and parsed, not stored yet
    position = 0  # messages of `found` read (or skipped) so far
    with store.bulk():
        while position < total or pending:
            while (
                len(pending) < BATCH_MESSAGES
                and position < total
                and (not pending or sum(len(p[1]) for p in pending) < BATCH_BYTES)
            ):
                item = found[position]
                position += 1
                source = sanitize(item.source, single_line=True)
                raw = _read(item, mail, source, skipped)
                if raw is None:
                    counts["skipped"] += 1
                else:  # parsed outside the write transaction: the batch holds the store less
                    pending.append((source, raw, parse_or_reason(raw, mail)))
            stored = _store_batch(
                store, pending, mail=mail, mailbox=mailbox, now=now, acknowledge_new=acknowledge_new
            )
            for source, result in stored:
                counts[result.outcome.value] += 1
                if result.outcome is Outcome.QUARANTINED:
                    quarantined.append(Problem(source, result.detail, result.quarantine_id))
            progress("importing", position - len(pending), total)
    order = [o.value for o in Outcome] + ["skipped"]
    return ImportSummary(
        total=total,
        outcomes={name: counts[name] for name in order if counts[name]},
        skipped=tuple(skipped),
        quarantined=tuple(quarantined),
    )


_Prepared = tuple[str, bytes, ParsedMail | str]  # source, raw bytes, parsed (or the reason)


def _read(
    item: FoundMessage, mail: MailSettings, source: str, skipped: list[Problem]
) -> bytes | None:
    """The message's bytes, or None (named in `skipped`: empty, too large, unreadable)."""
    if item.size == 0:
        skipped.append(Problem(source, "an empty file"))
        return None
    if item.size > mail.max_message:
        skipped.append(
            Problem(
                source,
                f"too large: {item.size} bytes, the limit is {mail.max_message} (max_mail_size)",
            )
        )
        return None
    try:
        return item.read()
    except (OSError, UsageError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        skipped.append(Problem(source, f"cannot read it: {reason}"))
        return None


def _store_batch(
    store: Store,
    pending: deque[_Prepared],
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime | None,
    acknowledge_new: bool,
) -> list[tuple[str, Intake]]:
    """One write transaction: the next pending messages, each in its savepoint, until
    `BATCH_MESSAGES` are stored or `BATCH_SECONDS` have passed; committed when it returns."""
    stored: list[tuple[str, Intake]] = []
    if not pending:
        return stored
    with store.write() as session:
        started = time.monotonic()
        while pending and len(stored) < BATCH_MESSAGES:
            if stored and time.monotonic() - started >= BATCH_SECONDS:
                break
            source, raw, parsed = pending[0]
            result = take_in_within(
                session,
                raw,
                parsed,
                mail=mail,
                mailbox=mailbox,
                now=now or utcnow(),
                acknowledge_new=acknowledge_new,
            )
            pending.popleft()
            stored.append((source, result))
    return stored
