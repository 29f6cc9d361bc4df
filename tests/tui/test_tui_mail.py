"""The e-mail channel in the ticket pane: sender, channel, flags and delivery states as a symbol
and a word, files, quoted history folded with `z` (and its binding in the footer and the help),
hostile file names and addresses shown inert.  Pilot on a real SQLite sample store."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static

from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.tui.detail_pane import DetailPane
from csm_console.tui.keys import ContextFooter
from tests.hostile import hostile_cases
from tests.mail_tickets import PDF, PNG, File, Outgoing, add_mail, mail_ticket
from tests.tui_support import NOW, assert_safe_output, drive, make_app, sample_store, settle

CUSTOMER = "liga@example.lv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = sample_store(tmp_path / "tui.db")
    yield store
    store.dispose()


@pytest.fixture
def ticket_id(store: Store) -> int:
    actor = resolve_actor(store, "demo")
    return mail_ticket(
        store, actor=actor, now=NOW - timedelta(hours=3), customer=CUSTOMER, agent="demo"
    )


def thread_text(app: Any) -> str:
    """The thread as the pane draws it (all of it, scrolled into view or not)."""
    console = Console(width=100, record=True, file=io.StringIO())
    for part in app.query_one(DetailPane).query(".message").results(Static):
        console.print(part.content)
    return console.export_text()


def _lines(text: str) -> str:
    """`text` with the padding at the ends of its lines removed."""
    return "\n".join(line.rstrip() for line in text.split("\n"))


async def open_in_pane(pilot: Any, ticket_id: int) -> None:
    pilot.app.open_ticket(ticket_id)
    await settle(pilot)
    await pilot.press("2")  # the ticket pane has the focus: its keys work
    await settle(pilot)


def test_the_pane_says_what_each_mail_is(store: Store, ticket_id: int) -> None:
    app = make_app(store)
    seen: list[str] = []

    async def script(pilot: Any) -> None:
        await open_in_pane(pilot, ticket_id)
        seen.append(thread_text(app))

    drive(app, script)
    text = seen[0]
    assert f"✉ email from {CUSTOMER}" in text
    assert f"✉ email to {CUSTOMER}\n  ✗ failed (3 attempts): 550 5.1.1" in _lines(text)
    assert f"✉ email to {CUSTOMER}\n  ✓ sent\n" in _lines(text)
    assert "✉ email from mailer-daemon@mx.example\n  ↯ bounce\n" in _lines(text)
    assert f"✉ email from {CUSTOMER}\n  ↺ auto-reply\n" in _lines(text)
    assert f"▤ file 1: statement.pdf  {len(PDF)} B  application/pdf" in text
    assert f"▤ file 2: screen.png  {len(PNG)} B  image/png  inline" in text


def test_quoted_history_folds_and_opens_with_z(store: Store, ticket_id: int) -> None:
    app = make_app(store)
    seen: list[str] = []
    footers: list[str] = []

    async def script(pilot: Any) -> None:
        await open_in_pane(pilot, ticket_id)
        seen.append(thread_text(app))
        footers.append(
            " ".join(str(k.description) for k in app.query(ContextFooter).first().children)
        )  # type: ignore[attr-defined]
        await pilot.press("z")
        await settle(pilot)
        seen.append(thread_text(app))
        await pilot.press("z")
        await settle(pilot)
        seen.append(thread_text(app))
        await pilot.press("z")
        await settle(pilot)
        app.open_ticket(ticket_id - 1)  # another ticket opens folded
        await settle(pilot)
        app.open_ticket(ticket_id)
        await settle(pilot)
        seen.append(thread_text(app))

    drive(app, script)
    folded, unfolded, folded_again, reopened = seen
    assert "Here is the statement with both payments." in folded
    assert "▸ quoted history, 3 lines folded (z shows)" in folded
    assert "> Could you send a statement" not in folded
    assert "wrote:" not in folded
    assert "▾ quoted history, 3 lines (z folds)" in unfolded
    assert "> Could you send a statement that shows both payments?" in unfolded
    assert "Baltic Net Support <support@desk.example> wrote:" in unfolded
    assert folded_again == folded
    assert reopened == folded
    assert "Quotes" in footers[0]


def test_the_fold_key_is_in_the_help(store: Store) -> None:
    app = make_app(store)
    rows: list[Any] = []

    async def script(pilot: Any) -> None:
        from csm_console.tui.keys import help_groups

        rows.extend(row for title, group in help_groups(app) if title == "Ticket" for row in group)

    drive(app, script)
    assert any(r.keys == "z" and r.description == "Quotes" for r in rows)


def test_hostile_names_addresses_and_replies_are_shown_inert(store: Store, ticket_id: int) -> None:
    cases = [c["text"].replace("\x00", "")[:200] for c in hostile_cases()]
    for number, case in enumerate(cases):
        add_mail(
            store,
            ticket_id,
            body=f"{case}\n\nOn 16 Nov 2026 10:15, {case[:60]} <x@example.lv> wrote:\n> {case}",
            at=NOW - timedelta(minutes=100 - number),
            mail_id=f"hostile.{number}@example.lv",
            sender=case[:250],
            flags="auto-reply",
            files=(File(case, case[:120] or "x", b"x" * number),),
        )
    add_mail(
        store,
        ticket_id,
        body="reply",
        at=NOW - timedelta(minutes=1),
        author_kind="agent",
        agent="demo",
        outgoing=Outgoing("failed", 2, "\n".join(cases)[:2000]),
    )
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await open_in_pane(pilot, ticket_id)
        assert_safe_output(app, "folded")
        await pilot.press("z")
        await settle(pilot)
        for _ in range(40):  # through the whole thread
            await pilot.press("j")
        await settle(pilot)
        assert_safe_output(app, "unfolded")

    drive(app, script, size=(80, 24))


def test_quotes_are_offered_only_where_a_mail_quotes(store: Store, ticket_id: int) -> None:
    """`z` shows in the footer (at 80 columns too) on a thread with quoted history, and not on
    one without, where it does nothing."""
    app = make_app(store)
    footers: list[str] = []
    unfolded: list[bool] = []

    def footer() -> str:
        return " ".join(str(k.description) for k in app.query_one(ContextFooter).children)  # type: ignore[attr-defined]

    async def script(pilot: Any) -> None:
        await open_in_pane(pilot, ticket_id)
        footers.append(footer())
        await open_in_pane(pilot, 1306)  # a phone ticket: nothing quoted
        footers.append(footer())
        await pilot.press("z")
        await settle(pilot)
        unfolded.append(app.query_one(DetailPane).unfolded)

    drive(app, script, size=(80, 24))
    assert "Quotes" in footers[0]
    assert "Quotes" not in footers[1] and "Reply" in footers[1]
    assert unfolded == [False]


def test_a_ticket_opens_at_the_customers_own_words_not_their_auto_reply(store: Store) -> None:
    """#1136 of the sample ends with the customer's out-of-office: the pane opens at what the
    customer wrote before it."""
    app = make_app(store)
    seen: list[tuple[int, int, int]] = []

    async def script(pilot: Any) -> None:
        await open_in_pane(pilot, 1136)
        await pilot.pause(0.2)
        await settle(pilot)
        pane = app.query_one(DetailPane)
        parts = list(pane.query(".message"))
        assert [m.flags for m in pane._shown_messages][-1] == ("auto-reply",)
        written = parts[2]  # customer, reply, customer (this), reply, auto-reply
        seen.append((pane.scroll_offset.y, pane.size.height, written.virtual_region.y))

    drive(app, script, size=(80, 24))
    top, height, written = seen[0]
    assert height and top <= written < top + height  # its first line is in view
