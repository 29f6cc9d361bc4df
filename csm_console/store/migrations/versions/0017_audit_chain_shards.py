"""the audit chain in shards: writers chain side by side, and a statement's rows update their
head once

Revision ID: 0017
Revises: 0016

`audit_event` gets `chain` (the shard a row is chained in; NULL for the rows already there),
the one head row becomes the *trunk* (head row 0) and sixteen shard heads (1..16) start from
its end, so the chain written so far verifies as before and every new row goes on from it
(`csm_console.store.audit_chain` says why and how).  No existing row is rewritten.  Going back
chains the shards' rows again after the trunk in id order, as one chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.store import audit_chain

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    audit_chain.remove(conn)  # 0011's triggers: one head for every writer
    op.add_column("audit_event", sa.Column("chain", sa.SmallInteger(), nullable=True))
    audit_chain.shard_trunk(conn)
    audit_chain.install_shards(conn)


def downgrade() -> None:
    conn = op.get_bind()
    audit_chain.remove_shards(conn)
    audit_chain.unshard(conn)
    if conn.dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_event DROP COLUMN chain")
    else:
        op.drop_column("audit_event", "chain")
    audit_chain.install(conn)
