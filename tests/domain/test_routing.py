"""Routing rules on incoming tickets: conditions in the query language, first match wins, and
rules that cannot work on a new ticket are refused when saved."""

from __future__ import annotations

import pytest

from csm_console.domain.model import Priority, Tier
from csm_console.domain.routing import (
    IncomingTicket,
    RoutingRule,
    RuleActions,
    check_rule,
    compiled,
    first_match,
    matches,
    parse_condition,
)


def incoming(subject: str, body: str = "", **fields: object) -> IncomingTicket:
    base: dict[str, object] = {
        "channel": "email",
        "language": "en",
        "priority": Priority.NORMAL,
        "tier": Tier.L1,
    }
    return IncomingTicket(subject=subject, body=body, **{**base, **fields})  # type: ignore[arg-type]


RULES = compiled(
    [
        RoutingRule(
            "vip outages",
            'segment:vip text:"no internet"',
            RuleActions(priority=Priority.URGENT, tier=Tier.L2, team="Technical"),
        ),
        RoutingRule(
            "russian billing",
            "language:ru счёт",
            RuleActions(team="Frontline RU", category="billing", add_tags=("billing",)),
        ),
        RoutingRule("phone urgent", "channel:phone priority:>=high", RuleActions(assign_to="olga")),
        RoutingRule("refunds", "refund -spam", RuleActions(category="billing")),
        RoutingRule("everything else", "*", RuleActions(add_tags=("triage",))),
    ]
)


def fired(ticket: IncomingTicket) -> str:
    rule = first_match(RULES, ticket)
    assert rule is not None
    return rule.name


def test_the_first_matching_rule_fires() -> None:
    assert fired(incoming("No internet since morning", segment="vip")) == "vip outages"
    # the same words for a standard customer: on to the next rules, down to the default
    assert fired(incoming("No internet since morning")) == "everything else"
    assert fired(incoming("Неверный СЧЕТ", "за ноябрь", language="ru")) == "russian billing"
    assert fired(incoming("Call me", channel="phone", priority=Priority.URGENT)) == "phone urgent"
    assert (
        fired(incoming("Call me", channel="phone", priority=Priority.NORMAL)) == "everything else"
    )
    assert fired(incoming("Refund please", "I paid twice")) == "refunds"
    assert fired(incoming("Refund please", "spam spam")) == "everything else"
    # a ticket that is both vip-outage and phone-urgent gets only the first rule
    both = incoming("no internet", channel="phone", priority=Priority.HIGH, segment="vip")
    assert fired(both) == "vip outages"


def test_conditions_read_the_incoming_ticket() -> None:
    ticket = incoming(
        "Rēķins nav pareizs",
        "Lūdzu pārbaudiet",
        language="lv",
        customer_email="liga@example.lv",
        customer_name="Līga Bērziņa",
        tags=("Billing",),
        team=None,
    )
    for condition, expected in (
        ("rekins", True),  # folded words
        ("tag:billing", True),
        ("customer:berzina", True),
        ("customer:example.lv language:lv", True),
        ("team:none", True),
        ("tier:L1 priority:<high", True),
        ("-language:lv", False),
        ("channel:chat", False),
        ('text:"nav pareizs"', True),
    ):
        assert matches(parse_condition(condition), ticket) is expected, condition


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("status:open", "status: a new ticket has none yet"),
        ("assignee:olga refund", "assignee: a new ticket has none yet"),
        ("sla:breached", "sla: a new ticket has none yet"),
        ("created:>2026-01-01", "created: a new ticket has none yet"),
        ("solved:<1d", "solved: a new ticket has none yet"),
        ("billing fcr:yes", "fcr: a new ticket has none yet"),
        ("frt:missed", "frt: a new ticket has none yet"),
        ("csat:>=4", "csat: a new ticket has none yet"),
        ("repeat:7d", "repeat: a new ticket has none yet"),
        ("prioritty:high", "unknown field 'prioritty'"),
        ("", "an empty condition; write `*`"),
        ("text:", "needs a value"),
    ],
)
def test_a_rule_that_cannot_work_is_refused(condition: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_condition(condition)


def test_check_rule_names_every_problem() -> None:
    bad = RoutingRule("", "status:new", RuleActions())
    problems = check_rule(bad)
    assert [p.split(":")[0] for p in problems] == ["name", "condition", "actions"]
    assert check_rule(RoutingRule("ok", "refund", RuleActions(add_tags=("billing",)))) == []
    assert "tags:" in check_rule(RoutingRule("t", "*", RuleActions(add_tags=("",))))[0]
    assert RuleActions(team="T", priority=Priority.HIGH, add_tags=("a", "b")).describe() == (
        "team=T priority=high tags+=a,b"
    )
