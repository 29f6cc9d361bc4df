"""Two live consoles on one store (SQLite and PostgreSQL), each driven by Pilot, the second in
its own process: a change made elsewhere (a CLI process) shows up in the console within 2 s
with the cursor, marks and draft kept; presence shows up on both sides, and expires after the
other console is killed; the draft the killed console was writing is offered back."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from csm_console.domain.model import Priority
from csm_console.services import presence, setup, tickets
from csm_console.services.drafts import DraftBox
from csm_console.store.engine import SQLITE_BUSY_TIMEOUT_MS, Store
from csm_console.tui.queue_list import QueueList
from csm_console.tui.screens import ConfirmScreen
from tests.conftest import ROOT, process_env, run_csm, until
from tests.tui_support import NOW, make_app

pytestmark = pytest.mark.slow  # starts processes

MARKS_TICKET = 1148  # mark's ticket in the sample, in anna's team view


def test_two_consoles_see_each_other_and_changes_made_elsewhere(
    store: Store, tmp_path: Path
) -> None:
    setup.load_sample(store, now=NOW)
    url = store.url.render_as_string(hide_password=False)
    app = make_app(store, "anna", live=True)
    drafts = tmp_path / "drafts.db"  # mark's machine
    other = subprocess.Popen(
        [sys.executable, "-m", "tests.live_console_worker", url, "mark", str(MARKS_TICKET),
         str(drafts)],
        cwd=ROOT, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            team = next(v for v in app.views if v.name == "My team")
            app.queue.set_view(team)
            lst = app.query_one(QueueList)
            await until(pilot, lambda: lst.window.index_of(MARKS_TICKET) is not None, 10)
            # the cursor on mark's ticket, two tickets marked, a draft on another ticket
            rows = lst.window.rows
            lst.cursor = lst.window.index_of(MARKS_TICKET) or 0
            lst.marks |= {rows[0].id, rows[1].id}
            app.open_ticket(MARKS_TICKET)
            await until(
                pilot, lambda: app.detail is not None and app.detail.ticket.id == MARKS_TICKET, 10
            )
            app.action_compose("note")
            await pilot.press(*"half a note")

            # mark's console, in its own process, writes a reply to the same ticket
            assert other.stdout is not None and other.stdout.readline().strip() == "replying"
            await until(pilot, lambda: lst.presence.get(MARKS_TICKET) == presence.REPLYING, 10)
            line = str(app.query_one("#detail-presence").render())
            assert "✎ mark is replying" in line
            # ... and sees anna at the ticket
            deadline = time.monotonic() + 10
            while "anna is viewing" not in other.stdout.readline():
                assert time.monotonic() < deadline, "mark's console never saw anna"
            # a reply from anna now asks first (a note would not)
            app.reply_pane.mode = "reply"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
            assert "mark is replying to #1148 too" in app.screen.question
            await pilot.press("n")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), 5)
            app.reply_pane.mode = "note"

            # a CLI batch elsewhere changes a ticket in the view: within 2 s, in place
            target = next(r for r in lst.window.rows if r.priority != Priority.URGENT)
            cli = run_csm(
                "tickets", "priority", str(target.id), "--set", "urgent",
                db=url, agent="anna", cwd=ROOT, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr

            def updated() -> bool:
                index = lst.window.index_of(target.id)
                return index is not None and lst.window.rows[index].priority == Priority.URGENT

            took = await until(pilot, updated, 2.0)
            print(f"change seen {took:.2f} s after the CLI exited")
            assert lst.current is not None and lst.current.id == MARKS_TICKET
            assert lst.marks >= {rows[0].id, rows[1].id}
            assert app.reply_pane.composer.text == "half a note"

            # mark's console is killed: no goodbye, the lease runs out
            other.send_signal(signal.SIGKILL)
            other.wait(timeout=10)
            limit = presence.LEASE.total_seconds() + presence.HEARTBEAT + 3
            await until(pilot, lambda: MARKS_TICKET not in lst.presence, limit)
            assert "mark" not in str(app.query_one("#detail-presence").render())

        # mark opens a console again: the reply he was writing when it was killed is offered back
        box = DraftBox(drafts, store=store.display_url, agent="mark")
        again = make_app(store, "mark", draft_box=box)
        async with again.run_test(size=(120, 40)) as pilot:
            again.open_ticket(MARKS_TICKET)
            await until(pilot, lambda: again.detail is not None, 10)
            await until(pilot, lambda: again.reply_pane.composer.text == "On it", 5)
            assert again.reply_pane.mode == "reply"
            assert "↺ your unsent reply" in str(again.query_one("#reply-status").render())

    try:
        asyncio.run(main())
    finally:
        other.kill()
        other.wait(timeout=10)
        if other.stderr is not None:
            problems = other.stderr.read()
            assert "Traceback" not in problems, problems


def _banner(app: Any) -> str:
    banner = app.query_one("#store-banner")
    return "" if banner.has_class("hidden") else str(banner.render())


def test_the_console_rides_out_the_store_going_away(store: Store) -> None:
    """PostgreSQL: every connection of the store is terminated under the console.  SQLite:
    another process holds the write lock for longer than the busy timeout while the console
    sends a note.  Either way the console keeps the draft, shows a banner while the store is away
    (SQLite), and recovers by itself: the banner goes, and a change made afterwards shows up
    without a key pressed."""
    setup.load_sample(store, now=NOW)
    app = make_app(store, "anna", live=True)
    locker: subprocess.Popen[str] | None = None

    async def main() -> None:
        nonlocal locker
        async with app.run_test(size=(120, 40)) as pilot:
            lst = app.query_one(QueueList)
            await until(pilot, lambda: bool(lst.window.rows), 10)
            first = lst.window.rows[0]
            app.open_ticket(first.id)
            await until(
                pilot, lambda: app.detail is not None and app.detail.ticket.id == first.id, 10
            )
            app.action_compose("note")
            await pilot.press(*"draft")
            if store.is_postgres:
                admin = Store(store.url)
                with admin.engine.connect() as conn:
                    conn.exec_driver_sql(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                admin.dispose()
            else:
                seconds = SQLITE_BUSY_TIMEOUT_MS / 1000 + 3
                locker = subprocess.Popen(
                    [sys.executable, "-c",
                     "import sqlite3, time\n"
                     f"c = sqlite3.connect({store.url.database!r}, isolation_level=None)\n"
                     "c.execute('BEGIN IMMEDIATE')\n"
                     f"print('locked', flush=True); time.sleep({seconds}); c.execute('COMMIT')\n"],
                    stdout=subprocess.PIPE, text=True,
                )  # fmt: skip
                assert locker.stdout is not None
                await asyncio.get_running_loop().run_in_executor(None, locker.stdout.readline)
                await pilot.press("ctrl+s")  # the note waits for the lock, then gives up
                await until(pilot, lambda: "locked" in _banner(app), seconds + 5)
                assert app.reply_pane.composer.text == "draft"
                await asyncio.get_running_loop().run_in_executor(None, locker.wait)
                await until(pilot, lambda: _banner(app) == "", 15)  # the probe found it back
            # back: a change made now shows up by itself
            other = Store(store.url)
            priority = Priority.LOW if first.priority != Priority.LOW else Priority.HIGH
            tickets.change_priority(other, actor=app.actor, ticket_id=first.id, priority=priority)
            other.dispose()

            def shown() -> bool:
                index = lst.window.index_of(first.id)
                return index is not None and lst.window.rows[index].priority == priority

            await until(pilot, shown, 15)
            assert _banner(app) == ""
            assert app.reply_pane.composer.text == "draft"
            assert not any(m.body == "draft" for m in (app.detail.messages if app.detail else ()))

    try:
        asyncio.run(main())
    finally:
        if locker is not None:
            locker.kill()
