"""SVG snapshots of the main screens (pytest-textual-snapshot).  Update with --snapshot-update
after a deliberate change, and look at the report it writes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from csm_console.store.engine import Store
from csm_console.tui.queue_pane import QueuePane
from tests.tui_support import make_app, sample_store, settle

# A fixed path: the header shows the store, and the snapshot must not change with tmp names.
SNAPSHOT_STORE = Path(tempfile.gettempdir()) / "csm-snapshots" / "store.db"


@pytest.fixture
def store() -> Iterator[Store]:
    SNAPSHOT_STORE.parent.mkdir(parents=True, exist_ok=True)
    store = sample_store(SNAPSHOT_STORE)
    yield store
    store.dispose()


async def _settled(pilot: Any) -> None:
    await settle(pilot)
    await pilot.pause(0.2)  # lists size their scrollbars a frame after their options arrive
    await settle(pilot)
    await _counted(pilot)


async def _counted(pilot: Any) -> None:
    """The queue's count comes from a worker of its own, started when the first page arrives; on
    a loaded machine it can come after the console looks idle (the status line then says
    `row 1 of …`): wait for it."""
    for _ in range(200):
        if all(pane.total is not None for pane in pilot.app.query(QueuePane)):
            break
        await pilot.pause(0.05)
    await settle(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_main_screen(snap_compare: Any, store: Store, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(store), terminal_size=size, run_before=_settled)


def test_ticket_detail_at_80x24(snap_compare: Any, store: Store) -> None:
    async def open_detail(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await _settled(pilot)

    assert snap_compare(make_app(store), terminal_size=(80, 24), run_before=open_detail)


def test_composer_at_80x24(snap_compare: Any, store: Store) -> None:
    """Writing a reply: the footer and the pane's hint offer only keys that work in the
    composer (chords, escape, f1); the ticket, at the customer's newest message, shows above
    the composer."""

    async def compose_reply(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.reply_pane.composer.cursor_blink = False  # the same picture every time
        await pilot.press("r", *"Hello")
        await _settled(pilot)

    assert snap_compare(make_app(store), terminal_size=(80, 24), run_before=compose_reply)


def test_help_screen(snap_compare: Any, store: Store) -> None:
    async def open_help(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await _settled(pilot)

    assert snap_compare(make_app(store), terminal_size=(120, 40), run_before=open_help)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_dashboard(snap_compare: Any, store: Store, size: tuple[int, int]) -> None:
    """The lead's dashboard on the sample (its clock pinned): tiles, charts, the agents."""

    async def open_dashboard(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("D")
        await _settled(pilot)

    assert snap_compare(make_app(store, "anna"), terminal_size=size, run_before=open_dashboard)


# The e-mail tickets of the sample (scripts/sample_source/mail.yaml): a file and quoted history,
# an out-of-office, a reply that failed and its bounce.
MAIL_WITH_FILE = 1223  # "Service suspended — invoice is paid!"
MAIL_AUTO_REPLY = 1136  # "Static IP address for home"
MAIL_FAILED = 1305  # "Роутер не включается — ни одной лампочки"


def _open_mail(ticket_id: int, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_ticket(ticket_id)
        await settle(pilot)
        await pilot.press("2", *keys)  # the ticket pane, focused: its keys in the footer
        await _settled(pilot)

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_mail_ticket_with_a_file(snap_compare: Any, store: Store, size: tuple[int, int]) -> None:
    """Sender and channel on each mail, our replies `✓ sent`, the customer's file, and the
    quoted history folded (`▸ quoted history, N lines folded (z shows)`)."""
    app = make_app(store)
    assert snap_compare(app, terminal_size=size, run_before=_open_mail(MAIL_WITH_FILE))


def test_mail_quotes_unfolded_at_80x24(snap_compare: Any, store: Store) -> None:
    """The same ticket after `z`: the quoted history shows, dim and indented."""
    app = make_app(store)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_mail(MAIL_WITH_FILE, "z"))


def test_mail_auto_reply(snap_compare: Any, store: Store) -> None:
    """An out-of-office after our reply: `↺ auto-reply`, its text dim (the ticket opens at the
    customer's own words above it: `end` scrolls down to it)."""
    app = make_app(store)
    opened = _open_mail(MAIL_AUTO_REPLY, "end")
    assert snap_compare(app, terminal_size=(120, 40), run_before=opened)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_mail_failed_reply(snap_compare: Any, store: Store, size: tuple[int, int]) -> None:
    """A reply the customer's server refused: `✗ failed (1 attempt): 552 …`, and the bounce
    that reported it: `↯ bounce`."""
    app = make_app(store)
    down = ("j",) * (9 if size == (120, 40) else 0)  # the reply below the customer's message
    assert snap_compare(app, terminal_size=size, run_before=_open_mail(MAIL_FAILED, *down))


def test_write_first_dialog_at_80x24(snap_compare: Any, store: Store) -> None:
    """Writing to a customer (`N`): address, name, subject, the mailbox (two configured), the
    message, and the dialog's keys in its footer."""
    from textual.widgets import Input, TextArea

    from tests.smtp_support import with_mail

    async def write(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        for box in (*pilot.app.screen.query(Input), *pilot.app.screen.query(TextArea)):
            box.cursor_blink = False  # the same picture every time
        await pilot.press(*"mara@example.lv", "tab", *"Mara", "tab", *"Your router", "tab")
        await pilot.press("tab", *"We noticed your router dropped off the network tonight.")
        await _settled(pilot)

    app = make_app(with_mail(store))
    assert snap_compare(app, terminal_size=(80, 24), run_before=write)
