"""A lock on a name for the rest of a write transaction, where two writers may otherwise both
read "not yet" and both act.

- PostgreSQL: `pg_advisory_xact_lock` on a 64-bit hash of the name; the second transaction
  waits at the lock until the first commits or rolls back, then reads what the first wrote
  (READ COMMITTED: each statement sees what is committed when it starts).
- SQLite: nothing to do: a write transaction (`BEGIN IMMEDIATE`) holds the database's one
  write lock from its start, so writers are serialised already.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_key(name: str) -> int:
    """A signed 64-bit number for `name` (PostgreSQL's bigint), the same in every process."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def lock_name(session: Session, name: str) -> None:
    """Hold a lock on `name` until the session's transaction ends (see the module)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": lock_key(name)})
