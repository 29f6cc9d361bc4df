"""Bulk reassignment by query, in chunks, undoable by batch id.

`plan` counts what would change and checks every rule first, changing nothing.  `apply` then
moves the tickets in chunks of at most `CHUNK` per transaction: each chunk locks its rows, moves
only those that still match and are not yet with the target (so a re-run after a crash finishes
the job without applying twice), bumps `version` itself (a bulk UPDATE is invisible to the ORM's
version counter), and writes one audit event per ticket, all under one batch id.  `undo` puts
back every ticket of a batch that nobody changed since, and says why it skipped the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, or_, select, update
from sqlmodel import Session, col

from csm_console.domain.model import Role, Status
from csm_console.domain.query import Query
from csm_console.domain.rights import Actor, check_can_bulk
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services.tickets import reload_actor, utcnow
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Team, Ticket
from csm_console.store.ticket_query import compile_query

CHUNK = 500
DEFAULT_MAX = 1000


@dataclass(frozen=True)
class ReassignPlan:
    target: str
    count: int
    sample: tuple[tuple[int, str, str | None], ...]  # (id, subject, current assignee)


@dataclass
class ReassignResult:
    batch_id: str
    changed: int = 0
    chunks: int = 0


@dataclass
class UndoResult:
    batch_id: str
    undo_batch_id: str
    reverted: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _target(session: Session, handle: str) -> Agent:
    agent: Agent | None = session.execute(
        select(Agent).where(func.lower(col(Agent.handle)) == handle.strip().lower())
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound(f"no agent with handle {handle!r}")
    if not agent.active:
        raise UsageError(f"{agent.handle} is inactive and cannot hold tickets")
    return agent


def _pending(query: Query, actor: Actor, target: Agent, now: datetime) -> list[Any]:
    """The tickets the run still has to move: they match and are not with the target yet."""
    return [
        *compile_query(query, me_id=actor.id, now=now),
        or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) != target.id),
    ]


def _check(session: Session, actor: Actor, target: Agent, conditions: list[Any]) -> None:
    """Every rule, for the whole set, before anything changes."""
    check_can_bulk(actor)
    if target.role != Role.ADMIN.value:
        tiers = [
            tier
            for (tier,) in session.execute(select(col(Ticket.tier)).where(*conditions).distinct())
            if tier != target.tier
        ]
        if tiers:
            raise UsageError(
                f"{target.handle} works {target.tier} and may not hold the {', '.join(tiers)} "
                "tickets this query matches; narrow the query (e.g. tier:"
                f"{target.tier}) or choose another agent"
            )
    if actor.role == Role.LEAD:
        if target.team_id != actor.team_id:
            raise PermissionDenied(
                f"{actor.describe()} may not reassign to {target.handle}, who is not in team "
                f"{actor.team}; leads reassign within their team; needs: admin"
            )
        outside = session.execute(
            select(func.count())
            .select_from(Ticket)
            .where(
                *conditions,
                or_(col(Ticket.team_id).is_(None), col(Ticket.team_id) != actor.team_id),
            )
        ).scalar_one()
        if outside:
            raise PermissionDenied(
                f"{actor.describe()} may not reassign {outside} of these tickets: they are "
                f'outside team {actor.team}; add team:"{actor.team}" to the query, or ask an '
                "admin"
            )


def plan(
    store: Store,
    *,
    actor: Actor,
    query: Query,
    to: str,
    max_tickets: int = DEFAULT_MAX,
    sample_size: int = 10,
    now: datetime | None = None,
) -> ReassignPlan:
    """What `apply` would do, checked in full; refuses past `max_tickets`.  Changes nothing."""
    now = now or utcnow()
    with store.read() as session:
        fresh = reload_actor(session, actor)
        target = _target(session, to)
        conditions = _pending(query, fresh, target, now)
        _check(session, fresh, target, conditions)
        count = int(
            session.execute(
                select(func.count()).select_from(Ticket).where(*conditions)
            ).scalar_one()
        )
        if count > max_tickets:
            raise UsageError(
                f"{count} tickets would change, more than --max {max_tickets}; nothing changed "
                "(raise --max, or narrow the query)"
            )
        assignee = Agent.__table__.alias("current_assignee")  # type: ignore[attr-defined]
        sample = tuple(
            (row.id, row.subject, row.handle)
            for row in session.execute(
                select(col(Ticket.id), col(Ticket.subject), assignee.c.handle)
                .outerjoin(assignee, assignee.c.id == col(Ticket.assignee_id))
                .where(*conditions)
                .order_by(col(Ticket.id))
                .limit(sample_size)
            )
        )
    return ReassignPlan(target=target.handle, count=count, sample=sample)


def apply(
    store: Store,
    *,
    actor: Actor,
    query: Query,
    to: str,
    max_tickets: int = DEFAULT_MAX,
    now: datetime | None = None,
    after_chunk: Callable[[int, int], None] | None = None,
) -> ReassignResult:
    """Move the tickets in chunks (one transaction each) under one new batch id."""
    checked = plan(store, actor=actor, query=query, to=to, max_tickets=max_tickets, now=now)
    result = ReassignResult(batch_id=f"reassign-{uuid.uuid4().hex}")
    last_id = 0
    while result.changed < checked.count:
        now_chunk = now or utcnow()
        with store.write() as session:
            fresh = reload_actor(session, actor)
            target = _target(session, to)
            conditions = _pending(query, fresh, target, now_chunk)
            chosen = (
                select(
                    col(Ticket.id),
                    col(Ticket.assignee_id),
                    col(Ticket.team_id),
                    col(Ticket.status),
                    col(Ticket.version),
                )
                .where(*conditions, col(Ticket.id) > last_id)
                .order_by(col(Ticket.id))
                .limit(CHUNK)
            )
            if store.is_postgres:
                chosen = chosen.with_for_update()
            rows = list(session.execute(chosen))
            if not rows:
                break
            ids = [r.id for r in rows]
            last_id = ids[-1]
            session.execute(
                update(Ticket)
                .where(col(Ticket.id).in_(ids))
                .values(
                    assignee_id=target.id,
                    team_id=target.team_id
                    if target.team_id is not None and target.role != Role.ADMIN.value
                    else col(Ticket.team_id),
                    status=case(
                        (col(Ticket.status) == Status.NEW.value, Status.OPEN.value),
                        else_=col(Ticket.status),
                    ),
                    version=col(Ticket.version) + 1,
                    updated_at=now_chunk,
                )
                .execution_options(synchronize_session=False)
            )
            handles = _handles(session, {r.assignee_id for r in rows})
            teams = _team_names(session, {r.team_id for r in rows} | {target.team_id})
            events: list[dict[str, Any]] = []
            for r in rows:
                base = {
                    "ticket_id": r.id,
                    "actor_id": fresh.id,
                    "action": "reassign",
                    "created_at": now_chunk,
                    "batch_id": result.batch_id,
                    "version": r.version + 1,
                }
                events.append(
                    {
                        **base,
                        "field": "assignee",
                        "old_value": handles.get(r.assignee_id),
                        "new_value": target.handle,
                    }
                )
                new_team = target.team_id if target.role != Role.ADMIN.value else r.team_id
                if new_team != r.team_id:
                    events.append(
                        {
                            **base,
                            "field": "team",
                            "old_value": teams.get(r.team_id),
                            "new_value": teams.get(new_team),
                        }
                    )
                if r.status == Status.NEW.value:
                    events.append(
                        {**base, "field": "status", "old_value": "new", "new_value": "open"}
                    )
            session.execute(insert(AuditEvent), events)
        result.changed += len(rows)
        result.chunks += 1
        if after_chunk is not None:
            after_chunk(result.chunks, result.changed)
    return result


def _handles(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(col(Agent.id), col(Agent.handle)).where(col(Agent.id).in_(wanted))
    )
    return {agent_id: handle for agent_id, handle in rows}  # noqa: C416 (a Result has keys())


def _team_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(col(Team.id), col(Team.name)).where(col(Team.id).in_(wanted)))
    return {team_id: name for team_id, name in rows}  # noqa: C416 (a Result has keys())


def undo(store: Store, *, actor: Actor, batch_id: str, now: datetime | None = None) -> UndoResult:
    """Put back each ticket of the batch that is still at the version the batch left it."""
    now = now or utcnow()
    result = UndoResult(batch_id=batch_id, undo_batch_id=f"undo-{uuid.uuid4().hex}")
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        events = list(
            session.execute(
                select(AuditEvent)
                .where(col(AuditEvent.batch_id) == batch_id)
                .order_by(col(AuditEvent.ticket_id), col(AuditEvent.id))
            ).scalars()
        )
        if not events:
            raise NotFound(f"no batch {batch_id!r} in the audit")
        by_ticket: dict[int, list[AuditEvent]] = {}
        for event in events:
            if event.ticket_id is not None:
                by_ticket.setdefault(event.ticket_id, []).append(event)
        handles = session.execute(select(col(Agent.handle), col(Agent.id)))
        agent_ids = {handle: i for handle, i in handles}  # noqa: C416 (a Result has keys())
        names = session.execute(select(col(Team.name), col(Team.id)))
        team_ids = {name: i for name, i in names}  # noqa: C416 (a Result has keys())
        for ticket_id, changes in by_ticket.items():
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            left_at = changes[0].version
            if ticket is None:
                result.skipped.append((ticket_id, "the ticket no longer exists"))
                continue
            if ticket.version != left_at:
                result.skipped.append(
                    (
                        ticket_id,
                        f"changed since the batch (version {left_at}, "
                        f"now {ticket.version}); left as it is",
                    )
                )
                continue
            if fresh.role == Role.LEAD and ticket.team_id != fresh.team_id:
                result.skipped.append((ticket_id, f"outside team {fresh.team}; needs: admin"))
                continue
            ticket.version += 1
            ticket.updated_at = now
            for change in changes:
                if change.field == "assignee":
                    ticket.assignee_id = agent_ids.get(change.old_value or "")
                elif change.field == "team":
                    ticket.team_id = team_ids.get(change.old_value or "")
                elif change.field == "status" and change.old_value:
                    ticket.status = change.old_value
                else:
                    continue
                session.add(
                    AuditEvent(
                        ticket_id=ticket_id,
                        actor_id=fresh.id,
                        action="undo",
                        field=change.field,
                        old_value=change.new_value,
                        new_value=change.old_value,
                        created_at=now,
                        batch_id=result.undo_batch_id,
                        version=ticket.version,
                    )
                )
            result.reverted.append(ticket_id)
    return result
