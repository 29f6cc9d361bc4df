"""Alembic environment: runs on the connection handed over by `csm_console.store.migrate`."""

from __future__ import annotations

from alembic import context

from csm_console.store.models import metadata  # every table (store.tables and store.models)
from csm_console.store.search_index import is_search_object

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "csm runs migrations on a connection it opens itself: use `csm db upgrade`"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # the full-text index (FTS5 tables, a tsvector column) is dialect-specific DDL
        include_name=lambda name, type_, parent: not is_search_object(name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported")
run_migrations_online()
