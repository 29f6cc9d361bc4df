"""the report's summary: per-day counts and time histograms, and the days to compute again

Revision ID: 0018
Revises: 0017

- `report_count`: per UTC day, population (created, responded, solved) and group cell (team,
  assignee, channel, category, tier), the report's counts;
- `report_time`: per UTC day, population (responded, solved), team and assignee, a histogram
  of first-response or resolution seconds (`services.report_summary.bucket`);
- `report_dirty_day`: the days whose summary must be computed again from the tickets, marked
  by a row trigger on `ticket` (`store.report_days`).  Every day of the tickets already
  stored is marked here, so the first report (or `csm db rebuild-summary`) fills the summary.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.store import report_days

# as they were at 0018 (store.models.REPORT_OPEN_TARGETS, ACTIVE_CONDITION)
OPEN_TARGETS = ("created_at", "first_response_at", "first_response_due", "paused_since",
                "solved_at", "resolution_due", "team_id", "assignee_id", "tier", "channel",
                "category")  # fmt: skip
ACTIVE = "status IN ('new', 'open', 'pending', 'on_hold')"

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _cell() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("population", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "report_dirty_day",
        sa.Column("day", sa.String(length=10), primary_key=True),
        sa.Column("shard", sa.SmallInteger(), primary_key=True, server_default="0"),
        sa.Column("marks", sa.Integer(), nullable=False),
    )
    op.create_table(
        "report_count",
        *_cell(),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=2), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "n",
                "missed",
                "frt_met",
                "fcr",
                "csat_responses",
                "csat_good",
                "csat_sum",
                "repeat",
                "resolution_met",
            )
        ),
    )
    op.create_index("ix_report_count_day", "report_count", ["population", "day"])
    op.create_table(
        "report_time",
        *_cell(),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_time_day", "report_time", ["population", "day"])
    op.create_index(
        "ix_ticket_open_targets",
        "ticket",
        list(OPEN_TARGETS),
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    conn = op.get_bind()
    report_days.install(conn)
    conn.execute(sa.text(report_days.mark_all_sql(conn.dialect.name == "postgresql")))


def downgrade() -> None:
    report_days.remove(op.get_bind())
    op.drop_index("ix_ticket_open_targets", table_name="ticket")
    op.drop_index("ix_report_time_day", table_name="report_time")
    op.drop_table("report_time")
    op.drop_index("ix_report_count_day", table_name="report_count")
    op.drop_table("report_count")
    op.drop_table("report_dirty_day")
