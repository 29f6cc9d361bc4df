"""The tables that a ticket list reads, as plain SQLAlchemy Core `Table` objects.

The ticket list (`csm tickets list`, the console's queue) and the query compiler
(`store.ticket_query`) read through these tables, so that a process that only lists tickets
never builds the ORM mappers or the SQLModel (pydantic) classes: at 1,000,000 tickets, building
them was about a third of `csm tickets list --limit 20` (docs/benchmarks.md).  They are not a
second schema: `store.models` maps its classes for these tables onto these very `Table` objects
(`__table__`, and each field's `sa_column`), on this same `metadata`, so an ORM statement and a
condition compiled here name one table, and the migrations are compared with one schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from csm_console.domain.model import ACTIVE_STATUSES
from csm_console.store.types import UTCDateTime

# Every table of the store (store.models adds the others to it).
metadata = MetaData()

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


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _ts(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UTCDateTime(), nullable=nullable)


team = Table(
    "team",
    metadata,
    _id(),
    Column("name", String(80), nullable=False, unique=True),
    Column("tier", String(2), nullable=False),
    Column("description", Text, nullable=False, default=""),
    # SLA clocks of the team's tickets count this calendar's working time (none: wall time)
    Column("calendar_id", Integer, ForeignKey("calendar.id"), nullable=True),
)

agent = Table(
    "agent",
    metadata,
    _id(),
    Column("handle", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("email", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("tier", String(2), nullable=False),
    Column("team_id", Integer, ForeignKey("team.id"), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("signature", Text, nullable=False, default=""),
    # PostgreSQL: the database login that is this agent (see services.acting.resolve_actor)
    Column("db_role", String(63), nullable=True),
    Index("ux_agent_db_role", "db_role", unique=True),
)

customer = Table(
    "customer",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False, unique=True),
    Column("phone", String(40), nullable=False, default=""),
    Column("company", String(200), nullable=False, default=""),
    Column("language", String(2), nullable=False),
    Column("preferred_channel", String(10), nullable=False),
    Column("segment", String(20), nullable=False),
    # the customer asked not to be sent satisfaction surveys (`customers set --no-surveys`)
    Column("no_surveys", Boolean, nullable=False, default=False, server_default=text("false")),
    # folded name and e-mail, for `customer:` matches that ignore case and diacritics
    Column("lookup", String(460), nullable=False, index=True),
)

ticket = Table(
    "ticket",
    metadata,
    _id(),
    Column("external_id", String(120), nullable=True),
    Column("subject", String(500), nullable=False),
    Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("category", String(40), nullable=True),
    Column("tier", String(2), nullable=False),
    Column("team_id", Integer, ForeignKey("team.id"), nullable=True),
    Column("assignee_id", Integer, ForeignKey("agent.id"), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    _ts("first_response_at", nullable=True),
    _ts("solved_at", nullable=True),
    _ts("closed_at", nullable=True),
    _ts("first_response_due"),
    _ts("resolution_due"),
    # the deadline of the clock running now (a far-future sentinel when none runs): the `sla` sort
    _ts("sla_due"),
    # time in `pending` does not count toward resolution: when the current pause began, and the
    # working time (wall time without a calendar) of the pauses that ended
    _ts("paused_since", nullable=True),
    Column("paused_seconds", Integer, nullable=False, default=0),
    # measured in working time, less pauses, when first answered and when solved (NULL on rows
    # older than migration 0008: the metrics then read wall time, which their clocks counted)
    Column("first_response_seconds", Integer, nullable=True),
    Column("resolution_seconds", Integer, nullable=True),
    Column("reopen_count", Integer, nullable=False, default=0),
    # the public replies agents wrote: first-contact resolution is exactly one (migration 0009)
    Column("agent_replies", Integer, nullable=False, default=0),
    # when the same customer next opened a ticket in the same category after this one was
    # solved (NULL: not since, or not solved): a repeat contact when that is within the report's
    # window.  Kept by services.repeat_contacts.
    _ts("next_contact_at", nullable=True),
    # the `[[mailboxes]]` name an e-mail ticket came in by (replies go out from its address)
    Column("mailbox", String(80), nullable=True),
    Column("csat_score", SmallInteger, nullable=True),
    Column("csat_comment", Text, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    # folded subject and message bodies: free words in the query language match here
    Column("search_text", Text, nullable=False, default=""),
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
    # ix_ticket_open, the partial index of the active tickets: see store.models
    # `csm import` upserts by the id a ticket has in the system it came from
    Index("ux_ticket_external_id", "external_id", unique=True),
)

ticket_tag = Table(
    "ticket_tag",
    metadata,
    Column("ticket_id", Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Index("ix_ticket_tag_tag", "tag", "ticket_id"),
)

message = Table(
    "message",
    metadata,
    _id(),
    Column("ticket_id", Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False),
    Column("author_kind", String(10), nullable=False),
    Column("agent_id", Integer, ForeignKey("agent.id"), nullable=True),
    Column("internal", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    _ts("created_at"),
    # e-mail (migration 0014): the Message-ID header without its angle brackets, incoming or
    # outgoing; the sender's address; flags (domain.mail.MessageFlag words, space-separated)
    Column("mail_id", String(255), nullable=True),
    Column("sender", String(254), nullable=True),
    Column("flags", String(100), nullable=False, default="", server_default=""),
    Index("ix_message_ticket", "ticket_id", "id"),
    # threading: a customer's In-Reply-To / References name one of these (migration 0014)
    Index("ix_message_mail_id", "mail_id"),
)

# A file a message carries: its sanitised name, type and size, and its bytes by hash.
attachment = Table(
    "attachment",
    metadata,
    _id(),
    Column("message_id", Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False),
    Column("position", SmallInteger, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(127), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), ForeignKey("blob.sha256"), nullable=False),
    Column("inline", Boolean, nullable=False, default=False, server_default=text("false")),
    Index("ix_attachment_message", "message_id", "position"),
)

# The outbox: one e-mail to send, written in the same transaction as the message it carries,
# with its Message-ID fixed when queued so a retry sends the same mail.
outgoing_mail = Table(
    "outgoing_mail",
    metadata,
    _id(),
    Column("ticket_id", Integer, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False),
    Column("message_id", Integer, ForeignKey("message.id", ondelete="CASCADE"), nullable=False),
    # reply, proactive, ack (acknowledgement), survey (CSAT)
    Column("kind", String(10), nullable=False),
    Column("mailbox", String(80), nullable=False),
    Column("mail_id", String(255), nullable=False, unique=True),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("in_reply_to", String(255), nullable=True),
    Column("references", Text, nullable=False, default=""),
    # queued, sending (claimed by a sender until claimed_until), sent, failed, cancelled
    Column("state", String(10), nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=0),
    _ts("next_attempt_at"),
    Column("claimed_by", String(60), nullable=True),
    _ts("claimed_until", nullable=True),
    _ts("created_at"),
    _ts("sent_at", nullable=True),
    # the server's answer to a sent mail, or why it failed
    Column("server_reply", Text, nullable=False, default=""),
    Index("ix_outgoing_mail_due", "state", "next_attempt_at", "id"),
    Index("ix_outgoing_mail_ticket", "ticket_id", "id"),
)


# The report's summary (migration 0018, services.report_summary): per UTC day and population
# (created, responded, solved), the counts of each group cell and a histogram of the times.
# Computed day by day from the tickets; a trigger on `ticket` marks the days a change touches.
# Core tables: the report reads them without the ORM's models (its start-up).
report_dirty_day = Table(
    "report_dirty_day",
    metadata,
    Column("day", String(10), primary_key=True),
    # PostgreSQL: the backend's own row of the day (store.report_days), so that concurrent
    # writers do not queue on one row; 0 on SQLite (one writer at a time)
    Column("shard", SmallInteger, primary_key=True, default=0, server_default="0"),
    Column("marks", Integer, nullable=False, default=1),
)


def _summary_cell() -> list[Column[Any]]:
    return [
        _id(),
        Column("day", String(10), nullable=False),
        Column("population", String(10), nullable=False),
        Column("team_id", Integer, nullable=True),
        Column("assignee_id", Integer, nullable=True),
    ]


REPORT_COUNTS = ("n", "missed", "frt_met", "fcr", "csat_responses", "csat_good", "csat_sum",
                 "repeat", "resolution_met")  # fmt: skip
report_count = Table(
    "report_count",
    metadata,
    *_summary_cell(),
    Column("channel", String(10), nullable=False),
    Column("category", String(40), nullable=True),
    Column("tier", String(2), nullable=False),
    *(Column(name, Integer, nullable=False) for name in REPORT_COUNTS),
    Index("ix_report_count_day", "population", "day"),
)
report_time = Table(
    "report_time",
    metadata,
    *_summary_cell(),
    Column("value", BigInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_report_time_day", "population", "day"),
)


# The change feed's counter (migration 0021, store.change_feed): on PostgreSQL every transaction
# that writes `ticket`, `message` or `ticket_tag` adds 1 to one row, in that transaction, and
# each console's feed polls the sum.  Rows 0..15 are the shards a writer takes (the first one no
# other writer holds); a writer that finds all 16 held counts in a row of its own backend
# (16 + its process id).  Written by the trigger alone (as its definer, the owner); SQLite's
# feed reads `PRAGMA data_version` instead and leaves the table empty.
change_mark = Table(
    "change_mark",
    metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
