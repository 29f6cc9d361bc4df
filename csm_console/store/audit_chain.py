"""The audit trail made append-only and hash-chained by the store itself (migration 0011).

Every row inserted into `audit_event` gets `prev_hash` and `hash` from a trigger (the hash of
`domain.audit_chain`), in one order shared by all writers: the trigger locks the one-row
`audit_chain_head`, so concurrent transactions chain one after another, and on PostgreSQL it
also draws the row's id then, so ids follow the chain.  UPDATE and DELETE of audit rows are
refused by triggers (and with them a DELETE of a ticket, which would cascade to its audit).
The store's owner can still switch triggers off or rewrite the file; `csm audit verify`
(`services.audit`) then names the first row where the chain breaks.

On PostgreSQL the triggers are `ENABLE ALWAYS`, so a session in `replica` mode (the bulk
generator) chains its rows too.  On SQLite the hash is a function each connection registers
(`register_sqlite_functions`); a tool that has not got it cannot add audit rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csm_console.domain.audit_chain import GENESIS, ChainedRow, chain_hash

# The columns a bulk writer fills, in this order (reassign's INSERT ... SELECT, the generator);
# the chain covers them and the id.
AUDIT_COLUMNS = (
    "ticket_id",
    "actor_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "created_at",
    "batch_id",
    "version",
)
CHAIN_COLUMNS = ("id", *AUDIT_COLUMNS)

_PART = "csm_audit_part"
_POSTGRES_INSTALL = (
    f"""
CREATE FUNCTION {_PART}(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '-' ELSE length(v)::text || ':' || v END
$$""",
    f"""
CREATE FUNCTION csm_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL THEN
    RAISE EXCEPTION 'audit rows are chained by the store: leave hash and prev_hash out'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- one writer at a time from here to its commit: the chain has one order
  INSERT INTO audit_chain_head AS h (id, last_id, last_hash) VALUES (1, 0, '')
    ON CONFLICT (id) DO UPDATE SET last_id = h.last_id
    RETURNING h.last_hash INTO prev;
  NEW.id := nextval(pg_get_serial_sequence('audit_event', 'id'));
  NEW.prev_hash := prev;
  NEW.hash := encode(sha256(convert_to(prev || chr(10) || concat_ws(';',
    {_PART}(NEW.id::text), {_PART}(NEW.ticket_id::text), {_PART}(NEW.actor_id::text),
    {_PART}(NEW.action), {_PART}(NEW.field), {_PART}(NEW.old_value), {_PART}(NEW.new_value),
    {_PART}(((extract(epoch FROM NEW.created_at) * 1000000)::bigint)::text),
    {_PART}(NEW.batch_id), {_PART}(NEW.version::text)), 'UTF8')), 'hex');
  UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash WHERE id = 1;
  RETURN NEW;
END
$$""",
    """
CREATE FUNCTION csm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$""",
    "CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION csm_audit_chain()",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION csm_audit_append_only()",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_chain",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only",
    # the trigger draws the id; a default would draw one more, unused, for every row
    "ALTER TABLE audit_event ALTER COLUMN id DROP DEFAULT",
)
_POSTGRES_REMOVE = (
    "ALTER TABLE audit_event ALTER COLUMN id "
    "SET DEFAULT nextval(pg_get_serial_sequence('audit_event', 'id')::regclass)",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "DROP TRIGGER audit_event_chain ON audit_event",
    "DROP FUNCTION csm_audit_append_only()",
    "DROP FUNCTION csm_audit_chain()",
    f"DROP FUNCTION {_PART}(text)",
)

_SQLITE_INSTALL = (
    """
CREATE TRIGGER audit_event_hash_is_the_stores BEFORE INSERT ON audit_event
WHEN NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL BEGIN
  SELECT RAISE(ABORT, 'audit rows are chained by the store: leave hash and prev_hash out');
END""",
    f"""
CREATE TRIGGER audit_event_chain AFTER INSERT ON audit_event BEGIN
  INSERT OR IGNORE INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '');
  UPDATE audit_event SET prev_hash = (SELECT last_hash FROM audit_chain_head WHERE id = 1)
    WHERE id = NEW.id;
  UPDATE audit_event SET hash = csm_audit_hash(prev_hash, {", ".join(CHAIN_COLUMNS)})
    WHERE id = NEW.id;
  UPDATE audit_chain_head SET last_id = NEW.id,
    last_hash = (SELECT hash FROM audit_event WHERE id = NEW.id) WHERE id = 1;
END""",
    """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
WHEN OLD.hash IS NOT NULL BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused');
END""",
    """
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused');
END""",
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER {name}"
    for name in (
        "audit_event_no_delete",
        "audit_event_no_update",
        "audit_event_chain",
        "audit_event_hash_is_the_stores",
    )
)


def stored_time(value: Any) -> datetime:
    """`created_at` as the driver returns it: a datetime (PostgreSQL) or SQLite's text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def chained_row(values: Any) -> ChainedRow:
    """A row of `CHAIN_COLUMNS` values, as the chain covers it."""
    (row_id, ticket_id, actor_id, action, field, old, new, created_at, batch_id, version) = values
    return ChainedRow(
        id=row_id,
        ticket_id=ticket_id,
        actor_id=actor_id,
        action=action,
        field=field,
        old_value=old,
        new_value=new,
        created_at=stored_time(created_at),
        batch_id=batch_id,
        version=version,
    )


def _sqlite_audit_hash(prev_hash: str | None, *values: Any) -> str:
    return chain_hash(prev_hash, chained_row(values).content())


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """What the SQLite triggers call: every connection of a Store registers it."""
    connection.create_function(
        "csm_audit_hash", 1 + len(CHAIN_COLUMNS), _sqlite_audit_hash, deterministic=True
    )


Link = tuple[ChainedRow, str | None, str | None]  # a row, its stored prev_hash and hash


def iter_chain(conn: Connection, *, page: int = 5000) -> Iterator[Link]:
    """Every audit row in chain order with its stored `prev_hash` and `hash`, page by page."""
    after = -1
    columns = ", ".join(CHAIN_COLUMNS)
    while True:
        rows = conn.execute(
            text(
                f"SELECT {columns}, prev_hash, hash FROM audit_event WHERE id > :after "
                "ORDER BY id LIMIT :page"
            ),
            {"after": after, "page": page},
        ).all()
        for r in rows:
            yield chained_row(r[: len(CHAIN_COLUMNS)]), r[-2], r[-1]
        if len(rows) < page:
            return
        after = rows[-1][0]


def chain_existing(conn: Connection) -> None:
    """Chain the rows written before the triggers, in id order, and set the head after them."""
    prev = GENESIS
    last_id = 0
    batch: list[dict[str, Any]] = []
    for row, _, _ in iter_chain(conn):
        digest = chain_hash(prev, row.content())
        batch.append({"id": row.id, "prev": prev, "hash": digest})
        prev, last_id = digest, row.id
        if len(batch) >= 5000:
            _write_links(conn, batch)
            batch = []
    _write_links(conn, batch)
    conn.execute(
        text("INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, :id, :hash)"),
        {"id": last_id, "hash": prev},
    )


def _write_links(conn: Connection, batch: list[dict[str, Any]]) -> None:
    if batch:
        conn.execute(
            text("UPDATE audit_event SET prev_hash = :prev, hash = :hash WHERE id = :id"), batch
        )


def install(conn: Connection) -> None:
    for statement in _POSTGRES_INSTALL if conn.dialect.name == "postgresql" else _SQLITE_INSTALL:
        conn.execute(text(statement))


def remove(conn: Connection) -> None:
    for statement in _POSTGRES_REMOVE if conn.dialect.name == "postgresql" else _SQLITE_REMOVE:
        conn.execute(text(statement))
