"""agents bound to PostgreSQL logins: agent.db_role

Revision ID: 0006
Revises: 0005

A plain ADD COLUMN and a unique index: no table rebuild, which on SQLite would have to drop
`agent` while tickets still point at it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "ux_agent_db_role"


def upgrade() -> None:
    op.add_column("agent", sa.Column("db_role", sa.String(63), nullable=True))
    op.create_index(INDEX, "agent", ["db_role"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="agent")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE agent DROP COLUMN db_role")  # SQLite 3.35+: no rebuild
    else:
        op.drop_column("agent", "db_role")
