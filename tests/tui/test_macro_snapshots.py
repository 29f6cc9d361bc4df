"""SVG snapshot of the macro picker (`m`) at 80x24, on the sample store.  Update with
--snapshot-update after a deliberate change, and look at the report it writes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from csm_console.store.engine import Store
from tests.tui.test_snapshots import _settled
from tests.tui_support import make_app, sample_store, settle

# A fixed path of its own: the header shows the store, and the snapshot must not change with
# tmp names (nor with another snapshot run that uses test_snapshots' store at the same time).
SNAPSHOT_STORE = Path(tempfile.gettempdir()) / "csm-snapshots" / "macros.db"


@pytest.fixture
def store() -> Iterator[Store]:
    SNAPSHOT_STORE.parent.mkdir(parents=True, exist_ok=True)
    store = sample_store(SNAPSHOT_STORE)
    yield store
    store.dispose()


def test_macro_picker_at_80x24(snap_compare: Any, store: Store) -> None:
    """The open ticket's macros: one per name in the customer's language, what each does."""

    async def pick_macro(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False  # the same picture every time (it failed on the blink)
        await _settled(pilot)

    assert snap_compare(make_app(store), terminal_size=(80, 24), run_before=pick_macro)
