"""A live console (Pilot) is told when another process changes one of the operator's tickets,
on SQLite and PostgreSQL: a lead's `csm tickets assign` in its own process shows as a toast
naming the ticket and the lead, rings the bell once, and the header's `needs you` count moves;
the console's own change tells it nothing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from csm_console.domain.query import Sort, parse_query
from csm_console.services import setup, ticket_reads
from csm_console.store.engine import Store
from tests.conftest import ROOT, run_csm, until
from tests.tui_support import NOW, make_app

pytestmark = pytest.mark.slow  # starts processes, waits for the change feed


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
            await until(pilot, lambda: app.notifier.needs_me is not None, 10)
            before = app.notifier.needs_me
            assert before is not None
            assert f"needs you: {before}" in str(app.query_one("#app-header").render())
            cli = run_csm(
                "tickets", "assign", str(target.id), "--to", "demo",
                db=url, agent="anna", cwd=ROOT, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            await until(pilot, lambda: told() != [], 10)
            assert told() == [f"#{target.id} assigned to you by @anna"]
            assert len(bells) == 1
            await until(pilot, lambda: app.notifier.needs_me == before + 1, 10)
            assert f"needs you: {before + 1}" in str(app.query_one("#app-header").render())
            # demo gives it back (from a shell: still demo's own change): nothing told, no bell
            cli = run_csm(
                "tickets", "assign", str(target.id), "--to", "none",
                db=url, agent="demo", cwd=ROOT, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            await until(pilot, lambda: app.notifier.needs_me == before, 10)
            assert len(told()) == 1 and len(bells) == 1

    asyncio.run(main())
