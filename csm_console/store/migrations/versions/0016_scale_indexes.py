"""scale: the article's search vector kept in its row (PostgreSQL)

Revision ID: 0016
Revises: 0015

A knowledge search reads the tsvector of every match it checks and of every match it ranks
(`store.search_index`).  PostgreSQL moved each vector (about 2 kB, incompressible) out to the
TOAST table, so each read cost a TOAST index lookup and its chunks; kept in the row
(`STORAGE MAIN`), a search touches several times fewer buffers.  The vectors already stored
are rewritten into their rows.  Nothing changes on SQLite.
"""

from __future__ import annotations

from alembic import op

from csm_console.store import search_index

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in search_index.POSTGRES_VECTOR_IN_ROW:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in search_index.POSTGRES_VECTOR_TOASTED:
            op.execute(statement)
