"""A live console (Pilot) is told when another process changes one of the operator's tickets,
on SQLite and PostgreSQL: a lead's `csm tickets assign` in its own process shows as a toast
naming the ticket and the lead, rings the bell once, and the header's `needs you` count moves;
the console's own change tells it nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from csm_console.domain.query import Sort, parse_query
from csm_console.services import setup, ticket_reads
from csm_console.store.engine import Store
from tests.conftest import process_env
from tests.tui_support import NOW, make_app

pytestmark = pytest.mark.slow  # starts processes, waits for the change feed

ROOT = Path(__file__).resolve().parents[2]


async def _until(pilot: Any, condition: Any, seconds: float) -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        await pilot.pause(0.05)


def test_a_ticket_assigned_by_another_process_is_told(store: Store) -> None:
    setup.load_sample(store, now=NOW)
    url = store.url.render_as_string(hide_password=False)
    target = ticket_reads.list_tickets(
        store,
        actor=None,
        query=parse_query("assignee:none team:Frontline tier:L1 status:new,open"),
        sort=Sort.parse("id"),
        limit=1,
    ).items[0]
    app = make_app(store, "demo", live=True)
    bells: list[float] = []
    app.notifier.ring = lambda: bells.append(time.monotonic())

    shown: list[str] = []  # every toast, also those that timed out since
    notify = app.notify

    def recording(message: str, **options: Any) -> None:
        shown.append(message)
        notify(message, **options)

    app.notify = recording  # type: ignore[method-assign]

    def told() -> list[str]:
        return [message for message in shown if message.startswith("#")]

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _until(pilot, lambda: app.notifier.needs_me is not None, 10)
            before = app.notifier.needs_me
            assert before is not None
            assert f"needs you: {before}" in str(app.query_one("#app-header").render())
            cli = subprocess.run(
                [sys.executable, "-m", "csm_console", "--db", url, "--as", "anna", "tickets",
                 "assign", str(target.id), "--to", "demo"],
                cwd=ROOT, env=process_env(), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            await _until(pilot, lambda: told() != [], 10)
            assert told() == [f"#{target.id} assigned to you by @anna"]
            assert len(bells) == 1
            await _until(pilot, lambda: app.notifier.needs_me == before + 1, 10)
            assert f"needs you: {before + 1}" in str(app.query_one("#app-header").render())
            # demo gives it back (from a shell: still demo's own change): nothing told, no bell
            cli = subprocess.run(
                [sys.executable, "-m", "csm_console", "--db", url, "--as", "demo", "tickets",
                 "assign", str(target.id), "--to", "none"],
                cwd=ROOT, env=process_env(), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            await _until(pilot, lambda: app.notifier.needs_me == before, 10)
            assert len(told()) == 1 and len(bells) == 1

    asyncio.run(main())
