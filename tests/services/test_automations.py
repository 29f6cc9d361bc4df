"""Automations on both stores: saving them checked, running them in order, once per ticket per
condition (and again after the ticket stopped matching), the `max` stop acting on nothing, a
ticket an action cannot apply to skipped with its reason, and `test` writing nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from csm_console.domain.model import Priority, Status
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import automations
from csm_console.services import tickets as svc
from csm_console.services.ticket_reads import get_ticket
from csm_console.store.models import AuditEvent, AutomationFiring, metadata
from tests.conftest import NOW, Desk


def new_ticket(desk: Desk, priority: Priority = Priority.HIGH, subject: str = "Router") -> int:
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject=subject,
        body="It blinks red.",
        priority=priority,
        now=NOW - timedelta(hours=1),
    ).id


def add(desk: Desk, name: str, condition: str, *actions: str, **kw: object) -> None:
    automations.add_automation(
        desk.store,
        actor=desk.root,
        name=name,
        condition=condition,
        actions=list(actions),
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def tag_events(desk: Desk, ticket_id: int, tag: str) -> int:
    with desk.store.read() as session:
        return int(
            session.execute(
                select(func.count()).where(
                    col(AuditEvent.ticket_id) == ticket_id,
                    col(AuditEvent.action) == "tag",
                    col(AuditEvent.new_value) == tag,
                )
            ).scalar_one()
        )


def test_fires_once_per_ticket_and_again_after_it_stopped_matching(desk: Desk) -> None:
    hot = new_ticket(desk)
    calm = new_ticket(desk, Priority.NORMAL)
    add(desk, "flag hot", "priority:high -status:solved,closed", "tag+=hot", "notify=Hot one")
    first = automations.run(desk.store, now=NOW)
    assert first.runs[0].acted == (hot,) and first.acted == 1
    assert "hot" in get_ticket(desk.store, ticket_id=hot).ticket.tags
    assert "hot" not in get_ticket(desk.store, ticket_id=calm).ticket.tags
    # the tag removed by hand: the ticket still matches, so it is not tagged again
    svc.tag_ticket(desk.store, actor=desk.olga, ticket_id=hot, remove=["hot"])
    for minute in (1, 2):
        again = automations.run(desk.store, now=NOW + timedelta(minutes=minute))
        assert again.runs[0].acted == () and again.runs[0].matched == 0
    assert tag_events(desk, hot, "hot") == 1
    # it stops matching (re-armed), then matches again: acted on again
    svc.change_priority(desk.store, actor=desk.olga, ticket_id=hot, priority=Priority.NORMAL)
    rearm = automations.run(desk.store, now=NOW + timedelta(minutes=3))
    assert rearm.runs[0].rearmed == 1 and rearm.runs[0].acted == ()
    svc.change_priority(desk.store, actor=desk.olga, ticket_id=hot, priority=Priority.HIGH)
    last = automations.run(desk.store, now=NOW + timedelta(minutes=4))
    assert last.runs[0].acted == (hot,)
    assert tag_events(desk, hot, "hot") == 2
    with desk.store.read() as session:
        audit = (
            session.execute(
                select(AuditEvent).where(
                    col(AuditEvent.ticket_id) == hot, col(AuditEvent.action) == "automation"
                )
            )
            .scalars()
            .all()
        )
        assert [a.new_value for a in audit] == ["flag hot: tag+=hot, notify=Hot one"] * 2
        assert all(a.actor_id is None and (a.batch_id or "").startswith("auto-") for a in audit)


def test_run_in_position_order(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    add(desk, "second", "priority:high", "note=second")
    add(desk, "first", "priority:high", "note=first", position=1)
    assert [a.name for a in automations.list_automations(desk.store)] == ["first", "second"]
    report = automations.run(desk.store, now=NOW)
    assert [r.name for r in report.runs] == ["first", "second"]
    thread = get_ticket(desk.store, ticket_id=ticket_id).messages
    assert [m.body for m in thread if m.internal] == ["first", "second"]


def test_more_than_max_acts_on_none_and_says_so(desk: Desk) -> None:
    ids = [new_ticket(desk) for _ in range(3)]
    add(desk, "bulk", "priority:high", "priority=urgent", max_tickets=2)
    report = automations.run(desk.store, now=NOW)
    outcome = report.runs[0]
    assert outcome.acted == () and outcome.stopped and "3 tickets match" in outcome.stopped
    assert all(get_ticket(desk.store, ticket_id=i).ticket.priority is Priority.HIGH for i in ids)
    shown = automations.get_automation(desk.store, name="bulk")
    assert shown.last_run and shown.last_run.startswith("stopped: 3 tickets match")
    with desk.store.read() as session:
        assert session.execute(select(func.count()).select_from(AutomationFiring)).scalar() == 0


def test_a_ticket_an_action_cannot_apply_to_is_skipped_with_its_reason(desk: Desk) -> None:
    fresh = new_ticket(desk, subject="new one")
    solved = new_ticket(desk, subject="solved one")
    svc.change_status(desk.store, actor=desk.olga, ticket_id=solved, status=Status.SOLVED)
    add(desk, "close", "priority:high", "status=closed")
    outcome = automations.run(desk.store, now=NOW).runs[0]
    assert outcome.acted == (solved,)
    assert [s.ticket_id for s in outcome.skipped] == [fresh]
    assert "closed" in outcome.skipped[0].reason
    assert get_ticket(desk.store, ticket_id=fresh).ticket.status is Status.NEW
    assert get_ticket(desk.store, ticket_id=solved).ticket.status is Status.CLOSED
    listed = automations.get_automation(desk.store, name="close")
    assert listed.last_run == "acted on 1, skipped 1"


def _counts(desk: Desk) -> dict[str, int]:
    with desk.store.read() as session:
        return {
            t.name: int(session.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one())
            for t in metadata.sorted_tables
        }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_test_shows_the_changes_and_writes_nothing(desk: Desk) -> None:
    hot = new_ticket(desk)
    new_ticket(desk, Priority.NORMAL)
    add(desk, "urgent", "priority:high", "priority=urgent", "tag+=vip", "note=Looked at")
    before = _counts(desk)
    sqlite_file = Path(str(desk.store.url.database)) if desk.store.is_sqlite else None
    if sqlite_file is not None:
        desk.store.dispose()
        file_before = _digest(sqlite_file)
    found = automations.test(desk.store, name="urgent", now=NOW)
    assert found.matched == 1 and not found.stopped
    [would] = found.tickets
    assert would.ticket_id == hot and would.reason is None
    assert {(c.field, c.old, c.new) for c in would.changes} >= {
        ("priority", "high", "urgent"),
        ("tags", None, "vip"),
        ("note", None, "Looked at"),
    }
    adhoc = automations.test(desk.store, condition="priority:normal", actions=["status=closed"])
    assert adhoc.matched == 1 and adhoc.tickets[0].reason  # new -> closed: would be skipped
    if sqlite_file is not None:
        desk.store.dispose()
        assert _digest(sqlite_file) == file_before
    assert _counts(desk) == before
    assert get_ticket(desk.store, ticket_id=hot).ticket.priority is Priority.HIGH


def test_saving_is_checked_and_a_refusal_saves_nothing(desk: Desk) -> None:
    cases = {
        "status:bogus": ["tag+=x"],
        "priority:high": ["frobnicate=1"],
        "": ["tag+=x"],
        "priority:high ": [],
        "priority:high  ": ["team=Nowhere"],
        "priority:high   ": ["assignee=@gone"],
        "priority:high    ": ["reply=no-such-template"],
    }
    for condition, actions in cases.items():
        with pytest.raises(UsageError, match="is refused"):
            add(desk, "bad", condition, *actions)
    with pytest.raises(UsageError, match="max"):
        add(desk, "bad", "priority:high", "tag+=x", max_tickets=0)
    with pytest.raises(PermissionDenied):
        automations.add_automation(
            desk.store, actor=desk.olga, name="mine", condition="priority:high", actions=["tag+=x"]
        )
    add(desk, "ok", "priority:high", "tag+=x")
    with pytest.raises(UsageError, match="exists already"):
        add(desk, "ok", "priority:low", "tag+=y")
    assert [a.name for a in automations.list_automations(desk.store)] == ["ok"]


def test_enable_disable_remove(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    add(desk, "flag", "priority:high", "tag+=flagged", enabled=False)
    assert automations.run(desk.store, now=NOW).runs == ()
    assert automations.set_enabled(desk.store, actor=desk.anna, name="flag", enabled=True)
    assert not automations.set_enabled(desk.store, actor=desk.anna, name="flag", enabled=True)
    assert automations.run(desk.store, now=NOW).runs[0].acted == (ticket_id,)
    automations.remove_automation(desk.store, actor=desk.anna, name="flag")
    assert automations.list_automations(desk.store) == []
    with desk.store.read() as session:
        assert session.execute(select(func.count()).select_from(AutomationFiring)).scalar() == 0
    with pytest.raises(NotFound):
        automations.remove_automation(desk.store, actor=desk.anna, name="flag")
    with pytest.raises(PermissionDenied):
        automations.set_enabled(desk.store, actor=desk.olga, name="x", enabled=False)


def test_a_lead_automates_only_their_own_team(desk: Desk) -> None:
    """A lead's automation must name their own team alone in its condition, and sends tickets
    only where their routing rules may; an admin's may do anything."""

    def lead_adds(name: str, condition: str, *actions: str) -> None:
        automations.add_automation(
            desk.store, actor=desk.anna, name=name, condition=condition, actions=list(actions)
        )

    for condition in ("priority:high", "team:Technical", "team:Frontline,Technical",
                      "-team:Technical", "team:none"):  # fmt: skip
        with pytest.raises(PermissionDenied, match="own team"):
            lead_adds("wide", condition, "tag+=x")
    with pytest.raises(PermissionDenied, match="outside team"):
        lead_adds("to rita", "team:Frontline", "assignee=@rita")
    with pytest.raises(PermissionDenied, match="may not route tickets to team"):
        lead_adds("sideways", "team:Frontline", "team=Frontline South")
    lead_adds("mine", "team:frontline priority:high", "tag+=x", "assignee=least-loaded")
    lead_adds("up", "team:Frontline tier:L1 priority:urgent", "team=Technical")  # escalation
    add(desk, "anywhere", "priority:high", "team=Frontline South")  # the admin
    assert [a.name for a in automations.list_automations(desk.store)] == [
        "mine",
        "up",
        "anywhere",
    ]
