"""row-level security on PostgreSQL: tickets, messages, tags and audit rows

Revision ID: 0012
Revises: 0011

Policies keyed on the login's agent (`csm_console.store.row_security`); the store's owner is not
subject to them.  Nothing changes on SQLite.
"""

from __future__ import annotations

from alembic import op

from csm_console.store import row_security

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    row_security.install(op.get_bind())


def downgrade() -> None:
    row_security.remove(op.get_bind())
