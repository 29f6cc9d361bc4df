"""How a console learns that the store changed elsewhere (another console, a CLI batch).

- PostgreSQL: every transaction that writes `ticket`, `message` or `ticket_tag` adds 1 to a
  row of `change_mark` (a statement trigger, migration 0021), and the feed polls the sum of
  the rows every `POLL_SECONDS` on a connection of its own.  The count commits with the write,
  so a sum that moved means a change is there to read, and no committed change goes unseen
  (`max(updated_at)` could: commits do not come in timestamp order, and clocks differ).
  Migration 0005's `pg_notify` triggers did this before: PostgreSQL commits notifying
  transactions one at a time (a cluster-wide lock held through the commit's WAL flush), which
  cost concurrent writers about a sixth of their throughput (docs/benchmarks.md).
- SQLite: `PRAGMA data_version` on a connection of the feed's own changes whenever another
  connection commits.  Reading it costs microseconds, so the feed polls it; when it moves, the
  newest `ticket.updated_at` and ticket id (two index lookups) say whether tickets changed, so
  that presence heartbeats and other writes do not make every console re-read its queue.

After a reconnect the feed reports a change: what happened meanwhile is unknown, the caller
re-reads.  `ChangeFeed.wait(timeout)` blocks up to `timeout` seconds and says whether anything
changed.  It never raises: a store that is away is retried with backoff, and `problem` says
why.

**The counter's shards.**  One row for everybody would make concurrent writers queue on it
through their commits (the wait the notify lock caused, by another name).  So a writer takes
the first of the `SHARDS` rows that no other transaction holds (`FOR UPDATE SKIP LOCKED`, as
the audit chain's heads do, `store.audit_chain`), once per transaction: one row lock held to
the commit, and a transaction that changed nothing (an UPDATE that matched no row) counts
nothing.  When all 16 are held the writer counts in its backend's own row (16 + process id),
which no other transaction can hold: a writer never waits for the counter.  (Waiting there, on
a shard held by a writer that in turn waits for a ticket row this writer has locked, would be
a deadlock.)  Those extra rows are few: one per backend that ever met 16 other writers.
The trigger function runs as its definer, the owner: agents' logins read the counter but
cannot set it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csm_console.store.engine import Store

WATCHED_TABLES = ("ticket", "message", "ticket_tag")
POLL_SECONDS = 0.25  # how often the feed reads the counter (PostgreSQL) or data_version
MAX_BACKOFF = 8.0
FEED_BUSY_SECONDS = 1.0  # a locked store makes the feed wait this long, then retry
FEED_STATEMENT_MS = 2000  # PostgreSQL: a poll held up longer (a migration's lock) gives up
SHARDS = 16

# PostgreSQL (migration 0021): the counter's trigger, and what the feed polls
MARK_SQL = "SELECT coalesce(sum(version), 0) FROM change_mark"
POSTGRES_INSTALL = (
    f"""
CREATE FUNCTION csm_mark_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  marked integer;
BEGIN
  -- once per transaction, and only when it wrote something: a statement that changed no row
  -- in a transaction that changed none before has no transaction id
  IF current_setting('csm.change_marked', true) = 'on'
     OR pg_current_xact_id_if_assigned() IS NULL THEN
    RETURN NULL;
  END IF;
  -- the first shard no other writer holds; held to the commit, which makes the count seen
  UPDATE change_mark SET version = version + 1 WHERE shard = (
    SELECT m.shard FROM change_mark AS m WHERE m.shard < {SHARDS}
    ORDER BY m.shard LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING shard INTO marked;
  IF marked IS NULL THEN  -- all held: this backend's own row, which nobody else can hold
    INSERT INTO change_mark AS m (shard, version) VALUES ({SHARDS} + pg_backend_pid(), 1)
      ON CONFLICT (shard) DO UPDATE SET version = m.version + 1;
  END IF;
  PERFORM set_config('csm.change_marked', 'on', true);
  RETURN NULL;
END
$$""",
    *(
        f"CREATE TRIGGER csm_{table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION csm_mark_change()"
        for table in WATCHED_TABLES
    ),
)
# the statement triggers on the watched tables, which 0005 and 0021 both name csm_<table>_changed
_DROP_TRIGGERS = tuple(
    f"DROP TRIGGER IF EXISTS csm_{table}_changed ON {table}" for table in WATCHED_TABLES
)
POSTGRES_REMOVE = (*_DROP_TRIGGERS, "DROP FUNCTION IF EXISTS csm_mark_change()")
# the shards' rows (the owner's; a store emptied by TRUNCATE gets them back from this)
SEED_SQL = (
    f"INSERT INTO change_mark (shard, version) SELECT s, 0 FROM generate_series(0, {SHARDS - 1}) "
    "AS s ON CONFLICT (shard) DO NOTHING"
)

# Migration 0005's notifications, which 0021 replaces (and its downgrade restores)
CHANNEL = "csm_changes"
NOTIFY_INSTALL = (
    f"""
    CREATE OR REPLACE FUNCTION csm_notify_change() RETURNS trigger AS $$
    BEGIN
        PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER csm_{table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION csm_notify_change()"
        for table in WATCHED_TABLES
    ),
)
NOTIFY_REMOVE = (*_DROP_TRIGGERS, "DROP FUNCTION IF EXISTS csm_notify_change()")


def install(conn: Connection) -> None:
    """0021: the counter's trigger and its shards, in place of 0005's notifications."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's feed reads data_version
    for statement in (*NOTIFY_REMOVE, *POSTGRES_INSTALL, SEED_SQL):
        conn.execute(text(statement))


def remove(conn: Connection) -> None:
    """0021 undone: 0005's notifications again."""
    if conn.dialect.name != "postgresql":
        return
    for statement in (*POSTGRES_REMOVE, *NOTIFY_INSTALL):
        conn.execute(text(statement))


class ChangeFeed:
    """Changes to the store made by anyone else, for one console."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.problem: str | None = None  # why the feed cannot watch right now
        self._connection: Any = None
        self._version: int | None = None  # SQLite: data_version
        self._mark: object = None  # what the last poll saw of the tickets
        self._backoff = 0.5
        self._retry_at = 0.0
        self._tried = False  # the first connection is the baseline; later ones report a change

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when the store changed (or may have: the feed
        just reconnected after losing its connection)."""
        deadline = time.monotonic() + timeout
        if self._connection is None:
            if time.monotonic() < self._retry_at:
                time.sleep(max(0.0, min(timeout, self._retry_at - time.monotonic())))
                return False
            first = not self._tried
            self._tried = True
            if not self._connect():
                return False
            if not first:
                return True  # (re)connected late: what happened meanwhile is unknown
        try:
            while True:
                if self._changed():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                time.sleep(min(POLL_SECONDS, left))
        except Exception as error:  # the store went away: retry with backoff
            self._lost(error)
            return False

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None

    def _changed(self) -> bool:
        """One poll: did the tickets change since the last one?"""
        if self.store.is_postgres:
            mark: object = self._change_mark()
        else:
            # any commit moves data_version, presence heartbeats too: report only what
            # changed the tickets (every ticket write moves updated_at; new ones the id)
            version = self._data_version()
            if version == self._version:
                return False
            self._version = version
            mark = self._ticket_mark()
        if mark == self._mark:
            return False
        self._mark = mark
        return True

    # -- PostgreSQL

    def _change_mark(self) -> int:
        """The sum of the change counter's rows: moves with every committed ticket write."""
        return int(self._connection.execute(MARK_SQL).fetchone()[0])

    # -- SQLite

    def _data_version(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def _ticket_mark(self) -> tuple[object, object]:
        """The newest ticket change and the newest ticket: two index lookups."""
        updated = self._connection.execute("SELECT max(updated_at) FROM ticket").fetchone()[0]
        newest = self._connection.execute("SELECT max(id) FROM ticket").fetchone()[0]
        return updated, newest

    # -- connecting

    def _connect(self) -> bool:
        try:
            if self.store.is_postgres:
                import psycopg

                url = self.store.url.set(drivername="postgresql")
                options = str(self.store.url.query.get("options") or "")
                self._connection = psycopg.connect(
                    url.render_as_string(hide_password=False),
                    autocommit=True,
                    connect_timeout=5,
                    application_name="csm-feed",
                    # a poll held up by a lock (a migration) gives up, like a lost connection;
                    # kept alongside any `?options=` the URL gives (a search_path, ...)
                    options=f"{options} -c statement_timeout={FEED_STATEMENT_MS}".strip(),
                    # a connection dropped without a word (NAT idle timeout, failover) is
                    # noticed by TCP keepalives instead of waiting on it forever
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                )
                # the baseline, taken now: a write between this connect and the next wait
                # is still seen
                self._mark = self._change_mark()
            else:
                # mode=rw: never create a store that is not there; the feed only reads
                uri = Path(self.store.url.database or "").absolute().as_uri() + "?mode=rw"
                self._connection = sqlite3.connect(
                    uri, uri=True, timeout=FEED_BUSY_SECONDS, check_same_thread=False
                )
                # data_version counts per connection: a new baseline, taken now, so that a
                # write between this reconnect and the next wait is still seen
                self._version = self._data_version()
                self._mark = self._ticket_mark()
        except Exception as error:
            self._lost(error)
            return False
        self.problem = None
        self._backoff = 0.5
        return True

    def _lost(self, error: Exception) -> None:
        self.close()
        first = str(error).strip().splitlines()
        self.problem = first[0] if first else type(error).__name__
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(MAX_BACKOFF, self._backoff * 2)
