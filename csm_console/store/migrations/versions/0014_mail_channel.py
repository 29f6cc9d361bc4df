"""the e-mail channel: message headers, attachments, the intake journal, quarantine, IMAP
positions and the outbox

Revision ID: 0014
Revises: 0013

- `message.mail_id` (the Message-ID, incoming or outgoing, indexed for threading), `sender`
  and `flags` (auto-reply, bounce ...).
- `blob` (attachment bytes by SHA-256, stored once) and `attachment` (per message).
- `mail_receipt`: one row per distinct e-mail taken in, keyed by Message-ID (or the raw bytes'
  hash): what makes a second copy a duplicate, and where a drop's reason is recorded.
- `quarantine`: raw messages that could not be stored, with the reason.
- `mailbox_state`: UIDVALIDITY and the last UID taken in, per mailbox and IMAP folder.
- `outgoing_mail`: the outbox, written in the reply's own transaction.
- `ticket.mailbox`: the mailbox an e-mail ticket came in by (its replies go out from there).
- `customer.no_surveys`: the customer's opt-out of satisfaction surveys.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csm_console.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, csm_console.store.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild on SQLite, which would drop the tables' triggers)
    op.add_column(
        "customer", sa.Column("no_surveys", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("ticket", sa.Column("mailbox", sa.String(80), nullable=True))
    op.add_column("message", sa.Column("mail_id", sa.String(255), nullable=True))
    op.add_column("message", sa.Column("sender", sa.String(254), nullable=True))
    op.add_column("message", sa.Column("flags", sa.String(100), nullable=False, server_default=""))
    op.create_index("ix_message_mail_id", "message", ["mail_id"])

    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("size >= 0", name="ck_blob_size"),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("message.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blob.sha256"), nullable=False),
        sa.Column("inline", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint("size >= 0", name="ck_attachment_size"),
    )
    op.create_index("ix_attachment_message", "attachment", ["message_id", "position"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox", sa.String(80), nullable=True),
        _ts("received_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(254), nullable=False, server_default=""),
        sa.Column("subject", sa.String(500), nullable=False, server_default=""),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.CheckConstraint("state IN ('held', 'released', 'dropped')", name="ck_quarantine_state"),
    )
    op.create_table(
        "mail_receipt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mail_key", sa.String(300), nullable=False, unique=True),
        sa.Column("mailbox", sa.String(80), nullable=True),
        _ts("received_at"),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("ticket.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "quarantine_id", sa.Integer(),
            sa.ForeignKey("quarantine.id", ondelete="SET NULL"), nullable=True,
        ),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
    )  # fmt: skip
    op.create_table(
        "mailbox_state",
        sa.Column("mailbox", sa.String(80), primary_key=True),
        sa.Column("folder", sa.String(200), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        _ts("updated_at"),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("ticket.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("message.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("mailbox", sa.String(80), nullable=False),
        sa.Column("mail_id", sa.String(255), nullable=False, unique=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("in_reply_to", sa.String(255), nullable=True),
        sa.Column("references", sa.Text(), nullable=False, server_default=""),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0"),
        _ts("next_attempt_at"),
        sa.Column("claimed_by", sa.String(60), nullable=True),
        _ts("claimed_until", nullable=True),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.Column("server_reply", sa.Text(), nullable=False, server_default=""),
        sa.CheckConstraint(
            "kind IN ('reply', 'proactive', 'ack', 'survey')", name="ck_outgoing_mail_kind"
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')",
            name="ck_outgoing_mail_state",
        ),
        sa.CheckConstraint("attempts >= 0", name="ck_outgoing_mail_attempts"),
    )  # fmt: skip
    op.create_index("ix_outgoing_mail_due", "outgoing_mail", ["state", "next_attempt_at", "id"])
    op.create_index("ix_outgoing_mail_ticket", "outgoing_mail", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_table("outgoing_mail")
    op.drop_table("mailbox_state")
    op.drop_table("mail_receipt")
    op.drop_table("quarantine")
    op.drop_table("attachment")
    op.drop_table("blob")
    op.drop_index("ix_message_mail_id", table_name="message")
    for column in ("flags", "sender", "mail_id"):
        op.drop_column("message", column)
    op.drop_column("ticket", "mailbox")
    op.drop_column("customer", "no_surveys")
