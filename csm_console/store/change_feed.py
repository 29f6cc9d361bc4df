"""How a console learns that the store changed elsewhere (another console, a CLI batch).

- PostgreSQL: statement-level triggers on the tables a queue shows call `pg_notify` on the
  `csm_changes` channel (made by migration 0005); the feed LISTENs on a connection of its own.
  Notifications are not replayed, so after a reconnect the feed reports a change: the caller
  re-reads, and nothing missed while the connection was down stays missed.
- SQLite: `PRAGMA data_version` on a connection of the feed's own changes whenever another
  connection commits.  Reading it costs microseconds, so the feed polls it; when it moves, the
  newest `ticket.updated_at` and ticket id (two index lookups) say whether tickets changed, so
  that presence heartbeats and other writes do not make every console re-read its queue.

`ChangeFeed.wait(timeout)` blocks up to `timeout` seconds and says whether anything changed.
It never raises: a store that is away is retried with backoff, and `problem` says why.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

from csm_console.store.engine import Store

CHANNEL = "csm_changes"
WATCHED_TABLES = ("ticket", "message", "ticket_tag")
POLL_SECONDS = 0.25  # SQLite: how often data_version is read
MAX_BACKOFF = 8.0
PROBE_AFTER = 30.0  # PostgreSQL: seconds without a notification before the feed checks its line
FEED_BUSY_SECONDS = 1.0  # a locked store makes the feed wait this long, then retry

POSTGRES_DDL = (
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
POSTGRES_DROP = (
    *(f"DROP TRIGGER IF EXISTS csm_{table}_changed ON {table}" for table in WATCHED_TABLES),
    "DROP FUNCTION IF EXISTS csm_notify_change()",
)


class ChangeFeed:
    """Changes to the store made by anyone else, for one console."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.problem: str | None = None  # why the feed cannot watch right now
        self._connection: Any = None
        self._version: int | None = None
        self._mark: tuple[object, object] | None = None
        self._backoff = 0.5
        self._retry_at = 0.0
        self._quiet_since = 0.0
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
            if self.store.is_postgres:
                return self._wait_postgres(timeout)
            return self._wait_sqlite(deadline)
        except Exception as error:  # the store went away: retry with backoff
            self._lost(error)
            return False

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None

    # -- PostgreSQL

    def _wait_postgres(self, timeout: float) -> bool:
        changed = False
        for _ in self._connection.notifies(timeout=timeout, stop_after=1):
            changed = True
        if changed:  # drain what else arrived with it: one re-read covers them all
            for _ in self._connection.notifies(timeout=0.01):
                pass
            self._quiet_since = time.monotonic()
        elif time.monotonic() - self._quiet_since > PROBE_AFTER:
            self._connection.execute("SELECT 1")  # a quiet store, or a dead connection?
            self._quiet_since = time.monotonic()
        return changed

    # -- SQLite

    def _wait_sqlite(self, deadline: float) -> bool:
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                # any commit moves data_version, presence heartbeats too: report only what
                # changed the tickets (every ticket write moves updated_at; new ones the id)
                mark = self._ticket_mark()
                if mark != self._mark:
                    self._mark = mark
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_SECONDS, left))

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
                self._connection = psycopg.connect(
                    url.render_as_string(hide_password=False),
                    autocommit=True,
                    connect_timeout=5,
                    application_name="csm-feed",
                    # a connection dropped without a word (NAT idle timeout, failover) is
                    # noticed by TCP keepalives instead of waiting on it forever
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                )
                self._quiet_since = time.monotonic()
                self._connection.execute(f"LISTEN {CHANNEL}")
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
