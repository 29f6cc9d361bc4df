"""the change feed counts changes in `change_mark` instead of notifying (PostgreSQL)

Revision ID: 0021
Revises: 0020

`change_mark`: a counter that every transaction writing `ticket`, `message` or `ticket_tag`
adds 1 to, in one of 16 shard rows (`store.change_feed`); consoles poll its sum.  On
PostgreSQL this replaces 0005's statement triggers that called `pg_notify`: PostgreSQL commits
notifying transactions one at a time (a cluster-wide lock held through each commit's WAL
flush), so concurrent writers could not share a flush.  The table is made on SQLite too (one
schema for both), where the feed reads `PRAGMA data_version` and nothing writes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.store import change_feed

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_mark",
        sa.Column("shard", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    change_feed.install(op.get_bind())


def downgrade() -> None:
    change_feed.remove(op.get_bind())
    op.drop_table("change_mark")
