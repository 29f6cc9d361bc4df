"""How one import record applies to the store: what it refers to (`plan`: team, tier,
assignee, the ticket it updates, checked against the rules and the actor's rights) and what an
update changes (`update`: only the fields the record gives, each change audited, the version
bumped once).  `services.importing` runs them for each chunk of records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlmodel import Session, col

from csm_console.domain.durations import iso_utc
from csm_console.domain.model import Priority, Role, Status, Tier
from csm_console.domain.rights import Actor
from csm_console.domain.sla import PolicyRule
from csm_console.domain.text import fold
from csm_console.domain.ticket_record import RecordProblem, TicketRecord
from csm_console.domain.workflow import check_transition
from csm_console.errors import PermissionDenied, UsageError
from csm_console.services import repeat_contacts, ticket_core
from csm_console.store import import_load
from csm_console.store.models import Agent, Customer, Message, Team, Ticket, TicketTag

_COLUMNS = tuple(c.name for c in Ticket.__table__.columns)


class TicketState:
    """A ticket an import updates, as plain attributes: the `Ticket`'s columns by the same
    names, with the values the ORM would load, read with one statement for a chunk.  It stands
    in for the ORM's `Ticket` where `plan` and `update` read and set its fields (`as_ticket`),
    without the ORM's instrumentation (a field set through SQLModel and SQLAlchemy costs several
    microseconds, and an update sets ten) or its unit of work: `changed` names the columns that
    now hold another value than was read, which the import writes for the whole chunk."""

    __slots__ = (*_COLUMNS, "_read")

    def __init__(self, row: Any) -> None:
        read = tuple(row[name] for name in _COLUMNS)
        for name, value in zip(_COLUMNS, read, strict=True):
            setattr(self, name, value)
        self._read = read

    def as_ticket(self) -> Ticket:
        return cast(Ticket, self)

    def changed(self) -> list[str]:
        return [
            name
            for name, value in zip(_COLUMNS, self._read, strict=True)
            if getattr(self, name) != value
        ]


@dataclass(frozen=True)
class Known:
    """What the updates of one chunk read beforehand, with a query per table for the chunk:
    each ticket's first customer message and sorted tags, the customers by e-mail (those new
    already added), and the SLA policies."""

    first_messages: dict[int, Message]
    tags: dict[int, list[str]]
    customers: dict[str, Customer]
    rules: Sequence[PolicyRule]
    # the tickets' present customers by id, and the store's teams and agents by id (plain
    # lookups: `session.get` costs several microseconds, and an update asks three times)
    customers_by_id: dict[int, Customer] = field(default_factory=dict)
    teams_by_id: dict[int | None, Team] = field(default_factory=dict)
    agents_by_id: dict[int | None, Agent] = field(default_factory=dict)
    # what the updates leave to be written for the whole chunk (`services.importing`): audit
    # rows and new tags (inserted together), tickets whose search text is to be rebuilt, and
    # the repeat-contact groups to refresh once the updates are flushed
    audit: list[dict[str, Any]] = field(default_factory=list)
    new_tags: list[tuple[int, str]] = field(default_factory=list)
    search: list[Ticket] = field(default_factory=list)
    groups: set[repeat_contacts.Group] = field(default_factory=set)


@dataclass(frozen=True)
class Plan:
    """What one record refers to, resolved and checked."""

    record: TicketRecord
    current: Ticket | None
    tier: Tier
    team: Team
    assignee: Agent | None  # the assignee to set, when `set_assignee`
    set_assignee: bool


class TicketLookup:
    """Teams and agents by name, read once per import."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.teams: dict[str, Team] = {
            t.name.lower(): t for t in session.execute(select(Team)).scalars()
        }
        self.teams_by_id: dict[int | None, Team] = {t.id: t for t in self.teams.values()}
        self.agents: dict[str, Agent] = {
            a.handle.lower(): a for a in session.execute(select(Agent)).scalars()
        }
        self.agents_by_id: dict[int | None, Agent] = {a.id: a for a in self.agents.values()}

    def team(self, record: TicketRecord, name: str) -> Team:
        team = self.teams.get(name.lower())
        if team is None:
            known = ", ".join(sorted(t.name for t in self.teams.values()))
            raise RecordProblem(record.where, "team", f"no team named {name!r}; teams: {known}")
        return team

    def default_team(self, record: TicketRecord, tier: Tier) -> Team:
        own = self.teams_by_id.get(self.actor.team_id)
        if own is not None and own.tier == tier.value:
            return own
        serving = sorted(
            (t for t in self.teams.values() if t.tier == tier.value), key=lambda t: t.id or 0
        )
        if not serving:
            raise RecordProblem(record.where, "tier", f"no team serves {tier.value}; add one first")
        return serving[0]

    def agent(self, record: TicketRecord, handle: str) -> Agent:
        agent = self.agents.get(handle.lower())
        if agent is None:
            raise RecordProblem(record.where, "assignee", f"no agent with handle {handle!r}")
        return agent


def plan(lookup: TicketLookup, record: TicketRecord, current: Ticket | None) -> Plan:
    where = record.where
    assignee = lookup.agent(record, record.assignee) if record.assignee else None
    holder_team = (
        lookup.teams_by_id.get(assignee.team_id)
        if assignee is not None and assignee.role != Role.ADMIN.value
        else None
    )
    if record.team is not None:
        team = lookup.team(record, record.team)
    elif holder_team is not None:
        team = holder_team
    elif (
        current is not None
        and current.team_id in lookup.teams_by_id
        and (record.tier is None or record.tier.value == current.tier)
    ):
        team = lookup.teams_by_id[current.team_id]
    else:
        tier = record.tier or (Tier(current.tier) if current is not None else Tier.L1)
        team = lookup.default_team(record, tier)
    tier = record.tier or Tier(team.tier)
    if team.tier != tier.value and assignee is not None and record.team is None:
        raise RecordProblem(
            where,
            "assignee",
            f"{assignee.handle} works {assignee.tier} and may not hold an {tier.value} ticket",
        )
    if team.tier != tier.value:
        raise RecordProblem(where, "team", f"team {team.name} serves {team.tier}, not {tier.value}")
    if assignee is not None and (current is None or current.assignee_id != assignee.id):
        # a new holder must be able to hold the ticket
        status = record.status or (Status(current.status) if current is not None else Status.NEW)
        if not assignee.active and status.is_active:  # history may name people who have left
            raise RecordProblem(
                where,
                "assignee",
                f"{assignee.handle} is inactive and cannot hold open tickets; "
                "name someone else or leave it empty",
            )
        if assignee.role != Role.ADMIN.value and assignee.tier != tier.value:
            raise RecordProblem(
                where,
                "assignee",
                f"{assignee.handle} works {assignee.tier} and may not hold an {tier.value} ticket",
            )
    if assignee is not None and holder_team is not None and holder_team.id != team.id:
        raise RecordProblem(
            where,
            "assignee",
            f"{assignee.handle} is in team {holder_team.name}, not {team.name}",
        )
    if current is not None and record.status is not None:
        try:  # an update follows the same workflow as `tickets status`
            check_transition(Status(current.status), record.status)
        except UsageError as refusal:
            raise RecordProblem(where, "status", refusal.message) from None
    _check_rights(lookup, record, team, current)
    return Plan(
        record=record,
        current=current,
        tier=tier,
        team=team,
        assignee=assignee,
        set_assignee=record.assignee is not None,
    )


def _check_rights(
    lookup: TicketLookup, record: TicketRecord, team: Team, current: Ticket | None
) -> None:
    actor = lookup.actor
    if actor.role == Role.ADMIN:
        return
    teams = {team.id} | ({current.team_id} if current is not None else set())
    outside = [lookup.teams_by_id[t].name for t in teams if t != actor.team_id and t is not None]
    if outside:
        raise PermissionDenied(
            f"{record.where}: {actor.describe()} may import only into team "
            f"{actor.team or '(none)'}, not {outside[0]}; needs: lead of that team or admin"
        )


def update(
    session: Session, actor: Actor, plan: Plan, known: Known, batch_id: str, now: datetime
) -> list[str]:
    """Apply the fields the record gives; returns the names of those that changed."""
    record, ticket = plan.record, plan.current
    assert ticket is not None and ticket.id is not None
    changes: list[tuple[str, object, object]] = []
    was_in = repeat_contacts.group_of(ticket)

    def change(field: str, old: object, new: object) -> bool:
        if old == new:
            return False
        changes.append((field, old, new))
        return True

    if change("subject", ticket.subject, record.subject):
        ticket.subject = record.subject
    first = known.first_messages.get(ticket.id)
    if first is not None and change("body", _digest(first.body), _digest(record.body)):
        first.body = record.body
    customer = known.customers[record.customer_email]
    old_customer = known.customers_by_id.get(ticket.customer_id) or session.get(
        Customer, ticket.customer_id
    )
    if change("customer", old_customer.email if old_customer else None, customer.email):
        ticket.customer_id = customer.id  # type: ignore[assignment]
    if record.channel is not None and change("channel", ticket.channel, record.channel.value):
        ticket.channel = record.channel.value
    deadlines = False
    if record.priority is not None and change(
        "priority", Priority(ticket.priority).label, record.priority.label
    ):
        ticket.priority = int(record.priority)
        deadlines = True
    if record.created_at is not None and change(
        "created_at", iso_utc(ticket.created_at), iso_utc(record.created_at)
    ):
        ticket.created_at = record.created_at
        deadlines = True
    if change("tier", ticket.tier, plan.tier.value):
        ticket.tier = plan.tier.value
    old_team = known.teams_by_id.get(ticket.team_id)
    old_name = old_team.name if old_team else ticket_core.team_name(session, ticket.team_id)
    if change("team", old_name, plan.team.name):
        ticket_core.move_to_team(session, ticket, plan.team.id)
        deadlines = True
    if plan.set_assignee:
        old = (
            known.agents_by_id.get(ticket.assignee_id) or session.get(Agent, ticket.assignee_id)
            if ticket.assignee_id is not None
            else None
        )
        new = plan.assignee
        if change("assignee", old.handle if old else None, new.handle if new else None):
            ticket.assignee_id = new.id if new else None
    if record.category is not None and change("category", ticket.category, record.category):
        ticket.category = record.category
    if record.tags is not None:
        tags = known.tags.get(ticket.id, [])
        if change("tags", " ".join(tags), " ".join(record.tags)):
            for tag in set(tags) - set(record.tags):
                stale = session.get(TicketTag, (ticket.id, tag))
                if stale is not None:
                    session.delete(stale)
            known.new_tags.extend((ticket.id, tag) for tag in sorted(set(record.tags) - set(tags)))
    if record.first_response_at is not None and change(
        "first_response_at", iso_utc(ticket.first_response_at), iso_utc(record.first_response_at)
    ):
        ticket.first_response_at = record.first_response_at
        ticket.first_response_seconds = None  # measured again below
    if record.status is not None:
        _update_status(session, ticket, record, change, now)
    elif (
        record.solved_at is not None
        and not Status(ticket.status).is_active
        and change("solved_at", iso_utc(ticket.solved_at), iso_utc(record.solved_at))
    ):
        ticket.solved_at = record.solved_at
        ticket.resolution_seconds = None
    if not changes:
        return []
    if "subject" in {c[0] for c in changes} or "body" in {c[0] for c in changes}:
        known.search.append(ticket)
    if deadlines:
        ticket_core.set_due_times(
            session, ticket, customer.segment, keep_met=False, rules=known.rules
        )
    ticket_core.measure_times(ticket, ticket_core.team_calendar(session, ticket.team_id))
    # a status change may solve or reopen it (`stamp_status`): the groups are refreshed once
    # the chunk's tickets are written
    if {"customer", "category", "created_at", "solved_at", "status"} & {c[0] for c in changes}:
        known.groups.update({was_in, repeat_contacts.group_of(ticket)})
    ticket_core.bump_version(ticket, now)
    known.audit.extend(
        ticket_core.audit_values(
            ticket.id,
            ticket.version,
            actor,
            "import",
            now,
            field=name,
            old=old_value,
            new=new_value,
            batch_id=batch_id,
        )
        for name, old_value, new_value in changes
    )
    return [c[0] for c in changes]


def _update_status(
    session: Session, ticket: Ticket, record: TicketRecord, change: Any, now: datetime
) -> None:
    assert record.status is not None
    old = Status(ticket.status)
    new = record.status
    if change("status", old.value, new.value):  # an allowed transition: checked in _plan
        ticket_core.stamp_status(session, ticket, new, now, solved_at=record.solved_at)
    if (
        not new.is_active
        and record.solved_at is not None
        and change("solved_at", iso_utc(ticket.solved_at), iso_utc(record.solved_at))
    ):
        ticket.solved_at = record.solved_at
        ticket.resolution_seconds = None


def _digest(body: str) -> str:
    """How a body appears in the audit: its length and start, not 100 kB of text."""
    flat = " ".join(body.split())
    return flat if len(flat) <= 60 else f"{flat[:57]}... ({len(body)} characters)"


def rebuild_search_text(session: Session, tickets: Sequence[Ticket]) -> None:
    """The folded search text of tickets whose subject or first message changed, from their
    subject and every message (one query for all)."""
    bodies: dict[int, list[str]] = {}
    ids = [t.id for t in tickets]
    for start in range(0, len(ids), 500):
        for ticket_id, body in session.execute(
            select(col(Message.ticket_id), col(Message.body))
            .where(import_load.among(session, col(Message.ticket_id), ids[start : start + 500]))
            .order_by(col(Message.ticket_id), col(Message.id))
        ):
            bodies.setdefault(ticket_id, []).append(body)
    for ticket in tickets:
        assert ticket.id is not None
        text = fold(ticket.subject) + "".join("\n" + fold(b) for b in bodies.get(ticket.id, []))
        ticket.search_text = text[: ticket_core.MAX_SEARCH_TEXT]
