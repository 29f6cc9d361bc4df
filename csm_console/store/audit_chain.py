"""The audit trail made append-only and hash-chained by the store itself (migrations 0011, 0017).

Every row inserted into `audit_event` gets `prev_hash` and `hash` from a trigger (the hash of
`domain.audit_chain`).  UPDATE and DELETE of audit rows are refused by triggers (and with them a
DELETE of a ticket, which would cascade to its audit).  The store's owner can still switch
triggers off or rewrite the file; `csm audit verify` (`services.audit`) then names the first
row where the chain breaks.

**Shards (0017).**  The chain is cut into `SHARDS` chains, each with its head row in
`audit_chain_head` (ids 1..16); row 0 is the *trunk*, the one chain of the rows written before
0017, which every shard goes on from (a shard's first row has the trunk's last hash as its
`prev_hash`).  A row names its shard in `audit_event.chain` (NULL: the trunk).  A transaction
takes one shard at its first audit row and keeps it to its commit: on PostgreSQL the first head
row not locked by another transaction (`FOR UPDATE SKIP LOCKED`, lowest first, so one writer at
a time always uses shard 1), so up to 16 writers chain at once and commit in one WAL flush
(group commit) instead of one after another through one head row; the row's id is drawn while
the shard is held, so within a shard ids follow the chain (and the commits).  A shard's head is
written once per statement (a statement trigger), not once per row: the rows of one statement
are linked through transaction-local settings (`csm.chain_*`), so a bulk `INSERT ... SELECT`
costs one head update.  SQLite has one writer at a time and uses shard 1 alone (its trigger
is 0011's, which also names the shard).

Why shards and not a chain linked after commit (a "chainer" sealing rows below the oldest
running transaction): the chainer leaves rows unproven until it runs, needs a process that must
not stop, and its horizon is easy to get wrong; shards keep every row chained at its commit.
What verification checks is unchanged per shard: every row follows the one before it in its
shard, and each shard ends at its head (rows removed at the end).  The head `csm audit verify`
prints covers every shard (`services.audit`).

Ids no longer become visible in order across shards: a reader that goes on from "the newest id"
(the console's notifications) asks `settled_id` for the newest id below which no transaction
still running can add a row (each one holds an advisory lock on its shard, which `pg_locks`
shows before it commits).

On PostgreSQL the triggers are `ENABLE ALWAYS`, so a session in `replica` mode (the bulk
generator) chains its rows too.  On SQLite the hash is a function each connection registers
(`register_sqlite_functions`); a tool that has not got it cannot add audit rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csm_console.domain.audit_chain import (
    GENESIS,
    ChainedRow,
    chain_hash,
    epoch_micros,
    row_content,
)

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


# ------------------------------------------------------------------------ shards (0017)

SHARDS = 16  # head rows 1..SHARDS; row 0 is the trunk (the chain written before 0017)
TRUNK = 0
LOCK_CLASS = 1668506980  # pg_locks' classid of the advisory lock a writer holds on its shard

_HASH_SQL = f"""encode(sha256(convert_to(prev || chr(10) || concat_ws(';',
    {_PART}(NEW.id::text), {_PART}(NEW.ticket_id::text), {_PART}(NEW.actor_id::text),
    {_PART}(NEW.action), {_PART}(NEW.field), {_PART}(NEW.old_value), {_PART}(NEW.new_value),
    {_PART}(((extract(epoch FROM NEW.created_at) * 1000000)::bigint)::text),
    {_PART}(NEW.batch_id), {_PART}(NEW.version::text)), 'UTF8')), 'hex')"""

_POSTGRES_SHARDS_INSTALL = (
    _POSTGRES_INSTALL[0],  # csm_audit_part
    f"""
CREATE FUNCTION csm_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  shard int;
  prev text;
BEGIN
  IF NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.chain IS NOT NULL THEN
    RAISE EXCEPTION 'audit rows are chained by the store: leave hash and prev_hash out'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF current_setting('csm.chain_xact', true) IS DISTINCT FROM pg_current_xact_id()::text THEN
    -- this transaction's first audit row: it takes the first shard no other writer holds,
    -- and keeps it to its commit
    SELECT h.id, h.last_hash INTO shard, prev FROM audit_chain_head AS h
      WHERE h.id BETWEEN 1 AND {SHARDS} ORDER BY h.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF shard IS NULL THEN  -- all held (or none made yet): wait for one, made if need be
      shard := 1 + pg_backend_pid() % {SHARDS};
      INSERT INTO audit_chain_head AS h (id, last_id, last_hash)
        VALUES (shard, 0, coalesce(
          (SELECT t.last_hash FROM audit_chain_head AS t WHERE t.id = {TRUNK}), ''))
        ON CONFLICT (id) DO UPDATE SET last_id = h.last_id
        RETURNING h.last_hash INTO prev;
    END IF;
    -- seen in pg_locks before the commit: settled_id() stays below this shard's new rows
    PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, shard);
    PERFORM set_config('csm.chain_xact', pg_current_xact_id()::text, true);
    PERFORM set_config('csm.chain_shard', shard::text, true);
  ELSE
    shard := current_setting('csm.chain_shard')::int;
    prev := current_setting('csm.chain_prev');
  END IF;
  NEW.id := nextval(pg_get_serial_sequence('audit_event', 'id'));
  NEW.chain := shard;
  NEW.prev_hash := prev;
  NEW.hash := {_HASH_SQL};
  PERFORM set_config('csm.chain_prev', NEW.hash, true);
  PERFORM set_config('csm.chain_last', NEW.id::text, true);
  RETURN NEW;
END
$$""",
    """
CREATE FUNCTION csm_audit_chain_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  -- once per statement: the shard's head names the statement's last row
  IF current_setting('csm.chain_xact', true) = pg_current_xact_id_if_assigned()::text THEN
    UPDATE audit_chain_head SET last_id = current_setting('csm.chain_last')::int,
      last_hash = current_setting('csm.chain_prev')
      WHERE id = current_setting('csm.chain_shard')::int;
  END IF;
  RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION csm_audit_settled() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  newest bigint;
  held int[];
  low bigint;
BEGIN
  -- each statement below sees the store anew (READ COMMITTED): first the newest id, then
  -- the shards held by running writers, then where those shards stood
  SELECT coalesce(max(id), 0) INTO newest FROM audit_event;
  SELECT array_agg(objid::int) INTO held FROM pg_locks
    WHERE locktype = 'advisory' AND classid = {LOCK_CLASS} AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
  SELECT min(last_id) INTO low FROM audit_chain_head WHERE id = ANY(held);
  RETURN least(newest, coalesce(low, newest));
END
$$""",
    _POSTGRES_INSTALL[2],  # csm_audit_append_only
    "CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION csm_audit_chain()",
    "CREATE TRIGGER audit_event_chain_head AFTER INSERT ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION csm_audit_chain_head()",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION csm_audit_append_only()",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_chain",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_chain_head",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only",
    "ALTER TABLE audit_event ALTER COLUMN id DROP DEFAULT",
)
_POSTGRES_SHARDS_REMOVE = (
    _POSTGRES_REMOVE[0],
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "DROP TRIGGER audit_event_chain_head ON audit_event",
    "DROP TRIGGER audit_event_chain ON audit_event",
    "DROP FUNCTION csm_audit_append_only()",
    "DROP FUNCTION csm_audit_settled()",
    "DROP FUNCTION csm_audit_chain_head()",
    "DROP FUNCTION csm_audit_chain()",
    f"DROP FUNCTION {_PART}(text)",
)

_SQLITE_SHARDS_INSTALL = (
    """
CREATE TRIGGER audit_event_hash_is_the_stores BEFORE INSERT ON audit_event
WHEN NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.chain IS NOT NULL BEGIN
  SELECT RAISE(ABORT, 'audit rows are chained by the store: leave hash and prev_hash out');
END""",
    f"""
CREATE TRIGGER audit_event_chain AFTER INSERT ON audit_event BEGIN
  INSERT OR IGNORE INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, coalesce(
    (SELECT last_hash FROM audit_chain_head WHERE id = {TRUNK}), ''));
  UPDATE audit_event SET chain = 1,
    prev_hash = (SELECT last_hash FROM audit_chain_head WHERE id = 1) WHERE id = NEW.id;
  UPDATE audit_event SET hash = csm_audit_hash(prev_hash, {", ".join(CHAIN_COLUMNS)})
    WHERE id = NEW.id;
  UPDATE audit_chain_head SET last_id = NEW.id,
    last_hash = (SELECT hash FROM audit_event WHERE id = NEW.id) WHERE id = 1;
END""",
    _SQLITE_INSTALL[2],  # no update
    _SQLITE_INSTALL[3],  # no delete
)


# ------------------------------------------------------------------ leaner links (0019)

# SQLite: the row's links in one UPDATE, hashed from NEW (the values as stored), where 0017's
# trigger wrote `prev_hash` and then read the row back to write `hash` (two UPDATEs of the row)
_SQLITE_LEAN_CHAIN = f"""
CREATE TRIGGER audit_event_chain AFTER INSERT ON audit_event BEGIN
  INSERT OR IGNORE INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, coalesce(
    (SELECT last_hash FROM audit_chain_head WHERE id = {TRUNK}), ''));
  UPDATE audit_event SET chain = 1,
    prev_hash = (SELECT last_hash FROM audit_chain_head WHERE id = 1),
    hash = csm_audit_hash((SELECT last_hash FROM audit_chain_head WHERE id = 1),
      {", ".join(f"NEW.{c}" for c in CHAIN_COLUMNS)})
    WHERE id = NEW.id;
  UPDATE audit_chain_head SET last_id = NEW.id,
    last_hash = (SELECT hash FROM audit_event WHERE id = NEW.id) WHERE id = 1;
END"""


# PostgreSQL: 0017's row function, drawing the id from the sequence named once (0017 looked it
# up in the catalog for every row: `pg_get_serial_sequence`) and turning the row's time into
# microseconds once (0017's hash expression did it three times: `csm_audit_part` is inlined
# with its argument written out wherever the function's body names it)
_TIME_TEXT = "((extract(epoch FROM NEW.created_at) * 1000000)::bigint)::text"
_TIME_PART = f"{_PART}({_TIME_TEXT})"


def _postgres_lean_chain(sequence: str) -> str:
    function = _POSTGRES_SHARDS_INSTALL[1]
    for old, new in (
        ("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        ("  prev text;\n", "  prev text;\n  micros text;\n"),
        (
            "nextval(pg_get_serial_sequence('audit_event', 'id'))",
            f"nextval({_quoted(sequence)}::regclass)",
        ),
        ("  NEW.hash := ", f"  micros := {_TIME_TEXT};\n  NEW.hash := "),
        (_TIME_PART, f"{_PART}(micros)"),
    ):
        assert function.count(old) == 1, old
        function = function.replace(old, new)
    return function


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def install_lean_links(conn: Connection) -> None:
    """0019: the chain's row trigger with less work a row (the chain is the same)."""
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence('audit_event', 'id')")
        ).scalar_one()
        conn.execute(text(_postgres_lean_chain(str(sequence))))
        return
    conn.execute(text("DROP TRIGGER audit_event_chain"))
    conn.execute(text(_SQLITE_LEAN_CHAIN))


def remove_lean_links(conn: Connection) -> None:
    """0019 undone: 0017's row trigger again."""
    if conn.dialect.name == "postgresql":
        function = _POSTGRES_SHARDS_INSTALL[1]
        conn.execute(text(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)))
        return
    conn.execute(text("DROP TRIGGER audit_event_chain"))
    conn.execute(text(_SQLITE_SHARDS_INSTALL[1]))


def install_shards(conn: Connection) -> None:
    """The sharded chain's triggers (0017): `audit_event.chain` must exist."""
    pg = conn.dialect.name == "postgresql"
    for statement in _POSTGRES_SHARDS_INSTALL if pg else _SQLITE_SHARDS_INSTALL:
        conn.execute(text(statement))


def remove_shards(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    for statement in _POSTGRES_SHARDS_REMOVE if pg else _SQLITE_REMOVE:
        conn.execute(text(statement))


def settled_id(conn: Connection) -> int:
    """The newest audit id below which every row is in: no transaction still running can add
    one (on PostgreSQL writers in other shards may commit out of id order; on SQLite there is
    one writer at a time, so it is the newest id).  Call it outside a REPEATABLE READ snapshot."""
    if conn.dialect.name == "postgresql":
        return int(conn.execute(text("SELECT csm_audit_settled()")).scalar_one())
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_event")).scalar_one())


def heads(conn: Connection) -> dict[int, tuple[int, str]]:
    """Each chain's head row: {chain: (last_id, last_hash)} (0: the trunk)."""
    rows = conn.execute(text("SELECT id, last_id, last_hash FROM audit_chain_head")).all()
    return {int(r[0]): (int(r[1]), str(r[2])) for r in rows}


ShardLink = tuple[ChainedRow, int, str | None, str | None]  # a row, its chain, prev_hash, hash


def iter_links(conn: Connection, *, page: int = 5000) -> Iterator[ShardLink]:
    """Every audit row in id order with its chain (0: the trunk) and stored hashes."""
    for values in _pages(conn, ("chain", "prev_hash", "hash"), page):
        n = len(CHAIN_COLUMNS)
        yield chained_row(values[:n]), int(values[n] or TRUNK), values[n + 1], values[n + 2]


def shard_trunk(conn: Connection) -> None:
    """0017: the one chain becomes the trunk (head row 0) and every shard starts from its end."""
    conn.execute(text(f"UPDATE audit_chain_head SET id = {TRUNK} WHERE id = 1"))
    trunk = heads(conn).get(TRUNK, (0, GENESIS))[1]
    conn.execute(
        text("INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (:id, 0, :hash)"),
        [{"id": shard, "hash": trunk} for shard in range(1, SHARDS + 1)],
    )


def unshard(conn: Connection) -> None:
    """0017 undone: the shards' rows are chained again after the trunk in id order (as one
    chain, the way 0011 chains), and the trunk's head is the one head again."""
    last_id, prev = heads(conn).get(TRUNK, (0, GENESIS))
    shards = (row for row, chain, _, _ in iter_links(conn) if chain != TRUNK)
    conn.execute(text("DELETE FROM audit_chain_head"))
    _link_as_one_chain(conn, shards, prev=prev, last_id=last_id)


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


@lru_cache(maxsize=64)
def _stored_micros(created_at: Any) -> int:
    # the rows of one statement share their time: parsed once, not once a row
    return epoch_micros(stored_time(created_at))


def _sqlite_audit_hash(prev_hash: str | None, *values: Any) -> str:
    # what chain_hash(prev_hash, chained_row(values).content()) gives, without the row object
    # and with the time parsed once a statement: the trigger calls it once per audit row
    parts = (*values[:7], _stored_micros(values[7]), *values[8:])
    return chain_hash(prev_hash, row_content(parts))


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """What the SQLite triggers call: every connection of a Store registers it."""
    connection.create_function(
        "csm_audit_hash", 1 + len(CHAIN_COLUMNS), _sqlite_audit_hash, deterministic=True
    )


Link = tuple[ChainedRow, str | None, str | None]  # a row, its stored prev_hash and hash


def iter_chain(conn: Connection, *, page: int = 5000) -> Iterator[Link]:
    """Every audit row in id order with its stored `prev_hash` and `hash`, page by page (the
    one chain of 0011; `iter_links` gives each row's shard too)."""
    n = len(CHAIN_COLUMNS)
    for values in _pages(conn, ("prev_hash", "hash"), page):
        yield chained_row(values[:n]), values[n], values[n + 1]


def _pages(conn: Connection, extra: tuple[str, ...], page: int) -> Iterator[Any]:
    after = -1
    columns = ", ".join((*CHAIN_COLUMNS, *extra))
    while True:
        rows = conn.execute(
            text(f"SELECT {columns} FROM audit_event WHERE id > :after ORDER BY id LIMIT :page"),
            {"after": after, "page": page},
        ).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def chain_existing(conn: Connection) -> None:
    """Chain the rows written before the triggers, in id order, and set the head after them."""
    _link_as_one_chain(conn, (row for row, _, _ in iter_chain(conn)), prev=GENESIS, last_id=0)


def _link_as_one_chain(
    conn: Connection, rows: Iterator[ChainedRow], *, prev: str, last_id: int
) -> None:
    """Chain `rows` in order after the row `last_id` (hash `prev`), and make their end the
    one head (row 1)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
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
