"""CHECK constraints on every enumerated column

Revision ID: 0010
Revises: 0009

Status, priority, tier, channel, CSAT score, role, author kind, language and segment accept only
the values csm knows (`csm_console.store.constraints`): on PostgreSQL as CHECK constraints
(validated unless existing rows break them), on SQLite as triggers refusing a bad INSERT or
UPDATE.  Rows that broke them before stay as they are; reads show them as invalid.
"""

from __future__ import annotations

from alembic import op

from csm_console.store.constraints import add_checks, drop_checks

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_checks(op.get_bind())


def downgrade() -> None:
    drop_checks(op.get_bind())
