"""Automations: conditions in the query language, with time terms, and the actions to take on
the tickets they match (`domain.actions`, applied by `services.ticket_actions`).

    report = run(store)                      # every enabled automation, in position order
    found = test(store, name="remind pending")   # what it would do now; writes nothing

**Once per ticket per condition.**  An automation acts on a ticket once while the ticket keeps
matching: the `automation_firing` row (automation, ticket) says it did.  A run first re-arms:
it deletes the rows of tickets that no longer match, so a ticket that matches again later is
acted on again.  Then it selects, in one query, the matching tickets without a row.

**Each ticket in a transaction of its own**: lock the ticket, look for the firing row (a second
worker that got here first has committed it; the lock made this one wait), check the condition
again (the ticket may have changed since it was selected), insert the firing row, apply the
actions, commit.  Two workers on one PostgreSQL store therefore never act on the same ticket
twice (SQLite serialises writers anyway); the firing row's primary key is the last guard.

**Bulk safety**: when more tickets than the automation's `max_tickets` would be acted on in one
run, it acts on none and says so (in the report, and in what `list` shows).

A ticket an action cannot apply to (a transition the workflow forbids, no agent to assign) is
skipped, its reason in the report; the others go on, and it is tried again on the next run.
Automations act as the system (audit actor none), each change in a batch that names the
automation, with an `automation` audit event naming it and its actions (like routing's `route`).
What the last run did is kept in `store_info` (`automation:<id>`), so `list` shows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Exists, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from csm_console.domain.actions import (
    LEAST_LOADED,
    Action,
    ActionKind,
    actions_text,
    parse_actions,
)
from csm_console.domain.model import Tier
from csm_console.domain.query import MatchTerm, Query, parse_query
from csm_console.domain.rights import (
    Actor,
    check_can_automate,
    check_can_bulk,
    check_can_route,
)
from csm_console.domain.text import sanitize
from csm_console.errors import CsmError, NotFound, QueryError, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ordered import for_editing, in_order, put_at, renumber
from csm_console.services.ticket_actions import (
    Change,
    Source,
    apply_actions,
    run_actions,
)
from csm_console.services.ticket_core import reload_actor
from csm_console.store import store_info
from csm_console.store.engine import Store
from csm_console.store.models import (
    Agent,
    Automation,
    AutomationFiring,
    ReplyTemplate,
    StoreInfo,
    Team,
    Ticket,
)
from csm_console.store.ticket_query import compile_query

DEFAULT_MAX = 500
MAX_MAX = 100_000
MAX_AUTOMATIONS = 200
MAX_NAME = 80
MAX_CONDITION = 2000
SOURCE_KIND = "automation"
_STATE_KEY = "automation:{id}"  # store_info: what the automation's last run did


@dataclass(frozen=True, slots=True)
class AutomationView:
    id: int
    position: int  # 1 = first
    name: str
    condition: str
    actions: tuple[Action, ...]
    max_tickets: int
    enabled: bool
    last_run_at: datetime | None = None
    last_run: str | None = None  # what the last run that did something did, or its stop


@dataclass(frozen=True, slots=True)
class Skipped:
    ticket_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AutomationRun:
    """What one automation did in a run."""

    name: str
    matched: int = 0  # tickets matching and not yet acted on
    acted: tuple[int, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    rearmed: int = 0  # firing rows deleted: those tickets no longer match
    taken: int = 0  # acted on by another worker meanwhile, or no longer matching
    stopped: str | None = None  # the max stop, or a condition that no longer parses

    def summary(self) -> str:
        if self.stopped:
            return f"stopped: {self.stopped}"
        parts = [f"acted on {len(self.acted)}"]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)}")
        if self.rearmed:
            parts.append(f"re-armed {self.rearmed}")
        return ", ".join(parts)

    @property
    def eventful(self) -> bool:
        return bool(self.acted or self.skipped or self.stopped)


@dataclass(frozen=True, slots=True)
class RunReport:
    runs: tuple[AutomationRun, ...] = ()

    @property
    def acted(self) -> int:
        return sum(len(r.acted) for r in self.runs)


def describe_run(report: RunReport) -> list[str]:
    """The lines a run is worth (sanitised): one per automation that did something or stopped,
    and the first skipped tickets with their reasons."""
    lines = []
    for r in report.runs:
        if r.eventful:
            lines.append(sanitize(f"automation {r.name}: {r.summary()}", single_line=True))
            lines.extend(
                sanitize(f"  #{s.ticket_id} skipped: {s.reason}", single_line=True)
                for s in r.skipped[:10]
            )
    return lines


@dataclass(frozen=True, slots=True)
class WouldAct:
    ticket_id: int
    changes: tuple[Change, ...] = ()
    reason: str | None = None  # why an action could not apply (it would be skipped)


@dataclass(frozen=True, slots=True)
class TestReport:
    name: str | None
    condition: str
    actions: tuple[Action, ...]
    matched: int  # tickets it would act on
    max_tickets: int
    tickets: tuple[WouldAct, ...] = ()  # the first `limit`, with their changes
    already: int = 0  # matching tickets it has acted on already (it waits for them to re-arm)

    @property
    def stopped(self) -> bool:
        return self.matched > self.max_tickets


@dataclass
class _Checked:
    name: str
    condition: str
    query: Query
    actions: tuple[Action, ...]
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading and editing


def _ordered(session: Session) -> list[Automation]:
    return in_order(session, Automation)


def _view(session: Session, row: Automation, position: int) -> AutomationView:
    assert row.id is not None
    info = session.get(StoreInfo, _STATE_KEY.format(id=row.id))
    at, said = _state(info.value if info else None)
    return AutomationView(
        id=row.id,
        position=position,
        name=row.name,
        condition=row.condition,
        actions=_stored_actions(row),
        max_tickets=row.max_tickets,
        enabled=row.enabled,
        last_run_at=at,
        last_run=said,
    )


def _stored_actions(row: Automation) -> tuple[Action, ...]:
    try:
        return parse_actions(row.actions.splitlines())
    except ValueError:
        return ()


def _state(value: str | None) -> tuple[datetime | None, str | None]:
    if not value:
        return None, None
    try:
        data = json.loads(value)
        return datetime.fromisoformat(data["at"]), str(data["said"])
    except (ValueError, KeyError, TypeError):
        return None, None


def list_automations(store: Store) -> list[AutomationView]:
    with store.read() as session:
        return [_view(session, row, i) for i, row in enumerate(_ordered(session), start=1)]


def get_automation(store: Store, *, name: str) -> AutomationView:
    for view in list_automations(store):
        if view.name == name.strip():
            return view
    raise NotFound(f"no automation named {name!r}")


def check_automation(
    name: str, condition: str, actions: Sequence[str], *, max_tickets: int
) -> _Checked:
    """Parse and check what an automation is made of; every problem is named."""
    problems: list[str] = []
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        problems.append(f"name: 1 to {MAX_NAME} characters")
    query = Query()
    if len(condition) > MAX_CONDITION:
        problems.append(f"condition: at most {MAX_CONDITION} characters")
    else:
        try:
            query = parse_query(condition)
            if query.is_empty:
                problems.append("condition: empty; an automation needs a condition")
        except QueryError as exc:
            problems.append(f"condition: {exc.message}")
    parsed: tuple[Action, ...] = ()
    try:
        parsed = parse_actions(actions)
        if not parsed:
            problems.append("actions: none; give at least one --do")
    except ValueError as exc:
        problems.append(f"actions: {exc}")
    if not 1 <= max_tickets <= MAX_MAX:
        problems.append(f"max: 1 to {MAX_MAX}")
    return _Checked(name, query.text, query, parsed, problems)


def check_names(session: Session, actions: Sequence[Action]) -> list[str]:
    """The teams, agents and templates the actions name must exist (and agents be active)."""
    problems = []
    for action in actions:
        if action.kind is ActionKind.TEAM:
            found = session.execute(
                select(col(Team.id)).where(func.lower(col(Team.name)) == action.value.lower())
            ).first()
            if found is None:
                problems.append(f"{action}: no team named {action.value!r}")
        elif action.kind is ActionKind.ASSIGNEE and action.assignee not in (None, "least-loaded"):
            agent = session.execute(
                select(Agent).where(func.lower(col(Agent.handle)) == str(action.assignee))
            ).scalar_one_or_none()
            if agent is None or not agent.active:
                problems.append(f"{action}: no active agent {action.value!r}")
        elif action.kind is ActionKind.REPLY:
            found = session.execute(
                select(col(ReplyTemplate.id)).where(
                    func.lower(col(ReplyTemplate.name)) == action.value.lower()
                )
            ).first()
            if found is None:
                problems.append(f"{action}: no reply template named {action.value!r}")
    return problems


def _check_reach(session: Session, actor: Actor, checked: _Checked) -> None:
    """A lead's automation works on their own team's tickets and sends them only where the
    lead's routing rules may (`rights.check_can_automate`, `rights.check_can_route`)."""
    teams = [
        {str(v).lower() for v in term.values}
        for term in checked.query.terms
        if isinstance(term, MatchTerm) and term.field == "team" and not term.negated
    ]
    check_can_automate(actor, condition_teams=teams)
    for action in checked.actions:
        if action.kind is ActionKind.TEAM:
            team = session.execute(
                select(Team).where(func.lower(col(Team.name)) == action.value.lower())
            ).scalar_one()
            check_can_route(
                actor,
                team_id=team.id,
                team=team.name,
                team_tier=Tier(team.tier),
                assignee=None,
                assignee_team_id=None,
            )
        elif action.kind is ActionKind.ASSIGNEE and action.assignee not in (None, LEAST_LOADED):
            agent = session.execute(
                select(Agent).where(func.lower(col(Agent.handle)) == str(action.assignee))
            ).scalar_one()
            check_can_route(
                actor,
                team_id=None,
                team=None,
                team_tier=None,
                assignee=agent.handle,
                assignee_team_id=agent.team_id,
            )


def add_automation(
    store: Store,
    *,
    actor: Actor,
    name: str,
    condition: str,
    actions: Sequence[str],
    max_tickets: int = DEFAULT_MAX,
    position: int | None = None,
    enabled: bool = True,
    now: datetime | None = None,
) -> AutomationView:
    """Save an automation (leads and admins) at `position` (1 = first; default: last), checked
    first: the condition parses, every action parses and names a team, an active agent or a
    reply template that exist; refused with every problem named, nothing saved."""
    now = now or utcnow()
    if position is not None and position < 1:
        raise UsageError("positions start at 1")
    checked = check_automation(name, condition, actions, max_tickets=max_tickets)
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        problems = [*checked.problems, *check_names(session, checked.actions)]
        if not problems:
            _check_reach(session, fresh, checked)
        rows = _ordered(session)
        if any(row.name == checked.name for row in rows):
            problems.append(f"name: an automation named {checked.name!r} exists already")
        if len(rows) >= MAX_AUTOMATIONS:
            problems.append(f"at most {MAX_AUTOMATIONS} automations")
        if problems:
            raise UsageError(f"automation {checked.name!r} is refused:\n  " + "\n  ".join(problems))
        row = Automation(
            position=0,
            name=checked.name,
            condition=checked.condition,
            actions=actions_text(checked.actions),
            max_tickets=max_tickets,
            enabled=enabled,
            created_at=now,
            updated_at=now,
        )
        landed = put_at(session, rows, row, position)
        session.flush()
        return _view(session, row, landed)


def _editing(session: Session, actor: Actor, name: str) -> tuple[list[Automation], Automation]:
    return for_editing(session, actor, Automation, name=name, what="automation")


def remove_automation(store: Store, *, actor: Actor, name: str) -> None:
    """Remove it, its firing rows (the foreign key cascades) and what its last run said."""
    with store.write() as session:
        rows, found = _editing(session, actor, name)
        session.execute(
            delete(AutomationFiring).where(col(AutomationFiring.automation_id) == found.id)
        )
        info = session.get(StoreInfo, _STATE_KEY.format(id=found.id))
        if info is not None:
            session.delete(info)
        session.delete(found)
        session.flush()
        renumber(session, [r for r in rows if r is not found])


def set_enabled(
    store: Store, *, actor: Actor, name: str, enabled: bool, now: datetime | None = None
) -> bool:
    """Enable or disable it; False when it already was."""
    with store.write() as session:
        _, found = _editing(session, actor, name)
        if found.enabled == enabled:
            return False
        found.enabled = enabled
        found.updated_at = now or utcnow()
        return True


# ---------------------------------------------------------------------------------------------
# Running


def _matching(query: Query, now: datetime) -> list[ColumnElement[bool]]:
    return compile_query(query, me_id=None, now=now)


def run(store: Store, *, now: datetime | None = None, names: Sequence[str] = ()) -> RunReport:
    """Run the enabled automations (or those named, enabled or not) once, in position order."""
    now = now or utcnow()
    with store.read() as session:
        rows = [r for r in _ordered(session) if (r.name in names if names else r.enabled)]
    if names:
        missing = set(names) - {r.name for r in rows}
        if missing:
            raise NotFound(f"no automation named {sorted(missing)[0]!r}")
    runs = []
    for row in rows:
        outcome = _run_one(store, row, now)
        _remember(store, row, outcome, now)
        runs.append(outcome)
    return RunReport(tuple(runs))


def _run_one(store: Store, row: Automation, now: datetime) -> AutomationRun:
    assert row.id is not None
    try:
        query = parse_query(row.condition)
        actions = parse_actions(row.actions.splitlines())
    except (QueryError, ValueError) as exc:
        return AutomationRun(row.name, stopped=f"it no longer parses: {exc}")
    conditions = _matching(query, now)
    # re-arm: tickets that stopped matching lose their row (looked for first, so that a run
    # with nothing to re-arm takes no write lock)
    stale = (
        col(AutomationFiring.automation_id) == row.id,
        ~exists(
            select(col(Ticket.id)).where(
                col(Ticket.id) == col(AutomationFiring.ticket_id), *conditions
            )
        ),
    )
    rearmed = 0
    with store.read() as session:
        any_stale = session.execute(select(col(AutomationFiring.ticket_id)).where(*stale).limit(1))
        found = any_stale.first() is not None
    if found:
        with store.write() as session:
            deleted = session.execute(delete(AutomationFiring).where(*stale))
            rearmed = int(deleted.rowcount or 0)  # type: ignore[attr-defined]
    with store.read() as session:
        candidates = list(
            session.execute(
                select(col(Ticket.id))
                .where(*conditions, ~_fired(row.id))
                .order_by(col(Ticket.id))
                .limit(row.max_tickets + 1)
            ).scalars()
        )
    if len(candidates) > row.max_tickets:
        with store.read() as session:
            total = session.execute(
                select(func.count()).select_from(Ticket).where(*conditions, ~_fired(row.id))
            ).scalar_one()
        return AutomationRun(
            row.name,
            matched=total,
            rearmed=rearmed,
            stopped=f"{total} tickets match, more than its max of {row.max_tickets}; "
            "acted on none (raise --max, or narrow the condition)",
        )
    acted: list[int] = []
    skipped: list[Skipped] = []
    taken = 0
    source = Source(SOURCE_KIND, row.name)
    batch = f"auto-{row.id}-{now:%Y%m%dT%H%M%S}"
    for ticket_id in candidates:
        try:
            if _act(store, row.id, ticket_id, query, actions, source, batch, now):
                acted.append(ticket_id)
            else:
                taken += 1
        except CsmError as error:
            skipped.append(Skipped(ticket_id, error.message))
    return AutomationRun(
        row.name,
        matched=len(candidates),
        acted=tuple(acted),
        skipped=tuple(skipped),
        rearmed=rearmed,
        taken=taken,
    )


def _fired(automation_id: int) -> Exists:
    return exists().where(
        col(AutomationFiring.automation_id) == automation_id,
        col(AutomationFiring.ticket_id) == col(Ticket.id),
    )


def _act(
    store: Store,
    automation_id: int,
    ticket_id: int,
    query: Query,
    actions: Sequence[Action],
    source: Source,
    batch: str,
    now: datetime,
) -> bool:
    """One ticket in its own transaction; False when another worker acted on it first or it
    no longer matches."""
    try:
        with store.write() as session:
            ticket = session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None:
                return False  # deleted meanwhile
            if session.get(AutomationFiring, (automation_id, ticket_id)) is not None:
                return False  # another worker acted on it while this one waited for the lock
            still = session.execute(
                select(col(Ticket.id)).where(col(Ticket.id) == ticket_id, *_matching(query, now))
            ).first()
            if still is None:
                return False
            session.add(
                AutomationFiring(automation_id=automation_id, ticket_id=ticket_id, fired_at=now)
            )
            session.flush()
            run_actions(
                session, ticket, None, actions, mail=store.mail, now=now, source=source,
                batch_id=batch,
            )  # fmt: skip
            return True
    except IntegrityError:
        return False  # the firing row's key: another worker inserted it first


def _remember(store: Store, row: Automation, outcome: AutomationRun, now: datetime) -> None:
    """Keep what an eventful run did (or that it no longer stops) for `list`."""
    key = _STATE_KEY.format(id=row.id)
    with store.read() as session:
        info = session.get(StoreInfo, key)
        _, said = _state(info.value if info else None)
    was_stopped = said is not None and said.startswith("stopped")
    if not outcome.eventful and not was_stopped:
        return
    value = json.dumps({"at": now.isoformat(), "said": outcome.summary()})
    with store.write() as session:
        store_info.put(session, key, value)


# ---------------------------------------------------------------------------------------------
# Testing


def test(
    store: Store,
    *,
    name: str | None = None,
    condition: str | None = None,
    actions: Sequence[str] = (),
    max_tickets: int | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> TestReport:
    """Which tickets an automation (by `name`, or a `condition` with `actions`) would act on
    now, and what would change on the first `limit` of them; writes nothing (each ticket's
    changes are made in a transaction that is rolled back)."""
    now = now or utcnow()
    automation_id: int | None = None
    if name is not None:
        view = get_automation(store, name=name)
        automation_id = view.id
        max_tickets = max_tickets or view.max_tickets
        checked = check_automation(
            view.name,
            condition if condition is not None else view.condition,
            actions if actions else [str(a) for a in view.actions],
            max_tickets=max_tickets,
        )
    elif condition is not None:
        max_tickets = max_tickets or DEFAULT_MAX
        checked = check_automation(
            "test", condition, actions or ["notify=test"], max_tickets=max_tickets
        )
    else:
        raise UsageError("give an automation's name or a condition")
    if checked.problems:
        raise UsageError("cannot test it:\n  " + "\n  ".join(checked.problems))
    conditions = _matching(checked.query, now)
    with store.read() as session:
        statement = select(col(Ticket.id)).where(*conditions)
        already = 0
        if automation_id is not None:
            already = session.execute(
                select(func.count()).select_from(Ticket).where(*conditions, _fired(automation_id))
            ).scalar_one()
            statement = statement.where(~_fired(automation_id))
        ids = list(session.execute(statement.order_by(col(Ticket.id))).scalars())
    found = []
    source = Source(SOURCE_KIND, checked.name)
    for ticket_id in ids[:limit]:
        try:
            result = apply_actions(
                store,
                actor=None,
                ticket_id=ticket_id,
                actions=checked.actions,
                source=source,
                dry_run=True,
                now=now,
            )
            found.append(WouldAct(ticket_id, result.changes))
        except CsmError as error:
            found.append(WouldAct(ticket_id, reason=error.message))
    return TestReport(
        name=name,
        condition=checked.condition,
        actions=checked.actions,
        matched=len(ids),
        max_tickets=max_tickets,
        tickets=tuple(found),
        already=already,
    )


test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
