"""Writing first from the console (`N`, issue 15): the agent opens an e-mail ticket by writing
to a customer; it is queued in the outbox from the chosen mailbox and waits for the customer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from textual.widgets._footer import FooterKey

from csm_console.store.engine import Store
from csm_console.store.models import Message, OutgoingMail, Ticket
from csm_console.tui.screens import ConfirmScreen
from csm_console.tui.write_first import WriteFirstScreen
from tests.smtp_support import with_mail
from tests.tui_support import FORBIDDEN_OUTPUT, drive, make_app, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = with_mail(sample_store(tmp_path / "tui.db"))
    yield store
    store.dispose()


@pytest.fixture
def bare_store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "bare.db")  # no [[mailboxes]]
    yield store
    store.dispose()


def footer(app: Any) -> list[tuple[str, str]]:
    return [(k.key_display, k.description) for k in app.screen.query(FooterKey)]


def counts(store: Store) -> tuple[int, int, int]:
    with store.read() as session:
        return (
            session.execute(select(func.count()).select_from(Ticket)).scalar_one(),
            session.execute(select(func.count()).select_from(Message)).scalar_one(),
            session.execute(select(func.count()).select_from(OutgoingMail)).scalar_one(),
        )


async def fill(pilot: Any, email: str, name: str, subject: str, body: str) -> None:
    """Type into the dialog's fields, from the address to the message."""
    for value in (email, name, subject):
        if value:
            await pilot.press(*value)
        await pilot.press("tab")
    await pilot.press("tab")  # past the mailbox list (two are configured)
    await pilot.press(*body)


def test_write_first_sends_a_new_ticket(store: Store) -> None:
    app = make_app(store)
    before = counts(store)

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert app.screen.focused is not None and app.screen.focused.id == "write-email"
        await fill(pilot, "new.customer@example.net", "Ada", "Your order", "Hello Ada")
        # the second mailbox
        app.screen.query_one("#write-mailbox").highlighted = 1  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, WriteFirstScreen)
        assert app.detail is not None
        ticket_id = app.detail.ticket.id
        assert app.detail.ticket.customer_email == "new.customer@example.net"
        shown = [n.message for n in app._notifications]
        assert f"#{ticket_id} written to Ada <new.customer@example.net>: queued" in shown
        with store.read() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            assert (ticket.channel, ticket.status, ticket.mailbox) == ("email", "pending", "sales")
            queued = session.execute(
                select(OutgoingMail).where(col(OutgoingMail.ticket_id) == ticket_id)
            ).scalar_one()
            assert (queued.kind, queued.state, queued.mailbox) == ("proactive", "queued", "sales")
            assert queued.recipient == "new.customer@example.net"
            assert "Your order" in queued.subject
        assert counts(store) == (before[0] + 1, before[1] + 1, before[2] + 1)

    drive(app, script)


def test_cancel_changes_nothing(store: Store) -> None:
    app = make_app(store)
    before = counts(store)

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert not isinstance(app.screen, WriteFirstScreen)
        await pilot.press("N")
        await settle(pilot)
        await pilot.press(*"someone@example.net")
        await pilot.press("escape")  # something typed: asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert app.screen.typed().email == "someone@example.net"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, (WriteFirstScreen, ConfirmScreen))

    drive(app, script)
    assert counts(store) == before


def test_no_mailbox_shows_the_error_and_keeps_the_text(bare_store: Store) -> None:
    app = make_app(bare_store)
    before = counts(bare_store)

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert not app.screen.query("#write-mailbox")  # none to choose from
        for value in ("someone@example.net", "", "Hello"):
            await pilot.press(*value, "tab")
        await pilot.press(*"The text I typed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        typed = app.screen.typed()
        assert (typed.email, typed.subject, typed.body) == (
            "someone@example.net",
            "Hello",
            "The text I typed",
        )
        error = str(app.screen.query_one("#write-error").render())
        assert "no [[mailboxes]]" in error
        assert any("no [[mailboxes]]" in n.message for n in app._notifications)

    drive(app, script)
    assert counts(bare_store) == before


def test_a_bad_address_is_refused_and_kept(store: Store) -> None:
    app = make_app(store)
    before = counts(store)

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        await fill(pilot, "not an address", "", "Hello", "Text")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert app.screen.typed().email == "not an address"
        assert str(app.screen.query_one("#write-error").render()).strip()

    drive(app, script)
    assert counts(store) == before


def test_hostile_input_is_shown_sanitised(store: Store) -> None:
    app = make_app(store)
    hostile = "Evil\x1b[2J\x07\u202e[bold]Name"

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WriteFirstScreen)
        # pasted, as a paste would arrive (typing cannot send control characters)
        screen.query_one("#write-email").value = "evil@example.net"  # type: ignore[attr-defined]
        screen.query_one("#write-name").value = hostile  # type: ignore[attr-defined]
        screen.query_one("#write-subject").value = "Hi\x1b]52;c;AAAA\x07"  # type: ignore[attr-defined]
        screen.query_one("#write-body").insert("Body \x1b[2J text")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.detail is not None
        written = [n.message for n in app._notifications if "written to" in n.message]
        assert len(written) == 1
        assert "evil@example.net" in written[0]
        assert "[bold]Name" in written[0]  # shown literally, never as markup
        for bad in FORBIDDEN_OUTPUT:
            assert bad not in written[0]

    drive(app, script)


def test_markup_in_a_refused_address_is_shown_as_typed(store: Store) -> None:
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("N")
        await settle(pilot)
        await fill(pilot, "[/b][red]x", "", "Hello", "Text")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert "[/b][red]x" in str(app.screen.query_one("#write-error").render())
        # the refusal names the address: as text, never as markup (`[/b]` would not parse)
        refusals = [n for n in app._notifications if "[/b][red]x" in n.message]
        assert refusals and not any(n.markup for n in refusals)

    drive(app, script)


def test_the_footer_offers_it_in_the_queue_where_it_fits(store: Store) -> None:
    """In the queue's footer on a wide terminal, in the dialog's footer send and cancel; in a
    text box `N` types."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        assert ("N", "Write to customer") in footer(app)
        await pilot.press("N")
        await settle(pilot)
        assert footer(app)[:2] == [("^s", "Send"), ("esc", "Cancel")]
        await pilot.press(*"NN")  # typed into the address, not a second dialog
        await settle(pilot)
        assert isinstance(app.screen, WriteFirstScreen)
        assert app.screen.typed().email == "NN"
        assert len(app.screen_stack) == 2

    drive(app, script, size=(220, 40))
