"""ticket.external_id (the id a ticket has in the system it came from) and store_info

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import uuid

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
    store_info = op.create_table(
        "store_info",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # The store's own name in exports: `csm-<store_key>-<ticket id>` as a ticket's external id.
    op.bulk_insert(store_info, [{"key": "store_key", "value": uuid.uuid4().hex[:10]}])


def downgrade() -> None:
    op.drop_table("store_info")
    op.drop_index("ux_ticket_external_id", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("external_id")
