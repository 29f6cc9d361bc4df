"""automations and macros

Revision ID: 0015
Revises: 0014

- `automation`: a condition in the query language with time terms, the actions to take on
  the tickets it matches (one action per line, `domain.actions`), a `max_tickets` safety stop
  per run, and whether it is enabled; run in `position` order.
- `automation_firing`: one row per ticket an automation has acted on while the ticket still
  matches: what makes it fire once per ticket per condition.  The row goes when the ticket
  stops matching, so a ticket that matches again is acted on again.
- `macro`: a named bundle an operator applies with one key: an optional reply (the composer's
  text) and actions (`domain.actions`, the ones a macro may take); one row per (name,
  language), chosen like a reply template's variants.
- row-level security on `outgoing_mail` (PostgreSQL): an agent's login queues, retries or
  cancels mail only on tickets in its reach (`store.row_security.OUTBOX_POLICIES`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import csm_console.store.types
from csm_console.store import row_security

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, csm_console.store.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "automation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("max_tickets", sa.Integer(), nullable=False, server_default="500"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_table(
        "automation_firing",
        sa.Column(
            "automation_id",
            sa.Integer(),
            sa.ForeignKey("automation.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("ticket.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _ts("fired_at"),
    )
    op.create_index("ix_automation_firing_ticket_id", "automation_firing", ["ticket_id"])
    op.create_table(
        "macro",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False, server_default=""),
        sa.Column("actions", sa.Text(), nullable=False, server_default=""),
        _ts("updated_at"),
        sa.UniqueConstraint("name", "language", name="uq_macro_name_language"),
    )
    row_security.install_policies(op.get_bind(), row_security.OUTBOX_POLICIES)


def downgrade() -> None:
    row_security.remove_policies(op.get_bind(), row_security.OUTBOX_POLICIES)
    op.drop_table("macro")
    op.drop_index("ix_automation_firing_ticket_id", table_name="automation_firing")
    op.drop_table("automation_firing")
    op.drop_table("automation")
