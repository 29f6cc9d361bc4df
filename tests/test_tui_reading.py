"""Reading and moving in the console (issue 16, items 5, 6, 9, 10, 11 and 13): the ticket pane,
the queue cursor after a ticket leaves the view, assigning, the dashboard's figures, NO_COLOR
and the quit prompt.  Driven through Textual's Pilot against a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csm_console.store.engine import Store
from csm_console.tui.queue_list import QueueList
from tests.tui_support import drive, make_app, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


def queue(app: Any) -> QueueList:
    return app.query_one(QueueList)


def test_after_escalating_the_cursor_goes_to_the_next_ticket(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("j", "j")
        await pilot.pause(0.3)
        await settle(pilot)
        rows = queue(app).window.rows
        assert len(rows) >= 4
        escalated, following = rows[2].id, rows[3].id
        assert app.detail is not None and app.detail.ticket.id == escalated
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter")  # L2
        await settle(pilot)
        if app.screen.query("OptionList"):  # several L2 teams: the first
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press(*"line fault", "enter")
        await settle(pilot)
        await pilot.pause(0.3)  # the detail follows the cursor once it rests
        await settle(pilot)
        ids = [row.id for row in queue(app).window.rows]
        assert escalated not in ids  # it left "My tickets"
        assert queue(app).current is not None and queue(app).current.id == following
        assert queue(app).cursor == 2
        assert app.detail is not None and app.detail.ticket.id == following

    drive(app, script)
