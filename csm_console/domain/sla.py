"""SLA clock maths: due times from a policy, the running clock, and its state at a moment.

A clock counts working time when the ticket's team has a business-hours calendar
(`domain.calendar`), and wall time when it has none.  Time in `pending` (waiting for the
customer) does not count toward resolution: the resolution deadline moves on by the working time
the ticket spent pending, and while it is pending no resolution clock runs.  The first-response
clock is never paused: a ticket parked in `pending` before anyone answered still owes an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from csm_console.domain.model import Priority, Status

# A clock with a calendar is given one (the calendar's module is loaded by then): a ticket list,
# which shows clocks but counts none, does not load the calendars' module (nor zoneinfo).
if TYPE_CHECKING:
    from csm_console.domain.calendar import BusinessCalendar

# A clock that is not running (solved or closed tickets) is stored with this deadline, so that
# the `sla` sort key is one non-null indexed column; it never leaves the store layer.
NO_DEADLINE_SENTINEL = datetime(9999, 12, 31)

AT_RISK_SHARE = 0.25  # a clock with less than a quarter of its target left is at risk


@dataclass(frozen=True, slots=True)
class SlaTargets:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One row of the SLA policy: targets for a priority, optionally per team or segment."""

    priority: Priority
    targets: SlaTargets
    team: str | None = None
    segment: str | None = None


def choose_targets(
    rules: Iterable[PolicyRule], *, priority: Priority, team: str | None, segment: str | None
) -> SlaTargets:
    """The most specific rule for the priority wins: team+segment, segment, team, default."""
    best: tuple[int, SlaTargets] | None = None
    for rule in rules:
        if rule.priority != priority:
            continue
        if rule.team is not None and rule.team != team:
            continue
        if rule.segment is not None and rule.segment != segment:
            continue
        score = (2 if rule.segment is not None else 0) + (1 if rule.team is not None else 0)
        if best is None or score > best[0]:
            best = (score, rule.targets)
    if best is None:
        return DEFAULT_TARGETS[priority]
    return best[1]


DEFAULT_TARGETS: dict[Priority, SlaTargets] = {
    Priority.URGENT: SlaTargets(timedelta(minutes=30), timedelta(hours=4)),
    Priority.HIGH: SlaTargets(timedelta(hours=1), timedelta(hours=8)),
    Priority.NORMAL: SlaTargets(timedelta(hours=4), timedelta(days=2)),
    Priority.LOW: SlaTargets(timedelta(hours=8), timedelta(days=5)),
}


def advance(start: datetime, duration: timedelta, calendar: BusinessCalendar | None) -> datetime:
    """The moment `duration` of counted time after `start`: working time with a calendar.

    A calendar too sparse to count that much (policies and calendars are checked against each
    other when set; a pause of years could still do it) gives its furthest search horizon."""
    if calendar is None:
        return start + duration
    try:
        return calendar.add(start, duration)
    except ValueError:
        from csm_console.domain.calendar import MAX_DAYS

        return start + timedelta(days=MAX_DAYS)


def elapsed(start: datetime, end: datetime, calendar: BusinessCalendar | None) -> timedelta:
    """Counted time from `start` to `end` (working time with a calendar; never negative)."""
    if calendar is not None:
        return calendar.between(start, end)
    return max(end - start, timedelta(0))


def due_times(
    created_at: datetime,
    targets: SlaTargets,
    *,
    calendar: BusinessCalendar | None = None,
    paused: timedelta = timedelta(0),
) -> tuple[datetime, datetime]:
    """(first_response_due, resolution_due) for a ticket created at `created_at`; `paused` is the
    counted time the ticket has spent pending, which the resolution target does not include."""
    return (
        advance(created_at, targets.first_response, calendar),
        advance(created_at, targets.resolution + paused, calendar),
    )


def running_deadline(
    *,
    status: Status,
    first_response_at: datetime | None,
    first_response_due: datetime,
    resolution_due: datetime,
) -> datetime | None:
    """The deadline of the clock that runs now: first response until answered, then resolution.

    `None` when no clock runs: solved or closed, or pending once answered (the resolution clock
    is paused while the ticket waits for the customer).
    """
    if not status.is_active:
        return None
    if first_response_at is None:
        return min(first_response_due, resolution_due)
    if status is Status.PENDING:
        return None
    return resolution_due


class ClockState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"
    PAUSED = "paused"
    STOPPED = "stopped"

    @property
    def symbol(self) -> str:
        """A sign that carries the state without colour."""
        return {
            ClockState.OK: "●",
            ClockState.AT_RISK: "▲",
            ClockState.BREACHED: "✖",
            ClockState.MET: "✔",
            ClockState.MISSED: "✗",
            ClockState.PAUSED: "‖",
            ClockState.STOPPED: "·",
        }[self]


@dataclass(frozen=True, slots=True)
class Clock:
    state: ClockState
    due: datetime | None
    remaining: timedelta | None  # negative when overdue


def clock(
    *,
    now: datetime,
    due: datetime | None,
    done_at: datetime | None,
    started_at: datetime,
    active: bool = True,
    paused: bool = False,
) -> Clock:
    """The state of one SLA clock (first response or resolution) at `now`."""
    if due is None:
        return Clock(ClockState.STOPPED, None, None)
    if done_at is not None:
        return Clock(ClockState.MET if done_at <= due else ClockState.MISSED, due, None)
    if paused:
        return Clock(ClockState.PAUSED, due, None)
    if not active:
        return Clock(ClockState.STOPPED, due, None)
    remaining = due - now
    if remaining < timedelta(0):
        return Clock(ClockState.BREACHED, due, remaining)
    if remaining < (due - started_at) * AT_RISK_SHARE:
        return Clock(ClockState.AT_RISK, due, remaining)
    return Clock(ClockState.OK, due, remaining)


def is_paused(status: Status, first_response_at: datetime | None) -> bool:
    """The resolution clock waits while an answered ticket waits for the customer."""
    return status is Status.PENDING and first_response_at is not None


def badge(
    *, due: datetime | None, started_at: datetime, now: datetime, paused: bool = False
) -> tuple[ClockState, str]:
    """The running clock as a symbol and the time left or overdue: `▲ 25m`, `✖ -2h`, `· —`,
    and `‖ paused` while the ticket waits for the customer."""
    from csm_console.domain.durations import format_duration

    if paused:
        return ClockState.PAUSED, "‖ paused"
    if due is None:
        return ClockState.STOPPED, "· —"
    state = clock(now=now, due=due, done_at=None, started_at=started_at).state
    return state, f"{state.symbol} {format_duration(due - now, parts=1)}"
