"""the `unaudited` check (0013) called only when a watched column changed, audit row first

Revision ID: 0022
Revises: 0020

PostgreSQL only (`csm_console.store.unaudited`): the deferred trigger gets a WHEN clause (a
watched column changed), and its function looks for the transaction's audit row of the ticket
before it names the changed columns.  What it records is unchanged; csm's own writes (a bulk
reassign: one call a ticket at each commit) skip the column-by-column comparison.
"""

from __future__ import annotations

from alembic import op

from csm_console.store import unaudited

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unaudited.install_light_check(op.get_bind())


def downgrade() -> None:
    unaudited.remove_light_check(op.get_bind())
