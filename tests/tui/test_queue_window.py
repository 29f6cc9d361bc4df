"""The queue's window: pages in both directions with keyset cursors, never every ticket."""

from __future__ import annotations

import pytest

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.query import Query, Sort
from csm_console.services import setup, ticket_reads
from csm_console.store.engine import Store
from csm_console.tui import queue_window
from csm_console.tui.queue_window import FetchPlan, QueueWindow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('window') / 'w.db'}")
    setup.initialize(store)
    generate_tickets(store, count=1200, seed=3)
    return store


def fetch(store: Store, plan: FetchPlan, size: int = 100):  # type: ignore[no-untyped-def]
    return ticket_reads.list_tickets(
        store, actor=None, query=Query(), sort=plan.sort, cursor=plan.cursor, limit=size
    )


def everything(store: Store, sort: Sort) -> list[int]:
    return [r.id for r in ticket_reads.iter_tickets(store, actor=None, query=Query(), sort=sort)]


@pytest.mark.parametrize("sort", ["sla", "-updated", "priority", "id"])
def test_walk_down_from_the_top_and_up_from_the_bottom(store: Store, sort: str) -> None:
    order = Sort.parse(sort)
    expected = everything(store, order)
    window = QueueWindow(order)
    plan = window.plan_top()
    window.reset(plan, fetch(store, plan))
    while (plan := window.plan_after()) is not None:
        window.extend(plan, fetch(store, plan))
    assert [r.id for r in window.rows] == expected

    bottom = QueueWindow(order)
    plan = bottom.plan_bottom()
    bottom.reset(plan, fetch(store, plan), total=len(expected))
    assert [r.id for r in bottom.rows] == expected[-100:]
    assert bottom.offset == len(expected) - 100 and bottom.more_before and not bottom.more_after
    while (plan := bottom.plan_before()) is not None:
        added = bottom.extend(plan, fetch(store, plan))
        assert added > 0
    assert [r.id for r in bottom.rows] == expected
    assert bottom.offset == 0


def test_trim_keeps_the_window_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_window, "MAX_ROWS", 250)
    order = Sort.parse("sla")
    expected = everything(store, order)
    window = QueueWindow(order)
    plan = window.plan_top()
    window.reset(plan, fetch(store, plan))
    for _ in range(5):
        plan = window.plan_after()
        assert plan is not None
        window.extend(plan, fetch(store, plan))
        dropped = window.trim(keep_index=len(window.rows) - 1)
        assert len(window.rows) <= 250
        assert dropped >= 0
    first = window.offset
    assert first is not None and [r.id for r in window.rows] == expected[first : first + 250]
    plan = window.plan_before()
    assert plan is not None  # dropped rows can be read back
    window.extend(plan, fetch(store, plan))
    assert [r.id for r in window.rows] == expected[window.offset : window.offset + len(window.rows)]
