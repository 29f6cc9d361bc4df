"""The shared write core of tickets: what every ticket write does, whichever use case it is.

Re-reading the acting agent (`actor_of`, `reload_actor`), locking one ticket with its version
and rights checked (`lock_ticket`, `changing`), bumping the version, writing audit events, the
SLA clocks (policy, calendars, pauses, measured times), moving a ticket between teams, the time
effects of a status change (`stamp_status`), and inserting a new ticket (`NewTicket`,
`insert_ticket`) for `tickets.create_ticket`, routing and imports alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlmodel
from sqlalchemy import func, select
from sqlmodel import Session, col

from csm_console.domain.calendar import BusinessCalendar, parse_calendar
from csm_console.domain.model import (
    AuthorKind,
    Channel,
    Language,
    Priority,
    Role,
    Segment,
    Status,
    Tier,
)
from csm_console.domain.rights import Actor, TicketScope, check_can_act
from csm_console.domain.routing import RoutingRule
from csm_console.domain.sla import (
    PolicyRule,
    SlaTargets,
    advance,
    choose_targets,
    due_times,
    elapsed,
    running_deadline,
)
from csm_console.domain.text import fold, guess_language
from csm_console.domain.ticket_record import clean_body
from csm_console.domain.workflow import is_reopen
from csm_console.errors import Conflict, NotFound, PermissionDenied, UsageError
from csm_console.services import repeat_contacts
from csm_console.services.ticket_reads import audit_views, describe_change
from csm_console.store.engine import Store
from csm_console.store.models import (
    Agent,
    AuditEvent,
    Calendar,
    Customer,
    Message,
    SlaPolicy,
    Team,
    Ticket,
    TicketTag,
)
from csm_console.store.ticket_query import SENTINEL

MAX_SEARCH_TEXT = 50_000  # characters of a ticket's folded search text


def actor_of(session: Session, agent: Agent) -> Actor:
    """The agent as the services' plain `Actor` (read in this session)."""
    team = session.get(Team, agent.team_id) if agent.team_id is not None else None
    assert agent.id is not None
    return Actor(
        id=agent.id,
        handle=agent.handle,
        name=agent.name,
        role=Role(agent.role),
        tier=Tier(agent.tier),
        team_id=agent.team_id,
        team=team.name if team else None,
        active=agent.active,
    )


def reload_actor(session: Session, actor: Actor) -> Actor:
    """Re-read the acting agent in this transaction: a deactivated agent loses rights at once."""
    agent = session.get(Agent, actor.id)
    if agent is None:
        raise PermissionDenied(f"agent {actor.handle} no longer exists")
    fresh = actor_of(session, agent)
    if not fresh.active:
        raise PermissionDenied(f"agent {actor.handle} is inactive and may not change tickets")
    return fresh


def ticket_scope(session: Session, ticket: Ticket) -> TicketScope:
    assert ticket.id is not None
    assignee = session.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    team = session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    return TicketScope(
        id=ticket.id,
        assignee_id=ticket.assignee_id,
        assignee=assignee.handle if assignee else None,
        team_id=ticket.team_id,
        team=team.name if team else None,
        tier=Tier(ticket.tier),
    )


def lock_ticket(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor: Actor,
    action: str,
) -> tuple[Ticket, Actor]:
    """Lock the row, check version and rights; return the ticket and the re-read actor."""
    fresh = reload_actor(session, actor)
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None:  # on PostgreSQL, row security hides from a lock what is out of reach
        seen = session.get(Ticket, ticket_id)
        if seen is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        check_can_act(fresh, ticket_scope(session, seen), action)
        raise PermissionDenied(f"the store refuses {fresh.describe()} to {action} #{ticket_id}")
    if expected_version is not None and ticket.version != expected_version:
        raise _conflict(session, ticket, expected_version)
    check_can_act(fresh, ticket_scope(session, ticket), action)
    return ticket, fresh


@contextmanager
def changing(
    store: Store, *, actor: Actor, ticket_id: int, expected_version: int | None, action: str
) -> Iterator[tuple[Session, Ticket, Actor]]:
    """One write transaction on one ticket: locked, version and rights checked.  The session
    autoflushes, so reading the row back inside the block sees the change."""
    with store.write() as session:
        ticket, fresh = lock_ticket(
            session,
            ticket_id=ticket_id,
            expected_version=expected_version,
            actor=actor,
            action=action,
        )
        yield session, ticket, fresh


def _conflict(session: Session, ticket: Ticket, expected_version: int) -> Conflict:
    assert ticket.id is not None
    changes = audit_views(session, ticket.id, after_version=expected_version)
    described = "; ".join(describe_change(c) for c in changes[-5:]) or "changed"
    if len(changes) > 5:
        described = f"{len(changes) - 5} earlier changes; " + described
    return Conflict(
        f"#{ticket.id} changed since you read it (version {expected_version}, now "
        f"{ticket.version}): {described}. Nothing was overwritten; reload and try again."
    )


def bump_version(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now
    refresh_clock(ticket)


def refresh_clock(ticket: Clocked) -> None:
    deadline = running_deadline(
        status=Status(ticket.status),
        first_response_at=ticket.first_response_at,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
    )
    ticket.sla_due = deadline if deadline is not None else SENTINEL


def write_audit(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    action: str,
    now: datetime,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    batch_id: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            **audit_values(
                ticket.id,
                ticket.version,
                actor,
                action,
                now,
                field=field,
                old=old,
                new=new,
                batch_id=batch_id,
            )
        )
    )


def audit_values(
    ticket_id: int | None,
    version: int | None,
    actor: Actor | None,
    action: str,
    now: datetime,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    batch_id: str | None = None,
) -> dict[str, Any]:
    """The columns of the audit event `write_audit` adds (a bulk writer inserts many)."""
    return {
        "ticket_id": ticket_id,
        "actor_id": actor.id if actor else None,
        "action": action,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "created_at": now,
        "batch_id": batch_id,
        "version": version,
    }


def append_search_text(ticket: Ticket, text: str) -> None:
    if len(ticket.search_text) < MAX_SEARCH_TEXT:
        ticket.search_text = (ticket.search_text + "\n" + fold(text))[:MAX_SEARCH_TEXT]


def checked_body(body: str) -> str:
    try:
        return clean_body(body)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def policy_rules(session: Session) -> list[PolicyRule]:
    rules = []
    for policy, team_name in session.execute(
        select(SlaPolicy, col(Team.name)).outerjoin(Team, col(Team.id) == col(SlaPolicy.team_id))
    ):
        rules.append(
            PolicyRule(
                priority=Priority(policy.priority),
                targets=SlaTargets(
                    first_response=_minutes(policy.first_response_minutes),
                    resolution=_minutes(policy.resolution_minutes),
                ),
                team=team_name,
                segment=policy.segment,
            )
        )
    return rules


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


class Clocked(Protocol):
    """What the SLA clocks read and write: a `Ticket`, or the `TicketValues` of a new one."""

    team_id: int | None
    priority: int
    status: str
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    first_response_due: datetime
    resolution_due: datetime
    sla_due: datetime
    paused_seconds: int
    first_response_seconds: int | None
    resolution_seconds: int | None


def set_due_times(
    session: Session,
    ticket: Clocked,
    segment: str | None,
    *,
    keep_met: bool = True,
    rules: Sequence[PolicyRule] | None = None,
) -> None:
    """Due times from the policy for the ticket's priority, team and segment.  A target already
    met keeps the due time it was met against (`keep_met`): a later priority change must not
    turn a first response made in time into a breach."""
    team = session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    targets = choose_targets(
        policy_rules(session) if rules is None else rules,
        priority=Priority(ticket.priority),
        team=team.name if team else None,
        segment=segment,
    )
    calendar = team_calendar(session, ticket.team_id)
    first_response_due, resolution_due = due_times(
        ticket.created_at,
        targets,
        calendar=calendar,
        paused=timedelta(seconds=ticket.paused_seconds),
    )
    if not (keep_met and ticket.first_response_at is not None):
        ticket.first_response_due = first_response_due
    if not (keep_met and ticket.solved_at is not None):
        ticket.resolution_due = resolution_due
    measure_times(ticket, calendar)
    refresh_clock(ticket)


CALENDARS_KEY = "csm_team_calendars"


def team_calendar(session: Session, team_id: int | None) -> BusinessCalendar | None:
    """The business-hours calendar of the team (None: the team's clocks count wall time),
    read once per session."""
    if team_id is None:
        return None
    cache: dict[int, BusinessCalendar | None] = session.info.setdefault(CALENDARS_KEY, {})
    if team_id not in cache:
        definition = session.execute(
            select(col(Calendar.definition))
            .join(Team, col(Team.calendar_id) == col(Calendar.id))
            .where(col(Team.id) == team_id)
        ).scalar_one_or_none()
        cache[team_id] = parse_calendar(definition) if definition is not None else None
    return cache[team_id]


def measure_times(ticket: Clocked, calendar: BusinessCalendar | None) -> None:
    """Stamp the measured first-response and resolution times (counted time: working time with
    a calendar; resolution less the time spent pending), as the metrics read them."""
    if ticket.first_response_at is not None and ticket.first_response_seconds is None:
        spent = elapsed(ticket.created_at, ticket.first_response_at, calendar)
        ticket.first_response_seconds = int(spent.total_seconds())
    if ticket.solved_at is None:
        ticket.resolution_seconds = None
    elif ticket.resolution_seconds is None:
        spent = elapsed(ticket.created_at, ticket.solved_at, calendar)
        ticket.resolution_seconds = max(0, int(spent.total_seconds()) - ticket.paused_seconds)


def move_to_team(session: Session, ticket: Ticket, team_id: int | None) -> None:
    """The ticket goes to another team.  When that team keeps another calendar, the clocks are
    recounted in it: the time already spent pending (from the audit trail of status changes),
    the due times from creation (a target already met keeps its due time) and, if solved, the
    measured times."""
    if ticket.team_id == team_id:
        return
    before = team_calendar(session, ticket.team_id)
    ticket.team_id = team_id
    calendar = team_calendar(session, team_id)
    if calendar == before:
        return
    ticket.paused_seconds = int(_pauses_in(session, ticket, calendar).total_seconds())
    ticket.resolution_seconds = None
    customer = session.get(Customer, ticket.customer_id)
    set_due_times(session, ticket, customer.segment if customer else None, keep_met=True)


def _pauses_in(session: Session, ticket: Ticket, calendar: BusinessCalendar | None) -> timedelta:
    """The counted time of the ticket's finished pauses (pending and back), from its audit."""
    total = timedelta(0)
    since: datetime | None = None
    for at, old, new in session.execute(
        select(col(AuditEvent.created_at), col(AuditEvent.old_value), col(AuditEvent.new_value))
        .where(col(AuditEvent.ticket_id) == ticket.id, col(AuditEvent.field) == "status")
        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))
    ):
        if new == Status.PENDING.value and since is None:
            since = at
        elif old == Status.PENDING.value and since is not None:
            total += elapsed(since, at, calendar)
            since = None
    return total


def _end_pause(ticket: Ticket, now: datetime, calendar: BusinessCalendar | None) -> None:
    """Leaving `pending`: the pause's counted time moves the resolution deadline on."""
    if ticket.paused_since is None:
        return
    paused = elapsed(ticket.paused_since, now, calendar)
    ticket.paused_seconds += int(paused.total_seconds())
    if ticket.solved_at is None:
        ticket.resolution_due = advance(ticket.resolution_due, paused, calendar)
    ticket.paused_since = None


def team_for_tier(session: Session, tier: Tier, name: str | None = None) -> Team:
    team: Team | None
    if name is not None:
        team = session.exec(
            sqlmodel.select(Team).where(func.lower(col(Team.name)) == name.strip().lower())
        ).one_or_none()
        if team is None:
            raise NotFound(f"no team named {name!r}")
        if team.tier != tier.value:
            raise UsageError(f"team {team.name} serves {team.tier}, not {tier.value}")
        return team
    team = session.exec(
        sqlmodel.select(Team).where(col(Team.tier) == tier.value).order_by(col(Team.id)).limit(1)
    ).first()
    if team is None:
        raise UsageError(f"no team serves {tier.value}; add one first")
    return team


def agent_by_handle(session: Session, handle: str) -> Agent:
    agent: Agent | None = session.execute(
        select(Agent).where(func.lower(col(Agent.handle)) == handle.strip().lower())
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound(f"no agent with handle {handle!r}")
    return agent


def find_or_add_customer(
    session: Session,
    *,
    email: str,
    name: str | None,
    language: Language | None,
    channel: Channel,
    text: str,
) -> Customer:
    """The customer with this (clean) e-mail, or a new one; the language is guessed from `text`
    when not given."""
    customer: Customer | None = session.execute(
        select(Customer).where(col(Customer.email) == email)
    ).scalar_one_or_none()
    if customer is None:
        customer = new_customer(
            email=email, name=name, language=language, channel=channel, text=text
        )
        session.add(customer)
        session.flush()
    return customer


def new_customer(
    *, email: str, name: str | None, language: Language | None, channel: Channel, text: str
) -> Customer:
    """The customer `find_or_add_customer` adds when none has this e-mail (not added)."""
    name = name or email.split("@")[0]
    return Customer(
        name=name,
        email=email,
        language=language.value if language else guess_language(text),
        preferred_channel=channel.value,
        segment=Segment.STANDARD.value,
        lookup=fold(f"{name} {email}"),
    )


@dataclass(frozen=True)
class NewTicket:
    """What a new ticket is made of, checked and resolved (`create_ticket`, imports)."""

    customer: Customer
    subject: str
    body: str
    channel: Channel
    priority: Priority
    category: str | None
    tags: Sequence[str]
    tier: Tier
    team: Team
    created_at: datetime
    status: Status = Status.NEW
    assignee: Agent | None = None
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    external_id: str | None = None
    # the first message's author (None: the customer; an agent: proactive contact), and for
    # e-mail its Message-ID, sender and flags (domain.mail.flags_text)
    author: Agent | None = None
    mail_id: str | None = None
    sender: str | None = None
    flags: str = ""


def insert_ticket(
    session: Session,
    new: NewTicket,
    *,
    actor: Actor | None,
    now: datetime,
    batch_id: str | None = None,
    rule: RoutingRule | None = None,
    rules: Sequence[PolicyRule] | None = None,
) -> Ticket:
    """Insert the ticket, its first customer message, tags and the `create` audit event (and a
    `route` event naming the routing rule that shaped it, if one did).  Actor None: the system
    (the mail intake).  `rules`: the SLA policies, when the caller has read them already."""
    values = ticket_values(session, new, now=now, rules=rules)
    ticket = Ticket(**{f.name: getattr(values, f.name) for f in fields(values)})
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    session.add(Message(**first_message(new, ticket.id)))
    for tag in new.tags:
        session.add(TicketTag(ticket_id=ticket.id, tag=tag))
    # a repeat contact of the customer's earlier tickets in the category (or, imported solved,
    # one that has had its own since)
    repeat_contacts.refresh(session, [repeat_contacts.group_of(ticket)])
    for event in creation_audit(ticket.id, actor, now, batch_id=batch_id, rule=rule):
        session.add(AuditEvent(**event))
    return ticket


def creation_audit(
    ticket_id: int,
    actor: Actor | None,
    now: datetime,
    *,
    batch_id: str | None,
    rule: RoutingRule | None,
) -> list[dict[str, Any]]:
    """The audit events of a new ticket (version 1): `create`, and `route` naming the rule
    that shaped it."""
    events = [audit_values(ticket_id, 1, actor, "create", now, batch_id=batch_id)]
    if rule is not None:
        events.append(
            audit_values(
                ticket_id,
                1,
                actor,
                "route",
                now,
                field="rule",
                new=f"{rule.name}: {rule.actions.describe()}",
                batch_id=batch_id,
            )
        )
    return events


@dataclass(slots=True)
class TicketValues:
    """The columns a new ticket is inserted with (the rest take their defaults: version 1, no
    reopen, no replies yet), before it has an id: `insert_ticket` makes its row of them, an
    import inserts thousands at once.  The SLA clocks work on it as on a `Ticket`."""

    external_id: str | None
    subject: str
    customer_id: int
    channel: str
    status: str
    priority: int
    category: str | None
    tier: str
    team_id: int | None
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    first_response_due: datetime
    resolution_due: datetime
    sla_due: datetime
    paused_since: datetime | None
    search_text: str
    paused_seconds: int = 0
    first_response_seconds: int | None = None
    resolution_seconds: int | None = None


def ticket_values(
    session: Session,
    new: NewTicket,
    *,
    now: datetime,
    rules: Sequence[PolicyRule] | None = None,
) -> TicketValues:
    """The columns `insert_ticket` inserts for `new`, with its due times and measured times.
    `rules`: the SLA policies, when the caller has read them already."""
    assert new.customer.id is not None
    done = not new.status.is_active
    solved_at = (new.solved_at or new.created_at) if done else None
    ticket = TicketValues(
        external_id=new.external_id,
        subject=new.subject,
        customer_id=new.customer.id,
        channel=new.channel.value,
        status=new.status.value,
        priority=int(new.priority),
        category=new.category,
        tier=new.tier.value,
        team_id=new.team.id,
        assignee_id=new.assignee.id if new.assignee else None,
        created_at=new.created_at,
        updated_at=now,
        first_response_at=new.first_response_at,
        solved_at=solved_at,
        closed_at=solved_at if new.status is Status.CLOSED else None,
        first_response_due=new.created_at,
        resolution_due=new.created_at,
        sla_due=new.created_at,
        paused_since=now if new.status is Status.PENDING else None,
        search_text=(fold(new.subject) + "\n" + fold(new.body))[:MAX_SEARCH_TEXT],
    )
    set_due_times(session, ticket, new.customer.segment, keep_met=False, rules=rules)
    return ticket


def first_message(new: NewTicket, ticket_id: int) -> dict[str, Any]:
    """The columns of the first message of the new ticket `ticket_id`."""
    return {
        "ticket_id": ticket_id,
        "author_kind": (AuthorKind.AGENT if new.author else AuthorKind.CUSTOMER).value,
        "agent_id": new.author.id if new.author else None,
        "internal": False,
        "body": new.body,
        "created_at": new.created_at,
        "mail_id": new.mail_id,
        "sender": new.sender,
        "flags": new.flags,
    }


def check_can_hold(session: Session, target: Agent, ticket: Ticket) -> None:
    """The target must be active and serve the ticket's tier (admins hold anything)."""
    if not target.active:
        raise UsageError(f"{target.handle} is inactive and cannot hold tickets")
    if target.role != Role.ADMIN.value and target.tier != ticket.tier:
        advice = (
            "escalate it first"
            if Tier(ticket.tier).level < Tier(target.tier).level
            else f"choose an {ticket.tier} agent"
        )
        raise UsageError(
            f"{target.handle} works {target.tier} and may not hold #{ticket.id}, an "
            f"{ticket.tier} ticket; {advice}"
        )


def team_name(session: Session, team_id: int | None) -> str | None:
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team else None


def stamp_status(
    session: Session,
    ticket: Ticket,
    status: Status,
    now: datetime,
    *,
    solved_at: datetime | None = None,
) -> None:
    """Stamp the new status and what it does to the ticket's times, and nothing else: no
    transition rule, no version bump, no audit (the caller does those: `tickets.apply_status`
    for a checked change, `escalate` with its own audit, an import that sets a recorded status,
    the undo of a reassignment that puts the old status back).  Entering
    `pending` starts a pause and leaving it ends one (the resolution deadline moves on by the
    pause), solving stamps `solved_at` (`now`, or the time given, as an import may) and the
    measured resolution time, closing stamps `closed_at`, and a reopen counts and clears
    `solved_at`."""
    old = Status(ticket.status)
    old_solved_at = ticket.solved_at
    ticket.status = status.value
    calendar = team_calendar(session, ticket.team_id)
    if old is Status.PENDING and status is not Status.PENDING:
        # an import may say when it was solved: the pause ended then, not when it was imported
        _end_pause(ticket, min(solved_at or now, now), calendar)
    elif status is Status.PENDING and old is not Status.PENDING:
        ticket.paused_since = now
    if status == Status.SOLVED:
        ticket.solved_at = solved_at or now
        ticket.resolution_seconds = None
    elif status == Status.CLOSED:
        ticket.closed_at = now
    if is_reopen(old, status):
        ticket.reopen_count += 1
        ticket.solved_at = None
    measure_times(ticket, calendar)
    if ticket.solved_at != old_solved_at:
        repeat_contacts.refresh(session, [repeat_contacts.group_of(ticket)])
