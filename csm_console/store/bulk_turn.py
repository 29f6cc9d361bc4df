"""The writers' turn on SQLite: a bulk job lets waiting writers in between its chunks.

SQLite has one writer at a time, and a writer that finds the store locked sleeps in its busy
handler (1, 2, 5 ... then 100 ms at a time) before it looks again.  A bulk job commits a chunk
and begins the next within a fraction of a millisecond, so a console saving a reply meanwhile
would nearly always look while a chunk holds the lock, and wait for the whole job.

So writers say that they write: every write transaction (`Store.write`) holds a shared
`flock` on the file `<store>-turn` from before its `BEGIN IMMEDIATE` until after its commit,
waiting included.  Before each chunk, a bulk job (`Store.bulk`) takes the same lock exclusively
for an instant: the kernel grants it only once every writer that was waiting or writing has
committed, so each waiting writer gets its turn between two chunks (bounded by `GIVE_WAY_MAX`,
so that a writer stuck in a long transaction cannot stop the job).  A writer waits at most
about one chunk and one sleep of its busy handler.  The lock dies with its process.

Take-next's claims queue too (`claiming`): many operators (or scripts) claim at once, each
claim holds the store's lock for well under a millisecond, and a claimer that finds it taken
would sleep in the busy handler for milliseconds while the lock goes idle.  So claimers take an
exclusive `flock` on `<store>-claims` around their `BEGIN IMMEDIATE` ... `COMMIT`: the kernel
wakes the next claimer as the one before it commits, and only one of them at a time asks SQLite
for the lock (the other writers still meet them there, under the busy timeout as before).

PostgreSQL needs none of this: a waiting writer queues on the row (or the audit chain's
head) and is woken when the chunk commits.  Nor does an in-memory store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no turn, writers take their chances
    fcntl = None  # type: ignore[assignment]

GIVE_WAY_MAX = 2.0  # seconds a bulk job waits for the writers ahead of its next chunk
_POLL = 0.001


class WritersTurn:
    """The turn file of one SQLite store (`path` None: no turn to keep)."""

    def __init__(self, database: str | None) -> None:
        plain = database and database != ":memory:" and not database.startswith("file:")
        self.path = Path(f"{database}-turn") if plain and fcntl is not None else None
        self.claims_path = Path(f"{database}-claims") if self.path is not None else None
        self.waited = 0.0  # seconds this process's bulk jobs gave way, in all (for benchmarks)

    def _open(self, path: Path | None = None) -> int:
        target = path or self.path
        assert target is not None
        return os.open(target, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def _holding(self, path: Path | None, mode: int) -> Iterator[None]:
        """`path`'s lock in `mode` (shared or exclusive) around the block; the lock dies with
        the file's descriptor, and so with the process.  No file to lock (no turn to keep, a
        read-only folder): the block runs all the same."""
        if path is None:
            yield
            return
        try:
            fd = self._open(path)
        except OSError:  # a read-only folder: write without the turn
            yield
            return
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # and with it the lock

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around one write transaction: this writer is waiting or writing."""
        with self._holding(self.path, fcntl.LOCK_SH if fcntl else 0):
            yield

    @contextmanager
    def claiming(self) -> Iterator[None]:
        """Around one take-next claim's write transaction (inside `writing`): the claimers of
        all processes (and threads) one after the other, each woken as the one before commits.
        Held only around that transaction, which waits for nothing but the store's lock, so a
        claimer cannot wait on one that waits on it."""
        with self._holding(self.claims_path, fcntl.LOCK_EX if fcntl else 0):
            yield

    def give_way(self) -> float:
        """Before a bulk job's next chunk: wait until the writers waiting now have written.
        Returns the seconds waited."""
        if self.path is None:
            return 0.0
        try:
            fd = self._open()
        except OSError:
            return 0.0
        started = time.monotonic()
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() - started > GIVE_WAY_MAX:
                        break
                    time.sleep(_POLL)
        finally:
            os.close(fd)
        waited = time.monotonic() - started
        self.waited += waited
        return waited
