"""The console driven through Textual's Pilot, against a real SQLite store with the sample."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from csm_console.domain.model import Status, Tier
from csm_console.domain.templates import TemplateDraft
from csm_console.services import knowledge, replies, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.tui import queue_pane
from csm_console.tui.queue_list import QueueList
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import ConfirmScreen, MessageScreen, PickerScreen
from tests.hostile import hostile_cases
from tests.tui_support import (
    assert_safe_output,
    drive,
    make_app,
    sample_store,
    settle,
    terminal_output,
)

HOSTILE = hostile_cases()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


def queue(app: Any) -> QueueList:
    return app.query_one(QueueList)


def test_queue_shows_my_tickets_most_urgent_first(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        rows = queue(app).window.rows
        assert rows and all(r.assignee == "demo" for r in rows)
        dues = [r.sla_due for r in rows if r.sla_due]
        assert dues == sorted(dues)
        status = app.query_one("#queue-status", Static).render()
        assert "My tickets" in str(status)
        await pilot.press("j")
        await pilot.pause(0.3)  # the detail follows the cursor once it rests
        await settle(pilot)
        assert queue(app).cursor == 1
        assert app.detail is not None and app.detail.ticket.id == rows[1].id

    drive(app, script)


def test_a_large_view_counts_up_to_the_cap_and_exactly_at_the_bottom(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count of a view stops at COUNT_CAP ("n+"), so it reads a bounded part of a large
    store after every change; jumping to the bottom counts exactly, for the position."""
    monkeypatch.setattr(queue_pane, "COUNT_CAP", 3)
    app = make_app(store)
    app.views = [view for view in app.views if view.name == "All"]  # the console opens on it

    async def script(pilot: Any) -> None:
        exact = ticket_reads.count_tickets(store, actor=app.actor, query=app.queue.ticket_query)
        assert exact > 100  # more than the first page of the window
        status = str(app.query_one("#queue-status", Static).render())
        assert "row 1 of 100+" in status  # the cap, or the rows seen when more
        await pilot.press("G")
        await settle(pilot)
        status = str(app.query_one("#queue-status", Static).render())
        assert f"row {exact:,} of {exact:,}" in status

    drive(app, script)


def test_long_ticket_ids_are_never_cut(store: Store) -> None:
    """A 10M store's ids have 8 digits: the id column widens to the longest id the queue has
    shown (header too) instead of cutting it to "12345…", and does not narrow again."""
    with store.connection() as conn:
        columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(ticket)") if r[1] != "id"]
        names = ", ".join(columns)
        copied = ", ".join("NULL" if c == "external_id" else c for c in columns)
        conn.exec_driver_sql(
            f"INSERT INTO ticket (id, {names}) SELECT 12345678, {copied} FROM ticket "
            "WHERE assignee_id = (SELECT id FROM agent WHERE handle = 'demo') "
            "ORDER BY sla_due LIMIT 1"
        )
        conn.commit()
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await settle(pilot)
        assert queue(app).id_width == 8
        screen = re.sub(r"\x1b\[[0-9;]*m", "", terminal_output(app))
        assert "12345678 " in screen and "…" not in screen.split("12345678")[0][-3:]
        header = str(app.query_one("#queue-header", Static).render())
        assert header.startswith("  #        prio"), header  # mark, then 8 columns of id

    drive(app, script, size=(80, 24))


def test_take_next_insert_template_send_pending(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("n")
        await settle(pilot)
        assert app.detail is not None
        claimed = app.detail.ticket
        assert claimed.assignee == "demo"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"greeting")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # preview was rendering: enter again inserts it
        await settle(pilot)
        reply = app.query_one(ReplyPane)
        assert reply.composer.text.strip(), "the template went into the composer"
        assert "{{" not in reply.composer.text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("enter")  # pending is preselected
        await settle(pilot)
        detail = ticket_reads.get_ticket(store, ticket_id=claimed.id)
        assert detail.ticket.status is Status.PENDING
        assert detail.ticket.first_response_at is not None
        last = detail.messages[-1]
        assert last.author == "demo" and not last.internal
        assert reply.composer.text == ""

    drive(app, script)


def test_template_preview_shows_the_variant_used(store: Store) -> None:
    """A Russian customer gets the ru variant; a template with no ru variant stands in with en,
    and the preview says so; an unresolved placeholder is shown before anything is sent."""
    demo = resolve_actor(store, "demo")
    admin = resolve_actor(store, "admin")
    replies.save_template(
        store,
        actor=admin,
        draft=TemplateDraft(
            name="zz-english-only", language="en", body="Hi {{ customer.first_name }}!\n"
        ),
    )
    row = tickets.create_ticket(
        store,
        actor=demo,
        customer_email="masha@example.ru",
        customer_name="Мария Петрова",
        subject="Не работает интернет",
        body="Здравствуйте, у меня нет связи с утра.",
    )
    tickets.assign_ticket(store, actor=demo, ticket_id=row.id, to="demo")
    app = make_app(store)

    def preview() -> str:
        return str(app.query_one("#template-preview", Static).render())

    async def script(pilot: Any) -> None:
        app.open_ticket(row.id)
        await settle(pilot)
        assert app.detail is not None and app.detail.customer.language == "ru"
        reply = app.query_one(ReplyPane)
        names = [t.name for t in reply.templates]
        assert len(names) == len(set(names)), "one entry per name"
        assert "general-greeting" in names
        await pilot.press("t", *"general-greeting")
        await settle(pilot)
        assert preview().startswith("variant: ru\n") and "Мария" in preview()
        app.query_one("#template-filter", Input).value = ""
        await pilot.press(*"zz-english-only")
        await settle(pilot)
        assert [t.name for t in reply.templates] == ["zz-english-only"]
        assert preview().startswith("variant: en (no ru variant)\nHi Мария!")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert reply.composer.text.strip() == "Hi Мария!"
        title = str(app.query_one("#reply-status", Static).render())
        assert "variant: en (no ru variant)" in title
        reply.composer.text = ""
        await pilot.press("ctrl+t")  # from the composer: back to the template filter
        app.query_one("#template-filter", Input).value = ""
        await pilot.press(*"hardware-router-restart")
        await settle(pilot)
        assert "✖ unresolved: article.title, article.link" in preview()
        # a reference inserted from the knowledge base fills them, and the preview follows
        article = knowledge.get_article(store, article_id="KB-0001")
        app.flows.insert_article(article, "reference")
        await settle(pilot)
        assert "unresolved" not in preview() and article.reference in preview()
        assert reply.composer.text == f"{article.title} ({article.reference})"
        # a template inserted after it goes on lines of its own, not glued to the reference
        await pilot.press("ctrl+t", "enter", "enter")
        await settle(pilot)
        first, second, *_ = reply.composer.text.split("\n")
        assert first == f"{article.title} ({article.reference})" and second.strip()

    drive(app, script)


def test_escalate_with_a_reason(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        ticket = app.detail.ticket
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter")  # L2
        await settle(pilot)
        await pilot.press("enter")  # empty reason is refused
        await settle(pilot)
        assert "needs an answer" in str(app.screen.query_one("#prompt-hint").render())
        await pilot.press(*"line fault")
        await pilot.press("enter")
        await settle(pilot)
        detail = ticket_reads.get_ticket(store, ticket_id=ticket.id)
        assert detail.ticket.tier is Tier.L2 and detail.ticket.assignee is None
        assert "line fault" in detail.messages[-1].body

    drive(app, script)


def test_mark_three_and_assign(store: Store) -> None:
    app = make_app(store, handle="anna")

    async def script(pilot: Any) -> None:
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"unassigned", "enter")
        await settle(pilot)
        rows = queue(app).window.rows
        frontline = [i for i, r in enumerate(rows) if r.team == "Frontline"][:3]
        assert len(frontline) == 3
        for index in frontline:
            queue(app).cursor = index
            await pilot.press("space")
        assert len(queue(app).marks) == 3
        marked = set(queue(app).marks)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"janis", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "3 changed" in app.screen.body
        for ticket_id in marked:
            assert ticket_reads.get_ticket(store, ticket_id=ticket_id).ticket.assignee == "janis"
        await pilot.press("escape")

    drive(app, script)


def test_filter_by_query_and_bad_query_inline(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("slash")
        await pilot.press(*"status:pending", "enter")
        await settle(pilot)
        rows = queue(app).window.rows
        assert rows and all(r.status is Status.PENDING for r in rows)
        await pilot.press("slash")
        bar = app.query_one("#queue-filter", Input)
        bar.value = "stat:nope"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        status = str(app.query_one("#queue-status", Static).render())
        assert "unknown field 'stat'" in status
        assert queue(app).window.rows == rows  # the bad query changed nothing

    drive(app, script)


def test_knowledge_search_insert_excerpt(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("f")
        await pilot.press(*"router")
        await settle(pilot)
        assert app.knowledge_pane.hits
        await pilot.press("enter")  # to the results
        await pilot.press("x")
        await settle(pilot)
        assert app.query_one(ReplyPane).composer.text.strip()
        assert app.query_one(ReplyPane).article is not None

    drive(app, script)


def test_conflict_while_replying_keeps_the_draft(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        ticket = app.detail.ticket
        await pilot.press("r")
        await pilot.press(*"my careful answer")
        anna = resolve_actor(store, "anna")
        tickets.add_note(store, actor=anna, ticket_id=ticket.id, body="meanwhile")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reply = app.query_one(ReplyPane)
        assert reply.composer.text == "my careful answer"
        assert app.detail.ticket.version == ticket.version + 1  # reloaded
        messages = [n.message for n in app._notifications]
        assert any("anna added a note" in m for m in messages)
        detail = ticket_reads.get_ticket(store, ticket_id=ticket.id)
        assert all(m.body != "my careful answer" for m in detail.messages)

    drive(app, script)


def test_narrow_terminal_switches_panes(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        assert app.screen.has_class("narrow")
        assert app.query_one("#queue").display and not app.query_one("#detail").display
        await pilot.press("2")
        assert app.query_one("#detail").display and not app.query_one("#queue").display
        await pilot.press("tab")
        assert app.current_pane == "reply"
        await pilot.press("escape")
        assert app.current_pane == "queue"

    drive(app, script, size=(80, 24))


def test_quit_asks_when_a_draft_is_unsent(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("r", *"draft")
        await pilot.press("escape", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.is_running

    drive(app, script)


def test_help_lists_every_binding_with_keymap(store: Store) -> None:
    from csm_console.config import load_settings

    settings = load_settings(env={"CSM_CONFIG_FILE": ""})
    settings.keymap["app.take_next"] = "N"
    app = make_app(store, settings=settings)

    async def script(pilot: Any) -> None:
        rows = app.binding_rows()
        ids = {r[2] for r in rows}
        assert {"app.take_next", "app.assign", "queue.mark", "app.send"} <= ids
        assert ("N", "Next", "app.take_next") in rows
        await pilot.press("f1")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"

    drive(app, script)


def test_hostile_text_renders_literally_and_does_nothing(store: Store, tmp_path: Path) -> None:
    demo = resolve_actor(store, "demo")
    created = []
    for case in HOSTILE:
        subject = case["text"][:400].strip() or "blank"
        row = tickets.create_ticket(
            store,
            actor=demo,
            customer_email="evil@example.com",
            customer_name=case["text"][:150] or "x",
            subject=subject,
            body=case["text"] or "x",
        )
        tickets.assign_ticket(store, actor=demo, ticket_id=row.id, to="demo")
        created.append(row.id)
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("slash", *"customer:evil@example.com", "enter")
        await settle(pilot)
        rows = queue(app).window.rows
        assert {r.id for r in rows} == set(created)
        for index in range(len(rows)):
            queue(app).cursor = index
            await settle(pilot)
            await pilot.click(QueueList, offset=(20, 0))  # clicking fires no action link
            await settle(pilot)
            assert_safe_output(app, rows[index].subject)
        await pilot.press("h")
        await settle(pilot)
        assert app.is_running
        texts = [r.subject for r in rows]
        assert "[@click=app.quit]Click to see your refund[/]" in texts
        queue(app).cursor = texts.index("[@click=app.quit]Click to see your refund[/]")
        await settle(pilot)
        plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", terminal_output(app))
        # the detail title wraps at the pane's width; both halves show literally
        assert "[@click=app.quit]Click to see your" in plain and "refund[/]" in plain

    drive(app, script)


def test_themes_load_and_apply(store: Store) -> None:
    from csm_console.tui.themes import load_themes

    themes, problems = load_themes()
    assert {t.name for t in themes} >= {"csm-dark", "csm-light", "csm-contrast"}
    assert problems == []
    app = make_app(store, theme="csm-contrast")

    async def script(pilot: Any) -> None:
        assert app.theme == "csm-contrast"

    drive(app, script)
    app = make_app(store, theme="no-such-theme")

    async def fallback(pilot: Any) -> None:
        assert app.theme != "no-such-theme"
        assert any("unknown theme" in n.message for n in app._notifications)

    drive(app, fallback)


def test_command_palette_lists_every_action(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        commands = list(app.get_system_commands(app.screen))
        helps = " ".join(c.help for c in commands)
        for binding_id in (
            "app.take_next",
            "app.assign",
            "queue.mark",
            "queue.open",
            "detail.down",
            "knowledge.insert_excerpt",
            "reply.templates",
        ):
            assert f"({binding_id})" in helps, binding_id
        mark = next(c for c in commands if "(queue.mark)" in c.help)
        before = len(queue(app).marks)
        await mark.callback()
        await settle(pilot)
        assert len(queue(app).marks) == before + 1

    drive(app, script)


def test_invalid_bytes_typed_or_pasted_do_not_close_the_console() -> None:
    """The drivers' decoder, once the console has swapped it, replaces a byte that is not
    UTF-8 (a paste cut mid-letter) instead of raising in the input thread."""
    from textual.drivers import linux_driver

    from csm_console.tui.terminal import tolerate_invalid_input

    tolerate_invalid_input()
    decode = linux_driver.getincrementaldecoder("utf-8")().decode
    assert decode(b"ab" + "ж".encode()[:1]) == "ab"  # waits for the rest of the letter
    assert decode(b"x") == "\ufffdx"  # the rest never came: replaced, not raised
    assert decode("ок".encode()) == "ок"
