"""The outbox: outgoing e-mail queued in the transaction of the message it carries.

- `queue_mail` (inside a write: `tickets.reply`, `tickets.create_ticket(send=True)`) adds the
  `outgoing_mail` row of a public message on an e-mail ticket, with its Message-ID, subject and
  threading headers fixed now, and stamps the message's `mail_id` so the customer's answer
  threads back.  A rollback of the reply queues nothing.
- `acknowledge` (the intake calls it after creating a ticket from a mail) and `queue_survey`
  (every change to solved calls it) add the automatic mails, each by its rules.
- `list_outbox`, `retry`, `cancel`: `csm mail outbox`.  `services.mail_send` delivers.

The mailboxes come from `store.mail` (the settings the face built the store with): no mailbox
configured, nothing is queued.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exc, func, select
from sqlmodel import Session, col

from csm_console.domain import auto_templates
from csm_console.domain.mail import Mailbox, MailSettings, MessageFlag
from csm_console.domain.mail_parse import safe_filename
from csm_console.domain.model import AuthorKind, Channel, Priority, Role
from csm_console.domain.outgoing import (
    ACK_DAY,
    ACK_TEMPLATE,
    MAX_ATTACHMENTS,
    SURVEY_TEMPLATE,
    OutKind,
    OutState,
    ack_rate_limited,
    make_mail_id,
    reply_subject,
    should_acknowledge,
    thread_headers,
)
from csm_console.domain.rights import Actor
from csm_console.domain.templates import TemplateProblem, render, template_context
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ticket_core import reload_actor, write_audit
from csm_console.services.variants import pick_variant
from csm_console.store.engine import Store
from csm_console.store.locks import lock_name
from csm_console.store.models import (
    Attachment,
    Blob,
    Customer,
    Message,
    OutgoingMail,
    ReplyTemplate,
    Ticket,
)

# a file given to a reply: (name, content type, bytes); the name is sanitised here
NewFile = tuple[str, str, bytes]
MAX_CONTENT_TYPE = 127


@dataclass(frozen=True, slots=True)
class OutboxView:
    """One outgoing mail, as `csm mail outbox list` and the console show it."""

    id: int
    ticket_id: int
    message_id: int
    kind: str
    mailbox: str
    mail_id: str
    recipient: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    server_reply: str


def _view(row: OutgoingMail) -> OutboxView:
    assert row.id is not None
    return OutboxView(
        id=row.id,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        kind=row.kind,
        mailbox=row.mailbox,
        mail_id=row.mail_id,
        recipient=row.recipient,
        subject=row.subject,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        server_reply=row.server_reply,
    )


def mailbox_for(mail: MailSettings, ticket: Ticket) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: its own (`ticket.mailbox`) if configured,
    else the first configured one; None when there is none (nothing is sent)."""
    return mail.mailbox(ticket.mailbox) or mail.mailbox(None)


def check_files(files: Sequence[NewFile], *, limit: int) -> list[NewFile]:
    """The files with sanitised names and content types; UsageError for too many or too big
    (together at most `limit` bytes: the mail must stay under the size a server takes)."""
    if len(files) > MAX_ATTACHMENTS:
        raise UsageError(f"at most {MAX_ATTACHMENTS} files on one reply, not {len(files)}")
    total = sum(len(data) for _, _, data in files)
    if total > limit:
        raise UsageError(
            f"the files come to {total:,} bytes; at most {limit:,} on one reply "
            "(the setting max_mail_size raises it); nothing was sent"
        )
    clean: list[NewFile] = []
    for name, content_type, data in files:
        kind = content_type.strip().lower()
        major, _, minor = kind.partition("/")
        if not major or not minor or len(kind) > MAX_CONTENT_TYPE or not kind.isascii():
            kind = "application/octet-stream"
        clean.append((safe_filename(name), kind, bytes(data)))
    return clean


def read_file(path: str, *, limit: int) -> NewFile:
    """A file to attach, read from this machine (the console's attach key): a regular file of
    at most `limit` bytes (`max_mail_size`), its type guessed from its name."""
    import mimetypes
    import os
    import stat

    shown = safe_filename(path, fallback="?")
    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{shown} is not a regular file; nothing was attached")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"no such file: {shown}") from None
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror}") from None
    if len(data) > limit:
        raise UsageError(
            f"{shown} is larger than {limit:,} bytes (max_mail_size); nothing was attached"
        )
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return (os.path.basename(path), kind, data)


def store_files(session: Session, message: Message, files: Sequence[NewFile]) -> None:
    """Attach `files` (checked by `check_files`) to `message`: the bytes once per SHA-256 in
    `blob`, one `attachment` row each."""
    assert message.id is not None
    for position, (name, content_type, data) in enumerate(files):
        digest = hashlib.sha256(data).hexdigest()
        if session.get(Blob, digest) is None:
            try:  # another writer may store the same bytes at the same moment
                with session.begin_nested():
                    session.add(Blob(sha256=digest, size=len(data), data=data))
            except exc.IntegrityError:
                pass
        session.add(
            Attachment(
                message_id=message.id,
                position=position,
                filename=name,
                content_type=content_type,
                size=len(data),
                sha256=digest,
            )
        )


def new_mail_id(box: Mailbox) -> str:
    return make_mail_id(uuid.uuid4().hex, box.address)


def queue_mail(
    session: Session,
    *,
    mail: MailSettings,
    ticket: Ticket,
    message: Message,
    kind: OutKind,
    now: datetime,
    mailbox: Mailbox | None = None,
) -> OutgoingMail | None:
    """Queue `message` (public) of `ticket` to the customer, in the caller's transaction.  A
    message not inserted yet gets its `mail_id` (and sender) before it is: an agent's login
    may insert messages but not change them.  None when the ticket is not an e-mail ticket or
    no mailbox is configured (nothing is inserted then)."""
    if ticket.channel != Channel.EMAIL.value or message.internal:
        return None
    box = mailbox or mailbox_for(mail, ticket)
    if box is None:
        return None
    assert ticket.id is not None
    with session.no_autoflush:
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        statement = (
            select(col(Message.mail_id), col(Message.author_kind))
            .where(col(Message.ticket_id) == ticket.id, col(Message.mail_id).is_not(None))
            .order_by(col(Message.id))
        )
        if message.id is not None:
            statement = statement.where(col(Message.id) != message.id)
        earlier = session.execute(statement).all()
    thread = thread_headers((m, kind_ == AuthorKind.CUSTOMER.value) for m, kind_ in earlier)
    if message.mail_id is None:
        assert message.id is None, "the message is inserted already: its mail_id is fixed"
        message.mail_id = new_mail_id(box)
        message.sender = box.address
    mail_id = message.mail_id
    session.add(message)
    session.flush()
    assert message.id is not None
    row = OutgoingMail(
        ticket_id=ticket.id,
        message_id=message.id,
        kind=kind.value,
        mailbox=box.name,
        mail_id=mail_id,
        recipient=customer.email,
        subject=reply_subject(
            ticket.subject, ticket.id, mail.tag_prefix, reply=kind is not OutKind.PROACTIVE
        ),
        in_reply_to=thread.in_reply_to,
        references=" ".join(thread.references),
        state=OutState.QUEUED.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _auto_text(session: Session, ticket: Ticket, customer: Customer, name: str) -> str:
    """The automatic mail `name` for this ticket, in the customer's language: the store's
    template of that name (`csm templates add auto-acknowledgement --lang ru` overrides), else
    the built-in text (`domain.auto_templates`)."""
    variants = {
        t.language: t.body
        for t in session.execute(select(ReplyTemplate).where(col(ReplyTemplate.name) == name))
        .scalars()
        .all()
    }
    chosen = pick_variant(sorted(variants), customer.language)
    context = template_context(
        customer_name=customer.name,
        ticket_id=ticket.id or 0,
        ticket_subject=ticket.subject,
        ticket_priority=Priority(ticket.priority).label,
        resolution_due=ticket.resolution_due,
        agent_name="",
        agent_signature="",
    )
    if chosen is not None:
        try:
            return render(variants[chosen], context)
        except TemplateProblem:
            pass  # a template that cannot be filled for this ticket: the built-in text
    return render(auto_templates.text(name, customer.language), context)


def _system_message(session: Session, ticket: Ticket, body: str, now: datetime) -> Message:
    message = Message(
        ticket_id=ticket.id or 0,
        author_kind=AuthorKind.SYSTEM.value,
        internal=False,
        body=body,
        created_at=now,
    )
    session.add(message)  # inserted by `queue_mail`, with its mail_id
    return message


@dataclass(frozen=True, slots=True)
class AutoMail:
    """What became of an automatic mail: the queued row's id, or why none was queued."""

    outgoing_id: int | None
    reason: str = ""

    @property
    def queued(self) -> bool:
        return self.outgoing_id is not None


def acknowledge(
    session: Session,
    *,
    mail: MailSettings,
    ticket_id: int,
    sender: str,
    flags: Iterable[MessageFlag] = (),
    loop_marker: str | None = None,
    now: datetime | None = None,
) -> AutoMail:
    """Queue the acknowledgement of a new e-mail ticket (in the intake's transaction), unless
    the mail was auto-generated, a bounce or a loop, the mailbox has acknowledgements off, or
    the sender had one in the last 10 minutes or 20 in the last day."""
    now = now or utcnow()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    if ticket.channel != Channel.EMAIL.value:
        return AutoMail(None, "not an e-mail ticket")
    box = mailbox_for(mail, ticket)
    if box is None:
        return AutoMail(None, "no mailbox is configured")
    if not box.acknowledge:
        return AutoMail(None, f"mailbox {box.name} sends no acknowledgements")
    why = should_acknowledge(
        sender=sender, flags=flags, loop_marker=loop_marker, our_addresses=mail.our_addresses()
    )
    if why is not None:
        return AutoMail(None, why)
    # two intakes for one sender at once: the second reads the first's acknowledgement
    lock_name(session, "acknowledge:" + sender.strip().lower())
    earlier = session.execute(
        select(col(OutgoingMail.created_at)).where(
            col(OutgoingMail.kind) == OutKind.ACK.value,
            func.lower(col(OutgoingMail.recipient)) == sender.strip().lower(),
            col(OutgoingMail.created_at) > now - ACK_DAY,
        )
    ).scalars()
    why = ack_rate_limited(list(earlier), now)
    if why is not None:
        return AutoMail(None, why)
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    if customer.email.lower() != sender.strip().lower():
        return AutoMail(None, "the sender is not the ticket's customer")
    text = _auto_text(session, ticket, customer, ACK_TEMPLATE)
    message = _system_message(session, ticket, text, now)
    row = queue_mail(
        session, mail=mail, ticket=ticket, message=message, kind=OutKind.ACK, now=now, mailbox=box
    )
    return AutoMail(row.id if row is not None else None)


def queue_survey(
    session: Session, *, mail: MailSettings, ticket: Ticket, now: datetime
) -> AutoMail:
    """Queue the CSAT survey of a ticket just solved (in the transaction that solved it): one
    per ticket, never to a customer who opted out, never from a mailbox with surveys off."""
    if ticket.channel != Channel.EMAIL.value:
        return AutoMail(None, "not an e-mail ticket")
    box = mailbox_for(mail, ticket)
    if box is None:
        return AutoMail(None, "no mailbox is configured")
    if not box.survey:
        return AutoMail(None, f"mailbox {box.name} sends no surveys")
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None
    if customer.no_surveys:
        return AutoMail(None, "the customer asked for no surveys")
    if ticket.csat_score is not None:
        return AutoMail(None, "the ticket has a rating already")
    done = session.execute(
        select(col(OutgoingMail.id))
        .where(
            col(OutgoingMail.ticket_id) == ticket.id,
            col(OutgoingMail.kind) == OutKind.SURVEY.value,
        )
        .limit(1)
    ).first()
    if done is not None:
        return AutoMail(None, "the ticket had its survey")
    text = _auto_text(session, ticket, customer, SURVEY_TEMPLATE)
    message = _system_message(session, ticket, text, now)
    row = queue_mail(
        session, mail=mail, ticket=ticket, message=message, kind=OutKind.SURVEY, now=now,
        mailbox=box,
    )  # fmt: skip
    return AutoMail(row.id if row is not None else None)


def answered_mail(session: Session, mail_ids: Sequence[str]) -> OutgoingMail | None:
    """The outgoing mail a customer's mail answers (by its In-Reply-To, then References, the
    latest named first): for the intake, which records a survey's rating (`kind == "survey"`)
    and marks a bounced mail failed."""
    if not mail_ids:
        return None
    rows = {
        r.mail_id: r
        for r in session.execute(
            select(OutgoingMail).where(col(OutgoingMail.mail_id).in_(list(mail_ids)))
        ).scalars()
    }
    return next((rows[m] for m in reversed(mail_ids) if m in rows), None)


def list_outbox(
    store: Store,
    *,
    states: Iterable[str] = (),
    ticket_id: int | None = None,
    limit: int = 100,
) -> list[OutboxView]:
    """Outgoing mails, newest first, by state and ticket."""
    wanted = [s.strip().lower() for s in states if s.strip()]
    known = {s.value for s in OutState}
    for state in wanted:
        if state not in known:
            raise UsageError(f"unknown state {state!r}; valid: {', '.join(sorted(known))}")
    statement = select(OutgoingMail).order_by(col(OutgoingMail.id).desc()).limit(limit)
    if wanted:
        statement = statement.where(col(OutgoingMail.state).in_(wanted))
    if ticket_id is not None:
        statement = statement.where(col(OutgoingMail.ticket_id) == ticket_id)
    with store.read() as session:
        return [_view(r) for r in session.execute(statement).scalars()]


def for_ticket(store: Store, *, ticket_id: int) -> dict[int, OutboxView]:
    """The outgoing mail of each message of a ticket (message id → mail): the thread shows
    each one's state."""
    with store.read() as session:
        rows = session.execute(
            select(OutgoingMail).where(col(OutgoingMail.ticket_id) == ticket_id)
        ).scalars()
        return {r.message_id: _view(r) for r in rows}


def _change(
    store: Store,
    *,
    actor: Actor,
    ids: Sequence[int],
    allowed: tuple[OutState, ...],
    to: OutState,
    action: str,
    now: datetime,
) -> tuple[list[OutboxView], list[tuple[int, str]]]:
    changed: list[OutboxView] = []
    refused: list[tuple[int, str]] = []
    for mail_id in dict.fromkeys(ids):
        with store.write() as session:
            fresh = reload_actor(session, actor)
            if fresh.role not in (Role.LEAD, Role.ADMIN):
                raise PermissionDenied(
                    f"{fresh.describe()} may not retry or cancel mail; needs: lead or admin"
                )
            row = session.get(OutgoingMail, mail_id, with_for_update=True)
            if row is None:
                refused.append((mail_id, f"no outgoing mail {mail_id}"))
                continue
            if row.state not in {s.value for s in allowed}:
                refused.append((mail_id, f"mail {mail_id} is {row.state}"))
                continue
            old = row.state
            row.state = to.value
            row.claimed_by = None
            row.claimed_until = None
            if to is OutState.QUEUED:
                row.attempts = 0
                row.next_attempt_at = now
            session.add(row)
            ticket = session.get(Ticket, row.ticket_id)
            if ticket is not None:
                write_audit(
                    session, ticket, fresh, action, now, field="mail", old=old, new=row.mail_id
                )
            session.flush()
            changed.append(_view(row))
    return changed, refused


def retry(
    store: Store, *, actor: Actor, ids: Sequence[int], now: datetime | None = None
) -> tuple[list[OutboxView], list[tuple[int, str]]]:
    """Queue failed or cancelled mails again, at once, with a fresh count of attempts (the
    same Message-ID)."""
    return _change(
        store,
        actor=actor,
        ids=ids,
        allowed=(OutState.FAILED, OutState.CANCELLED),
        to=OutState.QUEUED,
        action="mail-retry",
        now=now or utcnow(),
    )


def cancel(
    store: Store, *, actor: Actor, ids: Sequence[int], now: datetime | None = None
) -> tuple[list[OutboxView], list[tuple[int, str]]]:
    """Cancel queued (or failed) mails: they are never sent.  One being sent cannot be."""
    return _change(
        store,
        actor=actor,
        ids=ids,
        allowed=(OutState.QUEUED, OutState.FAILED),
        to=OutState.CANCELLED,
        action="mail-cancel",
        now=now or utcnow(),
    )
