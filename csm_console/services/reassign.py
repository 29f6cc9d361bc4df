"""Bulk reassignment by query, in chunks, undoable by batch id.

`plan` counts what would change and checks every rule first (one pass over the matches),
changing nothing.  `apply` makes the same pass, keeping the matching ids, then moves them in id
order in chunks of at most `CHUNK` per transaction: each chunk locks those of its ids that still
match and are not yet with the target (so a re-run after a crash finishes the job without
applying twice, and a ticket changed meanwhile is left alone), writes one audit event per ticket
and change with `INSERT ... SELECT` (old values read in SQL), and moves them with one `UPDATE`
that bumps `version` itself (a bulk UPDATE is invisible to the ORM's version counter), all under
one batch id; on PostgreSQL all of that is one statement (`store.bulk_moves`).  A ticket moving
into a team that keeps another business-hours calendar gets its clocks recounted in that
calendar first, exactly as one assignment does (`move_to_team`).
Tickets that start matching after the pass are left to the next run.  `undo` puts back every
ticket of a batch that nobody changed since, and says why it skipped the others.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlmodel import Session, col

from csm_console.domain.model import Role, Status
from csm_console.domain.query import Query
from csm_console.domain.rights import Actor, check_can_bulk
from csm_console.errors import Conflict, NotFound, NothingToDo, PermissionDenied, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ticket_core import (
    agent_by_handle,
    bump_version,
    move_to_team,
    refresh_clock,
    reload_actor,
    stamp_status,
    team_calendar,
)
from csm_console.store import bulk_moves, import_load
from csm_console.store.engine import Store
from csm_console.store.models import AUDIT_COLUMNS, Agent, AuditEvent, Team, Ticket
from csm_console.store.ticket_query import compile_query
from csm_console.store.types import UTCDateTime

# Tickets a chunk moves, in one transaction, at first (`_Pace`): 1,000, not 500, as each chunk
# pays a round of fixed work (on SQLite a commit writing the chunk's index pages again) and a
# chunk of 1,000 still holds its locks for well under a second.
CHUNK = 1000
CHUNK_MAX = 8  # a job's chunks grow up to this many times CHUNK (`_Pace`) ...
CHUNK_BUDGET = 0.25  # ... while each holds its locks for well under these seconds
UNDOABLE = ("assignee", "team", "status")  # what an assignment changes, and undo puts back
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
    undo_batch_id: str | None = None  # made with the first ticket put back: none for no change
    reverted: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # undone before: nothing to do for them
    skipped: list[tuple[int, str]] = field(default_factory=list)
    skip_codes: list[int] = field(default_factory=list)  # the exit code each skip stands for

    def skip(self, ticket_id: int, reason: str, code: int) -> None:
        self.skipped.append((ticket_id, reason))
        self.skip_codes.append(code)


def _target(session: Session, handle: str) -> Agent:
    agent = agent_by_handle(session, handle)
    if not agent.active:
        raise UsageError(f"{agent.handle} is inactive and cannot hold tickets")
    return agent


def _pending(query: Query, actor: Actor, target: Agent, now: datetime) -> list[Any]:
    """The tickets the run still has to move: they match and are not with the target yet."""
    return [
        *compile_query(query, me_id=actor.id, now=now),
        or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) != target.id),
    ]


@dataclass(frozen=True)
class _Survey:
    """What the query matches, as far as the rules care: one pass over the matching tickets."""

    count: int
    tiers: frozenset[str]  # the tiers among the matches
    outside: int  # how many lie outside the acting lead's team (0 for an admin)
    ids: tuple[int, ...] | None = None  # the matching ids in id order, when asked for


def _survey(
    session: Session, actor: Actor, conditions: list[Any], *, with_ids: bool = False
) -> _Survey:
    """Count the matches, their tiers and (for a lead) those outside the team in one scan."""
    outside_team: Any = None
    if actor.role == Role.LEAD:
        outside_team = or_(
            col(Ticket.team_id).is_(None), col(Ticket.team_id) != actor.team_id
        ).label("outside")
    tiers: set[str] = set()
    count = outside = 0
    if with_ids:
        columns = [col(Ticket.id), col(Ticket.tier)]
        if outside_team is not None:
            columns.append(outside_team)
        ids: list[int] = []
        # through the connection, not the ORM session: plain rows, no ORM loading for each
        rows: Any = session.connection().execute(select(*columns).where(*conditions))
        for row in rows:
            ids.append(row[0])
            tiers.add(row[1])
            if outside_team is not None and row[2]:
                outside += 1
        ids.sort()
        return _Survey(len(ids), frozenset(tiers), outside, tuple(ids))
    groups = [col(Ticket.tier)] if outside_team is None else [col(Ticket.tier), outside_team]
    for row in session.execute(select(*groups, func.count()).where(*conditions).group_by(*groups)):
        tiers.add(row[0])
        count += row[-1]
        if outside_team is not None and row[1]:
            outside += row[-1]
    return _Survey(count, frozenset(tiers), outside)


def _check(actor: Actor, target: Agent, survey: _Survey) -> None:
    """Every rule, for the whole set, before anything changes."""
    if target.role != Role.ADMIN.value:
        tiers = sorted(tier for tier in survey.tiers if tier != target.tier)
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
        if survey.outside:
            raise PermissionDenied(
                f"{actor.describe()} may not reassign {survey.outside} of these tickets: they "
                f'are outside team {actor.team}; add team:"{actor.team}" to the query, or ask '
                "an admin"
            )


def _checked(
    session: Session,
    actor: Actor,
    query: Query,
    to: str,
    max_tickets: int,
    now: datetime,
    *,
    with_ids: bool,
) -> tuple[Agent, list[Any], _Survey]:
    fresh = reload_actor(session, actor)
    target = _target(session, to)
    check_can_bulk(fresh)
    conditions = _pending(query, fresh, target, now)
    survey = _survey(session, fresh, conditions, with_ids=with_ids)
    _check(fresh, target, survey)
    if survey.count > max_tickets:
        raise UsageError(
            f"{survey.count} tickets would change, more than --max {max_tickets}; nothing "
            "changed (raise --max, or narrow the query)"
        )
    return target, conditions, survey


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
        target, conditions, survey = _checked(
            session, actor, query, to, max_tickets, now, with_ids=False
        )
        assignee = Agent.__table__.alias("current_assignee")
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
    return ReassignPlan(target=target.handle, count=survey.count, sample=sample)


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
    """Move the tickets in chunks (one transaction each) under one new batch id.

    The matching ids are read once, up front, with whatever index suits the query; each chunk
    then takes the next `CHUNK` of them (or more, as the store's pace allows: `_Pace`),
    locks those that still match and are not yet with the
    target (by primary key), writes their audit events with one `INSERT ... SELECT` per kind of
    change (old values read in SQL, before the update) and moves them with one `UPDATE` (on
    PostgreSQL: one statement, `_move_chunk`).
    """
    with store.read() as session:
        target, _, survey = _checked(
            session, actor, query, to, max_tickets, now or utcnow(), with_ids=True
        )
    result = ReassignResult(batch_id=f"reassign-{uuid.uuid4().hex}")
    ids = survey.ids or ()
    pace = _Pace(grows=True)
    with store.bulk():
        start = 0
        while start < len(ids):
            part = ids[start : start + pace.size]
            started = time.perf_counter()
            moved = _move_chunk(
                store,
                actor=actor,
                query=query,
                to=to,
                target=target,
                ids=part,
                batch_id=result.batch_id,
                now=now or utcnow(),
            )
            start += len(part)
            pace.took(time.perf_counter() - started)
            if not moved:
                continue  # every one of them changed since the survey: nothing to do here
            result.changed += moved
            result.chunks += 1
            if after_chunk is not None:
                after_chunk(result.chunks, result.changed)
    return result


class _Pace:
    """How many tickets the next chunk takes.  The first two take `CHUNK`, the first also
    paying for cold caches and compiled statements; from then on a chunk takes twice as many
    while one takes under half of `CHUNK_BUDGET`, up to `CHUNK_MAX` times `CHUNK`, and half as
    many (never fewer than `CHUNK`) when one takes longer than the budget.  A chunk holds its
    locks until it commits (SQLite: the store's one write lock, PostgreSQL: its tickets' rows),
    so a console saving meanwhile waits for about one chunk at most (store.bulk_turn); and
    every chunk costs its own round of fixed work: on SQLite a commit writing the chunk's index
    pages anew (an agent's tickets lie all over the indexes of update time, holder and the
    report), on PostgreSQL the statement's plan, its statement triggers and the commit's flush.
    `grows=False`: always `CHUNK`."""

    def __init__(self, *, grows: bool) -> None:
        self.size = CHUNK
        self.grows = grows
        self.timed = 0

    def took(self, seconds: float) -> None:
        self.timed += 1
        if not self.grows or self.timed < 2:
            return
        if seconds < CHUNK_BUDGET / 2 and self.size < CHUNK * CHUNK_MAX:
            self.size *= 2
        elif seconds > CHUNK_BUDGET and self.size > CHUNK:
            self.size //= 2


_TICKET = Ticket.__table__
_TEAM = Team.__table__
_AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]


def _move_chunk(
    store: Store,
    *,
    actor: Actor,
    query: Query,
    to: str,
    target: Agent,
    ids: Sequence[int],
    batch_id: str,
    now: datetime,
) -> int:
    """One transaction: lock the still-pending tickets among `ids`, audit them, move them.

    On PostgreSQL the tickets whose clocks keep their calendar (nearly always all of them) move
    in one statement (`store.bulk_moves`), which also finds the acting agent and the target as
    the survey left them (active, the same role and team); when it moves nothing, or leaves
    tickets whose new team keeps another calendar, the chunk goes on as on SQLite
    (`_checked_chunk`): the agents re-read (a deactivated one stops the job), and the tickets
    read, recounted, audited and moved statement by statement (`_move_rows`)."""
    with store.write() as session:
        moved = 0
        if store.is_postgres:
            new_team = _new_team(target)
            same, _ = _calendars(new_team)
            moved, rest = bulk_moves.move_chunk_postgres(
                session.connection(),
                ids=ids,
                pending=[*_pending(query, actor, target, now), *_as_surveyed(actor, target, to)],
                kept=same,
                actor_id=actor.id,
                target_id=_id(target),
                target_handle=target.handle,
                new_team=new_team,
                now=now,
                batch_id=batch_id,
            )
            if moved and not rest:
                return moved
        return moved + _checked_chunk(
            session, store, actor=actor, query=query, to=to, ids=ids, batch_id=batch_id, now=now
        )


def _new_team(target: Agent) -> int | None:
    """The team a ticket moves into with `target` (None: it keeps its own)."""
    if target.team_id is not None and target.role != Role.ADMIN.value:
        return target.team_id
    return None


_AGENT = Agent.__table__


def _as_surveyed(actor: Actor, target: Agent, to: str) -> list[Any]:
    """Conditions true while the acting agent is active and the target still the one surveyed:
    active, under that handle, with the same role and team."""
    a, b = _AGENT.alias("acting"), _AGENT.alias("target")
    return [
        select(a.c.id).where(a.c.id == actor.id, a.c.active).exists(),
        select(b.c.id)
        .where(
            b.c.id == target.id,
            b.c.active,
            func.lower(b.c.handle) == to.strip().lower(),
            b.c.role == target.role,
            b.c.team_id.is_not_distinct_from(target.team_id),
        )
        .exists(),
    ]


def _calendars(new_team: int | None) -> tuple[list[Any], list[Any]]:
    """The conditions for the tickets whose clocks keep their calendar when they move into
    `new_team` (the team they have keeps the new team's calendar, or both keep none), and for
    the others (`_recount_clocks`); none when the tickets keep their teams."""
    if new_team is None:
        return [], []
    of = _TEAM.alias("of_ticket")
    new = _TEAM.alias("new_team")
    theirs = select(of.c.calendar_id).where(of.c.id == _TICKET.c.team_id).scalar_subquery()
    kept = select(new.c.calendar_id).where(new.c.id == new_team).scalar_subquery()
    return [theirs.is_not_distinct_from(kept)], [theirs.is_distinct_from(kept)]


def _checked_chunk(
    session: Session,
    store: Store,
    *,
    actor: Actor,
    query: Query,
    to: str,
    ids: Sequence[int],
    batch_id: str,
    now: datetime,
) -> int:
    """The chunk with the agents re-read in its transaction (`reload_actor` refuses one made
    inactive meanwhile), on the road that reads the tickets (`_move_rows`); on PostgreSQL the
    tickets whose clocks keep their calendar go by the one statement first."""
    fresh = reload_actor(session, actor)
    target = _target(session, to)
    conditions = _pending(query, fresh, target, now)
    new_team = _new_team(target)
    moved = 0
    if store.is_postgres:
        same, _ = _calendars(new_team)
        moved, _ = bulk_moves.move_chunk_postgres(
            session.connection(),
            ids=ids,
            pending=conditions,
            kept=same,
            actor_id=fresh.id,
            target_id=_id(target),
            target_handle=target.handle,
            new_team=new_team,
            now=now,
            batch_id=batch_id,
        )
    return moved + _move_rows(
        session,
        actor=fresh,
        target=target,
        conditions=conditions,
        ids=ids,
        new_team=new_team,
        batch_id=batch_id,
        now=now,
    )


def _move_rows(
    session: Session,
    *,
    actor: Actor,
    target: Agent,
    conditions: list[Any],
    ids: Sequence[int],
    new_team: int | None,
    batch_id: str,
    now: datetime,
) -> int:
    """Lock the still-pending tickets among `ids`, recount their clocks if need be, audit them
    (one `INSERT ... SELECT` per kind of change) and move them (one `UPDATE`)."""
    dialect = session.get_bind().dialect.name
    chosen = (
        select(_TICKET.c.id, _TICKET.c.team_id, _TICKET.c.status)
        .where(import_load.among(session, _TICKET.c.id, ids), *conditions)
        .order_by(_TICKET.c.id)
    )
    if dialect == "postgresql":
        # plain FOR UPDATE, not SKIP LOCKED: a ticket somebody is saving right now is
        # waited for and then re-checked against the query, never silently left behind
        chosen = chosen.with_for_update(of=_TICKET)
    rows = session.execute(chosen).all()
    if not rows:
        return 0
    moving = [r.id for r in rows]
    team_moves = [r.id for r in rows if new_team is not None and r.team_id != new_team]
    opening = [r.id for r in rows if r.status == Status.NEW.value]
    connection = session.connection()

    def audit(field: str, which: list[int], old: Any, new: Any, joins: Any) -> None:
        connection.execute(
            insert(_AUDIT).from_select(
                AUDIT_COLUMNS,
                select(
                    _TICKET.c.id,
                    literal(actor.id, Integer()),
                    literal("reassign", String()),
                    literal(field, String()),
                    old,
                    new,
                    literal(now, UTCDateTime()),
                    literal(batch_id, String()),
                    _TICKET.c.version + 1,
                )
                .select_from(joins)
                .where(import_load.among(session, _TICKET.c.id, which))
                .order_by(_TICKET.c.id),
            )
        )

    holder = Agent.__table__.alias("old_holder")
    audit(
        "assignee",
        moving,
        holder.c.handle,
        literal(target.handle, String()),
        _TICKET.outerjoin(holder, holder.c.id == _TICKET.c.assignee_id),
    )
    values: dict[str, Any] = {
        "assignee_id": target.id,
        "version": _TICKET.c.version + 1,
        "updated_at": now,
    }
    if team_moves:
        old_team = Team.__table__.alias("old_team")
        new_name = session.execute(
            select(col(Team.name)).where(col(Team.id) == new_team)
        ).scalar_one()
        audit(
            "team",
            team_moves,
            old_team.c.name,
            literal(new_name, String()),
            _TICKET.outerjoin(old_team, old_team.c.id == _TICKET.c.team_id),
        )
        values["team_id"] = new_team
        _recount_clocks(session, team_moves, new_team)
    if opening:
        audit(
            "status",
            opening,
            literal(Status.NEW.value, String()),
            literal(Status.OPEN.value, String()),
            _TICKET,
        )
        values["status"] = case(
            (_TICKET.c.status == Status.NEW.value, Status.OPEN.value),
            else_=_TICKET.c.status,
        )
    connection.execute(
        update(_TICKET).where(import_load.among(session, _TICKET.c.id, moving)).values(values)
    )
    return len(moving)


def _id(agent: Agent) -> int:
    assert agent.id is not None
    return agent.id


_CLOCKS = (
    "paused_seconds",
    "first_response_due",
    "resolution_due",
    "sla_due",
    "first_response_seconds",
    "resolution_seconds",
)


def _recount_clocks(session: Session, ids: Sequence[int], team_id: int | None) -> None:
    """The tickets among `ids` whose new team keeps another calendar get their clocks recounted
    in it, as one assignment does (`ticket_core.move_to_team`: pauses, due times from creation,
    a met target kept), before the chunk's UPDATE moves them.  The other tickets' clocks stay:
    the same calendar counts the same time."""
    calendar = team_calendar(session, team_id)
    olds = session.execute(
        select(_TICKET.c.team_id).where(_TICKET.c.id.in_(ids)).group_by(_TICKET.c.team_id)
    ).scalars()
    differ = [old for old in olds if team_calendar(session, old) != calendar]
    if not differ:
        return
    changed: list[dict[str, Any]] = []
    with session.no_autoflush:
        for ticket in session.execute(
            select(Ticket)
            .where(col(Ticket.id).in_(ids), col(Ticket.team_id).in_(differ))
            .order_by(col(Ticket.id))
        ).scalars():
            move_to_team(session, ticket, team_id)
            changed.append({"key": ticket.id, **{f"new_{c}": getattr(ticket, c) for c in _CLOCKS}})
            session.expunge(ticket)  # the UPDATE below writes them, not the ORM
    session.connection().execute(
        update(_TICKET)
        .where(_TICKET.c.id == bindparam("key"))
        .values({c: bindparam(f"new_{c}") for c in _CLOCKS}),
        changed,
    )


def undo(store: Store, *, actor: Actor, batch_id: str, now: datetime | None = None) -> UndoResult:
    """Put back each ticket of the batch that is still at the version the batch left it.

    A batch already undone is nothing to do (`NothingToDo`, exit 0), and no undo batch id is
    made for it: the result has one only when a ticket was put back."""
    now = now or utcnow()
    result = UndoResult(batch_id=batch_id)
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
        if not any(e.field == "assignee" for e in events):
            fields = ", ".join(sorted({e.field or e.action for e in events}))
            raise UsageError(
                f"batch {batch_id} changed {fields}; undo puts back assignments only "
                "(batches of tickets reassign, tickets assign and agents deactivate)"
            )
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
                result.skip(ticket_id, "the ticket no longer exists", NotFound.exit_code)
                continue
            if not any(c.field == "assignee" for c in changes):
                continue  # this ticket's part of the batch was no assignment
            if ticket.version != left_at:
                undone = session.execute(
                    select(col(AuditEvent.id)).where(
                        col(AuditEvent.ticket_id) == ticket_id,
                        col(AuditEvent.action) == "undo",
                        col(AuditEvent.version) == (left_at or 0) + 1,
                    )
                ).first()
                if undone:
                    result.already.append(ticket_id)
                    continue
                result.skip(
                    ticket_id,
                    f"changed since the batch (version {left_at}, now {ticket.version}); "
                    "left as it is",
                    Conflict.exit_code,
                )
                continue
            if fresh.role == Role.LEAD and ticket.team_id != fresh.team_id:
                result.skip(
                    ticket_id,
                    f"outside team {fresh.team}; needs: admin",
                    PermissionDenied.exit_code,
                )
                continue
            if result.undo_batch_id is None:
                result.undo_batch_id = f"undo-{uuid.uuid4().hex}"
            bump_version(ticket, now)
            for change in changes:
                if change.field not in UNDOABLE:
                    continue
                if change.field == "assignee":
                    ticket.assignee_id = agent_ids.get(change.old_value or "")
                elif change.field == "team":
                    move_to_team(session, ticket, team_ids.get(change.old_value or ""))
                elif change.field == "status" and change.old_value:
                    reopens = ticket.reopen_count
                    # the times follow the status back (a pause ends or starts again)
                    stamp_status(session, ticket, Status(change.old_value), now)
                    ticket.reopen_count = reopens  # an undo is not a reopen
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
            refresh_clock(ticket)
            result.reverted.append(ticket_id)
        if result.already and not result.reverted and not result.skipped:
            count = len(result.already)
            raise NothingToDo(
                f"nothing to undo: batch {batch_id} was already undone "
                f"({count} ticket{'s' if count != 1 else ''})"
            )
    return result
