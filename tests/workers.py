"""Worker processes for the concurrency tests: `python -m tests.workers COMMAND URL ...`."""

from __future__ import annotations

import json
import sys
import time

from csm_console.domain.model import Status
from csm_console.errors import QueueEmpty
from csm_console.services import tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store


def take_all(url: str, handle: str) -> None:
    """Take tickets until none is left; print the ids and when the claiming began and ended."""
    store = Store(url)
    actor = resolve_actor(store, handle)
    claimed: list[int] = []
    began = time.time()
    while True:
        try:
            claimed.append(tickets.take_next(store, actor=actor).id)
        except QueueEmpty:
            break
    ended = time.time()
    store.dispose()
    print(json.dumps({"claimed": claimed, "began": began, "ended": ended}))


def set_status(url: str, handle: str, ticket_id: str, status: str) -> None:
    store = Store(url)
    actor = resolve_actor(store, handle)
    row = tickets.change_status(store, actor=actor, ticket_id=int(ticket_id), status=Status(status))
    store.dispose()
    print(row.version)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"take-all": take_all, "set-status": set_status}[command](*args)
