"""SLA policies: targets per priority, optionally per team or customer segment, and what a
change does to the tickets already open.

The most specific policy for a ticket wins (team+segment, segment, team, the priority's
default; see `csm_console.domain.sla.choose_targets`).  Changing a policy recomputes the due
times of every open ticket of that priority, a chunk per transaction; a target a ticket has
already met keeps the due time it was met against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from csm_console.domain.calendar import BusinessCalendar, parse_calendar
from csm_console.domain.durations import format_duration
from csm_console.domain.model import ACTIVE_STATUSES, Priority, Segment
from csm_console.domain.rights import Actor, check_can_bulk, check_can_shape_teams
from csm_console.domain.sla import DEFAULT_TARGETS
from csm_console.errors import NotFound, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ticket_core import policy_rules, reload_actor, set_due_times
from csm_console.store.engine import Store
from csm_console.store.models import Calendar, Customer, SlaPolicy, Team, Ticket

CHUNK = 500
MAX_TARGET = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class PolicyView:
    priority: Priority
    team: str | None
    segment: str | None
    first_response: timedelta
    resolution: timedelta


def list_policies(store: Store) -> list[PolicyView]:
    """Every policy row, by priority (most urgent first), then the general ones first."""
    with store.read() as session:
        rows = session.execute(
            select(SlaPolicy, col(Team.name)).outerjoin(
                Team, col(Team.id) == col(SlaPolicy.team_id)
            )
        ).all()
    views = [
        PolicyView(
            priority=Priority(p.priority),
            team=team,
            segment=p.segment,
            first_response=timedelta(minutes=p.first_response_minutes),
            resolution=timedelta(minutes=p.resolution_minutes),
        )
        for p, team in rows
    ]
    return sorted(
        views, key=lambda v: (-int(v.priority), v.team is not None, v.segment is not None)
    )


@dataclass(frozen=True, slots=True)
class PolicyChange:
    policy: PolicyView
    created: bool
    recomputed: int  # open tickets whose due times changed


def set_policy(
    store: Store,
    *,
    actor: Actor,
    priority: Priority,
    first_response: timedelta,
    resolution: timedelta,
    team: str | None = None,
    segment: str | None = None,
) -> PolicyChange:
    """Set the targets for a priority (and team and/or segment), leads and admins; then
    recompute the due times of the open tickets of that priority."""
    for what, value in (("first response", first_response), ("resolution", resolution)):
        if value < timedelta(minutes=1) or value > MAX_TARGET:
            raise UsageError(f"{what}: between 1 minute and 365 days (got {value})")
    if first_response > resolution:
        raise UsageError("the first response target cannot be later than the resolution target")
    if segment is not None:
        try:
            segment = Segment(segment.strip().lower()).value
        except ValueError:
            valid = ", ".join(s.value for s in Segment)
            raise UsageError(f"unknown segment {segment!r}; valid: {valid}") from None
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        team_row = None
        if team is not None:
            team_row = session.execute(
                select(Team).where(func.lower(col(Team.name)) == team.strip().lower())
            ).scalar_one_or_none()
            if team_row is None:
                raise NotFound(f"no team named {team!r}")
        check_can_shape_teams(
            fresh, [team_row.id if team_row else None], f"the {priority.label} SLA policy"
        )
        policy = session.execute(
            select(SlaPolicy).where(
                col(SlaPolicy.priority) == int(priority),
                col(SlaPolicy.team_id).is_(None)
                if team_row is None
                else col(SlaPolicy.team_id) == team_row.id,
                col(SlaPolicy.segment).is_(None)
                if segment is None
                else col(SlaPolicy.segment) == segment,
            )
        ).scalar_one_or_none()
        created = policy is None
        if policy is None:
            policy = SlaPolicy(
                priority=int(priority),
                team_id=team_row.id if team_row else None,
                segment=segment,
                first_response_minutes=0,
                resolution_minutes=0,
            )
        check_calendars_reach(session, resolution, team_id=team_row.id if team_row else None)
        policy.first_response_minutes = int(first_response.total_seconds() // 60)
        policy.resolution_minutes = int(resolution.total_seconds() // 60)
        session.add(policy)
    view = PolicyView(
        priority, team_row.name if team_row else None, segment, first_response, resolution
    )
    return PolicyChange(view, created, recompute_due_times(store, priority=priority))


def check_reach(calendar: BusinessCalendar, name: str, target: timedelta) -> None:
    """Refuse a calendar that cannot count `target` of working time (see calendar.MAX_DAYS)."""
    try:
        calendar.add(utcnow(), target)
    except ValueError as exc:
        raise UsageError(
            f"calendar {name}: {exc}; the policies need {format_duration(target)}"
        ) from None


def longest_target(session: Session) -> timedelta:
    """The longest resolution target of any policy (or of the defaults)."""
    longest = session.execute(select(func.max(col(SlaPolicy.resolution_minutes)))).scalar()
    defaults = max(t.resolution for t in DEFAULT_TARGETS.values())
    return max(timedelta(minutes=longest or 0), defaults)


def check_calendars_reach(session: Session, target: timedelta, *, team_id: int | None) -> None:
    """Every calendar the policy applies to (the team's, or every team's) can count `target`."""
    query = (
        select(col(Calendar.name), col(Calendar.definition))
        .join(Team, col(Team.calendar_id) == col(Calendar.id))
        .distinct()
    )
    if team_id is not None:
        query = query.where(col(Team.id) == team_id)
    for name, definition in session.execute(query):
        check_reach(parse_calendar(definition), name, target)


def recompute_due_times(
    store: Store, *, priority: Priority | None = None, team_ids: Sequence[int] | None = None
) -> int:
    """Recompute the due times of the open tickets of `priority` (or of the teams), a chunk per
    transaction; returns how many changed."""
    changed = 0
    after = 0
    active = [s.value for s in ACTIVE_STATUSES]
    scope = []
    if priority is not None:
        scope.append(col(Ticket.priority) == int(priority))
    if team_ids is not None:
        if not team_ids:
            return 0
        scope.append(col(Ticket.team_id).in_(list(team_ids)))
    while True:
        with store.write() as session:
            rows = session.execute(
                select(Ticket, col(Customer.segment))
                .join(Customer, col(Customer.id) == col(Ticket.customer_id))
                .where(col(Ticket.id) > after, col(Ticket.status).in_(active), *scope)
                .order_by(col(Ticket.id))
                .limit(CHUNK)
                # a ticket being changed meanwhile waits for this chunk, or this for it
                .with_for_update(of=Ticket)
            ).all()
            rules = policy_rules(session)
            for ticket, segment in rows:
                before = (ticket.first_response_due, ticket.resolution_due, ticket.sla_due)
                set_due_times(session, ticket, segment, keep_met=True, rules=rules)
                if (ticket.first_response_due, ticket.resolution_due, ticket.sla_due) != before:
                    changed += 1
        if not rows:
            return changed
        after = rows[-1][0].id
