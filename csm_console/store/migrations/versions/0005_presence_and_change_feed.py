"""presence leases, and change notifications for live consoles (PostgreSQL triggers)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.store import change_feed
from csm_console.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("console", sa.String(40), nullable=False, unique=True),
        sa.Column(
            "agent_id", sa.Integer(), sa.ForeignKey("agent.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("ticket.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("activity", sa.String(20), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_presence_ticket", "presence", ["ticket_id"])
    op.create_index("ix_presence_expires_at", "presence", ["expires_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in change_feed.NOTIFY_INSTALL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in change_feed.NOTIFY_REMOVE:
            op.execute(statement)
    op.drop_index("ix_presence_expires_at", table_name="presence")
    op.drop_index("ix_presence_ticket", table_name="presence")
    op.drop_table("presence")
