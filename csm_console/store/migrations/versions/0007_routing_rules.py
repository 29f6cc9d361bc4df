"""routing rules applied to new tickets

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_rule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column(
            "set_team_id",
            sa.Integer(),
            sa.ForeignKey("team.id", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("set_tier", sa.String(2), nullable=True),
        sa.Column("set_priority", sa.SmallInteger(), nullable=True),
        sa.Column("set_category", sa.String(40), nullable=True),
        sa.Column("add_tags", sa.Text(), nullable=False, server_default=""),
        sa.Column(
            "assign_to_id",
            sa.Integer(),
            sa.ForeignKey("agent.id", ondelete="RESTRICT"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("routing_rule")
