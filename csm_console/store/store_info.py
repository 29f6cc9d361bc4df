"""Facts about the store kept in `store_info`, written with one upsert statement.

Two processes may record the same fact at once (two workers finishing a run of the same
automation, two admins verifying the chain); a read-then-insert would let the second one fail
on the primary key, so the write is a single `INSERT … ON CONFLICT (key) DO UPDATE`, which both
SQLite and PostgreSQL run atomically."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from csm_console.store.models import StoreInfo


def put(session: Session, key: str, value: str) -> None:
    """Set `key` to `value`, whether or not another process has just set it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(StoreInfo).values(key=key, value=value)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"value": statement.excluded.value}
        )
    )


def get(session: Session, key: str) -> str | None:
    """The value of `key`, or None when nothing recorded it."""
    info = session.get(StoreInfo, key)
    return info.value if info is not None else None
