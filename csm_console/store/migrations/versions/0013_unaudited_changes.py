"""changes of a ticket without an audit row are recorded as `unaudited` (PostgreSQL)

Revision ID: 0013
Revises: 0012

A deferred trigger on `ticket` (`csm_console.store.unaudited`).  Nothing changes on SQLite.
"""

from __future__ import annotations

from alembic import op

from csm_console.store import unaudited

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unaudited.install(op.get_bind())


def downgrade() -> None:
    unaudited.remove(op.get_bind())
