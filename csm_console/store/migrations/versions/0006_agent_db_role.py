"""agents bound to PostgreSQL logins: agent.db_role

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("agent", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("db_role", sa.String(63), nullable=True))
        batch.create_unique_constraint("uq_agent_db_role", ["db_role"])


def downgrade() -> None:
    with op.batch_alter_table("agent", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_agent_db_role", type_="unique")
        batch.drop_column("db_role")
