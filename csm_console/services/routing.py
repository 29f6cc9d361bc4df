"""Routing rules in the store: list, add, remove, move, test, and apply to new tickets.

The rules themselves (conditions, first match, actions) are `csm_console.domain.routing`; here
they are kept in order (`routing_rule.position`), with the team and agent they name checked
when the rule is saved, and applied inside the transaction that creates a ticket, which records
in the audit which rule fired.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlmodel import Session, col

from csm_console.domain.model import Priority, Role, Status, Tier
from csm_console.domain.rights import Actor, check_can_bulk, check_can_route
from csm_console.domain.routing import (
    MAX_RULES,
    IncomingTicket,
    RoutingRule,
    RuleActions,
    check_rule,
    compiled,
    first_match,
)
from csm_console.domain.text import normalize_tag
from csm_console.errors import UsageError
from csm_console.services.ordered import for_editing, in_order, put_at, renumber
from csm_console.services.ticket_core import NewTicket, reload_actor, team_for_tier
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Rule, Team

_COMPILED = "csm_routing_rules"  # session.info key: the rules of this transaction, compiled


@dataclass(frozen=True, slots=True)
class RuleView:
    position: int  # 1 = first
    rule: RoutingRule


def _rule_of(session: Session, row: Rule) -> RoutingRule:
    team = session.get(Team, row.set_team_id) if row.set_team_id is not None else None
    agent = session.get(Agent, row.assign_to_id) if row.assign_to_id is not None else None
    return RoutingRule(
        name=row.name,
        condition=row.condition,
        actions=RuleActions(
            team=team.name if team else None,
            tier=Tier(row.set_tier) if row.set_tier else None,
            priority=Priority(row.set_priority) if row.set_priority is not None else None,
            category=row.set_category,
            add_tags=tuple(t for t in row.add_tags.split(",") if t),
            assign_to=agent.handle if agent else None,
        ),
    )


def _ordered(session: Session) -> list[Rule]:
    return in_order(session, Rule)


def list_rules(store: Store) -> list[RuleView]:
    with store.read() as session:
        return [
            RuleView(index, _rule_of(session, row))
            for index, row in enumerate(_ordered(session), start=1)
        ]


def add_rule(
    store: Store, *, actor: Actor, rule: RoutingRule, position: int | None = None
) -> RuleView:
    """Save a rule (leads and admins), at `position` (1 = first; default: last).  Refused with
    every problem named: a condition that does not parse, no action, an unknown team or agent."""
    problems = check_rule(rule)
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        actions = rule.actions
        team = None
        if actions.team:
            team = session.execute(
                select(Team).where(func.lower(col(Team.name)) == actions.team.strip().lower())
            ).scalar_one_or_none()
            if team is None:
                problems.append(f"team: no team named {actions.team!r}")
        agent = None
        if actions.assign_to:
            agent = session.execute(
                select(Agent).where(col(Agent.handle) == actions.assign_to.strip().lower())
            ).scalar_one_or_none()
            if agent is None or not agent.active:
                problems.append(f"assign: no active agent {actions.assign_to!r}")
        rows = _ordered(session)
        if any(row.name == rule.name.strip() for row in rows):
            problems.append(f"name: a rule named {rule.name.strip()!r} exists already")
        if len(rows) >= MAX_RULES:
            problems.append(f"at most {MAX_RULES} rules")
        if problems:
            raise UsageError(f"rule {rule.name!r} is refused:\n  " + "\n  ".join(problems))
        check_can_route(
            fresh,
            team_id=team.id if team else None,
            team=team.name if team else None,
            team_tier=Tier(team.tier) if team else None,
            assignee=agent.handle if agent else None,
            assignee_team_id=agent.team_id if agent else None,
        )
        row = Rule(
            position=0,
            name=rule.name.strip(),
            condition=rule.condition.strip(),
            set_team_id=team.id if team else None,
            set_tier=actions.tier.value if actions.tier else None,
            set_priority=int(actions.priority) if actions.priority is not None else None,
            set_category=actions.category,
            add_tags=",".join(normalize_tag(t) for t in actions.add_tags),
            assign_to_id=agent.id if agent else None,
        )
        landed = put_at(session, rows, row, position)
        session.flush()
        return RuleView(landed, _rule_of(session, row))


def _editing(session: Session, actor: Actor, name: str) -> tuple[list[Rule], Rule]:
    """The rules in order and the one named, for a lead or admin changing them."""
    return for_editing(session, actor, Rule, name=name, what="rule")


def remove_rule(store: Store, *, actor: Actor, name: str) -> None:
    with store.write() as session:
        rows, found = _editing(session, actor, name)
        session.delete(found)
        session.flush()
        renumber(session, [row for row in rows if row is not found])


def move_rule(store: Store, *, actor: Actor, name: str, position: int) -> int:
    """Move a rule to `position` (1 = first); returns where it landed."""
    if position < 1:
        raise UsageError("positions start at 1")
    with store.write() as session:
        rows, found = _editing(session, actor, name)
        rows.remove(found)
        return put_at(session, rows, found, position)


def rules_in(session: Session) -> list[RoutingRule]:
    return [_rule_of(session, row) for row in _ordered(session)]


def test_rules(store: Store, ticket: IncomingTicket) -> RoutingRule | None:
    """Which rule would fire for this ticket (nothing is written)."""
    with store.read() as session:
        return first_match(compiled(rules_in(session)), ticket)


def route(session: Session, new: NewTicket) -> tuple[NewTicket, RoutingRule | None]:
    """The new ticket as the first matching rule makes it (inside the creating transaction)."""
    # read and compiled once per transaction: an import routes thousands of tickets in one
    rules = session.info.get(_COMPILED)
    if rules is None:
        rules = session.info[_COMPILED] = compiled(rules_in(session))
    if not rules:
        return new, None
    incoming = IncomingTicket(
        subject=new.subject,
        body=new.body,
        channel=new.channel.value,
        language=new.customer.language,
        priority=new.priority,
        tier=new.tier,
        segment=new.customer.segment,
        customer_email=new.customer.email,
        customer_name=new.customer.name,
        team=new.team.name,
        category=new.category,
        tags=tuple(new.tags),
    )
    rule = first_match(rules, incoming)
    if rule is None:
        return new, None
    actions = rule.actions
    changed = new
    if actions.tier is not None and not actions.team:  # the tier's first team
        changed = replace(changed, tier=actions.tier, team=team_for_tier(session, actions.tier))
    if actions.team:
        team = session.execute(
            select(Team).where(func.lower(col(Team.name)) == actions.team.lower())
        ).scalar_one()
        changed = replace(changed, team=team, tier=Tier(team.tier))
    if actions.priority is not None:
        changed = replace(changed, priority=actions.priority)
    if actions.category:
        changed = replace(changed, category=actions.category)
    if actions.add_tags:
        changed = replace(changed, tags=tuple(dict.fromkeys([*changed.tags, *actions.add_tags])))
    if actions.assign_to and changed.assignee is None:
        agent = session.execute(
            select(Agent).where(col(Agent.handle) == actions.assign_to)
        ).scalar_one_or_none()
        if agent is not None and agent.active:
            # as an assignment does: the agent's team, and a new ticket is open now
            team = session.get(Team, agent.team_id) if agent.team_id is not None else None
            if team is not None and agent.role != Role.ADMIN.value:
                changed = replace(changed, team=team, tier=Tier(team.tier))
            status = Status.OPEN if changed.status is Status.NEW else changed.status
            changed = replace(changed, assignee=agent, status=status)
    return changed, rule
