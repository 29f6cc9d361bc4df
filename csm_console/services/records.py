"""Plain data handed out by the services (safe to keep after the session closes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# the queue's row and page live in a module of their own, so that the ticket list (a script's
# `csm tickets list`) builds these two dataclasses and not the others here
from csm_console.services.ticket_row import Page as Page
from csm_console.services.ticket_row import TicketRow as TicketRow


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """A file a message carries, as stored (the name was sanitised when the mail came in, and
    is sanitised again wherever it is shown or saved: it is the customer's)."""

    number: int  # 1, 2, ... across the ticket's messages in thread order: `attachment save ID N`
    message_id: int  # the store's message id
    name: str
    size: int
    content_type: str
    sha256: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """What became of one of our outgoing mails (the outbox row of a message)."""

    state: str  # queued, sending, sent, failed, cancelled (`outgoing_mail.state`)
    attempts: int
    server_reply: str  # the server's answer to a sent mail, or why it failed
    recipient: str
    kind: str  # reply, proactive, ack, survey
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    author_kind: str
    author: str  # agent handle, customer name, or "system"
    internal: bool
    body: str
    created_at: datetime
    # e-mail (migration 0014): the Message-ID (without angle brackets), the From address,
    # flags (domain.mail.MessageFlag words), the files, and for our own mails the outbox state
    mail_id: str | None = None
    sender: str | None = None
    flags: tuple[str, ...] = ()
    attachments: tuple[AttachmentView, ...] = ()
    delivery: DeliveryView | None = None


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    actor: str | None
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    created_at: datetime
    batch_id: str | None
    version: int | None


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    name: str
    email: str
    phone: str
    company: str
    language: str
    preferred_channel: str
    segment: str
    no_surveys: bool = False  # the customer asked not to be sent satisfaction surveys


@dataclass(frozen=True, slots=True)
class TicketDetail:
    ticket: TicketRow
    customer: CustomerView
    messages: tuple[MessageView, ...]
    audit: tuple[AuditView, ...]
    csat_comment: str | None
    closed_at: datetime | None
    other_tickets: tuple[TicketRow, ...]  # the customer's other tickets, newest first
    other_ticket_count: int


@dataclass(frozen=True, slots=True)
class AgentView:
    id: int
    handle: str
    name: str
    email: str
    role: str
    tier: str
    team: str | None
    active: bool
    db_role: str | None = None  # the PostgreSQL login bound to the agent


@dataclass(frozen=True, slots=True)
class StoreSummary:
    """Counts for `csm init` / `csm demo` and for comparing two stores."""

    url: str
    teams: int
    agents: int
    customers: int
    tickets: int
    messages: int
    templates: int
    articles: int
    audit_events: int
    by_status: dict[str, int] = field(default_factory=dict)
    breaching: int = 0
