"""Delivering the outbox (`csm mail send`, and `csm mail watch` between fetches).

A sender claims a batch of due mails in one short write: their state becomes `sending`, with
`claimed_by` and `claimed_until` as a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two
senders never claim the same row; SQLite: `BEGIN IMMEDIATE` serialises the claims).  It then
delivers them over one SMTP connection and records each result in its own transaction as soon
as the server answered, so a sender killed mid-batch leaves at most the mail in flight
unrecorded: after the lease that one, and the claimed mails it never reached, are claimed again
and sent with the same Message-ID and the same bytes.

4xx answers, refused connections and timeouts are retried with a growing delay
(`domain.outgoing.retry_delay`) and given up after `MAX_ATTEMPTS`; 5xx answers fail at once.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from csm_console.channels.smtp import (
    Delivery,
    ServerUnavailable,
    SmtpClient,
    Verdict,
    resolve_password,
)
from csm_console.domain.mail import MailSettings
from csm_console.domain.outgoing import (
    MAX_ATTEMPTS,
    OutFile,
    OutgoingMessage,
    OutKind,
    OutState,
    SmtpTarget,
    build_message,
    parse_smtp_url,
    retry_delay,
)
from csm_console.errors import ConfigError
from csm_console.services.clock import utcnow
from csm_console.store.engine import Store
from csm_console.store.models import Attachment, Blob, Message, OutgoingMail, StoreInfo

DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_BATCH = 50


@dataclass(frozen=True)
class Claimed:
    """One claimed mail, ready to go: its bytes were built from the row and its message."""

    id: int
    mail_id: str
    sender: str
    recipient: str
    attempts: int
    data: bytes | None  # None: it cannot be built (`problem` says why)
    problem: str = ""


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0  # a temporary failure: queued again for later
    failed: int = 0  # refused for good, or given up
    server_down: str | None = None  # why the server could not be reached (all wait)
    lines: list[str] = field(default_factory=list)  # one per mail: `#12 <id> sent: 250 ok`

    def summary(self) -> str:
        parts = [f"{self.sent} sent"]
        if self.retrying:
            parts.append(f"{self.retrying} to retry")
        if self.failed:
            parts.append(f"{self.failed} failed")
        text = ", ".join(parts)
        if self.server_down:
            text += f"; the server is unavailable ({self.server_down}): the mails wait"
        return text


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def smtp_target(mail: MailSettings) -> SmtpTarget:
    if not mail.smtp_url:
        raise ConfigError("no smtp_url in the config file (or CSM_SMTP_URL): nowhere to send")
    try:
        return parse_smtp_url(mail.smtp_url)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def smtp_password(mail: MailSettings) -> str | None:
    return resolve_password(env_name=mail.smtp_password_env, command=mail.smtp_password_command)


def _loop_key(session: Session) -> str:
    info = session.get(StoreInfo, "store_key")
    return info.value if info is not None else "csm"


def claim(
    store: Store,
    *,
    mail: MailSettings,
    worker: str,
    limit: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due mails (queued and due, or sending with an expired lease) for
    `worker`, and build their bytes."""
    now = now or utcnow()
    # two index range scans (ix_outgoing_mail_due: state, next_attempt_at, id), not one OR that
    # would read every sent mail: the claims a dead sender left, then the queued mail that is due
    expired = (
        select(OutgoingMail)
        .where(
            col(OutgoingMail.state) == OutState.SENDING.value,
            col(OutgoingMail.claimed_until) < now,
        )
        .order_by(col(OutgoingMail.next_attempt_at), col(OutgoingMail.id))
        .limit(limit)
    )
    due = (
        select(OutgoingMail)
        .where(
            col(OutgoingMail.state) == OutState.QUEUED.value,
            col(OutgoingMail.next_attempt_at) <= now,
        )
        .order_by(col(OutgoingMail.next_attempt_at), col(OutgoingMail.id))
    )
    if store.is_postgres:
        expired = expired.with_for_update(skip_locked=True)
        due = due.with_for_update(skip_locked=True)
    with store.write() as session:
        rows = list(session.execute(expired).scalars())
        if len(rows) < limit:
            rows += session.execute(due.limit(limit - len(rows))).scalars()
        if not rows:
            return []
        for row in rows:
            row.state = OutState.SENDING.value
            row.claimed_by = worker
            row.claimed_until = now + lease
            row.attempts += 1
            session.add(row)
        return _prepare(session, rows, mail)


def _prepare(session: Session, rows: list[OutgoingMail], mail: MailSettings) -> list[Claimed]:
    """The bytes of each claimed mail, its message and files read in one query each."""
    loop_key = _loop_key(session)
    message_ids = [r.message_id for r in rows]
    bodies = dict(
        session.execute(
            select(col(Message.id), col(Message.body)).where(col(Message.id).in_(message_ids))
        ).all()
    )
    files: dict[int, list[OutFile]] = {}
    for message_id, name, content_type, data in session.execute(
        select(
            col(Attachment.message_id),
            col(Attachment.filename),
            col(Attachment.content_type),
            col(Blob.data),
        )
        .join(Blob, col(Blob.sha256) == col(Attachment.sha256))
        .where(col(Attachment.message_id).in_(message_ids))
        .order_by(col(Attachment.message_id), col(Attachment.position))
    ).all():
        files.setdefault(message_id, []).append(OutFile(name, content_type, data))
    return [_built(row, mail, bodies.get(row.message_id), files, loop_key) for row in rows]


def _built(
    row: OutgoingMail,
    mail: MailSettings,
    body: str | None,
    files: dict[int, list[OutFile]],
    loop_key: str,
) -> Claimed:
    assert row.id is not None
    box = mail.mailbox(row.mailbox)
    sender = box.address if box is not None else ""

    def ready(data: bytes | None, problem: str = "") -> Claimed:
        assert row.id is not None
        return Claimed(
            id=row.id,
            mail_id=row.mail_id,
            sender=sender,
            recipient=row.recipient,
            attempts=row.attempts,
            data=data,
            problem=problem,
        )

    if box is None:
        return ready(None, f"mailbox {row.mailbox} is not in the config file")
    if body is None:
        return ready(None, "its message is gone")
    outgoing = OutgoingMessage(
        mail_id=row.mail_id,
        sender=sender,
        recipient=row.recipient,
        subject=row.subject,
        date=row.created_at,
        body=body,
        in_reply_to=row.in_reply_to,
        references=tuple(row.references.split()),
        automatic=OutKind(row.kind).automatic,
        loop_key=loop_key,
        attachments=tuple(files.get(row.message_id, ())),
    )
    try:
        return ready(build_message(outgoing))
    except ValueError as error:
        return ready(None, str(error))


def record(
    store: Store, *, claimed: Claimed, delivery: Delivery, now: datetime | None = None
) -> str:
    """Write what became of one mail; returns its new state."""
    now = now or utcnow()
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None}
    if delivery.verdict is Verdict.SENT:
        values.update(state=OutState.SENT.value, sent_at=now, server_reply=delivery.reply)
    elif delivery.verdict is Verdict.PERMANENT:
        values.update(state=OutState.FAILED.value, server_reply=delivery.reply)
    elif claimed.attempts >= MAX_ATTEMPTS:
        values.update(
            state=OutState.FAILED.value,
            server_reply=f"gave up after {claimed.attempts} attempts: {delivery.reply}"[:1000],
        )
    else:
        values.update(
            state=OutState.QUEUED.value,
            next_attempt_at=now + retry_delay(claimed.attempts),
            server_reply=delivery.reply,
        )
    with store.write() as session:
        session.execute(
            update(OutgoingMail).where(col(OutgoingMail.id) == claimed.id).values(**values)
        )
    return str(values["state"])


def release(store: Store, *, claimed: list[Claimed], reason: str, now: datetime) -> None:
    """Claimed mails that were not tried (the server is down): queued again for later."""
    for item in claimed:
        record(store, claimed=item, delivery=Delivery(Verdict.TEMPORARY, reason), now=now)


def deliver(
    store: Store,
    *,
    mail: MailSettings,
    limit: int | None = None,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
    worker: str | None = None,
    client: SmtpClient | None = None,
    clock: Callable[[], datetime] = utcnow,
    on_result: Callable[[Claimed, str, Delivery], None] | None = None,
) -> SendReport:
    """Send what is due, batch by batch, over one connection, until nothing is due (or `limit`
    mails were tried, or the server cannot be reached)."""
    worker = worker or worker_name()
    if client is None:
        client = SmtpClient(smtp_target(mail), password=smtp_password(mail))
    report = SendReport()
    try:
        with store.bulk():  # SQLite: one WAL checkpoint at the end, not one every few commits
            _send_due(store, mail, client, report, limit, batch, lease, worker, clock, on_result)
    finally:
        client.close()
    return report


def _send_due(
    store: Store,
    mail: MailSettings,
    client: SmtpClient,
    report: SendReport,
    limit: int | None,
    batch: int,
    lease: timedelta,
    worker: str,
    clock: Callable[[], datetime],
    on_result: Callable[[Claimed, str, Delivery], None] | None,
) -> None:
    tried = 0
    while limit is None or tried < limit:
        size = batch if limit is None else min(batch, limit - tried)
        claimed = claim(store, mail=mail, worker=worker, limit=size, lease=lease, now=clock())
        if not claimed:
            return
        for index, item in enumerate(claimed):
            tried += 1
            if item.data is None:
                delivery = Delivery(Verdict.PERMANENT, item.problem)
            else:
                try:
                    delivery = client.send(item.sender, item.recipient, item.data)
                except ServerUnavailable as down:
                    report.server_down = str(down)
                    release(store, claimed=claimed[index:], reason=str(down), now=clock())
                    report.retrying += len(claimed) - index
                    return
            state = record(store, claimed=item, delivery=delivery, now=clock())
            if state == OutState.SENT.value:
                report.sent += 1
            elif state == OutState.FAILED.value:
                report.failed += 1
            else:
                report.retrying += 1
            report.lines.append(f"{item.id} <{item.mail_id}> {state}: {delivery.reply}")
            if on_result is not None:
                on_result(item, state, delivery)
