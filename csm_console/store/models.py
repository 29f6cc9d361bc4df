"""SQLModel tables.  Rows never leave a session: services turn them into plain data.

The tables a ticket list reads (ticket, team, agent, customer, ticket_tag, message,
attachment, outgoing_mail) are defined in `store.tables`; their classes here map onto them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from csm_console.store import tables
from csm_console.store.audit_chain import AUDIT_COLUMNS as AUDIT_COLUMNS  # the bulk writers'
from csm_console.store.tables import ACTIVE_CONDITION as ACTIVE_CONDITION
from csm_console.store.tables import ACTIVE_STATUS_VALUES as ACTIVE_STATUS_VALUES
from csm_console.store.tables import REPORT_OPEN, REPORT_OPEN_TARGETS
from csm_console.store.types import UTCDateTime

# Every table of the store: the Core tables of store.tables, and the ones defined here.
metadata = tables.metadata


class Stored(SQLModel):
    """The base of every table: on store.tables' metadata, where the tables a ticket list reads
    are defined as Core tables (so that reading them needs neither the ORM nor these classes);
    the classes for those tables below map onto them (`__table__`, each field's `sa_column`)."""

    metadata: ClassVar[MetaData] = tables.metadata


def _stamp(column: Any) -> datetime:
    """A time field on a column of store.tables (typed as the time, as `_ts` is)."""
    return Field(sa_column=column)  # type: ignore[no-any-return]


def _ts(*, nullable: bool = False, index: bool = False) -> datetime:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))  # type: ignore[no-any-return]


class Calendar(Stored, table=True):
    """A named business-hours calendar, kept in its text form (see domain.calendar)."""

    __tablename__ = "calendar"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(60), nullable=False, unique=True))
    definition: str = Field(sa_column=Column(Text, nullable=False))


class Team(Stored, table=True):
    __table__ = tables.team

    id: int | None = Field(default=None, sa_column=tables.team.c.id)
    name: str = Field(sa_column=tables.team.c.name)
    tier: str = Field(sa_column=tables.team.c.tier)
    description: str = Field(default="", sa_column=tables.team.c.description)
    calendar_id: int | None = Field(default=None, sa_column=tables.team.c.calendar_id)


class Agent(Stored, table=True):
    __table__ = tables.agent

    id: int | None = Field(default=None, sa_column=tables.agent.c.id)
    handle: str = Field(sa_column=tables.agent.c.handle)
    name: str = Field(sa_column=tables.agent.c.name)
    email: str = Field(sa_column=tables.agent.c.email)
    role: str = Field(sa_column=tables.agent.c.role)
    tier: str = Field(sa_column=tables.agent.c.tier)
    team_id: int | None = Field(default=None, sa_column=tables.agent.c.team_id)
    active: bool = Field(default=True, sa_column=tables.agent.c.active)
    signature: str = Field(default="", sa_column=tables.agent.c.signature)
    db_role: str | None = Field(default=None, sa_column=tables.agent.c.db_role)


class Customer(Stored, table=True):
    __table__ = tables.customer

    id: int | None = Field(default=None, sa_column=tables.customer.c.id)
    name: str = Field(sa_column=tables.customer.c.name)
    email: str = Field(sa_column=tables.customer.c.email)
    phone: str = Field(default="", sa_column=tables.customer.c.phone)
    company: str = Field(default="", sa_column=tables.customer.c.company)
    language: str = Field(sa_column=tables.customer.c.language)
    preferred_channel: str = Field(sa_column=tables.customer.c.preferred_channel)
    segment: str = Field(sa_column=tables.customer.c.segment)
    no_surveys: bool = Field(default=False, sa_column=tables.customer.c.no_surveys)
    lookup: str = Field(sa_column=tables.customer.c.lookup)


class Ticket(Stored, table=True):
    __table__ = tables.ticket

    id: int | None = Field(default=None, sa_column=tables.ticket.c.id)
    external_id: str | None = Field(default=None, sa_column=tables.ticket.c.external_id)
    subject: str = Field(sa_column=tables.ticket.c.subject)
    customer_id: int = Field(sa_column=tables.ticket.c.customer_id)
    channel: str = Field(sa_column=tables.ticket.c.channel)
    status: str = Field(sa_column=tables.ticket.c.status)
    priority: int = Field(sa_column=tables.ticket.c.priority)
    category: str | None = Field(default=None, sa_column=tables.ticket.c.category)
    tier: str = Field(sa_column=tables.ticket.c.tier)
    team_id: int | None = Field(default=None, sa_column=tables.ticket.c.team_id)
    assignee_id: int | None = Field(default=None, sa_column=tables.ticket.c.assignee_id)
    created_at: datetime = _stamp(tables.ticket.c.created_at)
    updated_at: datetime = _stamp(tables.ticket.c.updated_at)
    first_response_at: datetime | None = _stamp(tables.ticket.c.first_response_at)
    solved_at: datetime | None = _stamp(tables.ticket.c.solved_at)
    closed_at: datetime | None = _stamp(tables.ticket.c.closed_at)
    first_response_due: datetime = _stamp(tables.ticket.c.first_response_due)
    resolution_due: datetime = _stamp(tables.ticket.c.resolution_due)
    sla_due: datetime = _stamp(tables.ticket.c.sla_due)
    paused_since: datetime | None = _stamp(tables.ticket.c.paused_since)
    paused_seconds: int = Field(default=0, sa_column=tables.ticket.c.paused_seconds)
    first_response_seconds: int | None = Field(
        default=None, sa_column=tables.ticket.c.first_response_seconds
    )
    resolution_seconds: int | None = Field(
        default=None, sa_column=tables.ticket.c.resolution_seconds
    )
    reopen_count: int = Field(default=0, sa_column=tables.ticket.c.reopen_count)
    agent_replies: int = Field(default=0, sa_column=tables.ticket.c.agent_replies)
    next_contact_at: datetime | None = _stamp(tables.ticket.c.next_contact_at)
    mailbox: str | None = Field(default=None, sa_column=tables.ticket.c.mailbox)
    csat_score: int | None = Field(default=None, sa_column=tables.ticket.c.csat_score)
    csat_comment: str | None = Field(default=None, sa_column=tables.ticket.c.csat_comment)
    version: int = Field(default=1, sa_column=tables.ticket.c.version)
    search_text: str = Field(default="", sa_column=tables.ticket.c.search_text)


# The partial index of the active tickets, on store.tables' ticket table.  Declared here, with
# the schema's other DDL-only parts, rather than in store.tables: its `postgresql_where` loads
# SQLAlchemy's PostgreSQL dialect with every driver it knows (asyncpg, pg8000, ...), about a
# tenth of a ticket list's start-up on a SQLite store, and only DDL (migrations compared,
# `create_all`) reads it.
Index(
    "ix_ticket_open",
    *(tables.ticket.c[name] for name in REPORT_OPEN),
    sqlite_where=text(ACTIVE_CONDITION),
    postgresql_where=text(ACTIVE_CONDITION),
)
# the report's missed targets of the tickets still open, which move with the clock
# (services.metrics, migration 0018): read from the open tickets alone
Index(
    "ix_ticket_open_targets",
    *(tables.ticket.c[name] for name in REPORT_OPEN_TARGETS),
    sqlite_where=text(ACTIVE_CONDITION),
    postgresql_where=text(ACTIVE_CONDITION),
)

# take-next's pick (store.claims, migration 0020): a team's claimable tickets in queue order, so
# that a claim reads the head of its own team's queue instead of walking past every more urgent
# ticket of the other teams and tiers
CLAIMABLE_CONDITION = "assignee_id IS NULL AND status IN ('new', 'open')"
Index(
    "ix_ticket_claimable",
    tables.ticket.c.tier,
    tables.ticket.c.team_id,
    tables.ticket.c.sla_due,
    tables.ticket.c.priority.desc(),
    tables.ticket.c.id,
    sqlite_where=text(CLAIMABLE_CONDITION),
    postgresql_where=text(CLAIMABLE_CONDITION),
)


class TicketTag(Stored, table=True):
    __table__ = tables.ticket_tag

    ticket_id: int = Field(sa_column=tables.ticket_tag.c.ticket_id)
    tag: str = Field(sa_column=tables.ticket_tag.c.tag)


class Message(Stored, table=True):
    __table__ = tables.message

    id: int | None = Field(default=None, sa_column=tables.message.c.id)
    ticket_id: int = Field(sa_column=tables.message.c.ticket_id)
    author_kind: str = Field(sa_column=tables.message.c.author_kind)
    agent_id: int | None = Field(default=None, sa_column=tables.message.c.agent_id)
    internal: bool = Field(default=False, sa_column=tables.message.c.internal)
    body: str = Field(sa_column=tables.message.c.body)
    created_at: datetime = _stamp(tables.message.c.created_at)
    mail_id: str | None = Field(default=None, sa_column=tables.message.c.mail_id)
    sender: str | None = Field(default=None, sa_column=tables.message.c.sender)
    flags: str = Field(default="", sa_column=tables.message.c.flags)


class Blob(Stored, table=True):
    """The bytes of an attachment, stored once by their SHA-256 however many messages carry
    them, in the store itself so a shared PostgreSQL store serves every console."""

    __tablename__ = "blob"

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(Stored, table=True):
    """A file a message carries: its sanitised name, type and size, and its bytes by hash."""

    __table__ = tables.attachment

    id: int | None = Field(default=None, sa_column=tables.attachment.c.id)
    message_id: int = Field(sa_column=tables.attachment.c.message_id)
    position: int = Field(sa_column=tables.attachment.c.position)
    filename: str = Field(sa_column=tables.attachment.c.filename)
    content_type: str = Field(sa_column=tables.attachment.c.content_type)
    size: int = Field(sa_column=tables.attachment.c.size)
    sha256: str = Field(sa_column=tables.attachment.c.sha256)
    inline: bool = Field(default=False, sa_column=tables.attachment.c.inline)


class MailReceipt(Stored, table=True):
    """One row per distinct e-mail taken in, whatever became of it: a second copy of the same
    message (by `mail_key`: its Message-ID, or `sha256:` of the raw bytes when it has none) is a
    duplicate, however it arrived (pipe, file, IMAP)."""

    __tablename__ = "mail_receipt"

    id: int | None = Field(default=None, primary_key=True)
    mail_key: str = Field(sa_column=Column(String(300), nullable=False, unique=True))
    mailbox: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    received_at: datetime = _ts()
    # domain.mail.Outcome: new, follow-up, reopened, linked, auto-reply, bounce, dropped,
    # quarantined, rating
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="SET NULL"), nullable=True),
    )
    message_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("message.id", ondelete="SET NULL"), nullable=True),
    )
    quarantine_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("quarantine.id", ondelete="SET NULL"), nullable=True),
    )
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Quarantine(Stored, table=True):
    """A message that could not be stored, kept raw with the reason (`csm mail quarantine`)."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    received_at: datetime = _ts()
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # best effort, for the list; sanitised like all customer text wherever shown
    sender: str = Field(default="", sa_column=Column(String(254), nullable=False, default=""))
    subject: str = Field(default="", sa_column=Column(String(500), nullable=False, default=""))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    raw_sha256: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # held (waiting), released (retried and stored), dropped
    state: str = Field(sa_column=Column(String(10), nullable=False))


class MailboxState(Stored, table=True):
    """Where `csm mail fetch` is in an IMAP folder: its UIDVALIDITY and the last UID taken in."""

    __tablename__ = "mailbox_state"

    mailbox: str = Field(sa_column=Column(String(80), primary_key=True))
    folder: str = Field(sa_column=Column(String(200), primary_key=True))
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _ts()


class OutgoingMail(Stored, table=True):
    """The outbox: one e-mail to send, written in the same transaction as the message it
    carries, with its Message-ID fixed when queued so a retry sends the same mail."""

    __table__ = tables.outgoing_mail

    id: int | None = Field(default=None, sa_column=tables.outgoing_mail.c.id)
    ticket_id: int = Field(sa_column=tables.outgoing_mail.c.ticket_id)
    message_id: int = Field(sa_column=tables.outgoing_mail.c.message_id)
    kind: str = Field(sa_column=tables.outgoing_mail.c.kind)
    mailbox: str = Field(sa_column=tables.outgoing_mail.c.mailbox)
    mail_id: str = Field(sa_column=tables.outgoing_mail.c.mail_id)
    recipient: str = Field(sa_column=tables.outgoing_mail.c.recipient)
    subject: str = Field(sa_column=tables.outgoing_mail.c.subject)
    in_reply_to: str | None = Field(default=None, sa_column=tables.outgoing_mail.c.in_reply_to)
    references: str = Field(default="", sa_column=tables.outgoing_mail.c.references)
    state: str = Field(sa_column=tables.outgoing_mail.c.state)
    attempts: int = Field(default=0, sa_column=tables.outgoing_mail.c.attempts)
    next_attempt_at: datetime = _stamp(tables.outgoing_mail.c.next_attempt_at)
    claimed_by: str | None = Field(default=None, sa_column=tables.outgoing_mail.c.claimed_by)
    claimed_until: datetime | None = _stamp(tables.outgoing_mail.c.claimed_until)
    created_at: datetime = _stamp(tables.outgoing_mail.c.created_at)
    sent_at: datetime | None = _stamp(tables.outgoing_mail.c.sent_at)
    server_reply: str = Field(default="", sa_column=tables.outgoing_mail.c.server_reply)


class ReplyTemplate(Stored, table=True):
    __tablename__ = "reply_template"
    # language variants share a name: one template per (name, language)
    __table_args__ = (UniqueConstraint("name", "language", name="uq_reply_template_name_language"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _ts()


class Article(Stored, table=True):
    __tablename__ = "article"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(
        default=None, sa_column=Column(String(120), nullable=True, unique=True)
    )
    title: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: str = Field(default="", sa_column=Column(String(500), nullable=False, default=""))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    updated_at: datetime = _ts()
    # the stems of the title, and of the tags and body (`domain.search.article_index`): what the
    # full-text index (`store.search_index`, FTS5 or tsvector) is built from
    search_title: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default="")
    )
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class SlaPolicy(Stored, table=True):
    __tablename__ = "sla_policy"

    id: int | None = Field(default=None, primary_key=True)
    priority: int = Field(sa_column=Column(SmallInteger, nullable=False))
    team_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("team.id"), nullable=True)
    )
    segment: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    first_response_minutes: int = Field(sa_column=Column(Integer, nullable=False))
    resolution_minutes: int = Field(sa_column=Column(Integer, nullable=False))


class AuditEvent(Stored, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_ticket", "ticket_id", "id"),
        Index("ix_audit_batch", "batch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=True),
    )
    actor_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("agent.id"), nullable=True)
    )
    action: str = Field(sa_column=Column(String(30), nullable=False))
    field: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    old_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _ts()
    batch_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # the ticket's version after this change: a conflict names the changes after a reader's version
    version: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # the hash chain (store.audit_chain): set by the store's trigger, never by a writer
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # the shard of the chain the row is linked in (NULL: the trunk, written before 0017)
    chain: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))


class AuditChainHead(Stored, table=True):
    """A head of the audit chain: row 0 the trunk (the chain written before 0017), rows 1..16
    the shards, each naming its newest audit row and its hash.  A writer holds one shard until
    it commits, so the writers of one shard chain one after another, and `csm audit verify`
    checks that each chain ends at its head (`store.audit_chain`)."""

    __tablename__ = "audit_chain_head"

    id: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    last_id: int = Field(sa_column=Column(Integer, nullable=False))
    last_hash: str = Field(sa_column=Column(String(64), nullable=False))


class StoreInfo(Stored, table=True):
    """Facts about the store itself, such as `store_key`: a random name made when the store was
    created, so that an export can tell its own tickets from another store's."""

    __tablename__ = "store_info"

    key: str = Field(sa_column=Column(String(40), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class Presence(Stored, table=True):
    """Who has which ticket open: one row per running console, a lease that its heartbeat
    renews.  A console that exits deletes its row; one that is killed lets it expire."""

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_ticket", "ticket_id"),)

    id: int | None = Field(default=None, primary_key=True)
    console: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    agent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="CASCADE"), nullable=False)
    )
    ticket_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="SET NULL"), nullable=True),
    )
    activity: str = Field(sa_column=Column(String(20), nullable=False))
    expires_at: datetime = _ts(index=True)


class Rule(Stored, table=True):
    """A routing rule (see csm_console.domain.routing): applied, in `position` order, to every
    new ticket; the first whose condition matches sets what its non-null columns say."""

    __tablename__ = "routing_rule"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(sa_column=Column(Integer, nullable=False))
    name: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    condition: str = Field(sa_column=Column(Text, nullable=False))
    set_team_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("team.id", ondelete="RESTRICT"), nullable=True),
    )
    set_tier: str | None = Field(default=None, sa_column=Column(String(2), nullable=True))
    set_priority: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    set_category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    add_tags: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    assign_to_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="RESTRICT"), nullable=True),
    )


class Automation(Stored, table=True):
    """A time-based automation (see csm_console.domain.actions and services.automations): run
    in `position` order by the worker every minute, it takes its actions on the tickets its
    condition matches, once per ticket while the ticket keeps matching (`automation_firing`),
    and stops without acting when more than `max_tickets` would be acted on in one run."""

    __tablename__ = "automation"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(sa_column=Column(Integer, nullable=False))
    name: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    condition: str = Field(sa_column=Column(Text, nullable=False))
    actions: str = Field(sa_column=Column(Text, nullable=False))  # one action per line
    max_tickets: int = Field(default=500, sa_column=Column(Integer, nullable=False, default=500))
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, default=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class AutomationFiring(Stored, table=True):
    """An automation has acted on a ticket that still matches its condition."""

    __tablename__ = "automation_firing"

    automation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("automation.id", ondelete="CASCADE"), primary_key=True)
    )
    ticket_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    fired_at: datetime = _ts()


class Macro(Stored, table=True):
    """A macro's variant in one language: the reply it puts in the composer (empty: none) and
    its actions (one per line, the kinds `domain.actions.MACRO_KINDS` allows)."""

    __tablename__ = "macro"
    __table_args__ = (UniqueConstraint("name", "language", name="uq_macro_name_language"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    reply: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    actions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = _ts()
