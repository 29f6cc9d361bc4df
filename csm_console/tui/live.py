"""Keeping a console live: the store's change feed, the probe that waits for a lost store to
come back, and presence (who else is at which ticket).

Everything here runs in thread workers of the console and reports back only by posting
messages to it (`StoreChanged`, `StoreReachable`, `PresenceArrived`): the console decides what
to redraw.  It never touches a widget."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.message import Message
from textual.worker import get_current_worker

from csm_console.domain.rights import Actor
from csm_console.services import presence
from csm_console.services.presence import PresenceView
from csm_console.store.change_feed import ChangeFeed
from csm_console.store.engine import Store

FEED_WAIT = 1.0  # seconds the change feed blocks per turn (how soon the console can exit)
REFRESH_GAP = 0.5  # at least this long between two live refreshes (a bulk job commits often)
LEAVE_WAIT = 0.5  # seconds a closing console waits to give its presence lease up
PRUNE_EVERY = 200  # heartbeats between clean-ups of long-expired leases
PROBE_FIRST = 0.5  # seconds before the probe first tries a lost store again
PROBE_MOST = 8.0  # the longest the probe waits between two tries


class StoreChanged(Message):
    """Something changed in the store, made elsewhere: re-read what is on screen."""


@dataclass
class StoreReachable(Message):
    """The store went away (`problem` says why) or is back (`problem` is None)."""

    problem: str | None


@dataclass
class PresenceArrived(Message):
    """Who else is at the tickets this console shows, by ticket id (replying first)."""

    others: dict[int, list[PresenceView]]


class LiveConsole:
    """The live machinery of one console, posting its findings to `app`."""

    def __init__(self, app: App[Any], *, store: Store, actor: Actor) -> None:
        self.app = app
        self.store = store
        self.actor = actor
        self.console_id = presence.new_console_id()
        self.activity: str | None = None  # what this console last told the others
        self._beats = 0  # heartbeats asked for
        self._beat_done = 0  # the newest heartbeat written
        self._beat_lock = threading.Lock()

    def start(self) -> None:
        """Follow the change feed until the console closes."""
        self.app.run_worker(self._follow_changes, thread=True, group="changes")

    def probe(self) -> None:
        """After a failed action: try the store with backoff until it takes a write again."""
        self.app.run_worker(self._probe_store, thread=True, exclusive=True, group="probe")

    def beat(self, *, ticket_id: int | None, activity: str, shown: list[int]) -> None:
        """Renew this console's presence lease (at `ticket_id`, doing `activity`) and learn who
        else is at the tickets `shown` and at the open one."""
        self.activity = activity
        self._beats += 1  # numbered here, on the UI thread, in the order they are asked for
        number = self._beats
        self.app.run_worker(
            lambda: self._beat(number, ticket_id, activity, shown), thread=True, group="presence"
        )

    def leave(self) -> None:
        """Let the others see at once that this console is gone, but never hold up the exit
        for it: when the store is away or locked, the lease expires by itself."""

        def leave() -> None:
            with contextlib.suppress(Exception):
                presence.leave(self.store, console=self.console_id)

        goodbye = threading.Thread(target=leave, daemon=True)
        goodbye.start()
        goodbye.join(LEAVE_WAIT)

    # -- the workers (off the event loop)

    def _follow_changes(self) -> None:
        """Block on the store's change feed and say so on each change."""
        feed = ChangeFeed(self.store)
        worker = get_current_worker()
        problem: str | None = None
        try:
            while not worker.is_cancelled:
                changed = feed.wait(FEED_WAIT)
                if worker.is_cancelled:
                    break
                if feed.problem != problem:  # the store went away, or came back
                    problem = feed.problem
                    self.app.post_message(StoreReachable(problem))
                if changed:
                    self.app.post_message(StoreChanged())
                    time.sleep(REFRESH_GAP)
        finally:
            feed.close()

    def _probe_store(self) -> None:
        delay = PROBE_FIRST
        worker = get_current_worker()
        while not worker.is_cancelled:
            waited = 0.0
            while waited < delay and not worker.is_cancelled:  # quits promptly at exit
                time.sleep(0.1)
                waited += 0.1
            if worker.is_cancelled:
                return
            try:
                with self.store.write():  # SQLite: takes the write lock; PostgreSQL: a round trip
                    pass
            except Exception:  # still away
                delay = min(PROBE_MOST, delay * 2)
                continue
            if not worker.is_cancelled:
                self.app.post_message(StoreReachable(None))
            return

    def _beat(self, number: int, ticket_id: int | None, activity: str, shown: list[int]) -> None:
        with self._beat_lock:  # one at a time, and never an older one after a newer one
            if number < self._beat_done:
                return
            self._beat_done = number
            try:
                presence.heartbeat(
                    self.store,
                    console=self.console_id,
                    actor=self.actor,
                    ticket_id=ticket_id,
                    activity=activity,
                )
                if number % PRUNE_EVERY == 1:  # leases of killed consoles, long expired
                    presence.prune(self.store)
                ids = [*shown, ticket_id] if ticket_id is not None else shown
                others = presence.others_at(self.store, console=self.console_id, ticket_ids=ids)
            except Exception:  # best effort: a store that is away shows on the next action
                return
        if not get_current_worker().is_cancelled:
            self.app.post_message(PresenceArrived(others))
