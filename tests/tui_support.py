"""Helpers for driving the console with Textual's Pilot against a real sample store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.worker import WorkerCancelled

from csm_console.services.acting import resolve_actor
from csm_console.services.views import all_views
from csm_console.store.engine import Store
from csm_console.tui.app import CsmApp
from csm_console.tui.console import DIALOGS
from csm_console.tui.queue_list import QueueList
from tests.conftest import copy_sqlite_template

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def sample_store(path: Path) -> Store:
    """The sample store as of NOW at `path` (a copy of one built once per run)."""
    return copy_sqlite_template(path, sample_now=NOW)


def make_app(store: Store, handle: str = "demo", **kwargs: Any) -> CsmApp:
    """A console on `store` as `handle`.  Not live unless asked (`live=True`): the change feed
    is a worker that never finishes, which `settle` would wait for; processes/test_live_console.py
    drives live consoles."""
    kwargs.setdefault("live", False)
    actor = resolve_actor(store, handle)
    return CsmApp(store=store, actor=actor, views=all_views(actor), clock=lambda: NOW, **kwargs)


def queue(app: CsmApp) -> QueueList:
    """The console's queue list."""
    return app.query_one(QueueList)


async def settle(pilot: Any) -> None:
    """Let workers finish, and the workers their results start, until the console is idle.
    A dialog flow waits for the operator's answer: it is not waited for."""
    quiet = 0
    for _ in range(50):
        await pilot.pause()
        working = [w for w in pilot.app.workers if w.group != DIALOGS]
        busy = any(not w.is_finished for w in working)
        with contextlib.suppress(WorkerCancelled):  # an exclusive worker replaced by a newer one
            if working:  # (none given, wait_for_complete would wait for every worker)
                await pilot.app.workers.wait_for_complete(working)
        await pilot.pause()
        quiet = 0 if busy else quiet + 1
        if quiet == 2:
            return


def drive(
    app: CsmApp, script: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (120, 40)
) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await script(pilot)

    asyncio.run(main())


# What must never reach the terminal from data: clear screen, clipboard and title writes, bells,
# 8-bit CSI, bidi overrides, hyperlinks, device control strings, NUL.
FORBIDDEN_OUTPUT = (
    "\x1b[2J",
    "\x1b]52",
    "\x1b]0;",
    "\x07",
    "\x9b",
    "\u202e",
    "\x1b]8;;https://example.invalid",
    "\x1bP",
    "\x00",
)


def terminal_output(app: CsmApp) -> str:
    """What the console would write to the terminal right now (styles included)."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_safe_output(app: CsmApp, what: object) -> None:
    """The console is running and its screen holds none of FORBIDDEN_OUTPUT."""
    assert app.is_running, what
    output = terminal_output(app)
    for sequence in FORBIDDEN_OUTPUT:
        assert sequence not in output, (what, sequence)
