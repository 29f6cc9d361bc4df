"""Unsent reply drafts, kept on this machine until they are sent.

The console saves a draft a moment after each change to it, so that a crash, a `kill -9`, a
closed SSH session or a lost store takes nothing that was written: the next time the agent opens
that ticket (on this machine, on the same store), the draft is offered back.  Drafts live in a
small SQLite file of their own (`drafts.db` in the data directory), never in the team's store:
they are private until sent, and they must survive the store being away.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from csm_console.store.private_files import private_file

MAX_DRAFT = 1_000_000  # characters: a larger draft is kept whole in memory, not on disk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS draft (
    store TEXT NOT NULL,
    agent TEXT NOT NULL,
    ticket_id INTEGER NOT NULL,
    mode TEXT NOT NULL,
    text TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (store, agent, ticket_id)
)
"""


@dataclass(frozen=True, slots=True)
class SavedDraft:
    ticket_id: int
    mode: str  # reply or note
    text: str
    saved_at: datetime


class DraftBox:
    """The drafts of one agent on one store, in `path` (created on first save)."""

    def __init__(self, path: Path, *, store: str, agent: str) -> None:
        self.path = path
        self.store = store
        self.agent = agent
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, used from the console's threads

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """The file's connection (opened, and the table made, on first use), in a transaction."""
        with self._lock:
            if self._connection is None:
                private_file(self.path)  # 0600: unsent replies (and its -wal/-shm)
                connection = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(_SCHEMA)
                self._connection = connection
            with self._connection:
                yield self._connection

    def save(self, ticket_id: int, mode: str, text: str, now: datetime | None = None) -> None:
        """Keep the draft (an empty one is discarded)."""
        if not text.strip():
            self.discard(ticket_id)
            return
        if len(text) > MAX_DRAFT:
            return
        stamp = (now or datetime.now(UTC)).isoformat()
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO draft (store, agent, ticket_id, mode, text, saved_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (store, agent, ticket_id) "
                "DO UPDATE SET mode = excluded.mode, text = excluded.text, "
                "saved_at = excluded.saved_at",
                (self.store, self.agent, ticket_id, mode, text, stamp),
            )

    def load(self, ticket_id: int) -> SavedDraft | None:
        if not self.path.exists():
            return None
        with self._connect() as connection:
            row = connection.execute(
                "SELECT mode, text, saved_at FROM draft "
                "WHERE store = ? AND agent = ? AND ticket_id = ?",
                (self.store, self.agent, ticket_id),
            ).fetchone()
        if row is None:
            return None
        return SavedDraft(ticket_id, row[0], row[1], datetime.fromisoformat(row[2]))

    def discard(self, ticket_id: int) -> None:
        if not self.path.exists():
            return
        with self._connect() as connection:
            connection.execute(
                "DELETE FROM draft WHERE store = ? AND agent = ? AND ticket_id = ?",
                (self.store, self.agent, ticket_id),
            )

    def tickets(self) -> list[int]:
        """The tickets with a kept draft, most recent first."""
        if not self.path.exists():
            return []
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT ticket_id FROM draft WHERE store = ? AND agent = ? ORDER BY saved_at DESC",
                (self.store, self.agent),
            ).fetchall()
        return [int(r[0]) for r in rows]
