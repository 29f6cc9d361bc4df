"""Routing rules: what happens to a new ticket before anyone looks at it.

A rule is a condition in the query language, evaluated on the incoming ticket itself (not in
the store), and actions: set the team, tier, priority or category, add tags, or assign it to
an agent.  Rules are ordered; the first rule whose condition matches fires, and only it.

A condition may use what a new ticket has: its words (`refund`, `"no internet"`, or
`text:refund`), `channel:`, `language:`, `segment:`, `customer:`, `category:`, `tag:`,
`priority:` and `tier:` (compared too, `priority:>=high`), `team:`.  What only an existing
ticket has (`status:`, `assignee:`, `created:`, `updated:`, `sla:`, `id:`) is refused when a
rule is saved, naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from csm_console.domain.model import Priority, Tier
from csm_console.domain.query import (
    OUTCOME_FIELDS,
    CompareTerm,
    ElapsedTerm,
    MatchTerm,
    Op,
    OutcomeTerm,
    Query,
    RepeatTerm,
    SlaTerm,
    Term,
    TimeTerm,
    WordTerm,
    parse_query,
)
from csm_console.domain.text import fold, normalize_tag
from csm_console.errors import QueryError

NOT_ON_NEW_TICKETS = (
    "status",
    "assignee",
    "created",
    "updated",
    "sla",
    "id",
    "has",
    *OUTCOME_FIELDS,
)
MAX_RULES = 200


@dataclass(frozen=True, slots=True)
class IncomingTicket:
    """What a rule sees of a ticket being created or imported."""

    subject: str
    body: str
    channel: str
    language: str
    priority: Priority
    tier: Tier
    segment: str = "standard"
    customer_email: str = ""
    customer_name: str = ""
    team: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleActions:
    """What a rule sets; None (or empty) leaves that field as it is."""

    team: str | None = None
    tier: Tier | None = None
    priority: Priority | None = None
    category: str | None = None
    add_tags: tuple[str, ...] = ()
    assign_to: str | None = None

    def is_empty(self) -> bool:
        return self == RuleActions()

    def describe(self) -> str:
        parts = []
        if self.team:
            parts.append(f"team={self.team}")
        if self.tier:
            parts.append(f"tier={self.tier.value}")
        if self.priority is not None:
            parts.append(f"priority={self.priority.label}")
        if self.category:
            parts.append(f"category={self.category}")
        if self.add_tags:
            parts.append("tags+=" + ",".join(self.add_tags))
        if self.assign_to:
            parts.append(f"assign={self.assign_to}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class RoutingRule:
    name: str
    condition: str
    actions: RuleActions


def parse_condition(text: str) -> Query:
    """A rule's condition, or ValueError naming what is wrong (also a condition that would
    match every ticket: a rule that always fires is a default, and needs `*`)."""
    if text.strip() == "*":
        return Query()
    try:
        query = parse_query(text)
    except QueryError as exc:
        raise ValueError(str(exc)) from None
    for term in query.terms:
        field = _field_of(term)
        if field in NOT_ON_NEW_TICKETS:
            raise ValueError(
                f"{field}: a new ticket has none yet; a rule may use its words, channel, "
                "language, segment, customer, category, tag, priority, tier and team"
            )
    if query.is_empty:
        raise ValueError("an empty condition; write `*` for a rule that matches every ticket")
    return query


def check_rule(rule: RoutingRule) -> list[str]:
    """Problems of a rule before it is saved (empty: it can be saved)."""
    problems = []
    if not rule.name.strip() or len(rule.name) > 80:
        problems.append("name: 1 to 80 characters")
    try:
        parse_condition(rule.condition)
    except ValueError as exc:
        problems.append(f"condition: {exc}")
    if rule.actions.is_empty():
        problems.append("actions: a rule must set something (team, tier, priority, category, "
                        "tags or assignee)")  # fmt: skip
    for tag in rule.actions.add_tags:
        try:
            normalize_tag(tag)
        except ValueError as exc:
            problems.append(f"tags: {exc}")
    return problems


def matches(query: Query, ticket: IncomingTicket) -> bool:
    """Whether every term of the condition holds for the incoming ticket."""
    text = fold(f"{ticket.subject}\n{ticket.body}")
    return all(_holds(term, ticket, text) != _negated(term) for term in query.terms)


def first_match(
    rules: Sequence[tuple[RoutingRule, Query]], ticket: IncomingTicket
) -> RoutingRule | None:
    """The first rule (in order) whose condition matches: only it fires."""
    for rule, query in rules:
        if matches(query, ticket):
            return rule
    return None


def compiled(rules: Iterable[RoutingRule]) -> list[tuple[RoutingRule, Query]]:
    return [(rule, parse_condition(rule.condition)) for rule in rules]


def _negated(term: Term) -> bool:
    return term.negated


def _field_of(term: Term) -> str | None:
    if isinstance(
        term, MatchTerm | CompareTerm | TimeTerm | OutcomeTerm | ElapsedTerm | RepeatTerm
    ):
        return term.field
    if isinstance(term, SlaTerm):
        return "sla"
    return None


_OPS = {
    Op.EQ: lambda a, b: a == b,
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
}


def _holds(term: Term, ticket: IncomingTicket, text: str) -> bool:
    if isinstance(term, WordTerm):
        return term.text in text
    if isinstance(term, CompareTerm):
        level = int(ticket.priority) if term.field == "priority" else ticket.tier.level
        return bool(_OPS[term.op](level, term.value))
    if isinstance(term, MatchTerm):
        return any(_equals(term.field, value, ticket) for value in term.values)
    return False  # time and SLA terms are refused when a rule is saved


def _equals(field: str, value: str | int | None, ticket: IncomingTicket) -> bool:
    if field == "priority":
        return value == int(ticket.priority)
    if field == "tier":
        return value == ticket.tier.level
    if field == "tag":
        return value in {t.lower() for t in ticket.tags}
    if field == "customer":
        wanted = fold(str(value))
        return wanted in fold(ticket.customer_email) or wanted in fold(ticket.customer_name)
    current = {
        "channel": ticket.channel,
        "language": ticket.language,
        "segment": ticket.segment,
        "team": ticket.team,
        "category": ticket.category,
    }.get(field)
    if value is None or current is None:
        return value is None and current is None
    return fold(str(current)) == fold(str(value))
