"""SQLModel tables.  Rows never leave a session: services turn them into plain data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from csm_console.domain.model import ACTIVE_STATUSES
from csm_console.store.audit_chain import AUDIT_COLUMNS as AUDIT_COLUMNS  # the bulk writers'
from csm_console.store.types import UTCDateTime

# The report (services.metrics) reads each population through an index holding the time that
# picks it, what a report groups by, and what its metrics read (migrations 0008 and 0009)
_GROUPS = ("team_id", "assignee_id", "tier", "channel", "category")
REPORT_CREATED = ("created_at", *_GROUPS, "status", "first_response_at", "first_response_due",
                  "solved_at", "resolution_due", "paused_since")  # fmt: skip
REPORT_SOLVED = ("solved_at", *_GROUPS, "created_at", "resolution_seconds", "paused_seconds",
                 "resolution_due", "reopen_count", "csat_score", "agent_replies",
                 "next_contact_at")  # fmt: skip
REPORT_RESPONDED = ("first_response_at", *_GROUPS, "created_at", "first_response_seconds",
                    "first_response_due")  # fmt: skip


# The tickets open now (the report's backlog and breaching counts, the dashboard's backlog) are
# read through a partial index of the active ones only.  A planner uses it for a query whose
# WHERE repeats this condition word for word, with the values inline and in this order
# (store.ticket_query.status_is_active).
ACTIVE_STATUS_VALUES = tuple(s.value for s in ACTIVE_STATUSES)
ACTIVE_CONDITION = "status IN ({})".format(", ".join(f"'{v}'" for v in ACTIVE_STATUS_VALUES))
REPORT_OPEN = (*_GROUPS, "sla_due", "created_at")
REPORT_OPEN_TARGETS = ("created_at", "first_response_at", "first_response_due", "paused_since",
                       "solved_at", "resolution_due", *_GROUPS)  # fmt: skip


def _ts(*, nullable: bool = False, index: bool = False) -> datetime:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))  # type: ignore[no-any-return]


class Calendar(SQLModel, table=True):
    """A named business-hours calendar, kept in its text form (see domain.calendar)."""

    __tablename__ = "calendar"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(60), nullable=False, unique=True))
    definition: str = Field(sa_column=Column(Text, nullable=False))


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    tier: str = Field(sa_column=Column(String(2), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # SLA clocks of the team's tickets count this calendar's working time (none: wall time)
    calendar_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("calendar.id"), nullable=True)
    )


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    __table_args__ = (Index("ux_agent_db_role", "db_role", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    email: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(10), nullable=False))
    tier: str = Field(sa_column=Column(String(2), nullable=False))
    team_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("team.id"), nullable=True)
    )
    active: bool = Field(default=True)
    signature: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # PostgreSQL: the database login that is this agent (see services.agents.resolve_actor)
    db_role: str | None = Field(default=None, sa_column=Column(String(63), nullable=True))


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    phone: str = Field(default="", sa_column=Column(String(40), nullable=False, default=""))
    company: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    preferred_channel: str = Field(sa_column=Column(String(10), nullable=False))
    segment: str = Field(sa_column=Column(String(20), nullable=False))
    # the customer asked not to be sent satisfaction surveys (`customers set --no-surveys`)
    no_surveys: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=text("false")),
    )
    # folded name and e-mail, for `customer:` matches that ignore case and diacritics
    lookup: str = Field(sa_column=Column(String(460), nullable=False, index=True))


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_sla", "sla_due", "id"),
        Index("ix_ticket_priority", "priority", "id"),
        Index("ix_ticket_created", "created_at", "id"),
        Index("ix_ticket_updated", "updated_at", "id"),
        Index("ix_ticket_team", "team_id", "status"),
        # an agent's queue by SLA (`assignee:me`), and take-next (assignee_id IS NULL by sla_due)
        Index("ix_ticket_assignee", "assignee_id", "sla_due", "id"),
        # a customer's tickets by category and time: repeat contacts in the report
        Index("ix_ticket_customer_category", "customer_id", "category", "created_at"),
        # the report's populations, each read without visiting the table
        Index("ix_ticket_report_created", *REPORT_CREATED),
        Index("ix_ticket_solved", *REPORT_SOLVED),
        Index("ix_ticket_responded", *REPORT_RESPONDED),
        Index(
            "ix_ticket_open",
            *REPORT_OPEN,
            sqlite_where=text(ACTIVE_CONDITION),
            postgresql_where=text(ACTIVE_CONDITION),
        ),
        # the report's missed targets of the tickets still open, which move with the clock
        # (services.metrics, migration 0017): read from the open tickets alone
        Index(
            "ix_ticket_open_targets",
            *REPORT_OPEN_TARGETS,
            sqlite_where=text(ACTIVE_CONDITION),
            postgresql_where=text(ACTIVE_CONDITION),
        ),
        # `csm import` upserts by the id a ticket has in the system it came from
        Index("ux_ticket_external_id", "external_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    subject: str = Field(sa_column=Column(String(500), nullable=False))
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    channel: str = Field(sa_column=Column(String(10), nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))
    priority: int = Field(sa_column=Column(SmallInteger, nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    tier: str = Field(sa_column=Column(String(2), nullable=False))
    team_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("team.id"), nullable=True)
    )
    assignee_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("agent.id"), nullable=True)
    )
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    first_response_at: datetime | None = _ts(nullable=True)
    solved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    first_response_due: datetime = _ts()
    resolution_due: datetime = _ts()
    # the deadline of the clock running now (a far-future sentinel when none runs): the `sla` sort
    sla_due: datetime = _ts()
    # time in `pending` does not count toward resolution: when the current pause began, and the
    # working time (wall time without a calendar) of the pauses that ended
    paused_since: datetime | None = _ts(nullable=True)
    paused_seconds: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    # measured in working time, less pauses, when first answered and when solved (NULL on rows
    # older than migration 0008: the metrics then read wall time, which their clocks counted)
    first_response_seconds: int | None = Field(
        default=None, sa_column=Column(Integer, nullable=True)
    )
    resolution_seconds: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    reopen_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    # the public replies agents wrote: first-contact resolution is exactly one (migration 0009)
    agent_replies: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    # when the same customer next opened a ticket in the same category after this one was
    # solved (NULL: not since, or not solved): a repeat contact when that is within the report's
    # window.  Kept by services.repeat_contacts.
    next_contact_at: datetime | None = _ts(nullable=True)
    # the `[[mailboxes]]` name an e-mail ticket came in by (replies go out from its address)
    mailbox: str | None = Field(default=None, sa_column=Column(String(80), nullable=True))
    csat_score: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    csat_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1))
    # folded subject and message bodies: free words in the query language match here
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tag"
    __table_args__ = (Index("ix_ticket_tag_tag", "tag", "ticket_id"),)

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True)
    )
    tag: str = Field(sa_column=Column(String(40), primary_key=True))


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_ticket", "ticket_id", "id"),
        # threading: a customer's In-Reply-To / References name one of these (migration 0014)
        Index("ix_message_mail_id", "mail_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    )
    author_kind: str = Field(sa_column=Column(String(10), nullable=False))
    agent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("agent.id"), nullable=True)
    )
    internal: bool = Field(default=False)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()
    # e-mail (migration 0014): the Message-ID header without its angle brackets, incoming or
    # outgoing; the sender's address; flags (domain.mail.MessageFlag words, space-separated)
    mail_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    sender: str | None = Field(default=None, sa_column=Column(String(254), nullable=True))
    flags: str = Field(
        default="", sa_column=Column(String(100), nullable=False, default="", server_default="")
    )


class Blob(SQLModel, table=True):
    """The bytes of an attachment, stored once by their SHA-256 however many messages carry
    them, in the store itself so a shared PostgreSQL store serves every console."""

    __tablename__ = "blob"

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    """A file a message carries: its sanitised name, type and size, and its bytes by hash."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_message", "message_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(
        sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False)
    )
    position: int = Field(sa_column=Column(SmallInteger, nullable=False))
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(sa_column=Column(String(127), nullable=False))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), ForeignKey("blob.sha256"), nullable=False))
    inline: bool = Field(
        default=False,
        sa_column=Column(Boolean, nullable=False, default=False, server_default=text("false")),
    )


class MailReceipt(SQLModel, table=True):
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


class Quarantine(SQLModel, table=True):
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


class MailboxState(SQLModel, table=True):
    """Where `csm mail fetch` is in an IMAP folder: its UIDVALIDITY and the last UID taken in."""

    __tablename__ = "mailbox_state"

    mailbox: str = Field(sa_column=Column(String(80), primary_key=True))
    folder: str = Field(sa_column=Column(String(200), primary_key=True))
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _ts()


class OutgoingMail(SQLModel, table=True):
    """The outbox: one e-mail to send, written in the same transaction as the message it
    carries, with its Message-ID fixed when queued so a retry sends the same mail."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_due", "state", "next_attempt_at", "id"),
        Index("ix_outgoing_mail_ticket", "ticket_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False)
    )
    message_id: int = Field(
        sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False)
    )
    # reply, proactive, ack (acknowledgement), survey (CSAT)
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    mailbox: str = Field(sa_column=Column(String(80), nullable=False))
    mail_id: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    recipient: str = Field(sa_column=Column(String(254), nullable=False))
    subject: str = Field(sa_column=Column(String(500), nullable=False))
    in_reply_to: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    references: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # queued, sending (claimed by a sender until claimed_until), sent, failed, cancelled
    state: str = Field(sa_column=Column(String(10), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(SmallInteger, nullable=False, default=0))
    next_attempt_at: datetime = _ts()
    claimed_by: str | None = Field(default=None, sa_column=Column(String(60), nullable=True))
    claimed_until: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    # the server's answer to a sent mail, or why it failed
    server_reply: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ReplyTemplate(SQLModel, table=True):
    __tablename__ = "reply_template"
    # language variants share a name: one template per (name, language)
    __table_args__ = (UniqueConstraint("name", "language", name="uq_reply_template_name_language"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    language: str = Field(sa_column=Column(String(2), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = _ts()


class Article(SQLModel, table=True):
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


class SlaPolicy(SQLModel, table=True):
    __tablename__ = "sla_policy"

    id: int | None = Field(default=None, primary_key=True)
    priority: int = Field(sa_column=Column(SmallInteger, nullable=False))
    team_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("team.id"), nullable=True)
    )
    segment: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    first_response_minutes: int = Field(sa_column=Column(Integer, nullable=False))
    resolution_minutes: int = Field(sa_column=Column(Integer, nullable=False))


class AuditEvent(SQLModel, table=True):
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


class AuditChainHead(SQLModel, table=True):
    """The one row naming the newest audit row and its hash: the audit trigger locks it, so
    writers chain one after another, and `csm audit verify` checks the chain ends there."""

    __tablename__ = "audit_chain_head"

    id: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    last_id: int = Field(sa_column=Column(Integer, nullable=False))
    last_hash: str = Field(sa_column=Column(String(64), nullable=False))


class StoreInfo(SQLModel, table=True):
    """Facts about the store itself, such as `store_key`: a random name made when the store was
    created, so that an export can tell its own tickets from another store's."""

    __tablename__ = "store_info"

    key: str = Field(sa_column=Column(String(40), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class Presence(SQLModel, table=True):
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


class Rule(SQLModel, table=True):
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


class Automation(SQLModel, table=True):
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


class AutomationFiring(SQLModel, table=True):
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


class Macro(SQLModel, table=True):
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


# The report's summary (migration 0017, services.report_summary): per UTC day and population
# (created, responded, solved), the counts of each group cell and a histogram of the times.
# Rebuilt day by day from the tickets; a trigger on `ticket` marks the days a change touches.
class ReportDirtyDay(SQLModel, table=True):
    __tablename__ = "report_dirty_day"

    day: str = Field(sa_column=Column(String(10), primary_key=True))
    marks: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1))


class ReportCount(SQLModel, table=True):
    __tablename__ = "report_count"
    __table_args__ = (Index("ix_report_count_day", "population", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(sa_column=Column(String(10), nullable=False))
    population: str = Field(sa_column=Column(String(10), nullable=False))
    team_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    assignee_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    channel: str = Field(sa_column=Column(String(10), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    tier: str = Field(sa_column=Column(String(2), nullable=False))
    n: int = Field(sa_column=Column(Integer, nullable=False))
    missed: int = Field(sa_column=Column(Integer, nullable=False))
    frt_met: int = Field(sa_column=Column(Integer, nullable=False))
    fcr: int = Field(sa_column=Column(Integer, nullable=False))
    csat_responses: int = Field(sa_column=Column(Integer, nullable=False))
    csat_good: int = Field(sa_column=Column(Integer, nullable=False))
    csat_sum: int = Field(sa_column=Column(Integer, nullable=False))
    repeat: int = Field(sa_column=Column(Integer, nullable=False))
    resolution_met: int = Field(sa_column=Column(Integer, nullable=False))


class ReportTime(SQLModel, table=True):
    __tablename__ = "report_time"
    __table_args__ = (Index("ix_report_time_day", "population", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(sa_column=Column(String(10), nullable=False))
    population: str = Field(sa_column=Column(String(10), nullable=False))
    team_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    assignee_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))
    n: int = Field(sa_column=Column(Integer, nullable=False))
