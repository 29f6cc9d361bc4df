"""The admin's dashboard shows when the audit chain was last verified, and what was found; a
lead's does not (the chain is the admins' to watch).  Through Textual's Pilot, on the sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import text
from textual.widgets import Static

from csm_console.services import audit
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.tui.dashboard import DashboardScreen
from tests.tui_support import drive, make_app, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = sample_store(tmp_path / "dashboard.db")
    yield store
    store.dispose()


def _policies_text(app: Any) -> str:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.query_one("#dash-policies", Static).content)
    return console.export_text()


def test_the_admins_dashboard_says_when_the_chain_was_verified(store: Store) -> None:
    app = make_app(store, "admin")
    seen: list[str] = []
    rows: list[int] = []

    async def script(pilot: Any) -> None:
        await pilot.press("D")
        await settle(pilot)
        seen.append(_policies_text(pilot.app))
        report = audit.verify(store, actor=resolve_actor(store, "admin"))
        assert report.intact
        rows.append(report.rows)
        await pilot.press("r")
        await settle(pilot)
        seen.append(_policies_text(pilot.app))
        with store.engine.begin() as conn:  # what an earlier run found
            conn.execute(
                text("UPDATE store_info SET value = :v WHERE key = :k"),
                {"v": "2026-11-20T09:00:00+00:00 12 broken at #7\x1b[2J", "k": audit.VERIFIED_KEY},
            )
        await pilot.press("r")
        await settle(pilot)
        seen.append(_policies_text(pilot.app))

    drive(app, script)
    never, intact, broken = seen
    assert "audit chain  · never verified: run csm audit verify as an admin" in never
    assert f"✔ intact ({rows[0]} rows) when verified" in intact
    assert "✖ broken at #7 when verified 20 Nov 2026 09:00 UTC" in broken
    assert "\x1b" not in broken


def test_a_leads_dashboard_has_no_audit_line(store: Store) -> None:
    app = make_app(store, "anna")
    seen: list[str] = []

    async def script(pilot: Any) -> None:
        await pilot.press("D")
        await settle(pilot)
        seen.append(_policies_text(pilot.app))

    drive(app, script)
    assert "audit chain" not in seen[0]
