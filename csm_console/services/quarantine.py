"""The mail quarantine: messages the intake could not store, kept raw with the reason.

`list_held` and `show` read it (sender, subject and headers sanitised: they are the hostile
part); `raw_of` gives the bytes themselves, for a file or a pipe.  `retry` runs the intake again
on the raw bytes (after raising `max_mail_size`, after fixing what made it fail): stored, the
row is `released`; still unstorable, it stays `held` with the new reason.  `drop` gives up on a
message: the row stays, `dropped`, without its bytes, so that the same message fetched again
is still a duplicate.  Retrying and dropping are for admins (the mail intake's own rights,
as `store.grants` gives them on PostgreSQL), and audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser

from sqlalchemy import func, select
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from csm_console.domain.mail import Mailbox, MailSettings, Outcome, Unstorable
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.model import Role, as_id
from csm_console.domain.rights import Actor
from csm_console.domain.text import sanitize
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.mail_intake import HEADER_PEEK, Intake, hold, raw_key, take_in_parsed
from csm_console.services.ticket_core import reload_actor
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent, MailReceipt, Quarantine

STATES = ("held", "released", "dropped")
MAX_HEADERS = 200  # shown by `show`
MAX_HEADER_VALUE = 1000


@dataclass(frozen=True)
class QuarantineView:
    id: int
    state: str
    received_at: datetime
    mailbox: str | None
    sender: str  # sanitised
    subject: str  # sanitised
    size: int
    reason: str  # sanitised


@dataclass(frozen=True)
class QuarantineDetail:
    view: QuarantineView
    raw_sha256: str
    headers: tuple[tuple[str, str], ...]  # (name, value), sanitised, single-line


def _view(row: Quarantine) -> QuarantineView:
    assert row.id is not None
    return QuarantineView(
        id=row.id,
        state=row.state,
        received_at=row.received_at,
        mailbox=row.mailbox,
        sender=sanitize(row.sender, single_line=True),
        subject=sanitize(row.subject, single_line=True),
        size=row.size,
        reason=sanitize(row.reason, single_line=True),
    )


def header_of(head: bytes) -> bytes:
    """The header of a message from its first bytes: up to and with the blank line that ends
    it, or all of `head` when no blank line is in it."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := head.find(sep)) >= 0]
    return head[: min(ends)] if ends else head


def quarantine_too_large(
    store: Store,
    head: bytes,
    *,
    size: int,
    limit: int,
    mailbox: Mailbox | None,
    kept: str,
    now: datetime | None = None,
) -> Intake:
    """Record a message over the size limit from its first bytes alone: its header (cut from
    `head` by `header_of`) is quarantined with the reason, `size` and `kept` (what became of
    the rest: still on the IMAP server, or not kept from a pipe).  The receipt (`hold`'s)
    keeps the same message given again from being quarantined twice."""
    reason = f"too large: {size} bytes (the limit, max_mail_size, is {limit}); {kept}"
    held = hold(store, header_of(head), reason=reason, mailbox=mailbox, now=now or utcnow())
    if held.outcome is Outcome.QUARANTINED and held.quarantine_id is not None:
        with store.write() as session:  # the size of the message, not of what was kept
            row = session.get(Quarantine, held.quarantine_id)
            if row is not None:
                row.size = size
    return held


def parse_quarantine_id(text: str) -> int:
    """`Q17`, `q17` or `17` → 17."""
    number = as_id(sanitize(text, single_line=True).strip().lstrip("Qq"))
    if number is None:  # ASCII digits only: `²` and `١٧` are digits to str.isdigit
        raise UsageError(f"bad quarantine id {text[:40]!r}; ids look like Q17 (or 17)")
    return number


def list_held(
    store: Store, *, state: str | None = "held", limit: int | None = None
) -> list[QuarantineView]:
    """The quarantine, newest first; `state` None lists every state."""
    if state is not None and state not in STATES:
        raise UsageError(f"unknown state {state!r}; valid: {', '.join(STATES)}, all")
    without_bytes = defer(Quarantine.raw)  # type: ignore[arg-type]
    statement = select(Quarantine).options(without_bytes).order_by(col(Quarantine.id).desc())
    if state is not None:
        statement = statement.where(col(Quarantine.state) == state)
    if limit is not None:
        statement = statement.limit(limit)
    with store.read() as session:
        # the raw bytes stay in the store: only the columns of the list are loaded
        return [_view(row) for row in session.execute(statement).scalars()]


def count_held(store: Store) -> int:
    with store.read() as session:
        return int(
            session.execute(
                select(func.count()).where(col(Quarantine.state) == "held")
            ).scalar_one()
        )


def _get(store: Store, quarantine_id: int) -> Quarantine:
    with store.read() as session:
        row = session.get(Quarantine, quarantine_id)
        if row is None:
            raise NotFound(f"no quarantined message Q{quarantine_id}")
        return row


def show(store: Store, quarantine_id: int) -> QuarantineDetail:
    row = _get(store, quarantine_id)
    headers: list[tuple[str, str]] = []
    try:
        parsed = BytesHeaderParser().parsebytes(row.raw[:HEADER_PEEK])
        for name, value in list(parsed.items())[:MAX_HEADERS]:
            headers.append(
                (
                    sanitize(str(name), single_line=True)[:100],
                    sanitize(str(value), single_line=True)[:MAX_HEADER_VALUE],
                )
            )
    except Exception:  # the bytes are what they are: show what the row knows
        pass
    return QuarantineDetail(view=_view(row), raw_sha256=row.raw_sha256, headers=tuple(headers))


def raw_of(store: Store, quarantine_id: int) -> bytes:
    """The message's raw bytes (empty once dropped)."""
    return _get(store, quarantine_id).raw


def retry(
    store: Store,
    *,
    actor: Actor,
    quarantine_id: int,
    mail: MailSettings,
    now: datetime | None = None,
) -> Intake:
    """Run the intake again on a held message's bytes, with today's settings."""
    now = now or utcnow()
    with store.read() as session:
        _check_admin(reload_actor(session, actor), "retry")
    row = _get(store, quarantine_id)
    if row.state != "held":
        raise UsageError(f"Q{quarantine_id} is {row.state}; only held messages are retried")
    mailbox = mail.mailbox(row.mailbox) if row.mailbox else None
    try:
        parsed = parse_message(row.raw, charsets=mail.charsets, max_message=mail.max_message)
    except Unstorable as error:
        return _still_held(store, actor, row, str(error), now)
    except Exception as error:
        return _still_held(store, actor, row, f"the parser failed: {type(error).__name__}", now)
    result = take_in_parsed(
        store, parsed, raw=row.raw, mail=mail, mailbox=mailbox, now=now, retrying=True
    )
    if result.outcome is Outcome.QUARANTINED:
        return _still_held(store, actor, row, result.detail, now)
    with store.write() as session:
        fresh = session.get(Quarantine, quarantine_id, with_for_update=True)
        if fresh is not None and fresh.state == "held":
            # a duplicate (another copy was stored since): its content is in the store
            fresh.state = "released"
        _audit(session, actor, "retry", quarantine_id, result.line(), now)
    return result


def _check_admin(actor: Actor, what: str) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied(f"{actor.describe()} may not {what} quarantined mail; needs: admin")


def _still_held(store: Store, actor: Actor, row: Quarantine, reason: str, now: datetime) -> Intake:
    reason = sanitize(reason, single_line=True)[:2000]
    with store.write() as session:
        fresh = session.get(Quarantine, row.id, with_for_update=True)
        if fresh is not None:
            fresh.reason = reason
            receipt = session.execute(
                select(MailReceipt).where(col(MailReceipt.quarantine_id) == row.id)
            ).scalar_one_or_none()
            if receipt is not None:
                receipt.detail = reason
        assert row.id is not None
        _audit(session, actor, "retry", row.id, f"still held: {reason}", now)
    return Intake(
        outcome=Outcome.QUARANTINED,
        detail=reason,
        quarantine_id=row.id,
        mail_key=raw_key(row.raw),
    )


def drop(
    store: Store, *, actor: Actor, quarantine_id: int, now: datetime | None = None
) -> QuarantineView:
    """Give up on a held message: its bytes are deleted, the row (and its receipt, which makes
    a copy fetched again a duplicate) stays, `dropped`."""
    now = now or utcnow()
    with store.write() as session:
        _check_admin(reload_actor(session, actor), "drop")
        row = session.get(Quarantine, quarantine_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no quarantined message Q{quarantine_id}")
        if row.state != "held":
            raise UsageError(f"Q{quarantine_id} is {row.state}; only held messages are dropped")
        row.state = "dropped"
        row.raw = b""
        for receipt in session.execute(
            select(MailReceipt).where(col(MailReceipt.quarantine_id) == quarantine_id)
        ).scalars():
            receipt.outcome = Outcome.DROPPED.value
            receipt.detail = f"dropped from the quarantine (Q{quarantine_id})"
        _audit(session, actor, "drop", quarantine_id, row.reason[:200], now)
        session.flush()
        return _view(row)


def _audit(
    session: Session, actor: Actor, what: str, quarantine_id: int, note: str, now: datetime
) -> None:
    session.add(
        AuditEvent(
            ticket_id=None,
            actor_id=actor.id,
            action="quarantine",
            field=what,
            old_value=f"Q{quarantine_id}",
            new_value=note[:500],
            created_at=now,
        )
    )


def retry_all(
    store: Store, *, actor: Actor, mail: MailSettings, ids: Sequence[int] | None = None
) -> list[tuple[int, Intake]]:
    """Retry the given held messages, or every held one, oldest first."""
    if ids is None:
        ids = [view.id for view in reversed(list_held(store, state="held"))]
    return [(qid, retry(store, actor=actor, quarantine_id=qid, mail=mail)) for qid in ids]
