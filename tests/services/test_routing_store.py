"""Routing rules in the store, on both stores: kept in order, edited by leads and admins,
refused with every problem named, applied to new tickets (created or imported) with the rule
recorded in the audit, and driven from `csm rules`."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from sqlalchemy import select

from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.routing import RoutingRule, RuleActions
from csm_console.errors import PermissionDenied, UsageError
from csm_console.services import routing, ticket_reads, tickets, transfer
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent
from tests.conftest import Cli, Desk


def _rule(name: str, when: str, **actions: Any) -> RoutingRule:
    return RoutingRule(name=name, condition=when, actions=RuleActions(**actions))


def _names(store: Store) -> list[str]:
    return [v.rule.name for v in routing.list_rules(store)]


def _route_events(store: Store, ticket_id: int) -> list[str | None]:
    with store.read() as session:
        return list(
            session.execute(
                select(AuditEvent.new_value).where(
                    AuditEvent.ticket_id == ticket_id, AuditEvent.action == "route"
                )
            ).scalars()
        )


def test_rules_keep_their_order_and_only_leads_edit_them(desk: Desk) -> None:
    store = desk.store
    with pytest.raises(PermissionDenied):
        routing.add_rule(store, actor=desk.olga, rule=_rule("a", "refund", category="billing"))
    routing.add_rule(store, actor=desk.anna, rule=_rule("a", "refund", category="billing"))
    routing.add_rule(store, actor=desk.anna, rule=_rule("b", "*", add_tags=("triage",)))
    routing.add_rule(
        store, actor=desk.root, rule=_rule("c", "channel:phone", priority=Priority.HIGH), position=1
    )
    assert _names(store) == ["c", "a", "b"]
    assert routing.move_rule(store, actor=desk.anna, name="c", position=9) == 3
    assert _names(store) == ["a", "b", "c"]
    routing.remove_rule(store, actor=desk.anna, name="b")
    assert [(v.position, v.rule.name) for v in routing.list_rules(store)] == [(1, "a"), (2, "c")]


def test_a_bad_rule_is_refused_with_every_problem(desk: Desk) -> None:
    bad = _rule("x", "status:open", team="Nowhere", assign_to="ghost")
    with pytest.raises(UsageError) as refused:
        routing.add_rule(desk.store, actor=desk.root, rule=bad)
    message = str(refused.value)
    for part in ("condition: status:", "team: no team named 'Nowhere'", "assign: no active agent"):
        assert part in message
    routing.add_rule(desk.store, actor=desk.root, rule=_rule("x", "refund", category="billing"))
    with pytest.raises(UsageError, match="exists already"):
        routing.add_rule(desk.store, actor=desk.root, rule=_rule("x", "*", category="other"))
    assert _names(desk.store) == ["x"]


def test_new_tickets_are_routed_by_the_first_matching_rule(desk: Desk) -> None:
    store = desk.store
    for rule in (
        _rule(
            "outage to L2",
            '"no internet" -channel:chat',
            team="Technical",
            priority=Priority.URGENT,
        ),
        _rule("phone", "channel:phone", assign_to="ivan"),
        _rule("default", "*", add_tags=("triage",)),
    ):
        routing.add_rule(store, actor=desk.root, rule=rule)
    outage = tickets.create_ticket(
        store, actor=desk.olga, customer_email="a@example.com", subject="No internet", body="!"
    )
    assert (outage.team, outage.tier, outage.priority) == ("Technical", Tier.L2, Priority.URGENT)
    assert outage.tags == ()  # the default rule did not fire too
    assert _route_events(store, outage.id) == ["outage to L2: team=Technical priority=urgent"]
    from csm_console.domain.model import Channel

    call = tickets.create_ticket(
        store,
        actor=desk.olga,
        customer_email="b@example.com",
        subject="Please call",
        body="?",
        channel=Channel.PHONE,
    )
    assert (call.assignee, call.status, call.team) == ("ivan", Status.OPEN, "Frontline")
    plain = tickets.create_ticket(
        store, actor=desk.olga, customer_email="c@example.com", subject="Hello", body="?"
    )
    assert plain.tags == ("triage",)


def test_imports_are_routed_but_closed_history_is_not(desk: Desk) -> None:
    store = desk.store
    routing.add_rule(store, actor=desk.root, rule=_rule("billing", "rēķins", category="billing"))
    records = [
        {"external_id": "ZD-1", "subject": "Rēķins", "body": "x", "customer_email": "d@e.lv"},
        {"external_id": "ZD-2", "subject": "Rēķins", "body": "x", "customer_email": "d@e.lv",
         "status": "closed"},
    ]  # fmt: skip
    result = transfer.import_tickets(store, actor=desk.root, data=json.dumps(records).encode())
    routed, history = (
        ticket_reads.get_ticket(store, ticket_id=o.ticket_id) for o in result.outcomes
    )
    assert routed.ticket.category == "billing" and _route_events(store, routed.ticket.id)
    assert history.ticket.category is None and not _route_events(store, history.ticket.id)


def test_csm_rules_commands(desk: Desk) -> None:
    url = desk.store.url.render_as_string(hide_password=False)

    csm = functools.partial(Cli(db=url, agent="anna"), "rules")

    assert csm("add", "ru billing", "--when", "language:ru счёт", "--team", "Frontline",
               "--tag", "billing").exit_code == 0  # fmt: skip
    assert csm("add", "vip", "--when", "segment:vip", "--priority", "high",
               "--position", "1").exit_code == 0  # fmt: skip
    refused = csm("add", "bad", "--when", "sla:breached", "--tier", "L2")
    assert refused.exit_code == 2 and "sla: a new ticket has none yet" in refused.stderr
    assert csm("add", "x", "--when", "*", "--tag", "t", agent="olga").exit_code == 5
    listed = csm("list", "--format", "json")
    assert [r["name"] for r in json.loads(listed.stdout)] == ["vip", "ru billing"]
    tried = csm("test", "--subject", "Неверный СЧЁТ", "--lang", "ru")
    assert tried.exit_code == 0 and tried.stdout.startswith("ru billing: team=Frontline")
    assert csm("test", "--subject", "Hello").exit_code == 3
    assert csm("move", "vip", "--to", "2").exit_code == 0
    assert csm("remove", "vip").exit_code == 0
    assert "vip" not in csm("list").stdout
