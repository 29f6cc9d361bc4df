"""Business-hours calendars: named, kept in the store in their text form, and used by teams.

A team that uses a calendar has its tickets' SLA clocks count that calendar's working time
(see `csm_console.domain.calendar` for the form and `csm_console.domain.sla` for the clocks).
Leads and admins change calendars; any change recomputes the due times of the open tickets of
the teams that use the calendar, a chunk per transaction, and a target already met keeps the
due time it was met against.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from csm_console.domain.calendar import BusinessCalendar, parse_calendar
from csm_console.domain.rights import Actor, check_can_bulk, check_can_shape_teams
from csm_console.errors import NotFound, UsageError
from csm_console.services.sla import check_reach, longest_target, recompute_due_times
from csm_console.services.ticket_core import reload_actor
from csm_console.store.engine import Store
from csm_console.store.models import Calendar, Team

MAX_NAME = 60
MAX_DEFINITION = 20_000


@dataclass(frozen=True, slots=True)
class CalendarView:
    name: str
    calendar: BusinessCalendar
    teams: tuple[str, ...]  # the teams that use it

    @property
    def definition(self) -> str:
        """The text form, as `csm calendars set` reads it."""
        return self.calendar.describe()


@dataclass(frozen=True, slots=True)
class CalendarChange:
    calendar: CalendarView | None  # None when removed or when a team stops using one
    created: bool
    recomputed: int  # open tickets whose due times changed


def list_calendars(store: Store) -> list[CalendarView]:
    """Every calendar by name, with the teams that use it."""
    with store.read() as session:
        rows = session.execute(select(Calendar).order_by(col(Calendar.name))).scalars().all()
        return [_view(session, row) for row in rows]


def get_calendar(store: Store, name: str) -> CalendarView:
    with store.read() as session:
        return _view(session, _by_name(session, name))


def parse_definition(text: str) -> BusinessCalendar:
    """A calendar from its text form; UsageError names the line at fault."""
    if len(text) > MAX_DEFINITION:
        raise UsageError(f"calendar too long ({len(text)} characters; at most {MAX_DEFINITION})")
    try:
        return parse_calendar(text)
    except ValueError as exc:
        raise UsageError(f"calendar: {exc}") from None


def set_calendar(store: Store, *, actor: Actor, name: str, definition: str) -> CalendarChange:
    """Add or replace the calendar `name` (leads and admins); the open tickets of the teams
    that use it get new due times."""
    name = _clean_name(name)
    calendar = parse_definition(definition)
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        check_reach(calendar, name, longest_target(session))
        row = _find(session, name)
        if row is not None:
            check_can_shape_teams(fresh, _team_ids(session, row), f"calendar {row.name!r}")
        created = row is None
        if row is None:
            row = Calendar(name=name, definition="")
        row.definition = calendar.describe()
        session.add(row)
        session.flush()
        view = _view(session, row)
        team_ids = _team_ids(session, row)
    return CalendarChange(view, created, recompute_due_times(store, team_ids=team_ids))


def remove_calendar(store: Store, *, actor: Actor, name: str) -> CalendarChange:
    """Remove a calendar no team uses (leads and admins)."""
    with store.write() as session:
        check_can_bulk(reload_actor(session, actor))
        row = _by_name(session, name)
        teams = _view(session, row).teams
        if teams:
            raise UsageError(
                f"calendar {row.name!r} is used by {', '.join(teams)}; "
                f"give those teams another calendar (or none) first: "
                f"csm calendars use --team TEAM --none"
            )
        session.delete(row)
    return CalendarChange(None, False, 0)


def use_calendar(store: Store, *, actor: Actor, team: str, name: str | None) -> CalendarChange:
    """Have `team` count working time by calendar `name` (None: wall time, no calendar); the
    team's open tickets get new due times."""
    with store.write() as session:
        fresh = reload_actor(session, actor)
        check_can_bulk(fresh)
        team_row = session.execute(
            select(Team).where(func.lower(col(Team.name)) == team.strip().lower())
        ).scalar_one_or_none()
        if team_row is None:
            raise NotFound(f"no team named {team!r}")
        check_can_shape_teams(fresh, [team_row.id], f"the calendar of team {team_row.name}")
        row = _by_name(session, name) if name is not None else None
        if row is not None:
            check_reach(parse_calendar(row.definition), row.name, longest_target(session))
        team_row.calendar_id = row.id if row is not None else None
        session.add(team_row)
        session.flush()
        view = _view(session, row) if row is not None else None
        team_id = team_row.id
    assert team_id is not None
    return CalendarChange(view, False, recompute_due_times(store, team_ids=[team_id]))


def _clean_name(name: str) -> str:
    name = name.strip()
    if (
        not name
        or len(name) > MAX_NAME
        or name.lower() == "none"
        or not all(c.isalnum() or c in "-_." for c in name)
    ):
        raise UsageError(
            f"bad calendar name {name!r}: 1-{MAX_NAME} letters, digits, '-', '_' or '.'"
        )
    return name


def _find(session: Session, name: str) -> Calendar | None:
    row: Calendar | None = session.execute(
        select(Calendar).where(func.lower(col(Calendar.name)) == name.strip().lower())
    ).scalar_one_or_none()
    return row


def _by_name(session: Session, name: str) -> Calendar:
    row = _find(session, name)
    if row is None:
        raise NotFound(f"no calendar named {name!r} (csm calendars list)")
    return row


def _team_ids(session: Session, row: Calendar) -> list[int]:
    return list(
        session.execute(select(col(Team.id)).where(col(Team.calendar_id) == row.id)).scalars()
    )


def _view(session: Session, row: Calendar) -> CalendarView:
    teams = session.execute(
        select(col(Team.name)).where(col(Team.calendar_id) == row.id).order_by(col(Team.name))
    ).scalars()
    return CalendarView(row.name, parse_calendar(row.definition), tuple(teams))
