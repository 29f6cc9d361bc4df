"""E-mail tickets for the read-side tests: messages with Message-IDs, senders, flags, files and
outbox rows, written into a real store the way the intake and the outbox write them (the
tables of migration 0014), without a mail server."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from csm_console.domain.model import Channel
from csm_console.store.engine import Store
from csm_console.store.models import (
    Agent,
    Attachment,
    Blob,
    Customer,
    Message,
    OutgoingMail,
    Ticket,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass(frozen=True)
class Outgoing:
    state: str  # queued, sending, sent, failed, cancelled
    attempts: int = 0
    server_reply: str = ""


def add_mail(
    store: Store,
    ticket_id: int,
    *,
    body: str,
    at: datetime,
    author_kind: str = "customer",
    agent: str | None = None,
    mail_id: str | None = None,
    sender: str | None = None,
    flags: str = "",
    files: tuple[File, ...] = (),
    outgoing: Outgoing | None = None,
    internal: bool = False,
) -> int:
    """One message on the ticket (its blobs stored once by hash); its id."""
    with store.write() as session:
        agent_id = None
        if agent is not None:
            agent_id = session.execute(select(Agent.id).where(Agent.handle == agent)).scalar_one()
        message = Message(
            ticket_id=ticket_id,
            author_kind=author_kind,
            agent_id=agent_id,
            internal=internal,
            body=body,
            created_at=at,
            mail_id=mail_id,
            sender=sender,
            flags=flags,
        )
        session.add(message)
        session.flush()
        assert message.id is not None
        for position, file in enumerate(files):
            digest = hashlib.sha256(file.data).hexdigest()
            if session.get(Blob, digest) is None:
                session.add(Blob(sha256=digest, size=len(file.data), data=file.data))
                session.flush()
            session.add(
                Attachment(
                    message_id=message.id,
                    position=position,
                    filename=file.name,
                    content_type=file.content_type,
                    size=len(file.data),
                    sha256=digest,
                    inline=file.inline,
                )
            )
        if outgoing is not None:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            customer = session.get(Customer, ticket.customer_id)
            assert customer is not None
            session.add(
                OutgoingMail(
                    ticket_id=ticket_id,
                    message_id=message.id,
                    kind="reply",
                    mailbox="support",
                    mail_id=mail_id or f"out-{message.id}@desk.example",
                    recipient=customer.email,
                    subject=f"Re: [#{ticket_id}] {ticket.subject}",
                    state=outgoing.state,
                    attempts=outgoing.attempts,
                    next_attempt_at=at,
                    created_at=at,
                    sent_at=at + timedelta(seconds=5) if outgoing.state == "sent" else None,
                    server_reply=outgoing.server_reply,
                )
            )
        return message.id


QUOTED_REPLY = """Here is the statement with both payments.

On Mon, 16 Nov 2026 at 10:15, Baltic Net Support <support@desk.example> wrote:
> Could you send a statement that shows both payments?
> You can hide the other lines."""


def mail_thread(
    store: Store, ticket_id: int, start: datetime, customer: str, agent: str = "olga"
) -> dict[str, int]:
    """A whole e-mail conversation on `ticket_id` after its first message: a reply that
    failed, the bounce about it, an auto-reply, a reply that was sent, and the customer's answer
    with a quote and two files.  The names of the messages → their ids."""
    minute = timedelta(minutes=1)
    return {
        "failed": add_mail(
            store,
            ticket_id,
            body="Could you send a statement that shows both payments?",
            at=start + 10 * minute,
            author_kind="agent",
            agent=agent,
            mail_id=f"reply-1.{ticket_id}@desk.example",
            sender="support@desk.example",
            outgoing=Outgoing("failed", 3, "550 5.1.1 <x@example.invalid>: mailbox unavailable"),
        ),
        "bounce": add_mail(
            store,
            ticket_id,
            body="Delivery to the following recipient failed permanently.",
            at=start + 11 * minute,
            author_kind="system",
            mail_id=f"dsn.{ticket_id}@mx.example",
            sender="mailer-daemon@mx.example",
            flags="bounce",
        ),
        "sent": add_mail(
            store,
            ticket_id,
            body="Could you send a statement that shows both payments?",
            at=start + 20 * minute,
            author_kind="agent",
            agent=agent,
            mail_id=f"reply-2.{ticket_id}@desk.example",
            sender="support@desk.example",
            outgoing=Outgoing("sent", 1, "250 2.0.0 Ok: queued as 4F2A"),
        ),
        "auto": add_mail(
            store,
            ticket_id,
            body="I am out of the office until Monday.",
            at=start + 21 * minute,
            mail_id=f"ooo.{ticket_id}@example.lv",
            sender=customer,
            flags="auto-reply",
        ),
        "answer": add_mail(
            store,
            ticket_id,
            body=QUOTED_REPLY,
            at=start + 30 * minute,
            mail_id=f"answer.{ticket_id}@example.lv",
            sender=customer,
            files=(
                File("statement.pdf", "application/pdf", PDF),
                File("screen.png", "image/png", PNG, inline=True),
            ),
        ),
    }


def mail_ticket(
    store: Store, *, actor: object, now: datetime, customer: str, agent: str = "olga"
) -> int:
    """A new e-mail ticket (created through the service) with `mail_thread` on it; its id."""
    from csm_console.services import tickets

    row = tickets.create_ticket(
        store,
        actor=actor,  # type: ignore[arg-type]
        customer_email=customer,
        customer_name="Līga Bērziņa",
        subject="Charged twice for November",
        body="I see two payments of 19.99 EUR for the same invoice.",
        channel=Channel.EMAIL,
        now=now,
    )
    with store.write() as session:
        first = session.execute(select(Message).where(Message.ticket_id == row.id)).scalar_one()
        first.mail_id = f"first.{row.id}@example.lv"
        first.sender = customer
    mail_thread(store, row.id, now, customer, agent)
    return row.id
