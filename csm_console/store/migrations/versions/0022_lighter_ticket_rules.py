"""lighter per-row rules on ticket writes: 0013's unaudited check and 0018's day marks

Revision ID: 0022
Revises: 0021

PostgreSQL only; what the rules record is unchanged.  The `unaudited` check
(`csm_console.store.unaudited`): the deferred trigger gets a WHEN clause (a watched column
changed), and its function looks for the transaction's audit row of the ticket before it names
the changed columns, so csm's own writes (a bulk reassign: one call a ticket at each commit)
skip the column-by-column comparison.  The report summary's marking functions
(`csm_console.store.report_days`) make each time a date and format only the distinct days.
"""

from __future__ import annotations

from alembic import op

from csm_console.store import report_days, unaudited

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unaudited.install_light_check(op.get_bind())
    report_days.mark_days_by_date(op.get_bind())


def downgrade() -> None:
    report_days.mark_days_by_text(op.get_bind())
    unaudited.remove_light_check(op.get_bind())
