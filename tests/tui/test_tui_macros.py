"""Macros in the console (`m`), through Textual's Pilot on the sample store (its macros:
password-reset and need-more-info with a reply, duplicate-close without): the picker filters
and puts the ticket's category first, the reply goes into the composer with the actions named
in the status line, sending applies them in the reply's transaction, discarding drops them,
and a macro without a reply applies to the marked tickets after the confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from csm_console.domain.model import Status
from csm_console.services import ticket_reads
from csm_console.store.engine import Store
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import ConfirmScreen, MessageScreen, PickerScreen
from tests.tui_support import drive, make_app, queue, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


def _open_row(app: Any, *statuses: Status) -> int:
    """The queue's first ticket in one of `statuses`, under the cursor."""
    rows = queue(app).window.rows
    index = next(i for i, r in enumerate(rows) if r.status in statuses)
    queue(app).cursor = index
    return rows[index].id


def _status_line(app: Any) -> str:
    return str(app.query_one("#reply-status").render())


def test_picker_filters_fills_the_composer_and_send_applies_the_actions(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        ticket_id = _open_row(app, Status.OPEN, Status.NEW)
        await pilot.press("enter")
        await settle(pilot)
        before = ticket_reads.get_ticket(store, ticket_id=ticket_id)
        await pilot.press("m")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        names = [c.value.name for c in picker.shown]
        assert sorted(names) == ["duplicate-close", "need-more-info", "password-reset"]
        language = before.customer.language
        assert all(c.value.language == language for c in picker.shown)
        await pilot.press(*"passw")
        await settle(pilot)
        assert [c.value.name for c in picker.shown] == ["password-reset"]
        await pilot.press("enter")
        await settle(pilot)
        reply = app.query_one(ReplyPane)
        assert app.screen is not picker
        text = reply.composer.text
        assert "{{" not in text and before.customer.name.split()[0] in text
        assert ticket_id in reply.macros
        line = _status_line(app)
        assert "on send, macro password-reset" in line and "tag+=password-reset" in line
        await pilot.press("ctrl+s")  # the macro says pending: no status question
        await settle(pilot)
        assert not isinstance(app.screen, PickerScreen)
        after = ticket_reads.get_ticket(store, ticket_id=ticket_id)
        assert after.ticket.status is Status.PENDING
        assert "password-reset" in after.ticket.tags
        last = after.messages[-1]
        assert last.author == "demo" and not last.internal
        assert last.body.strip() == text.strip()
        batches = {a.batch_id for a in after.audit if a.action == "macro"}
        assert len(batches) == 1 and None not in batches
        in_batch = {a.action for a in after.audit if a.batch_id in batches}
        assert {"reply", "macro"} <= in_batch  # one transaction: the reply and the actions
        assert reply.composer.text == "" and ticket_id not in reply.macros

    drive(app, script)


def test_discarding_the_draft_drops_the_macro(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        ticket_id = _open_row(app, Status.OPEN)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"need-more", "enter")
        await settle(pilot)
        reply = app.query_one(ReplyPane)
        assert ticket_id in reply.macros and reply.composer.text
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert ticket_id not in reply.macros
        assert "on send" not in _status_line(app)
        await pilot.press(*"Thanks, looking into it.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)  # a plain reply asks for the status
        await pilot.press(*"open", "enter")
        await settle(pilot)
        after = ticket_reads.get_ticket(store, ticket_id=ticket_id)
        assert after.messages[-1].body.strip() == "Thanks, looking into it."
        assert after.ticket.status is Status.OPEN
        assert "needs-info" not in after.ticket.tags
        assert not [a for a in after.audit if a.action == "macro"]

    drive(app, script)


def test_the_tickets_category_comes_first(store: Store) -> None:
    app = make_app(store, handle="anna")

    async def script(pilot: Any) -> None:
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"all", "enter")
        await settle(pilot)
        await pilot.press("slash", *"category:account status:open", "enter")
        await settle(pilot)
        assert queue(app).window.rows
        queue(app).cursor = 0
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert app.screen.shown[0].value.name == "password-reset"
        await pilot.press("escape")
        await settle(pilot)
        assert not app.query_one(ReplyPane).macros

    drive(app, script)


def test_a_macro_without_a_reply_applies_to_the_marked_tickets(store: Store) -> None:
    app = make_app(store, handle="anna")

    async def script(pilot: Any) -> None:
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"my team", "enter")
        await settle(pilot)
        rows = queue(app).window.rows
        chosen = [i for i, r in enumerate(rows) if r.status is Status.OPEN][:2]
        assert len(chosen) == 2
        for index in chosen:
            queue(app).cursor = index
            await pilot.press("space")
        marked = set(queue(app).marks)
        await pilot.press("m")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert [c.value.name for c in picker.shown] == ["duplicate-close"]  # no reply only
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "2 changed" in app.screen.body and "batch macro-" in app.screen.body
        for ticket_id in marked:
            ticket = ticket_reads.get_ticket(store, ticket_id=ticket_id)
            assert ticket.ticket.status is Status.SOLVED
            assert "duplicate" in ticket.ticket.tags
            assert ticket.messages[-1].internal  # the macro's note
        assert not queue(app).marks
        await pilot.press("escape")

    drive(app, script)
