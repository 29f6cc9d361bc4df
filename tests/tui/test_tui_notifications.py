"""Notifications in the console (tui.notifications): a change written through another store
connection shows as a toast naming the ticket, the bell rings at most once in 10 seconds
(counted with a fake clock, by patching the bell), the `[console] bell` setting turns it off,
the header shows `needs you: N` at 80 columns, `!` filters the queue to `needs:me`, and hostile
text in a notification stays text.  A real second process: processes/test_live_notifications.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from csm_console.config import load_settings
from csm_console.domain.query import Sort, parse_query
from csm_console.domain.text import sanitize
from csm_console.errors import ConfigError
from csm_console.services import ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.services.notifications import Cursor, Notification, NotificationKind, Update
from csm_console.store.engine import Store
from csm_console.tui.app import CsmApp
from tests.conftest import Cli
from tests.hostile import hostile_cases
from tests.tui.test_snapshots import SNAPSHOT_STORE
from tests.tui.test_snapshots import _settled as settled
from tests.tui_support import assert_safe_output, drive, make_app, sample_store, settle


def toasts(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]


def header(app: CsmApp) -> str:
    return str(app.query_one("#app-header").render())


def unassigned_frontline_ticket(store: Store) -> int:
    page = ticket_reads.list_tickets(
        store,
        actor=None,
        query=parse_query("assignee:none team:Frontline tier:L1 status:new,open"),
        sort=Sort.parse("id"),
        limit=1,
    )
    return page.items[0].id


def news(*texts: str, needs: int = 0) -> Update:
    return Update(
        tuple(Notification(NotificationKind.ASSIGNED, 1, text, 1) for text in texts),
        Cursor(after=1),
        needs,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_change_through_another_connection_shows_a_toast_and_rings(tmp_path: Path) -> None:
    store = sample_store(tmp_path / "store.db")
    app = make_app(store, "demo")
    bells: list[int] = []
    app.notifier.ring = lambda: bells.append(1)
    ticket_id = unassigned_frontline_ticket(store)
    other = Store(store.url.render_as_string(hide_password=False))  # another connection

    async def script(pilot: Any) -> None:
        app.notifier.refresh()  # the console's first read: the cursor, the count
        await settle(pilot)
        assert toasts(app) == []
        before = app.notifier.needs_me
        assert before is not None and f"needs you: {before}" in header(app)
        tickets.assign_ticket(
            other, actor=resolve_actor(other, "anna"), ticket_id=ticket_id, to="demo"
        )
        app.notifier.refresh()
        await settle(pilot)
        assert toasts(app) == [f"#{ticket_id} assigned to you by @anna"]
        assert bells == [1]
        assert app.notifier.needs_me == before + 1  # the customer is waiting for demo now
        assert f"needs you: {before + 1}" in header(app)
        app.notifier.refresh()  # nothing new: nothing told twice
        await settle(pilot)
        assert len(toasts(app)) == 1

    try:
        drive(app, script)
    finally:
        other.dispose()
        store.dispose()


def test_the_bell_rings_at_most_once_in_ten_seconds(tmp_path: Path) -> None:
    store = sample_store(tmp_path / "store.db")
    clock = Clock()
    app = make_app(store, "demo")
    app.notifier.clock = clock
    bells: list[float] = []
    app.notifier.ring = lambda: bells.append(clock.now)

    async def script(pilot: Any) -> None:
        for at, update in (
            (0.0, news("#1 a", "#2 b", "#3 c")),  # three at once: one bell
            (4.0, news("#4 d")),
            (9.9, news("#5 e")),
            (10.0, news("#6 f")),
            (12.0, news()),  # nothing new: no bell
            (25.0, news("#7 g")),
        ):
            clock.now = at
            app.notifier.arrived(update)
        await pilot.pause()
        assert bells == [0.0, 10.0, 25.0]
        assert len(toasts(app)) == 7

    drive(app, script)
    store.dispose()


def test_the_bell_setting_turns_it_off(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[console]\nbell = false\n", encoding="utf-8")
    settings = load_settings(config_file=config, env={})
    assert settings.bell is False and settings.sources["bell"].startswith("config file")
    assert load_settings(config_file=None, env={"CSM_CONFIG_FILE": ""}).bell is True
    store = sample_store(tmp_path / "store.db")
    app = make_app(store, "demo", settings=replace(settings, keymap={}))
    bells: list[int] = []
    app.notifier.ring = lambda: bells.append(1)

    async def script(pilot: Any) -> None:
        app.notifier.arrived(news("#1 a"))
        await pilot.pause()
        assert toasts(app) == ["#1 a"] and bells == []

    drive(app, script)
    store.dispose()


def test_config_show_lists_the_bell(cli: Cli, tmp_path: Path) -> None:
    import json

    config = tmp_path / "config.toml"
    config.write_text("[console]\nbell = false\n", encoding="utf-8")
    shown = json.loads(
        cli("config", "show", "--format", "json", env={"CSM_CONFIG_FILE": str(config)}).stdout
    )
    assert shown["console.bell"]["value"] == "false"
    assert shown["console.bell"]["source"].startswith("config file")
    default = json.loads(cli("config", "show", "--format", "json").stdout)
    assert default["console.bell"] == {"value": "true", "source": "default"}


def test_a_bad_console_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[console]\nbell = "loud"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"console\.bell"):
        load_settings(config_file=config, env={})
    config.write_text("[console]\nbeep = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"console\.beep"):
        load_settings(config_file=config, env={})


def test_the_header_count_fits_80_columns(tmp_path: Path) -> None:
    store = sample_store(tmp_path / "store.db")
    app = make_app(store, "demo")

    async def script(pilot: Any) -> None:
        app.notifier.arrived(news(needs=1234))
        await pilot.pause()
        line = header(app)
        assert "needs you: 1234" in line
        assert line.index("needs you: 1234") + len("needs you: 1234") < 80
        app.notifier.arrived(news(needs=10_000))  # as many as a read counts: maybe more
        await pilot.pause()
        assert "needs you: 10000+" in header(app)

    drive(app, script, size=(80, 24))
    store.dispose()


def test_needs_me_key_filters_the_queue(tmp_path: Path) -> None:
    store = sample_store(tmp_path / "store.db")
    app = make_app(store, "demo")

    async def script(pilot: Any) -> None:
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert app.queue.filter_text == "needs:me"
        expected = ticket_reads.count_tickets(
            store, actor=app.actor, query=parse_query("needs:me"), now=app.clock()
        )
        assert expected > 0 and app.queue.total == expected
        await pilot.press("exclamation_mark")  # again: the filter goes
        await settle(pilot)
        assert app.queue.filter_text == ""
        assert app.queue.total is not None and app.queue.total > expected

    drive(app, script)
    store.dispose()


def test_hostile_notification_text_stays_text(tmp_path: Path) -> None:
    store = sample_store(tmp_path / "store.db")
    app = make_app(store, "demo")
    texts = [case["text"] for case in hostile_cases()]

    async def script(pilot: Any) -> None:
        for text in texts:  # as the service never gives it: unsanitised
            app.notifier.arrived(news(text[:200]))
            await pilot.pause()
            assert_safe_output(app, text)
        assert toasts(app)[:1] == [sanitize(texts[0][:200], single_line=True)]

    drive(app, script)
    store.dispose()


@pytest.fixture
def snapshot_store() -> Iterator[Store]:
    """The snapshots' store at their fixed path (the header shows it)."""
    SNAPSHOT_STORE.parent.mkdir(parents=True, exist_ok=True)
    store = sample_store(SNAPSHOT_STORE)
    yield store
    store.dispose()


def test_snapshot_notifications_at_80x24(snap_compare: Any, snapshot_store: Store) -> None:
    """Two notifications and the header's count, as a live refresh shows them."""
    told = Update(
        (
            Notification(NotificationKind.ASSIGNED, 1148, "#1148 assigned to you by @anna", 7),
            Notification(NotificationKind.AT_RISK, 1201, "#1201 at risk: first response in 12m"),
        ),
        Cursor(after=7),
        3,
    )

    async def notified(pilot: Any) -> None:
        await settled(pilot)
        pilot.app.notifier.ring = lambda: None
        pilot.app.notifier.arrived(told)
        await settle(pilot)
        await pilot.pause(0.2)

    app = make_app(snapshot_store, "demo")
    assert snap_compare(app, terminal_size=(80, 24), run_before=notified)
