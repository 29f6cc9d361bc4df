"""Attaching a file to a reply in the console (`ctrl+o` in the reply pane): the file goes with
the reply into the store and, on an e-mail ticket, into the outbox; a bad path says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from csm_console.store.engine import Store
from csm_console.store.models import Attachment, Message, OutgoingMail
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import PickerScreen, PromptScreen
from tests.smtp_support import with_mail
from tests.tui_support import drive, make_app, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = with_mail(sample_store(tmp_path / "tui.db"))
    yield store
    store.dispose()


def test_a_file_goes_with_the_reply(store: Store, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 the report")
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("n")
        await settle(pilot)
        assert app.detail is not None
        ticket_id = app.detail.ticket.id
        await pilot.press("3")
        await settle(pilot)
        reply = app.query_one(ReplyPane)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*str(tmp_path / "missing.pdf"), "enter")
        await settle(pilot)
        assert "no such file" in str(app.query_one("#reply-status").render())
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press(*str(report), "enter")
        await settle(pilot)
        assert [name for name, _, _ in reply.files_for(ticket_id)] == ["report.pdf"]
        assert "report.pdf" in str(app.query_one("#reply-title").render())
        await pilot.press(*"The report is attached.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert reply.files_for(ticket_id) == []
        with store.read() as session:
            message = session.execute(
                select(Message)
                .where(col(Message.ticket_id) == ticket_id)
                .order_by(col(Message.id).desc())
                .limit(1)
            ).scalar_one()
            files = session.execute(
                select(Attachment).where(col(Attachment.message_id) == message.id)
            ).scalars()
            assert [(a.filename, a.content_type, a.size) for a in files] == [
                ("report.pdf", "application/pdf", len(b"%PDF-1.4 the report"))
            ]
            queued = session.execute(
                select(col(OutgoingMail.message_id)).where(col(OutgoingMail.ticket_id) == ticket_id)
            ).scalars()
            assert (message.id in list(queued)) == (app.detail.ticket.channel == "email")

    drive(app, script)
