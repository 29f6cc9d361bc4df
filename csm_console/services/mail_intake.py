"""What an incoming e-mail becomes: `take_in(store, raw, ...)` → an `Intake`.

One call per message, whatever brought it (`csm mail receive` on an MTA's pipe, `csm mail
import` from Maildir/mbox/.eml files, `csm mail fetch` over IMAP).  The raw bytes are parsed
(`domain.mail_parse`); what cannot be parsed is kept raw in the quarantine with the reason
(`services.quarantine`).  Everything else is written in one transaction per message, with its
`mail_receipt` row: the receipt's unique `mail_key` (the Message-ID, or the raw bytes' hash)
makes a second copy a duplicate, however it arrived and however many processes take it in at
the same moment.  What a parsed message becomes on the tickets is `services.mail_thread`.

`take_in` never raises for a bad message.  It raises `StoreUnavailable` (exit 6; `csm mail
receive` turns it into 75, EX_TEMPFAIL) only when the store cannot be reached or stays locked,
and then nothing was written: the sender (MTA, IMAP) keeps the message and tries again.
`mailbox` None means the mailbox whose address the message was sent to (To, Cc), if any.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any

from sqlalchemy import exc, select
from sqlmodel import Session, col

from csm_console.domain.mail import Mailbox, MailSettings, Outcome, ParsedMail, Unstorable
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.text import sanitize
from csm_console.errors import StoreUnavailable
from csm_console.services.clock import utcnow
from csm_console.services.mail_thread import Decision, decide
from csm_console.services.outbox import acknowledge
from csm_console.store.engine import Store
from csm_console.store.models import MailReceipt, Quarantine

HEADER_PEEK = 64 * 1024  # bytes read for a quarantined message's sender and subject
WRITE_ATTEMPTS = 3  # a write that met another's at a unique key is tried again


@dataclass(frozen=True)
class Intake:
    """What became of one message (the one line `csm mail receive` prints: `line()`)."""

    outcome: Outcome
    ticket_id: int | None = None
    detail: str = ""  # the reason of a drop or quarantine, "duplicate of #12", ...
    quarantine_id: int | None = None
    message_id: int | None = None  # the stored message (`message.id`), if one was stored
    mail_key: str = ""  # the Message-ID, or `sha256:<hex>` of the raw bytes
    # for a duplicate: what became of the first copy
    first_outcome: Outcome | None = None

    def line(self) -> str:
        """One line, sanitised: `#1234 new`, `#1234 follow-up`, `#1240 new, linked to #1234`,
        `duplicate of #1234`, `dropped: loop ...`, `quarantined Q17: reason`."""
        detail = sanitize(self.detail, single_line=True)
        ticket = f"#{self.ticket_id}" if self.ticket_id is not None else ""
        match self.outcome:
            case Outcome.DUPLICATE:
                text = f"duplicate of {detail}" if detail else "duplicate"
            case Outcome.DROPPED:
                text = f"dropped: {detail}"
            case Outcome.QUARANTINED:
                text = f"quarantined Q{self.quarantine_id}: {detail}"
            case Outcome.LINKED:  # a new ticket: `#1240 new, linked to #1234`
                text = f"{ticket} new, {detail}"
            case _:
                text = f"{ticket} {self.outcome.value}".strip()
                if detail:
                    text += f": {detail}"
        return text

    def as_json(self) -> dict[str, Any]:
        """The JSON object of `csm mail receive --format json` (field names are a contract)."""
        return {
            "outcome": self.outcome.value,
            "ticket_id": self.ticket_id,
            "message_id": self.message_id,
            "quarantine_id": self.quarantine_id,
            "detail": sanitize(self.detail, single_line=True),
            "mail_key": sanitize(self.mail_key, single_line=True),
            "first_outcome": self.first_outcome.value if self.first_outcome else None,
            "line": self.line(),
        }


def take_in(
    store: Store,
    raw: bytes,
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime | None = None,
    acknowledge_new: bool = True,
) -> Intake:
    """Take one raw message in: a new ticket, a follow-up, a rating, a duplicate, a drop or a
    quarantine, written in one transaction.  Raises only `StoreUnavailable`.  A new ticket is
    acknowledged to the customer (by the outbox's rules) unless `acknowledge_new` is False
    (an import of old mail)."""
    now = now or utcnow()
    parsed = parse_or_reason(raw, mail)
    if isinstance(parsed, str):
        return hold(store, raw, reason=parsed, mailbox=mailbox, now=now)
    return take_in_parsed(
        store, parsed, raw=raw, mail=mail, mailbox=mailbox, now=now, acknowledge_new=acknowledge_new
    )


def parse_or_reason(raw: bytes, mail: MailSettings) -> ParsedMail | str:
    """The parsed message, or why it cannot be stored (the quarantine's reason)."""
    try:
        return parse_message(raw, charsets=mail.charsets, max_message=mail.max_message)
    except Unstorable as error:
        return str(error)
    except Exception as error:  # a parser bug must not block the next message
        return f"the parser failed: {type(error).__name__}: {_first_line(error)}"


def take_in_within(
    session: Session,
    raw: bytes,
    parsed: ParsedMail | str,
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime,
    acknowledge_new: bool,
) -> Intake:
    """`take_in` inside a transaction that holds other messages too (`csm mail import` takes
    them in batches): `parsed` is `parse_or_reason(raw, mail)`.  Each message is written in a
    savepoint of its own, so one that cannot be stored is rolled back alone and quarantined,
    and the others of the batch stand.  The same rules as `take_in`, in the same functions.
    Raises what the store raises (it cannot be reached, a statement timed out): the whole
    batch is then rolled back, and a re-run takes its messages in."""
    if isinstance(parsed, str):
        return _hold_within(session, raw, parsed, mailbox, now, None)
    if mailbox is None:
        mailbox = mailbox_for(parsed, mail)
    reason = ""
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            with session.begin_nested():
                return _write_in(
                    session,
                    parsed,
                    mail=mail,
                    mailbox=mailbox,
                    now=now,
                    acknowledge_new=acknowledge_new,
                )
        except (StoreUnavailable, exc.OperationalError, exc.InterfaceError):
            raise  # the store, not the message: the batch fails whole
        except Exception as error:
            # rolled back to the savepoint; rows of the earlier messages are all flushed, so
            # nothing pending is lost, and no object of the rolled-back rows stays in the
            # session (SQLite gives their ids out again)
            session.expunge_all()
            if not isinstance(error, exc.IntegrityError):
                reason = f"could not be stored: {type(error).__name__}: {_first_line(error)}"
                break  # a message the rules cannot store: keep it, go on
            # PostgreSQL: another process stored the same message, customer or attachment
            # meanwhile (a second try finds them)
            seen = _receipt(session, parsed.mail_key)
            if seen is not None:
                return _duplicate(seen)
            reason = f"the store refused it: {_first_line(error.orig or error)}"
    return _hold_within(session, raw, reason, mailbox, now, parsed)


def _hold_within(
    session: Session,
    raw: bytes,
    reason: str,
    mailbox: Mailbox | None,
    now: datetime,
    parsed: ParsedMail | None,
) -> Intake:
    """`hold` in a savepoint of a batch."""
    reason = sanitize(reason, single_line=True)[:2000]
    try:
        with session.begin_nested():
            return _hold_in(session, raw, reason, mailbox, now, parsed, False)
    except exc.IntegrityError:
        # PostgreSQL: another process quarantined the same bytes at the same moment
        seen = _receipt(session, raw_key(raw))
        if seen is None:
            raise
        return _duplicate(seen)


def take_in_parsed(
    store: Store,
    parsed: ParsedMail,
    *,
    raw: bytes,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime,
    retrying: bool = False,
    acknowledge_new: bool = True,
) -> Intake:
    """`take_in` after parsing (the quarantine's retry comes here too, `retrying`)."""
    if mailbox is None:
        mailbox = mailbox_for(parsed, mail)
    reason = ""
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            with store.write() as session:
                return _write_in(
                    session,
                    parsed,
                    mail=mail,
                    mailbox=mailbox,
                    now=now,
                    acknowledge_new=acknowledge_new,
                )
        except StoreUnavailable:
            raise
        except exc.IntegrityError as error:
            # PostgreSQL: another transaction stored the same message (the receipt's unique
            # key) while this one was deciding, and its copy stands; or it added the same new
            # customer or attachment at the same moment, and a second try finds them.
            found = find_receipt(store, parsed.mail_key)
            if found is not None:
                return found
            reason = f"the store refused it: {_first_line(error.orig or error)}"
        except Exception as error:  # a message the rules cannot store: keep it, go on
            reason = f"could not be stored: {type(error).__name__}: {_first_line(error)}"
            break
    return hold(
        store, raw, reason=reason, mailbox=mailbox, now=now, parsed=parsed, retrying=retrying
    )


def mailbox_for(parsed: ParsedMail, mail: MailSettings) -> Mailbox | None:
    """The configured mailbox a message was sent to (by its To and Cc addresses), when the
    caller does not know it (`csm mail receive` without `--mailbox`); None when none matches."""
    for address in parsed.recipients:
        for box in mail.mailboxes:
            if address in (a.lower() for a in box.addresses):
                return box
    return None


def _write_in(
    session: Session,
    parsed: ParsedMail,
    *,
    mail: MailSettings,
    mailbox: Mailbox | None,
    now: datetime,
    acknowledge_new: bool,
) -> Intake:
    """Everything one message writes, in `session` (its own transaction, or a savepoint of
    an import's batch)."""
    seen = _receipt(session, parsed.mail_key)
    if seen is not None:
        return _duplicate(seen)
    receipt = MailReceipt(
        mail_key=parsed.mail_key,
        mailbox=mailbox.name if mailbox else None,
        received_at=now,
        outcome=Outcome.NEW.value,
    )
    session.add(receipt)
    session.flush()  # PostgreSQL: a second copy in flight waits here, then fails
    decision: Decision = decide(session, parsed, mail=mail, mailbox=mailbox, now=now)
    if (
        acknowledge_new
        and decision.outcome in (Outcome.NEW, Outcome.LINKED)
        and decision.ticket_id is not None
        and not parsed.auto_response_suppressed  # the sender asked for no auto-answers
    ):  # the acknowledgement, by its own rules (loops, robots, rate limits, the mailbox)
        acknowledge(
            session,
            mail=mail,
            ticket_id=decision.ticket_id,
            sender=parsed.sender,
            flags=parsed.flags,
            loop_marker=parsed.loop_marker,
            now=now,
        )
    receipt.outcome = decision.outcome.value
    receipt.ticket_id = decision.ticket_id
    receipt.message_id = decision.message_id
    receipt.detail = decision.detail
    _release(session, parsed.raw_sha256, receipt)
    return Intake(
        outcome=decision.outcome,
        ticket_id=decision.ticket_id,
        detail=decision.detail,
        message_id=decision.message_id,
        mail_key=parsed.mail_key,
    )


def _release(session: Session, raw_sha256: str, receipt: MailReceipt) -> None:
    """The same bytes, held in the quarantine before (a limit since raised), are stored now."""
    held = session.execute(
        select(Quarantine).where(
            col(Quarantine.raw_sha256) == raw_sha256, col(Quarantine.state) == "held"
        )
    ).scalar_one_or_none()
    if held is not None:
        held.state = "released"
        # the quarantine's own receipt (keyed by the raw hash) is replaced by this one
        for old in session.execute(
            select(MailReceipt).where(
                col(MailReceipt.quarantine_id) == held.id, col(MailReceipt.id) != receipt.id
            )
        ).scalars():
            session.delete(old)
        receipt.quarantine_id = held.id


def _receipt(session: Session, mail_key: str) -> MailReceipt | None:
    found: MailReceipt | None = session.execute(
        select(MailReceipt).where(col(MailReceipt.mail_key) == mail_key)
    ).scalar_one_or_none()
    return found


def find_receipt(store: Store, mail_key: str) -> Intake | None:
    """The message with this key as a duplicate, if it was taken in before."""
    with store.read() as session:
        seen = _receipt(session, mail_key)
        return _duplicate(seen) if seen is not None else None


def _duplicate(seen: MailReceipt) -> Intake:
    first = Outcome(seen.outcome)
    if seen.ticket_id is not None:
        detail = f"#{seen.ticket_id}"
    elif seen.quarantine_id is not None and first is Outcome.QUARANTINED:
        detail = f"Q{seen.quarantine_id} (quarantined)"
    else:
        detail = f"a message {first.value}" + (f" ({seen.detail})" if seen.detail else "")
    return Intake(
        outcome=Outcome.DUPLICATE,
        ticket_id=seen.ticket_id,
        detail=detail,
        quarantine_id=seen.quarantine_id,
        message_id=seen.message_id,
        mail_key=seen.mail_key,
        first_outcome=first,
    )


def raw_key(raw: bytes) -> str:
    """The receipt key of a message that could not be parsed: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def hold(
    store: Store,
    raw: bytes,
    *,
    reason: str,
    mailbox: Mailbox | None,
    now: datetime,
    parsed: ParsedMail | None = None,
    retrying: bool = False,
) -> Intake:
    """Keep the raw bytes in the quarantine with the reason (once: the same bytes again are a
    duplicate, unless `retrying` them from the quarantine), with a receipt keyed by the bytes'
    hash."""
    reason = sanitize(reason, single_line=True)[:2000]
    try:
        return _hold(store, raw, reason, mailbox, now, parsed, retrying)
    except exc.IntegrityError:
        # PostgreSQL: another process quarantined the same bytes at the same moment
        found = find_receipt(store, raw_key(raw))
        if found is None:
            raise
        return found


def _hold(
    store: Store,
    raw: bytes,
    reason: str,
    mailbox: Mailbox | None,
    now: datetime,
    parsed: ParsedMail | None,
    retrying: bool,
) -> Intake:
    with store.write() as session:
        return _hold_in(session, raw, reason, mailbox, now, parsed, retrying)


def _hold_in(
    session: Session,
    raw: bytes,
    reason: str,
    mailbox: Mailbox | None,
    now: datetime,
    parsed: ParsedMail | None,
    retrying: bool,
) -> Intake:
    """What `hold` writes, in `session` (its own transaction, or a savepoint of a batch)."""
    digest = hashlib.sha256(raw).hexdigest()
    key = raw_key(raw)
    sender, subject = (parsed.sender, parsed.subject) if parsed else peek_headers(raw)
    seen = _receipt(session, key)
    if seen is not None and not (retrying and seen.quarantine_id is not None):
        return _duplicate(seen)
    held = session.execute(
        select(Quarantine).where(col(Quarantine.raw_sha256) == digest)
    ).scalar_one_or_none()
    if held is not None and held.state == "released":
        # stored since (a retry, or a copy that parsed): the stored message's receipt
        stored = session.execute(
            select(MailReceipt).where(col(MailReceipt.quarantine_id) == held.id)
        ).scalar_one_or_none()
        if stored is not None:
            return _duplicate(stored)
    if held is None:
        held = Quarantine(
            mailbox=mailbox.name if mailbox else None,
            received_at=now,
            reason=reason,
            sender=sender[:254],
            subject=subject[:500],
            size=len(raw),
            raw_sha256=digest,
            raw=raw,
            state="held",
        )
        session.add(held)
        session.flush()
    else:  # held before (retried, or released and then refused): held, with this reason
        held.state = "held"
        held.reason = reason
    if seen is None:
        session.add(
            MailReceipt(
                mail_key=key,
                mailbox=mailbox.name if mailbox else None,
                received_at=now,
                outcome=Outcome.QUARANTINED.value,
                quarantine_id=held.id,
                detail=reason,
            )
        )
    else:
        seen.detail = reason
    return Intake(
        outcome=Outcome.QUARANTINED,
        detail=reason,
        quarantine_id=held.id,
        mail_key=key,
    )


def peek_headers(raw: bytes) -> tuple[str, str]:
    """Best effort, for the quarantine's list: the sender and subject of bytes that may not
    parse, sanitised."""
    try:
        headers = BytesHeaderParser().parsebytes(raw[:HEADER_PEEK])
        sender = parseaddr(str(headers.get("From", "")))[1]
        subject = str(headers.get("Subject", ""))
        return sanitize(sender, single_line=True), sanitize(subject, single_line=True)
    except Exception:
        return "", ""


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else ""
