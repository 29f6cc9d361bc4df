"""Importing tickets from files and exporting them again (`csm import`, `csm export`).

An import is all or nothing.  Every record is parsed and checked first (fields, then the teams,
agents and rights it refers to); one bad record means nothing is written, and every problem is
reported with its line or index and field.  Then all records are written in one transaction
under one batch id.  A record whose `external_id` is already in the store updates that ticket:
only the fields the record gives, each change audited, the version bumped once; a record that
changes nothing leaves the ticket alone, so re-running an import is harmless.

An export writes the same record shape (plus the store's read-only fields, which an import
accepts and ignores), page by page so memory stays flat: an export re-imports as it is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from csm_console.domain.durations import iso_utc
from csm_console.domain.model import Channel, Priority, Role, Status, Tier
from csm_console.domain.query import Query, Sort
from csm_console.domain.rights import Actor, check_can_bulk
from csm_console.domain.stored import shown_invalid
from csm_console.domain.text import fold
from csm_console.domain.ticket_record import (
    MAX_PROBLEMS,
    RecordProblem,
    TicketRecord,
    check_records,
    detect_format,
    read_records,
)
from csm_console.domain.workflow import check_transition
from csm_console.errors import BadRecords, NothingToDo, PermissionDenied, UsageError
from csm_console.services import repeat_contacts, ticket_core, ticket_reads
from csm_console.services.clock import utcnow
from csm_console.services.progress import Progress, no_progress
from csm_console.services.records import TicketRow
from csm_console.services.routing import route
from csm_console.store.engine import Store
from csm_console.store.models import (
    Agent,
    Customer,
    Message,
    StoreInfo,
    Team,
    Ticket,
    TicketTag,
)

BATCH_PREFIX = "import-"
OWN_PREFIX = "csm-"  # `csm-<store key>-<id>`: how an export names a ticket that has no external id
_IN_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class ImportOutcome:
    where: str
    action: str  # created, updated or unchanged
    ticket_id: int | None  # None for a ticket a dry run would create
    external_id: str | None
    changed: tuple[str, ...] = ()  # the fields an update changed


@dataclass(frozen=True)
class ImportResult:
    batch_id: str
    outcomes: tuple[ImportOutcome, ...]
    dry_run: bool

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {len(self.outcomes)} record{'s' if len(self.outcomes) != 1 else ''}: "
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )


class _DryRun(Exception):
    def __init__(self, result: ImportResult) -> None:
        self.result = result


def _refuse(problems: Sequence[RecordProblem], source: str) -> BadRecords:
    shown = [str(p) for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
    noun = "problem" if len(problems) == 1 else "problems"
    first = f" ({problems[0]})" if len(problems) == 1 else ""
    return BadRecords(f"{len(problems)} {noun} in {source}{first}; nothing was imported", shown)


def parse_import(
    data: bytes, *, fmt: str | None, source: str, raw: bool = False
) -> list[TicketRecord]:
    """Every record of the file, checked; raises BadRecords listing the problems.  `raw`: CSV
    cells are taken as they are (a file from `csm export --raw`), not un-defused."""
    fmt = fmt or detect_format(source, data)
    try:
        records, problems = check_records(read_records(data, fmt, raw=raw))
    except RecordProblem as problem:
        raise _refuse([problem], source) from None
    if problems:
        raise _refuse(problems, source)
    if not records:
        raise NothingToDo(f"nothing to do: no ticket records in {source}")
    return records


def import_tickets(
    store: Store,
    *,
    actor: Actor,
    data: bytes,
    fmt: str | None = None,
    source: str = "the input",
    dry_run: bool = False,
    raw: bool = False,
    now: datetime | None = None,
    progress: Progress = no_progress,
) -> ImportResult:
    """Import ticket records (a JSON array, NDJSON or CSV), all or nothing; see the module.
    `progress` hears of each record checked, then of each record written."""
    records = parse_import(data, fmt=fmt, source=source, raw=raw)
    now = now or utcnow()
    batch_id = BATCH_PREFIX + uuid.uuid4().hex[:12]
    try:
        with store.write() as session:
            fresh = ticket_core.reload_actor(session, actor)
            check_can_bulk(fresh)
            lookup = _Lookup(session, fresh)
            existing = lookup.tickets_by_external_id(
                [r.external_id for r in records if r.external_id is not None]
            )
            plans: list[_Plan] = []
            problems: list[RecordProblem] = []
            for number, record in enumerate(records, 1):
                current = existing.get(record.external_id) if record.external_id else None
                try:
                    plans.append(_plan(lookup, record, current))
                except RecordProblem as problem:
                    problems.append(problem)
                progress("checking", number, len(records))
            if problems:
                raise _refuse(problems, source)
            applied: list[ImportOutcome] = []
            for plan in plans:
                applied.append(_apply(session, fresh, plan, batch_id, now))
                progress("importing", len(applied), len(plans))
            outcomes = tuple(applied)
            if dry_run:  # roll the transaction back; a new ticket's id is not known yet
                outcomes = tuple(
                    replace(o, ticket_id=None) if o.action == "created" else o for o in outcomes
                )
                raise _DryRun(ImportResult(batch_id, outcomes, dry_run=True))
            return ImportResult(batch_id, outcomes, dry_run=False)
    except _DryRun as dry:
        return dry.result


# --- resolving what a record refers to ---------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    record: TicketRecord
    current: Ticket | None
    tier: Tier
    team: Team
    assignee: Agent | None  # the assignee to set, when `set_assignee`
    set_assignee: bool


class _Lookup:
    """Teams, agents and tickets by name, read once per import."""

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

    def tickets_by_external_id(self, external_ids: list[str]) -> dict[str, Ticket]:
        """The tickets these records update, locked for the rest of the import: by the external
        id stored on them, or by this store's own export name `csm-<store key>-<id>`."""
        found: dict[str, Ticket] = {}
        own = re.compile(re.escape(f"{OWN_PREFIX}{store_key(self.session)}-") + r"([0-9]{1,18})")
        by_id = {int(m.group(1)): e for e in external_ids if (m := own.fullmatch(e))}
        for column, keys in (
            (col(Ticket.external_id), external_ids),
            (col(Ticket.id), list(by_id)),
        ):
            for start in range(0, len(keys), _IN_CHUNK):
                statement = (
                    select(Ticket)
                    .where(column.in_(keys[start : start + _IN_CHUNK]))
                    .with_for_update()
                )
                for ticket in self.session.execute(statement).scalars():
                    if ticket.external_id in keys:
                        found[ticket.external_id] = ticket
                    elif ticket.id in by_id:
                        found.setdefault(by_id[ticket.id], ticket)
        return found


def store_key(session: Session) -> str:
    """The store's random name (made by migration 0002; made here if someone deleted it)."""
    info = session.get(StoreInfo, "store_key")
    if info is None:
        info = StoreInfo(key="store_key", value=uuid.uuid4().hex[:10])
        session.add(info)
        session.flush()
    return info.value


def _plan(lookup: _Lookup, record: TicketRecord, current: Ticket | None) -> _Plan:
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
    return _Plan(
        record=record,
        current=current,
        tier=tier,
        team=team,
        assignee=assignee,
        set_assignee=record.assignee is not None,
    )


def _check_rights(
    lookup: _Lookup, record: TicketRecord, team: Team, current: Ticket | None
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


# --- writing ------------------------------------------------------------------------------------


def _apply(
    session: Session, actor: Actor, plan: _Plan, batch_id: str, now: datetime
) -> ImportOutcome:
    record = plan.record
    if plan.current is None:
        return _create(session, actor, plan, batch_id, now)
    changed = _update(session, actor, plan, batch_id, now)
    assert plan.current.id is not None
    return ImportOutcome(
        where=record.where,
        action="updated" if changed else "unchanged",
        ticket_id=plan.current.id,
        external_id=record.external_id,
        changed=tuple(changed),
    )


def _create(
    session: Session, actor: Actor, plan: _Plan, batch_id: str, now: datetime
) -> ImportOutcome:
    record = plan.record
    channel = record.channel or Channel.EMAIL
    customer = ticket_core.find_or_add_customer(
        session,
        email=record.customer_email,
        name=record.customer_name,
        language=record.language,
        channel=channel,
        text=record.subject + " " + record.body,
    )
    status = record.status or (Status.OPEN if plan.assignee is not None else Status.NEW)
    new = ticket_core.NewTicket(
        customer=customer,
        subject=record.subject,
        body=record.body,
        channel=channel,
        priority=record.priority or Priority.NORMAL,
        category=record.category,
        tags=record.tags or (),
        tier=plan.tier,
        team=plan.team,
        created_at=record.created_at or now,
        status=status,
        assignee=plan.assignee,
        first_response_at=record.first_response_at,
        solved_at=record.solved_at,
        external_id=record.external_id,
    )
    rule = None
    if status.is_active:  # routing shapes tickets still to be worked, not closed history
        new, rule = route(session, new)
    ticket = ticket_core.insert_ticket(
        session, new, actor=actor, now=now, batch_id=batch_id, rule=rule
    )
    return ImportOutcome(record.where, "created", ticket.id, record.external_id)


def _update(session: Session, actor: Actor, plan: _Plan, batch_id: str, now: datetime) -> list[str]:
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
    first = session.execute(
        select(Message)
        .where(col(Message.ticket_id) == ticket.id, col(Message.author_kind) == "customer")
        .order_by(col(Message.id))
        .limit(1)
    ).scalar_one_or_none()
    if first is not None and change("body", _digest(first.body), _digest(record.body)):
        first.body = record.body
    customer = ticket_core.find_or_add_customer(
        session,
        email=record.customer_email,
        name=record.customer_name,
        language=record.language,
        channel=record.channel or Channel(ticket.channel),
        text=record.subject + " " + record.body,
    )
    old_customer = session.get(Customer, ticket.customer_id)
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
    if change("team", ticket_core.team_name(session, ticket.team_id), plan.team.name):
        ticket_core.move_to_team(session, ticket, plan.team.id)
        deadlines = True
    if plan.set_assignee:
        old = session.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
        new = plan.assignee
        if change("assignee", old.handle if old else None, new.handle if new else None):
            ticket.assignee_id = new.id if new else None
    if record.category is not None and change("category", ticket.category, record.category):
        ticket.category = record.category
    if record.tags is not None:
        tags = sorted(
            session.execute(
                select(col(TicketTag.tag)).where(col(TicketTag.ticket_id) == ticket.id)
            ).scalars()
        )
        if change("tags", " ".join(tags), " ".join(record.tags)):
            for tag in set(tags) - set(record.tags):
                stale = session.get(TicketTag, (ticket.id, tag))
                if stale is not None:
                    session.delete(stale)
            for tag in set(record.tags) - set(tags):
                session.add(TicketTag(ticket_id=ticket.id, tag=tag))
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
        _rebuild_search_text(session, ticket)
    if deadlines:
        ticket_core.set_due_times(session, ticket, customer.segment, keep_met=False)
    ticket_core.measure_times(ticket, ticket_core.team_calendar(session, ticket.team_id))
    if {"customer", "category", "created_at", "solved_at"} & {c[0] for c in changes}:
        repeat_contacts.refresh(session, {was_in, repeat_contacts.group_of(ticket)})
    ticket_core.bump_version(ticket, now)
    for field, old_value, new_value in changes:
        ticket_core.write_audit(
            session,
            ticket,
            actor,
            "import",
            now,
            field=field,
            old=old_value,
            new=new_value,
            batch_id=batch_id,
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


def _rebuild_search_text(session: Session, ticket: Ticket) -> None:
    bodies = session.execute(
        select(col(Message.body))
        .where(col(Message.ticket_id) == ticket.id)
        .order_by(col(Message.id))
    ).scalars()
    text = fold(ticket.subject) + "".join("\n" + fold(b) for b in bodies)
    ticket.search_text = text[: ticket_core.MAX_SEARCH_TEXT]


# --- export -------------------------------------------------------------------------------------


def iter_export(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    sort: Sort,
    limit: int | None = None,
    page_size: int = 1000,
    now: datetime | None = None,
    on_invalid: Callable[[TicketRow], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching ticket as an import record (plus read-only fields), page by page.  A
    ticket without an external id is named `csm-<store key>-<id>`, so that importing the export
    into this store again updates the tickets instead of copying them.  A ticket holding
    invalid values is exported all the same, and also passed to `on_invalid`."""
    with store.read() as session:
        info = session.get(StoreInfo, "store_key")
        prefix = f"{OWN_PREFIX}{info.value}-" if info is not None else None
    page: list[TicketRow] = []
    for row in ticket_reads.iter_tickets(
        store, actor=actor, query=query, sort=sort, limit=limit, page_size=page_size, now=now
    ):
        if row.invalid and on_invalid is not None:
            on_invalid(row)
        page.append(row)
        if len(page) >= page_size:
            yield from _export_page(store, page, prefix)
            page = []
    if page:
        yield from _export_page(store, page, prefix)


def _export_page(
    store: Store, rows: list[TicketRow], prefix: str | None
) -> Iterator[dict[str, Any]]:
    ids = [r.id for r in rows]
    first_message = (
        select(func.min(col(Message.id)))
        .where(col(Message.ticket_id) == col(Ticket.id), col(Message.author_kind) == "customer")
        .correlate(Ticket)
        .scalar_subquery()
    )
    with store.read() as session:
        extra = {
            ticket_id: (language, body)
            for ticket_id, language, body in session.execute(
                select(col(Ticket.id), col(Customer.language), col(Message.body))
                .join(Customer, col(Customer.id) == col(Ticket.customer_id))
                .outerjoin(Message, col(Message.id) == first_message)
                .where(col(Ticket.id).in_(ids))
            )
        }
    for row in rows:
        language, body = extra.get(row.id, (None, None))
        external_id = row.external_id or (f"{prefix}{row.id}" if prefix else None)
        yield export_record(row, external_id=external_id, language=language, body=body)


def export_record(
    row: TicketRow, *, external_id: str | None, language: str | None, body: str | None
) -> dict[str, Any]:
    """The import record of one ticket, in `EXPORT_FIELDS` order; a value the store should not
    hold is exported as `invalid: <value>`, which an import refuses, naming it."""
    exported = {
        "id": row.id,
        "external_id": external_id,
        "subject": row.subject,
        "body": body,
        "customer_email": row.customer_email,
        "customer_name": row.customer,
        "language": language,
        "channel": row.channel,
        "priority": row.priority.label,
        "status": row.status.value,
        "tier": row.tier.value,
        "team": row.team,
        "assignee": row.assignee,
        "category": row.category,
        "tags": list(row.tags),
        "created_at": iso_utc(row.created_at),
        "first_response_at": iso_utc(row.first_response_at),
        "solved_at": iso_utc(row.solved_at),
        "version": row.version,
        "updated_at": iso_utc(row.updated_at),
        "first_response_due": iso_utc(row.first_response_due),
        "resolution_due": iso_utc(row.resolution_due),
    }
    for field, stored in row.invalid:
        if field in exported:
            exported[field] = shown_invalid(stored)
    return exported
