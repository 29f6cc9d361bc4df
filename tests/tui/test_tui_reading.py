"""Reading and moving in the console (issue 16, items 5, 6, 9, 10, 11 and 13): the ticket pane,
the queue cursor after a ticket leaves the view, assigning, the dashboard's figures, NO_COLOR
and the quit prompt.  Driven through Textual's Pilot against a real SQLite store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from csm_console.services import ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.tui.screens import ConfirmScreen, MessageScreen, PickerScreen
from tests.tui_support import drive, make_app, queue, sample_store, settle, terminal_output


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


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


def test_an_operator_assigning_marked_tickets_is_offered_only_valid_targets(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"All", "enter")
        await settle(pilot)
        rows = queue(app).window.rows
        mine = next(i for i, r in enumerate(rows) if r.assignee == "demo")
        theirs = next(i for i, r in enumerate(rows) if r.assignee not in (None, "demo"))
        mine_id, theirs_id = rows[mine].id, rows[theirs].id
        for index in (mine, theirs):
            queue(app).cursor = index
            await pilot.press("space")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert [c.label for c in app.screen.choices] == ["nobody", "demo"]
        await pilot.press("enter")  # nobody
        await settle(pilot)
        # the refusal is said before confirming
        assert isinstance(app.screen, ConfirmScreen)
        assert f"#{theirs_id}: " in app.screen.detail and "may not assign" in app.screen.detail
        assert f"#{mine_id}  " in app.screen.detail
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "1 changed" in app.screen.body and "refused" not in app.screen.body
        assert queue(app).marks == {theirs_id}  # the one not done stays marked
        assert ticket_reads.get_ticket(store, ticket_id=mine_id).ticket.assignee is None
        await pilot.press("escape")
        await settle(pilot)
        # only tickets nobody may assign: refused at once, no picker, the marks stay
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, PickerScreen)
        assert queue(app).marks == {theirs_id}

    drive(app, script)


def test_a_bulk_change_that_changes_nothing_names_no_batch(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("space", "space")
        assert len(queue(app).marks) == 2
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "0 changed, 2 already so" in app.screen.body
        assert "batch" not in app.screen.body
        assert not queue(app).marks

    drive(app, script)


def colour_codes(output: str) -> list[str]:
    """The SGR parameters in `output` that set a colour (16, 256 or truecolour; foreground or
    background); resets to the terminal's own colours (39, 49) are no colour."""
    found: list[str] = []
    for params in re.findall(r"\x1b\[([0-9;:]*)m", output):
        parts = params.replace(":", ";").split(";")
        index = 0
        while index < len(parts):
            code = int(parts[index] or 0)
            if code in (38, 48, 58):
                found.append(params)
                break
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(params)
                break
            index += 1
    return found


def test_no_color_writes_no_colour(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR (no-color.org): no colour codes at all, in the console and the dashboard; the
    cursor and the focus still show (reverse, bold)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(store)

    async def script(pilot: Any) -> None:
        assert app.no_color
        output = terminal_output(app)
        assert "\x1b[" in output  # styled: bold, reverse
        assert colour_codes(output) == []
        assert "\x1b[7m" in output or ";7m" in output or "[7;" in output  # the cursor row
        await pilot.press("D")
        await settle(pilot)
        assert colour_codes(terminal_output(app)) == []

    drive(app, script)


def test_the_quit_prompt_names_the_tickets_of_unsent_drafts(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        first = app.detail.ticket.id
        await pilot.press("r", *"draft")
        await pilot.press("escape", "j")
        await pilot.pause(0.3)
        await settle(pilot)
        second = app.detail.ticket.id
        assert second != first
        await pilot.press("i", *"a note")
        await pilot.press("escape", "q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert f"reply on #{first}" in question and f"note on #{second}" in question, question
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running

    drive(app, script)


def pane_lines(app: Any, pane: Any) -> list[str]:
    """The text of `pane` as it is on screen, line by line."""
    region = pane.region
    strips = app.screen._compositor.render_strips()
    return [strip.text[region.x : region.right] for strip in strips[region.y : region.bottom]]


def ticket_id_by_subject(store: Store, subject: str) -> int:
    from sqlalchemy import select
    from sqlmodel import col

    from csm_console.store.models import Ticket

    with store.read() as session:
        return (
            session.execute(
                select(col(Ticket.id)).where(
                    col(Ticket.subject) == subject, col(Ticket.assignee_id).is_(None)
                )
            )
            .scalars()
            .first()
        )  # type: ignore[return-value]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_ticket_fields_never_break_inside_a_word(store: Store, size: tuple[int, int]) -> None:
    """`cancella`/`tion`, `unassign`/`ed`: a field's label and value stay on one line, and
    tags that do not fit say how many more there are (issue 16, item 5)."""
    app = make_app(store)
    ticket_id = ticket_id_by_subject(store, "Wi-Fi is there but no internet")
    tags = ["nointernet", "fiber", "vip"]
    tickets.tag_ticket(
        store,
        actor=resolve_actor(store, "admin"),
        ticket_id=ticket_id,
        add=["cancellation-request", "equipment-return", "loyalty-offer", "escalation-risk"],
    )

    async def script(pilot: Any) -> None:
        app.open_ticket(ticket_id)
        await settle(pilot)
        if app.screen.has_class("narrow"):
            app.action_pane("detail")
            await settle(pilot)
        app.detail_pane.scroll_home(animate=False, immediate=True)  # the fields, at the top
        await settle(pilot)
        text = "\n".join(pane_lines(app, app.detail_pane))
        assert re.search(r"category connectivity\b", text), text
        assert re.search(r"assignee unassigned\b", text), text
        line = next(line for line in text.splitlines() if "tags " in line)
        shown = line.split("tags ", 1)[1].strip(" │▁▂▃▄▅▆▇█")
        names = [t.strip() for t in re.sub(r" \+\d+$", "", shown).split(",")]
        every = sorted(app.detail.ticket.tags)
        assert set(names) <= set(every) and all(names), (shown, every)
        if len(names) < len(every):
            assert shown.endswith(f"+{len(every) - len(names)}"), shown
        assert set(tags) <= set(every)

    drive(app, script, size=size)


def newest_customer_words(app: Any) -> str:
    """The first line of the newest customer message, as the thread shows it."""
    detail = app.detail
    assert detail is not None
    message = [m for m in detail.messages if m.author_kind == "customer"][-1]
    return message.body.strip().splitlines()[0][:30]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
@pytest.mark.parametrize("how", ["opened", "first"])
def test_the_newest_customer_message_shows_when_a_ticket_opens(
    store: Store, size: tuple[int, int], how: str
) -> None:
    """No scrolling to find what the customer said last (issue 16, item 6): a ticket opened
    from the queue, and the first one, read while the ticket pane was still hidden."""
    app = make_app(store)
    ticket_id = ticket_id_by_subject(store, "Wi-Fi is there but no internet")

    async def script(pilot: Any) -> None:
        if how == "opened":
            app.open_ticket(ticket_id)
            await settle(pilot)
        if app.screen.has_class("narrow"):
            if how == "opened":
                app.action_pane("detail")
            else:
                await pilot.press("enter")
        await pilot.pause(0.1)
        await settle(pilot)
        assert len(app.detail.messages) >= 3
        words = newest_customer_words(app)
        text = "\n".join(pane_lines(app, app.detail_pane))
        assert words in text, (words, text)

    drive(app, script, size=size)


def test_replying_at_80x24_keeps_the_customer_message_in_view(store: Store) -> None:
    app = make_app(store)
    ticket_id = ticket_id_by_subject(store, "Wi-Fi is there but no internet")

    async def script(pilot: Any) -> None:
        app.open_ticket(ticket_id)
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause(0.1)
        await settle(pilot)
        assert app.focused is app.reply_pane.composer
        await pilot.press(*"Hello")
        await settle(pilot)
        words = newest_customer_words(app)
        screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert words in screen, screen
        assert "Hello" in screen  # the draft too
        assert app.detail_pane.region.bottom <= app.reply_pane.region.y
        await pilot.press("shift+tab")  # the whole ticket
        await settle(pilot)
        assert app.focused is app.detail_pane and not app.reply_pane.display
        await pilot.press("tab")  # back to the draft, the ticket above it again
        await settle(pilot)
        assert app.focused is app.reply_pane.composer and app.detail_pane.display
        assert app.reply_pane.composer.text == "Hello"

    drive(app, script, size=(80, 24))
