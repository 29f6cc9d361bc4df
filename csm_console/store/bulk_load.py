"""Bulk loading of synthetic tickets into a store, in each dialect's fastest way (the writers
behind `csm dev generate`, `csm_console.devtools.generate`).

A chunk of rows (`ChunkRows`) becomes a `Payload` in the form the store takes: for SQLite the
image of a small in-memory SQLite database with the store's own tables (`sqlite_payload`), which
`SqliteWriter` attaches and copies with one `INSERT … SELECT` per table; for PostgreSQL the text
of a COPY per table (`postgres_payload`, written by `PostgresWriter`).  A thread travels as one
string of (line code, timestamp) pairs that the store expands into message rows.  A bulk load
drops the secondary indexes of the tables it fills and builds them at the end (SQLite also
leaves WAL for a rollback journal while it runs); the indexes and WAL come back also when the
load fails or is interrupted.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from csm_console.store.engine import Store
from csm_console.store.models import AUDIT_COLUMNS
from csm_console.store.ticket_query import SENTINEL
from csm_console.store.types import sqlite_timestamp

# A message line's code width in a thread string (at most 10**CODE_WIDTH distinct lines)
CODE_WIDTH = 2
Line = tuple[str, int, str]  # (author kind, internal, body)

# Columns as the chunk rows carry them; the constant ones are SQL literals, not bound per row.
TICKET_COLUMNS = (
    "id",
    "subject",
    "customer_id",
    "channel",
    "status",
    "priority",
    "category",
    "tier",
    "team_id",
    "assignee_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "first_response_due",
    "resolution_due",
    "sla_due",
    "csat_score",
    "paused_since",
    "search_text",
    "agent_replies",
)


TICKET_CONSTANTS = {"reopen_count": "0", "csat_comment": "NULL", "version": "1"}


MESSAGE_COLUMNS = ("ticket_id", "author_kind", "agent_id", "internal", "body", "created_at")


TAG_COLUMNS = ("ticket_id", "tag")


TABLES = ("ticket", "message", "ticket_tag")


@dataclass(frozen=True)
class Payload:
    """One chunk in the form the store takes (see `sqlite_payload`, `postgres_payload`)."""

    tickets: int
    messages: int
    tags: int
    data: tuple[bytes, ...]


def insert_customers(session: Session, store: Store, rows: list[tuple[Any, ...]]) -> None:
    """Insert (id, name, email, language, channel, segment, lookup) rows straight through the
    driver (COPY on PostgreSQL): the ORM's per-row work costs more than the inserts."""
    columns = "id, name, email, language, preferred_channel, segment, lookup, phone, company"
    if store.is_postgres:
        driver: Any = session.connection().connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY customer ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row((*row, "", ""))
    else:
        session.connection().exec_driver_sql(
            f"INSERT INTO customer ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, '', '')", rows
        )


def sqlite_schema(store: Store) -> tuple[str, ...]:
    """The store's own CREATE TABLE statements: chunk databases with the very same tables let
    `INSERT INTO ticket SELECT * FROM chunk.ticket` copy records without decoding them (SQLite's
    transfer optimisation)."""
    with store.read() as session:
        rows = session.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN "
                "('ticket', 'ticket_tag') ORDER BY name"
            )
        )
        return tuple(str(sql) for (sql,) in rows)


def timestamp_text(when: datetime, *, postgres: bool) -> str:
    """One moment in the form the store takes."""
    return sqlite_timestamp(when) + ("+00" if postgres else "")


@dataclass(frozen=True)
class ChunkRows:
    """A chunk's rows.  NULL travels as 0 (ids, scores) or "" (timestamps): binding None costs
    the sqlite3 module a failed adapter lookup each time, several times the cost of a value."""

    tickets: list[tuple[Any, ...]]  # TICKET_COLUMNS
    # (ticket id, assignee id, messages): each message is a line code and its timestamp text
    threads: list[tuple[int, int, str]]
    tags: list[tuple[int, str]]
    messages: int
    message_width: int  # characters per message in `threads`


# The columns of `ChunkRows.tickets` that stand for NULL with 0 or "".
_NULLABLE = {
    "assignee_id": "0",
    "first_response_at": "''",
    "solved_at": "''",
    "closed_at": "''",
    "csat_score": "0",
    "paused_since": "''",
}


def sqlite_payload(
    schema: Sequence[str], rows: ChunkRows, lines: Sequence[Line], max_messages: int
) -> tuple[bytes, ...]:
    """The chunk as the image of an SQLite database: the store's own `ticket` and `ticket_tag`
    tables, plus `thread`, `line` and `seq` from which `SqliteWriter` makes the messages."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for sql in schema:
            db.execute(sql)
        db.execute(
            "CREATE TABLE thread (ticket_id INTEGER PRIMARY KEY, agent_id INTEGER, messages TEXT)"
        )
        db.execute(
            "CREATE TABLE line (code INTEGER PRIMARY KEY, author_kind TEXT,"
            " internal INTEGER, body TEXT)"
        )
        db.execute("CREATE TABLE seq (n INTEGER PRIMARY KEY)")
        db.execute("BEGIN")
        values = [f"NULLIF(?, {_NULLABLE[c]})" if c in _NULLABLE else "?" for c in TICKET_COLUMNS]
        db.executemany(
            f"INSERT INTO ticket ({','.join((*TICKET_COLUMNS, *TICKET_CONSTANTS))})"
            f" VALUES ({','.join((*values, *TICKET_CONSTANTS.values()))})",
            rows.tickets,
        )
        db.executemany("INSERT INTO thread VALUES (?, ?, ?)", rows.threads)
        db.executemany(
            "INSERT INTO line VALUES (?, ?, ?, ?)",
            [(code, *line) for code, line in enumerate(lines)],
        )
        db.executemany("INSERT INTO seq VALUES (?)", [(n,) for n in range(max_messages)])
        db.executemany("INSERT INTO ticket_tag (ticket_id, tag) VALUES (?, ?)", rows.tags)
        db.execute("COMMIT")
        return (db.serialize(),)
    finally:
        db.close()


def _copy_text(value: str) -> str:
    """A text field in COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def postgres_payload(rows: ChunkRows, lines: Sequence[Line]) -> tuple[bytes, ...]:
    """The chunk as the text of a COPY for each table (tab-separated, `\\N` for NULL).

    Only the subject, bodies and search text are free text; the other fields are codes,
    numbers and timestamps that need no escaping.
    """
    null = "\\N"
    tickets = [
        f"{t[0]}\t{_copy_text(t[1])}\t{t[2]}\t{t[3]}\t{t[4]}\t{t[5]}\t{t[6]}\t{t[7]}\t{t[8]}\t"
        f"{t[9] or null}\t{t[10]}\t{t[11]}\t{t[12] or null}\t{t[13] or null}\t"
        f"{t[14] or null}\t{t[15]}\t{t[16]}\t{t[17]}\t{t[18] or null}\t{t[19] or null}\t"
        f"{_copy_text(t[20])}\t{t[21]}"
        "\t0\t\\N\t1\n"
        for t in rows.tickets
    ]
    coded = [
        (f"\t{kind}\t", "t" if internal else "f", f"\t{_copy_text(body)}\t")
        for kind, internal, body in lines
    ]
    width = rows.message_width
    messages = []
    for ticket_id, agent_id, thread in rows.threads:
        for i in range(0, len(thread), width):
            kind, internal, body = coded[int(thread[i : i + CODE_WIDTH])]
            agent = agent_id if kind == "\tagent\t" else null
            messages.append(
                f"{ticket_id}{kind}{agent}\t{internal}{body}{thread[i + CODE_WIDTH : i + width]}\n"
            )
    tags = [f"{t[0]}\t{t[1]}\n" for t in rows.tags]
    return tuple("".join(table).encode() for table in (tickets, messages, tags))


def _creates(dropped: Sequence[str]) -> list[str]:
    return [sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1) for sql in dropped]


class SqliteWriter:
    """Copies each chunk database into the store, one transaction per chunk.

    A chunk arrives as the image of an SQLite database (see `sqlite_payload`); it is loaded
    into an attached in-memory database, "chunk", and copied with `INSERT … SELECT`, so no row
    passes through Python here.  A `bulk` load leaves WAL while it runs (`_leave_wal`) and
    drops the secondary indexes of the tables it fills, to build them at the end (`close`).
    """

    def __init__(self, store: Store, bulk: bool, stamp: str) -> None:
        if bulk:
            # Idle pooled connections would keep the store in WAL mode (see `_leave_wal`).
            store.engine.dispose()
        self.raw = store.engine.raw_connection()
        connection = self.raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        self.connection = connection
        execute = self.connection.execute
        self.wal = False
        self.dropped: list[str] = []
        self.stamp = stamp
        # Every reference comes from rows read from this store a moment ago; checking each of
        # millions of foreign keys again would double the load time.
        execute("PRAGMA foreign_keys = OFF")
        execute("PRAGMA cache_size = -262144")  # 256 MiB: the B-tree edges stay in memory
        execute("ATTACH ':memory:' AS chunk")
        if bulk:
            self.wal = self._leave_wal()
            rows = execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('ticket', 'message', 'ticket_tag')"
            ).fetchall()
            execute("BEGIN IMMEDIATE")
            for name, sql in rows:
                execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)
            execute("COMMIT")
        # Message n of a thread is the line coded at `n * width`, then its timestamp.  The
        # CROSS JOINs fix the loop order (thread, then n), so message ids follow each thread.
        width = CODE_WIDTH + len(timestamp_text(SENTINEL, postgres=False))
        self.copy = (
            "INSERT INTO main.ticket SELECT * FROM chunk.ticket",
            f"INSERT INTO main.message ({','.join(MESSAGE_COLUMNS)})"
            " SELECT t.ticket_id, l.author_kind,"
            " CASE WHEN l.author_kind = 'agent' THEN t.agent_id END, l.internal, l.body,"
            f" substr(t.messages, s.n * {width} + {CODE_WIDTH + 1}, {width - CODE_WIDTH})"
            " FROM chunk.thread AS t CROSS JOIN chunk.seq AS s CROSS JOIN chunk.line AS l"
            f" WHERE s.n < length(t.messages) / {width}"
            f" AND l.code = CAST(substr(t.messages, s.n * {width} + 1, {CODE_WIDTH}) AS INTEGER)",
            "INSERT INTO main.ticket_tag SELECT * FROM chunk.ticket_tag",
        )

    def _leave_wal(self) -> bool:
        """Switch the store from WAL to a rollback journal for the load; True if it did.

        In WAL every page is written twice (to the log, then by the checkpoint to the file).
        A rollback journal only keeps the old content of pages a transaction changes, and a
        bulk load mostly adds pages at the end of the file, which need none: the data is
        written once, still crash-safe.  The switch needs the only connection to the store;
        when another one is open it fails at once and the load simply stays in WAL.
        """
        if self.connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return False
        try:
            mode = self.connection.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # database is locked: another connection is open
            return False
        return bool(mode == "delete")

    def write(self, payload: Payload) -> None:
        (image,) = payload.data
        self.connection.deserialize(image, name="chunk")
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            for sql in self.copy:
                self.connection.execute(sql)
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:  # SQLite already rolled back on a full disk
                self.connection.execute("ROLLBACK")
            raise

    def finish(self, batch_id: str, count: int, at: str) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute(
            f"INSERT INTO audit_event ({','.join(AUDIT_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?)",
            (None, None, "generate", None, None, f"{count} tickets", at, batch_id, None),
        )
        self.connection.execute("COMMIT")

    def _rebuild_indexes_and_stamp(self) -> None:
        """Build the dropped indexes again, and stamp the next contacts (the `stamp` statement) once
        the index it probes is back and before those holding what it writes are."""
        execute = self.connection.execute
        # SQLite joins by looking up an index: the customer index first, then the stamp, then
        # the indexes holding what the stamp writes (else updated entry by entry)
        creates = _creates(self.dropped)
        first = [sql for sql in creates if "next_contact_at" not in sql]
        last = [sql for sql in creates if "next_contact_at" in sql]
        if self.dropped:
            # SQLite sorts an index in helper threads only when the keys overflow the sorter's
            # memory (its cache size) into temporary files; with a small cache the sort of each
            # index uses every core.  (The temporary files must be files: in-memory temp
            # storage disables the worker threads.)
            execute("PRAGMA cache_size = -4096")
            execute("PRAGMA temp_store = FILE")
            execute(f"PRAGMA threads = {min(8, os.cpu_count() or 1)}")
        for step in (first, [self.stamp], last):
            if step:
                execute("BEGIN IMMEDIATE")
                for sql in step:
                    execute(sql)
                execute("COMMIT")
        if self.dropped:
            self.dropped = []
            execute("PRAGMA analysis_limit = 1000")
            execute("ANALYZE")

    def close(self) -> None:
        try:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            self._rebuild_indexes_and_stamp()
        finally:
            try:
                if self.wal:
                    if self.connection.in_transaction:
                        self.connection.execute("ROLLBACK")
                    self.connection.execute("PRAGMA journal_mode = WAL")
            finally:
                # Its settings were changed for the load: close it rather than pool it.
                self.raw.invalidate()


class PostgresWriter:
    """COPY of each chunk's text, one transaction per chunk.  A `bulk` load drops the secondary
    indexes of the tables it fills and builds them at the end (`close`, also after a failure)."""

    def __init__(self, store: Store, bulk: bool, stamp: str) -> None:
        self.raw = store.engine.raw_connection()
        self.connection: Any = self.raw.driver_connection
        assert self.connection is not None
        self.dropped: list[str] = []
        self.stamp = stamp
        self._skip_reference_checks()
        with self.connection.cursor() as cursor:
            # Commits need not wait for the WAL flush: a crash can lose the last chunks of a
            # synthetic load, never corrupt anything.
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '256MB'")  # for the index builds
            cursor.execute("SET statement_timeout = 0")  # a load's statements may take minutes
            if bulk:
                # the secondary indexes, not those behind a primary key or unique constraint
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE schemaname = current_schema() AND tablename = ANY(%s)"
                    " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    (list(TABLES),),
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    self.dropped.append(sql)
        self.connection.commit()

    def _skip_reference_checks(self) -> None:
        """Every reference comes from rows read from this store a moment ago; checking each of
        millions of foreign keys again (a query per row and key) would more than double the load
        time.  As a replica, a session fires no foreign-key triggers; taking that role needs a
        superuser, and without it the load simply checks them."""
        import psycopg

        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            self.connection.commit()
        except psycopg.errors.InsufficientPrivilege:
            self.connection.rollback()

    def _copy(self, table: str, columns: Sequence[str], data: bytes) -> None:
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy,
        ):
            copy.write(data)

    def write(self, payload: Payload) -> None:
        tickets, messages, tags = payload.data
        try:
            self._copy("ticket", (*TICKET_COLUMNS, *TICKET_CONSTANTS), tickets)
            self._copy("message", MESSAGE_COLUMNS, messages)
            self._copy("ticket_tag", TAG_COLUMNS, tags)
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise

    def finish(self, batch_id: str, count: int, at: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO audit_event ({','.join(AUDIT_COLUMNS)}) VALUES"
                " (NULL, NULL, 'generate', NULL, NULL, %s, %s, %s, NULL)",
                (f"{count} tickets", at, batch_id),
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                "COALESCE((SELECT MAX(id) FROM ticket), 0) + 1, false)"
            )
            if not self.dropped:
                cursor.execute("ANALYZE ticket")
        self.connection.commit()

    def _rebuild_indexes_and_stamp(self) -> None:
        """Stamp the next contacts (the `stamp` statement), then build the dropped indexes again:
        PostgreSQL joins by hashing, and rows updated before the indexes exist add no entries
        to them."""
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE ticket")  # the stamp's plan needs to know the loaded rows
            for step in ([self.stamp], _creates(self.dropped)):
                for sql in step:
                    cursor.execute(sql)
                self.connection.commit()
            if self.dropped:
                self.dropped = []
                for table in TABLES:
                    cursor.execute(f"ANALYZE {table}")
        self.connection.commit()

    def close(self) -> None:
        try:
            self.connection.rollback()
            self._rebuild_indexes_and_stamp()
        finally:
            # Its settings were changed for the load: close it rather than pool it.
            self.raw.invalidate()


def open_writer(store: Store, *, bulk: bool, stamp: str) -> SqliteWriter | PostgresWriter:
    """The store's writer; `stamp` is an SQL statement run once the rows are in (before the
    indexes that hold what it writes are rebuilt)."""
    if store.is_sqlite:
        return SqliteWriter(store, bulk, stamp)
    return PostgresWriter(store, bulk, stamp)
