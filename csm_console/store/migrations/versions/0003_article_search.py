"""knowledge search: article stems, indexed by FTS5 (SQLite) or a tsvector with GIN (PostgreSQL)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csm_console.domain.search import article_index
from csm_console.store import search_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "article", sa.Column("search_title", sa.Text(), nullable=False, server_default="")
    )
    # The stems of the articles already there (search_text held folded words before).
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title, tags, body, language FROM article")).all()
    for row in rows:
        title, text = article_index(row.title, row.tags, row.body, row.language)
        bind.execute(
            sa.text("UPDATE article SET search_title = :t, search_text = :x WHERE id = :id"),
            {"t": title, "x": text, "id": row.id},
        )
    ddl = search_index.SQLITE_DDL if bind.dialect.name == "sqlite" else search_index.POSTGRES_DDL
    for statement in ddl:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    drop = search_index.SQLITE_DROP if bind.dialect.name == "sqlite" else search_index.POSTGRES_DROP
    for statement in drop:
        op.execute(statement)
    with op.batch_alter_table("article") as batch:
        batch.drop_column("search_title")
