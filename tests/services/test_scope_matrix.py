"""One scope for ticket work, on both stores: every action (reply, note, hold, solve, close, rate,
re-prioritise, tag, take, escalate) by every role and tier on tickets of every placement (own,
unassigned or someone else's; own team, another team of the same tier, another tier's team).
The expectation is written out here on its own, not computed by the rule under test.  Routing
rules obey the same scope: a lead routes within the team, or on to an escalation target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.rights import Actor
from csm_console.domain.routing import RoutingRule, RuleActions
from csm_console.errors import PermissionDenied
from csm_console.services import routing, ticket_reads, tickets
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk

TEAM_TIER = {"Frontline": Tier.L1, "Frontline South": Tier.L1, "Technical": Tier.L2}
# who holds an assigned ticket of each team in the placements below (someone not acting)
HOLDER = {"Frontline": "ivan", "Frontline South": "rita", "Technical": "petr"}
# the actors: (role, tier, team) is what the expectation reads
WHO = {
    "olga": ("operator", "Frontline"),
    "anna": ("lead", "Frontline"),
    "petr": ("operator", "Technical"),
    "boris": ("lead", "Technical"),
    "root": ("admin", "Experts"),
}
# (team of the ticket, assignee: None, "other" or "own")
PLACEMENTS = [(team, holder) for team in TEAM_TIER for holder in (None, "other")] + [("own", "own")]


def expected(actor: str, team: str, holder: str | None) -> bool:
    role, actor_team = WHO[actor]
    if role == "admin" or holder == "own":
        return True
    if role == "lead":
        return team == actor_team
    return holder is None and team == actor_team


Action = Callable[[Store, Actor, int], Any]


def _status(status: Status) -> Action:
    return lambda s, a, t: tickets.change_status(s, actor=a, ticket_id=t, status=status)


ACTIONS: dict[str, tuple[Action, bool]] = {  # name: (the action, needs a solved ticket)
    "reply": (lambda s, a, t: tickets.reply(s, actor=a, ticket_id=t, body="Hello"), False),
    "note": (lambda s, a, t: tickets.add_note(s, actor=a, ticket_id=t, body="n"), False),
    "hold": (_status(Status.ON_HOLD), False),
    "solve": (_status(Status.SOLVED), False),
    "close": (_status(Status.CLOSED), True),
    "rate": (lambda s, a, t: tickets.record_csat(s, actor=a, ticket_id=t, score=5), True),
    "priority": (
        lambda s, a, t: tickets.change_priority(s, actor=a, ticket_id=t, priority=Priority.URGENT),
        False,
    ),
    "tag": (lambda s, a, t: tickets.tag_ticket(s, actor=a, ticket_id=t, add=["x"]), False),
    "take": (lambda s, a, t: tickets.assign_ticket(s, actor=a, ticket_id=t, to=a.handle), False),
    "escalate": (
        lambda s, a, t: tickets.escalate(
            s,
            actor=a,
            ticket_id=t,
            to_tier=Tier.L3 if _tier(s, t) == "L2" else Tier.L2,
            reason="needs a specialist",
        ),
        False,
    ),
}


def _tier(store: Store, ticket_id: int) -> str:
    return ticket_reads.get_ticket(store, ticket_id=ticket_id).ticket.tier


def _ticket(desk: Desk, actor: Actor, team: str, holder: str | None, solved: bool) -> int:
    store, root = desk.store, desk.root
    if team == "own":
        team = WHO[actor.handle][1] if actor.handle != "root" else "Technical"
    row = tickets.create_ticket(
        store,
        actor=root,
        customer_email="c@example.com",
        subject="s",
        body="b",
        tier=TEAM_TIER[team],
        team=team,
    )
    other = "boris" if actor.handle == "petr" and team == "Technical" else HOLDER[team]
    to = actor.handle if holder == "own" else other if holder == "other" else None
    if to is not None:
        tickets.assign_ticket(store, actor=root, ticket_id=row.id, to=to)
    if solved:
        tickets.change_status(store, actor=root, ticket_id=row.id, status=Status.SOLVED)
    return row.id


@pytest.mark.parametrize("who", list(WHO))
def test_every_action_obeys_one_scope(desk: Desk, who: str) -> None:
    actor: Actor = getattr(desk, who)
    wrong = []
    for team, holder in PLACEMENTS:
        for name, (action, solved) in ACTIONS.items():
            ticket_id = _ticket(desk, actor, team, holder, solved)
            try:
                action(desk.store, actor, ticket_id)
                allowed = True
            except PermissionDenied:
                allowed = False
            if allowed != expected(who, team, holder):
                wrong.append(
                    f"{who} {name} on {team}/{holder}: {'allowed' if allowed else 'refused'}"
                )
    assert not wrong, "\n".join(wrong)


def test_an_operator_is_refused_another_tiers_ticket_through_csm(desk: Desk) -> None:
    """The issue's probe: an L1 operator closing an unassigned L2 ticket exited 0."""
    ticket_id = _ticket(desk, desk.olga, "Technical", None, solved=True)
    result = Cli(agent="olga").on(
        desk.store, "tickets", "status", str(ticket_id), "--set", "closed"
    )
    assert result.exit_code == 5, result.output
    assert "operators work their own tickets and the unassigned ones" in result.stderr
    assert ticket_reads.get_ticket(desk.store, ticket_id=ticket_id).ticket.status == "solved"


def _rule(name: str, **actions: Any) -> RoutingRule:
    return RoutingRule(name=name, condition="*", actions=RuleActions(**actions))


def test_routing_rules_obey_the_same_scope(desk: Desk) -> None:
    store = desk.store
    # the probe: a Frontline lead assigning every new ticket to another team's agent
    with pytest.raises(PermissionDenied, match="outside team Frontline"):
        routing.add_rule(store, actor=desk.anna, rule=_rule("grab", assign_to="petr"))
    with pytest.raises(PermissionDenied, match="may not route tickets to team Frontline South"):
        routing.add_rule(store, actor=desk.anna, rule=_rule("south", team="Frontline South"))
    with pytest.raises(PermissionDenied, match="may not route tickets to team Frontline"):
        routing.add_rule(store, actor=desk.boris, rule=_rule("down", team="Frontline"))
    assert routing.list_rules(store) == []
    routing.add_rule(store, actor=desk.anna, rule=_rule("mine", assign_to="ivan"))
    routing.add_rule(store, actor=desk.anna, rule=_rule("up", team="Technical"))  # escalation
    routing.add_rule(store, actor=desk.root, rule=_rule("any", team="Frontline South"))
    assert [v.rule.name for v in routing.list_rules(store)] == ["mine", "up", "any"]
