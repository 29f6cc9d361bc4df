"""the audit chain's row trigger with fewer statements a row; the chain is the same

Revision ID: 0019
Revises: 0018

SQLite: the row's `prev_hash` and `hash` are written by one UPDATE (0017's trigger wrote
`prev_hash`, then read the row back to write `hash`).  PostgreSQL: the row function draws the
id from the sequence named once (not looked up in the catalog for every row) and turns the
row's time into microseconds once (not three times).  No row is rewritten; rows chained before
and after verify alike (`csm_console.store.audit_chain`).
"""

from __future__ import annotations

from alembic import op

from csm_console.store import audit_chain

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_chain.install_lean_links(op.get_bind())


def downgrade() -> None:
    audit_chain.remove_lean_links(op.get_bind())
