"""Whom an agent may assign tickets to, asked before anything is confirmed (issue 16, item 10),
on real stores; every target offered is one the write accepts."""

from __future__ import annotations

from datetime import timedelta

from csm_console.services import assignment
from csm_console.services import tickets as svc
from tests.conftest import NOW, Desk


def new_ticket(desk: Desk, subject: str = "Router is down") -> int:
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject=subject,
        body="It blinks red since morning.",
        now=NOW - timedelta(minutes=5),
    ).id


def handles(found: assignment.AssignTargets) -> list[str]:
    return [a.handle for a in found.agents]


def test_an_operator_may_only_take_or_release(desk: Desk) -> None:
    mine, free, ivans = new_ticket(desk), new_ticket(desk), new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=mine, to="olga")
    svc.assign_ticket(desk.store, actor=desk.ivan, ticket_id=ivans, to="ivan")
    found = assignment.assign_targets(
        desk.store, actor=desk.olga, ticket_ids=[mine, free, ivans, 999]
    )
    assert found.ticket_ids == (mine, free)
    assert handles(found) == ["olga"]  # taking: giving away needs a lead
    assert found.unassign
    refused = dict(found.refused)
    assert set(refused) == {ivans, 999}
    assert "assigned to ivan" in refused[ivans] and "not found" in refused[999]
    row = svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=free, to="olga")
    assert row.assignee == "olga"


def test_nothing_assignable_says_why(desk: Desk) -> None:
    ivans = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.ivan, ticket_id=ivans, to="ivan")
    found = assignment.assign_targets(desk.store, actor=desk.olga, ticket_ids=[ivans])
    assert found.ticket_ids == () and found.agents == () and not found.unassign
    assert found.refused[0][0] == ivans


def test_a_lead_gets_the_active_agents_of_the_team_and_tier(desk: Desk) -> None:
    first, second = new_ticket(desk), new_ticket(desk)
    found = assignment.assign_targets(desk.store, actor=desk.anna, ticket_ids=[first, second])
    assert found.ticket_ids == (first, second) and not found.refused
    offered = handles(found)
    # Frontline L1 agents who are active (not gone); not rita (another team), not petr (L2)
    assert {"olga", "ivan", "anna"} <= set(offered)
    assert not {"gone", "rita", "petr", "boris"} & set(offered)
    for handle in offered:
        svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=first, to=handle)


def test_an_admin_gets_every_active_agent_who_may_hold_the_ticket(desk: Desk) -> None:
    ticket = new_ticket(desk)
    found = assignment.assign_targets(desk.store, actor=desk.root, ticket_ids=[ticket])
    assert set(handles(found)) == {"olga", "ivan", "anna", "rita", "root"}
