"""the audit trail: append-only and hash-chained by the store

Revision ID: 0011
Revises: 0010

`audit_event` gets `prev_hash` and `hash`, and `audit_chain_head` names the newest row.  The rows
already there are chained first, in id order from the start; from then on triggers chain every
new row and refuse UPDATE and DELETE (`csm_console.store.audit_chain`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.store import audit_chain

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    audit_chain.chain_existing(conn)
    audit_chain.install(conn)


def downgrade() -> None:
    conn = op.get_bind()
    audit_chain.remove(conn)
    op.drop_table("audit_chain_head")
    for column in ("hash", "prev_hash"):
        if conn.dialect.name == "sqlite":
            op.execute(f"ALTER TABLE audit_event DROP COLUMN {column}")
        else:
            op.drop_column("audit_event", column)
