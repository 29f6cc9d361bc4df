"""Ticket use cases: read the queue, create, assign, claim, change status, escalate, reply, note,
tag, change priority, record CSAT.

Every write runs in one transaction (`store.write()`), locks the ticket row, checks the acting
agent's right, refuses a stale `expected_version` with a `Conflict` that names who changed what,
bumps `version`, and writes its audit events in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlmodel
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from csm_console.domain.calendar import BusinessCalendar, parse_calendar
from csm_console.domain.model import (
    MAX_ID,
    AuthorKind,
    Channel,
    Language,
    Priority,
    Role,
    Segment,
    Status,
    Tier,
    as_id,
)
from csm_console.domain.query import Query, Sort
from csm_console.domain.rights import (
    Actor,
    TicketScope,
    check_can_act,
    check_can_assign_to,
)
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
from csm_console.domain.stored import Invalid
from csm_console.domain.templates import unresolved_placeholders
from csm_console.domain.text import fold, guess_language, normalize_tag, sanitize
from csm_console.domain.ticket_record import (
    clean_body,
    clean_category,
    clean_email,
    clean_name,
    clean_subject,
    clean_tags,
)
from csm_console.domain.workflow import check_escalation, check_transition, is_reopen
from csm_console.errors import Conflict, NotFound, PermissionDenied, QueueEmpty, UsageError
from csm_console.services import repeat_contacts
from csm_console.services.agents import actor_of
from csm_console.services.clock import utcnow
from csm_console.services.records import (
    AuditView,
    CustomerView,
    MessageView,
    Page,
    TicketDetail,
    TicketRow,
)
from csm_console.store.constraints import CHANNELS, CSAT_SCORES
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
from csm_console.store.ticket_query import (
    SENTINEL,
    compile_query,
    encode_cursor,
    keyset_after,
    order_by,
)

MAX_SEARCH_TEXT = 50_000


# =============================================================================================
# Reading


_Assignee = aliased(Agent)


def _row_select() -> Any:
    return (
        select(
            col(Ticket.id),
            col(Ticket.subject),
            col(Ticket.status),
            col(Ticket.priority),
            col(Ticket.tier),
            col(Ticket.channel),
            col(Ticket.category),
            col(Team.name).label("team"),
            col(_Assignee.handle).label("assignee"),
            col(Customer.name).label("customer"),
            col(Customer.email).label("customer_email"),
            col(Ticket.created_at),
            col(Ticket.updated_at),
            col(Ticket.first_response_at),
            col(Ticket.first_response_due),
            col(Ticket.resolution_due),
            col(Ticket.solved_at),
            col(Ticket.sla_due),
            col(Ticket.reopen_count),
            col(Ticket.csat_score),
            col(Ticket.version),
            col(Ticket.external_id),
        )
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(Team, col(Team.id) == col(Ticket.team_id))
        .outerjoin(_Assignee, col(_Assignee.id) == col(Ticket.assignee_id))
    )


def _to_row(r: Any, tags: Sequence[str] = ()) -> TicketRow:
    bad = Invalid()  # a row that breaks the CHECK constraints reads as invalid, not as a crash
    bad.check(r.channel, CHANNELS, "channel")
    bad.check(r.csat_score, CSAT_SCORES, "csat_score")
    return TicketRow(
        id=r.id,
        subject=r.subject,
        status=bad.enum(Status, r.status, "status", Status.OPEN),
        priority=bad.enum(Priority, r.priority, "priority", Priority.NORMAL),
        tier=bad.enum(Tier, r.tier, "tier", Tier.L1),
        channel=r.channel,
        category=r.category,
        team=r.team,
        assignee=r.assignee,
        customer=r.customer,
        customer_email=r.customer_email,
        created_at=r.created_at,
        updated_at=r.updated_at,
        first_response_at=r.first_response_at,
        first_response_due=r.first_response_due,
        resolution_due=r.resolution_due,
        solved_at=r.solved_at,
        sla_due=None if r.sla_due >= SENTINEL else r.sla_due,
        reopen_count=r.reopen_count,
        csat_score=r.csat_score,
        version=r.version,
        tags=tuple(tags),
        external_id=r.external_id,
        invalid=bad.pairs(),
    )


def _tags_for(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    if not ticket_ids:
        return tags
    rows = session.execute(
        select(col(TicketTag.ticket_id), col(TicketTag.tag))
        .where(col(TicketTag.ticket_id).in_(ticket_ids))
        .order_by(col(TicketTag.ticket_id), col(TicketTag.tag))
    )
    for ticket_id, tag in rows:
        tags.setdefault(ticket_id, []).append(tag)
    return tags


def _rows(session: Session, statement: Any) -> list[TicketRow]:
    result = list(session.execute(statement))
    tags = _tags_for(session, [r.id for r in result])
    return [_to_row(r, tags.get(r.id, ())) for r in result]


def list_tickets(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    sort: Sort,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> Page[TicketRow]:
    """One page of the queue: the query's tickets in `sort` order, after `cursor` (keyset)."""
    if limit < 1:
        raise UsageError("limit must be at least 1")
    now = now or utcnow()
    statement = _row_select().where(
        *compile_query(query, me_id=actor.id if actor else None, now=now)
    )
    if cursor:
        statement = statement.where(keyset_after(sort, cursor))
    statement = statement.order_by(*order_by(sort)).limit(limit + 1)
    with store.read() as session:
        rows = _rows(session, statement)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(sort, _sort_value(sort, last), last.id)
    return Page(tuple(rows), next_cursor)


def _sort_value(sort: Sort, row: TicketRow) -> Any:
    key = sort.key.value
    if key == "sla":
        return row.sla_due or SENTINEL
    if key == "priority":
        return int(row.priority)
    if key == "created":
        return row.created_at
    if key == "updated":
        return row.updated_at
    return row.id


def cursor_after(sort: Sort, row: TicketRow) -> str:
    """The keyset cursor that continues `sort` order after `row` (for views that page on their
    own, such as the console's queue window)."""
    return encode_cursor(sort, _sort_value(sort, row), row.id)


def iter_tickets(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    sort: Sort,
    limit: int | None = None,
    page_size: int = 1000,
    now: datetime | None = None,
) -> Iterator[TicketRow]:
    """Every matching ticket, read page by page so memory stays flat."""
    now = now or utcnow()
    cursor: str | None = None
    remaining = limit
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        page = list_tickets(
            store, actor=actor, query=query, sort=sort, cursor=cursor, limit=size, now=now
        )
        yield from page.items
        if remaining is not None:
            remaining -= len(page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def count_tickets(
    store: Store, *, actor: Actor | None, query: Query, now: datetime | None = None
) -> int:
    now = now or utcnow()
    statement = select(func.count()).select_from(Ticket)
    statement = statement.where(*compile_query(query, me_id=actor.id if actor else None, now=now))
    with store.read() as session:
        return int(session.execute(statement).scalar_one())


def get_ticket(store: Store, *, ticket_id: int, other_limit: int = 20) -> TicketDetail:
    """The ticket with its customer card, thread and audit trail."""
    with store.read() as session:
        rows = _rows(session, _row_select().where(col(Ticket.id) == ticket_id))
        if not rows:
            raise NotFound(f"ticket #{ticket_id} not found")
        row = rows[0]
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        messages = [
            MessageView(
                id=m.id,
                author_kind=m.author_kind,
                author=handle
                if m.author_kind == AuthorKind.AGENT and handle
                else (customer.name if m.author_kind == AuthorKind.CUSTOMER else "system"),
                internal=m.internal,
                body=m.body,
                created_at=m.created_at,
            )
            for m, handle in session.execute(
                select(Message, col(Agent.handle))
                .outerjoin(Agent, col(Agent.id) == col(Message.agent_id))
                .where(col(Message.ticket_id) == ticket_id)
                .order_by(col(Message.created_at), col(Message.id))
            )
        ]
        audit = _audit_views(session, ticket_id)
        others_statement = (
            _row_select()
            .where(col(Ticket.customer_id) == ticket.customer_id, col(Ticket.id) != ticket_id)
            .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
            .limit(other_limit)
        )
        others = _rows(session, others_statement)
        other_count = session.execute(
            select(func.count())
            .select_from(Ticket)
            .where(col(Ticket.customer_id) == ticket.customer_id, col(Ticket.id) != ticket_id)
        ).scalar_one()
        return TicketDetail(
            ticket=row,
            customer=customer_view(customer),
            messages=tuple(messages),
            audit=tuple(audit),
            csat_comment=ticket.csat_comment,
            closed_at=ticket.closed_at,
            other_tickets=tuple(others),
            other_ticket_count=int(other_count),
        )


def _audit_views(
    session: Session, ticket_id: int, *, after_version: int | None = None
) -> list[AuditView]:
    statement = (
        select(AuditEvent, col(Agent.handle))
        .outerjoin(Agent, col(Agent.id) == col(AuditEvent.actor_id))
        .where(col(AuditEvent.ticket_id) == ticket_id)
        .order_by(col(AuditEvent.id))
    )
    if after_version is not None:
        statement = statement.where(col(AuditEvent.version) > after_version)
    return [
        AuditView(
            id=e.id,
            actor=handle,
            action=e.action,
            field=e.field,
            old_value=e.old_value,
            new_value=e.new_value,
            created_at=e.created_at,
            batch_id=e.batch_id,
            version=e.version,
        )
        for e, handle in session.execute(statement)
    ]


def customer_view(c: Customer) -> CustomerView:
    assert c.id is not None
    return CustomerView(
        id=c.id,
        name=c.name,
        email=c.email,
        phone=c.phone,
        company=c.company,
        language=c.language,
        preferred_channel=c.preferred_channel,
        segment=c.segment,
    )


def current_versions(store: Store, ticket_ids: Sequence[int]) -> dict[int, int]:
    """id → version for the tickets that exist."""
    versions: dict[int, int] = {}
    with store.read() as session:
        for start in range(0, len(ticket_ids), 500):
            chunk = list(ticket_ids[start : start + 500])
            for ticket_id, version in session.execute(
                select(col(Ticket.id), col(Ticket.version)).where(col(Ticket.id).in_(chunk))
            ):
                versions[ticket_id] = version
    return versions


def rows_by_id(store: Store, ticket_ids: Sequence[int]) -> list[TicketRow]:
    """The current queue rows of these tickets (those that still exist), in no order."""
    rows: list[TicketRow] = []
    with store.read() as session:
        for start in range(0, len(ticket_ids), 500):
            chunk = list(ticket_ids[start : start + 500])
            rows += _rows(session, _row_select().where(col(Ticket.id).in_(chunk)))
    return rows


def _row_by_id(session: Session, ticket_id: int) -> TicketRow:
    rows = _rows(session, _row_select().where(col(Ticket.id) == ticket_id))
    return rows[0]


# =============================================================================================
# Shared write machinery


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


def _lock_ticket(
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
def _changing(
    store: Store, *, actor: Actor, ticket_id: int, expected_version: int | None, action: str
) -> Iterator[tuple[Session, Ticket, Actor]]:
    """One write transaction on one ticket: locked, version and rights checked.  The session
    autoflushes, so reading the row back inside the block sees the change."""
    with store.write() as session:
        ticket, fresh = _lock_ticket(
            session,
            ticket_id=ticket_id,
            expected_version=expected_version,
            actor=actor,
            action=action,
        )
        yield session, ticket, fresh


def _conflict(session: Session, ticket: Ticket, expected_version: int) -> Conflict:
    assert ticket.id is not None
    changes = _audit_views(session, ticket.id, after_version=expected_version)
    described = "; ".join(describe_change(c) for c in changes[-5:]) or "changed"
    if len(changes) > 5:
        described = f"{len(changes) - 5} earlier changes; " + described
    return Conflict(
        f"#{ticket.id} changed since you read it (version {expected_version}, now "
        f"{ticket.version}): {described}. Nothing was overwritten; reload and try again."
    )


def describe_change(change: AuditView) -> str:
    who = change.actor or "system"
    when = change.created_at.strftime("%d %b %H:%M")
    if change.action == "unaudited":  # store.unaudited: a write that skipped csm
        return f"{change.new_value} changed {change.old_value} outside csm at {when}"
    if change.field and (change.old_value is not None or change.new_value is not None):
        old = change.old_value if change.old_value is not None else "none"
        new = change.new_value if change.new_value is not None else "none"
        return f"{who} set {change.field} {old} → {new} at {when}"
    verbs = {"reply": "replied", "note": "added a note", "create": "created it"}
    return f"{who} {verbs.get(change.action, change.action)} at {when}"


def bump_version(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now
    refresh_clock(ticket)


def refresh_clock(ticket: Ticket) -> None:
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
            ticket_id=ticket.id,
            actor_id=actor.id if actor else None,
            action=action,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            created_at=now,
            batch_id=batch_id,
            version=ticket.version,
        )
    )


def _append_search_text(ticket: Ticket, text: str) -> None:
    if len(ticket.search_text) < MAX_SEARCH_TEXT:
        ticket.search_text = (ticket.search_text + "\n" + fold(text))[:MAX_SEARCH_TEXT]


def _clean_body(body: str) -> str:
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


def _minutes(n: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=n)


def set_due_times(
    session: Session,
    ticket: Ticket,
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


def measure_times(ticket: Ticket, calendar: BusinessCalendar | None) -> None:
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


def _agent_by_handle(session: Session, handle: str) -> Agent:
    agent: Agent | None = session.execute(
        select(Agent).where(func.lower(col(Agent.handle)) == handle.strip().lower())
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound(f"no agent with handle {handle!r}")
    return agent


# =============================================================================================
# Writes


def create_ticket(
    store: Store,
    *,
    actor: Actor,
    customer_email: str,
    subject: str,
    body: str,
    customer_name: str | None = None,
    channel: Channel = Channel.EMAIL,
    priority: Priority = Priority.NORMAL,
    category: str | None = None,
    tags: Iterable[str] = (),
    tier: Tier = Tier.L1,
    team: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Register a ticket; an unknown customer e-mail creates the customer."""
    now = now or utcnow()
    try:
        email = clean_email(customer_email)
        subject = clean_subject(subject)
        body = clean_body(body)
        name = clean_name(customer_name)
        category = clean_category(category)
        clean = clean_tags(tags)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from csm_console.services.routing import route

    with store.write() as session:
        fresh = reload_actor(session, actor)
        customer = find_or_add_customer(
            session, email=email, name=name, language=None, channel=channel, text=subject + body
        )
        new, rule = route(
            session,
            NewTicket(
                customer=customer,
                subject=subject,
                body=body,
                channel=channel,
                priority=priority,
                category=category,
                tags=clean,
                tier=tier,
                team=team_for_tier(session, tier, team),
                created_at=now,
            ),
        )
        ticket = insert_ticket(session, new, actor=fresh, now=now, rule=rule)
        assert ticket.id is not None
        return _row_by_id(session, ticket.id)


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
        name = name or email.split("@")[0]
        customer = Customer(
            name=name,
            email=email,
            language=language.value if language else guess_language(text),
            preferred_channel=channel.value,
            segment=Segment.STANDARD.value,
            lookup=fold(f"{name} {email}"),
        )
        session.add(customer)
        session.flush()
    return customer


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


def insert_ticket(
    session: Session,
    new: NewTicket,
    *,
    actor: Actor,
    now: datetime,
    batch_id: str | None = None,
    rule: RoutingRule | None = None,
) -> Ticket:
    """Insert the ticket, its first customer message, tags and the `create` audit event (and a
    `route` event naming the routing rule that shaped it, if one did)."""
    assert new.customer.id is not None
    done = not new.status.is_active
    solved_at = (new.solved_at or new.created_at) if done else None
    ticket = Ticket(
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
    set_due_times(session, ticket, new.customer.segment, keep_met=False)
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    session.add(
        Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.CUSTOMER.value,
            internal=False,
            body=new.body,
            created_at=new.created_at,
        )
    )
    for tag in new.tags:
        session.add(TicketTag(ticket_id=ticket.id, tag=tag))
    # a repeat contact of the customer's earlier tickets in the category (or, imported solved,
    # one that has had its own since)
    repeat_contacts.refresh(session, [repeat_contacts.group_of(ticket)])
    write_audit(session, ticket, actor, "create", now, batch_id=batch_id)
    if rule is not None:
        write_audit(
            session,
            ticket,
            actor,
            "route",
            now,
            field="rule",
            new=f"{rule.name}: {rule.actions.describe()}",
            batch_id=batch_id,
        )
    return ticket


def assign_ticket(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    to: str | None,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Assign to the agent with handle `to`, or unassign with `None`.  A no-op changes nothing."""
    now = now or utcnow()
    with _changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=expected_version, action="assign"
    ) as (session, ticket, fresh):
        target = _agent_by_handle(session, to) if to is not None else None
        if target is not None:
            check_can_hold(session, target, ticket)
        check_can_assign_to(
            fresh,
            ticket_scope(session, ticket),
            target_id=target.id if target else None,
            target_team_id=target.team_id if target else None,
        )
        _apply_assignment(session, ticket, fresh, target, now, batch_id=batch_id)
        return _row_by_id(session, ticket_id)


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


def _apply_assignment(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    target: Agent | None,
    now: datetime,
    *,
    batch_id: str | None = None,
) -> bool:
    new_id = target.id if target else None
    if ticket.assignee_id == new_id:
        return False
    old = session.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    old_team = ticket.team_id
    ticket.assignee_id = new_id
    if target is not None and target.team_id is not None and target.role != Role.ADMIN.value:
        move_to_team(session, ticket, target.team_id)
    moved_to_open = target is not None and ticket.status == Status.NEW.value
    if moved_to_open:
        ticket.status = Status.OPEN.value
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "assign",
        now,
        field="assignee",
        old=old.handle if old else None,
        new=target.handle if target else None,
        batch_id=batch_id,
    )
    if ticket.team_id != old_team:
        write_audit(
            session,
            ticket,
            actor,
            "assign",
            now,
            field="team",
            old=team_name(session, old_team),
            new=team_name(session, ticket.team_id),
            batch_id=batch_id,
        )
    if moved_to_open:
        write_audit(
            session,
            ticket,
            actor,
            "status",
            now,
            field="status",
            old="new",
            new="open",
            batch_id=batch_id,
        )
    return True


def team_name(session: Session, team_id: int | None) -> str | None:
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team else None


def take_next(store: Store, *, actor: Actor, now: datetime | None = None) -> TicketRow:
    """Claim the most urgent unassigned ticket the agent may work (SLA due, then priority).

    Two agents never get the same ticket: PostgreSQL skips rows another claim has locked
    (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers with `BEGIN IMMEDIATE`.
    """
    now = now or utcnow()
    with store.write() as session:
        fresh = reload_actor(session, actor)
        statement = select(Ticket).where(
            col(Ticket.assignee_id).is_(None),
            col(Ticket.status).in_([Status.NEW.value, Status.OPEN.value]),
        )
        if fresh.role != Role.ADMIN:  # the unassigned tickets in rights.may_act's scope
            statement = statement.where(
                col(Ticket.tier) == fresh.tier.value,
                (col(Ticket.team_id) == fresh.team_id) | col(Ticket.team_id).is_(None),
            )
        statement = statement.order_by(
            col(Ticket.sla_due),
            col(Ticket.priority).desc(),
            col(Ticket.id),
        ).limit(1)
        if store.is_postgres:
            statement = statement.with_for_update(skip_locked=True)
        ticket = session.execute(statement).scalar_one_or_none()
        if ticket is None:
            scope = "any tier" if fresh.role == Role.ADMIN else f"{fresh.tier.value}, {fresh.team}"
            raise QueueEmpty(
                f"the queue is empty: no unassigned ticket for {fresh.handle} ({scope})"
            )
        target = session.get(Agent, fresh.id)
        assert target is not None and ticket.id is not None
        _apply_assignment(session, ticket, fresh, target, now)
        write_audit(session, ticket, fresh, "claim", now)
        return _row_by_id(session, ticket.id)


def change_status(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    status: Status,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    now = now or utcnow()
    with _changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="change the status of",
    ) as (session, ticket, fresh):
        _apply_status(session, ticket, fresh, status, now, batch_id=batch_id)
        return _row_by_id(session, ticket_id)


def set_status(
    session: Session,
    ticket: Ticket,
    status: Status,
    now: datetime,
    *,
    solved_at: datetime | None = None,
) -> None:
    """What a status change (an allowed transition) does to the ticket's times: entering
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


def _apply_status(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    status: Status,
    now: datetime,
    *,
    batch_id: str | None = None,
) -> bool:
    old = Status(ticket.status)
    if old == status:
        return False
    check_transition(old, status)
    set_status(session, ticket, status, now)
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "reopen" if is_reopen(old, status) else "status",
        now,
        field="status",
        old=old.value,
        new=status.value,
        batch_id=batch_id,
    )
    return True


def change_priority(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    priority: Priority,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Change the priority; the SLA due times are recomputed from the policy."""
    now = now or utcnow()
    with _changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="change the priority of",
    ) as (session, ticket, fresh):
        old = Priority(ticket.priority)
        if old != priority:
            ticket.priority = int(priority)
            customer = session.get(Customer, ticket.customer_id)
            set_due_times(session, ticket, customer.segment if customer else None)
            bump_version(ticket, now)
            write_audit(
                session,
                ticket,
                fresh,
                "priority",
                now,
                field="priority",
                old=old.label,
                new=priority.label,
                batch_id=batch_id,
            )
        return _row_by_id(session, ticket_id)


def escalate(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    to_tier: Tier,
    reason: str,
    team: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Move the ticket to a higher tier's team, unassigned, with the reason as an internal note."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise UsageError("an escalation needs a reason")
    with _changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="escalate",
    ) as (session, ticket, fresh):
        old_tier = Tier(ticket.tier)
        check_escalation(old_tier, to_tier)
        if not Status(ticket.status).is_active:
            raise UsageError(f"#{ticket_id} is {ticket.status}; reopen it before escalating")
        target_team = team_for_tier(session, to_tier, team)
        old_team = team_name(session, ticket.team_id)
        old_assignee = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
        ticket.tier = to_tier.value
        move_to_team(session, ticket, target_team.id)
        ticket.assignee_id = None
        old_status = ticket.status
        if ticket.status in (Status.NEW.value, Status.PENDING.value, Status.ON_HOLD.value):
            set_status(session, ticket, Status.OPEN, now)  # a pause ends here
        bump_version(ticket, now)
        write_audit(
            session,
            ticket,
            fresh,
            "escalate",
            now,
            field="tier",
            old=old_tier.value,
            new=to_tier.value,
        )
        write_audit(
            session,
            ticket,
            fresh,
            "escalate",
            now,
            field="team",
            old=old_team,
            new=target_team.name,
        )
        if old_assignee is not None:
            write_audit(
                session,
                ticket,
                fresh,
                "escalate",
                now,
                field="assignee",
                old=old_assignee.handle,
                new=None,
            )
        if old_status != ticket.status:
            write_audit(
                session,
                ticket,
                fresh,
                "status",
                now,
                field="status",
                old=old_status,
                new=ticket.status,
            )
        note = f"Escalated {old_tier.value} → {to_tier.value} ({target_team.name}): {reason}"
        session.add(
            Message(
                ticket_id=ticket_id,
                author_kind=AuthorKind.AGENT.value,
                agent_id=fresh.id,
                internal=True,
                body=note,
                created_at=now,
            )
        )
        _append_search_text(ticket, note)
        return _row_by_id(session, ticket_id)


def reply(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    status: Status | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """A public reply.  The first one sets `first_response_at`, once.

    A new ticket becomes open unless `status` says otherwise (pending: waiting for the customer).
    """
    now = now or utcnow()
    body = _clean_body(body)
    left = unresolved_placeholders(body)
    if left:
        raise UsageError(
            f"the reply still has placeholders ({', '.join(left[:3])}); fill them in, or use "
            "a template, which is rendered for the ticket"
        )
    with _changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="reply to",
    ) as (session, ticket, fresh):
        if ticket.status == Status.CLOSED.value:
            raise UsageError(f"#{ticket_id} is closed; a closed ticket is final")
        target = status
        if target is None and ticket.status == Status.NEW.value:
            target = Status.OPEN
        if target is not None and target.value != ticket.status:
            check_transition(Status(ticket.status), target)
        session.add(
            Message(
                ticket_id=ticket_id,
                author_kind=AuthorKind.AGENT.value,
                agent_id=fresh.id,
                internal=False,
                body=body,
                created_at=now,
            )
        )
        ticket.agent_replies += 1
        _append_search_text(ticket, body)
        first = ticket.first_response_at is None
        if first:
            ticket.first_response_at = now
            measure_times(ticket, team_calendar(session, ticket.team_id))
        bump_version(ticket, now)
        write_audit(session, ticket, fresh, "reply", now)
        if first:
            write_audit(
                session,
                ticket,
                fresh,
                "reply",
                now,
                field="first_response_at",
                new=now.isoformat(timespec="seconds"),
            )
        if target is not None:
            _apply_status(session, ticket, fresh, target, now)
        return _row_by_id(session, ticket_id)


def add_note(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """An internal note: seen by agents only; it stops no SLA clock."""
    now = now or utcnow()
    body = _clean_body(body)
    with _changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="add a note to",
    ) as (session, ticket, fresh):
        session.add(
            Message(
                ticket_id=ticket_id,
                author_kind=AuthorKind.AGENT.value,
                agent_id=fresh.id,
                internal=True,
                body=body,
                created_at=now,
            )
        )
        _append_search_text(ticket, body)
        bump_version(ticket, now)
        write_audit(session, ticket, fresh, "note", now)
        return _row_by_id(session, ticket_id)


def tag_ticket(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    now = now or utcnow()
    try:
        to_add = {normalize_tag(t) for t in add}
        to_remove = {normalize_tag(t) for t in remove}
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if to_add & to_remove:
        raise UsageError(
            f"cannot add and remove the same tag: {', '.join(sorted(to_add & to_remove))}"
        )
    with _changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=expected_version, action="tag"
    ) as (session, ticket, fresh):
        current = set(_tags_for(session, [ticket_id]).get(ticket_id, []))
        added = sorted(to_add - current)
        removed = sorted(to_remove & current)
        if added or removed:
            bump_version(ticket, now)
            for tag in added:
                session.add(TicketTag(ticket_id=ticket_id, tag=tag))
                write_audit(
                    session, ticket, fresh, "tag", now, field="tags", new=tag, batch_id=batch_id
                )
            for tag in removed:
                row = session.get(TicketTag, (ticket_id, tag))
                if row is not None:
                    session.delete(row)
                write_audit(
                    session, ticket, fresh, "untag", now, field="tags", old=tag, batch_id=batch_id
                )
        return _row_by_id(session, ticket_id)


def record_csat(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    score: int,
    comment: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Record the customer's satisfaction rating (1–5) on a solved or closed ticket."""
    now = now or utcnow()
    if not 1 <= score <= 5:
        raise UsageError(f"CSAT score must be 1 to 5, not {score}")
    with _changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=None, action="record CSAT on"
    ) as (session, ticket, fresh):
        if Status(ticket.status).is_active:
            raise UsageError(f"#{ticket_id} is {ticket.status}; CSAT is recorded on solved tickets")
        old = ticket.csat_score
        ticket.csat_score = score
        ticket.csat_comment = (comment or "").strip() or None
        bump_version(ticket, now)
        write_audit(session, ticket, fresh, "csat", now, field="csat_score", old=old, new=score)
        return _row_by_id(session, ticket_id)


def parse_ticket_id(text: str) -> int:
    """`1042` or `#1042` → 1042."""
    number = as_id(sanitize(text, single_line=True).strip().lstrip("#"))
    if number is None:
        raise UsageError(
            f"bad ticket id {text[:40]!r}; ids are numbers like 1042 or #1042 (1 to {MAX_ID})"
        )
    return number
