"""Hostile text in every box the console has and in every field it shows: the queue, the
thread, the customer card, search snippets, template previews, and the notifications and
errors that quote what was typed.  Nothing may reach the terminal as a control sequence,
nothing may crash the console, and a megabyte pasted anywhere is refused or capped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from csm_console.domain.article import ArticleDraft
from csm_console.domain.templates import TemplateDraft
from csm_console.domain.text import sanitize
from csm_console.domain.ticket_record import MAX_BODY
from csm_console.services import knowledge, replies, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from tests.hostile import hostile_cases
from tests.tui_support import assert_safe_output, drive, make_app, sample_store, settle

HOSTILE = [case["text"] for case in hostile_cases()]
MEGABYTE = ("Rēķins \x00\x1b[2J\u202e СЧЁТА " * 40_000)[:1_000_000]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


def test_hostile_text_in_every_box_and_every_field(store: Store) -> None:
    demo = resolve_actor(store, "demo")
    admin = resolve_actor(store, "admin")
    evil = "\n".join(HOSTILE)
    row = tickets.create_ticket(
        store,
        actor=demo,
        customer_email="evil@example.com",
        customer_name="\x1b]0;pwned\x07 [bold]Eve[/] \u202eevE",
        subject="Invoice \x1b[2J [@click=app.quit]x[/] \x00 счёт",
        body=(evil + "\n" + MEGABYTE)[:MAX_BODY],  # the largest body a ticket takes
    )
    tickets.assign_ticket(store, actor=demo, ticket_id=row.id, to="demo")
    tickets.add_note(store, actor=demo, ticket_id=row.id, body=evil)
    knowledge.save_article(
        store,
        actor=admin,
        draft=ArticleDraft(
            title="Счёт \x1b]8;;https://example.invalid\x07 invoice \u202e",
            body="Rēķins " + evil,
            language="en",
        ),
    )
    replies.save_template(
        store,
        actor=admin,
        draft=TemplateDraft(
            name="zz-hostile",
            language="en",
            body="Hi {{ customer.first_name }}, \x1b[2J re: {{ ticket.subject }} \x07\n",
        ),
    )
    app = make_app(store)

    async def script(pilot: Any) -> None:
        app.open_ticket(row.id)
        await settle(pilot)
        assert app.detail is not None and app.detail.ticket.id == row.id
        assert_safe_output(app, "the ticket: header, customer card, thread")
        await pilot.press("h")  # the audit history too
        await settle(pilot)
        assert_safe_output(app, "audit")

        boxes = {
            "queue filter": ("slash", "#queue-filter"),
            "knowledge search": ("f", "#kb-search"),
            "template filter": ("t", "#template-filter"),
        }
        for name, (key, selector) in boxes.items():
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            box = app.query_one(selector, Input)
            last = {"knowledge search": "счёт invoice", "template filter": "zz-hostile"}
            for text in [*HOSTILE, MEGABYTE, last.get(name, "")]:
                box.value = text  # as a paste would
                await settle(pilot)
                assert_safe_output(app, f"{name}: {text[:40]!r}")
                if name == "queue filter":
                    await pilot.press("enter")  # errors quote the query
                    await settle(pilot)
                    assert_safe_output(app, f"{name} submitted: {text[:40]!r}")
                    box.focus()
            if name == "knowledge search":  # found the hostile article; its snippet showed
                assert any("Счёт" in hit.title for hit in app.knowledge_pane.hits)
            if name == "template filter":  # and the preview rendered the hostile template
                assert "zz-hostile" in [t.name for t in app.reply_pane.templates]

        # prompts and the notifications that quote what was typed
        await pilot.press("escape")
        await settle(pilot)
        for text in [*HOSTILE[:10], MEGABYTE]:
            app.action_add_tag()
            await settle(pilot)
            app.screen.query_one("#prompt-input", Input).value = text
            await pilot.press("enter")
            await settle(pilot)
            assert_safe_output(app, f"tag prompt: {text[:40]!r}")

        # a megabyte pasted into the composer is refused on sending, and kept
        app.action_compose("note")
        await settle(pilot)
        app.reply_pane.composer.text = MEGABYTE
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_safe_output(app, "a megabyte sent")
        assert app.reply_pane.composer.text == sanitize(MEGABYTE)  # kept, minus the controls
        assert len(ticket_reads.get_ticket(store, ticket_id=row.id).messages) == 2  # nothing new

    drive(app, script)
