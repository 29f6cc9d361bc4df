"""ticket.external_id: the id a ticket has in the system it was imported from

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column and a unique index: both work in place on SQLite, no table rebuild.
    op.add_column("ticket", sa.Column("external_id", sa.String(length=120), nullable=True))
    op.create_index("ux_ticket_external_id", "ticket", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_ticket_external_id", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("external_id")
