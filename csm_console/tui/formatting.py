"""How tickets look on screen: SLA badges, priority signs, status words, ages.

Colour is never the only signal: every state has a symbol or a word.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from csm_console.domain.durations import format_duration
from csm_console.domain.model import Priority, Status
from csm_console.domain.sla import ClockState, clock
from csm_console.services.records import TicketRow

PRIORITY_SIGN = {Priority.LOW: "↓", Priority.NORMAL: "·", Priority.HIGH: "↑", Priority.URGENT: "‼"}
STATUS_WORD = {
    Status.NEW: "new",
    Status.OPEN: "open",
    Status.PENDING: "pending",
    Status.ON_HOLD: "on hold",
    Status.SOLVED: "solved",
    Status.CLOSED: "closed",
}
CLOCK_STYLE = {
    ClockState.OK: "green",
    ClockState.AT_RISK: "yellow",
    ClockState.BREACHED: "bold red",
    ClockState.MET: "green",
    ClockState.MISSED: "red",
    ClockState.PAUSED: "cyan",
    ClockState.STOPPED: "dim",
}


def sla_cell(row: TicketRow, now: datetime) -> Text:
    state, text = row.running_badge(now)
    return Text(text, style=CLOCK_STYLE[state], no_wrap=True)


def priority_cell(priority: Priority) -> Text:
    style = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}[priority.label]
    return Text(f"{PRIORITY_SIGN[priority]} {priority.label}", style=style, no_wrap=True)


def age(then: datetime, now: datetime) -> str:
    return format_duration(now - then, parts=1)


def clock_line(
    label: str,
    due: datetime,
    done_at: datetime | None,
    started: datetime,
    now: datetime,
    active: bool,
    paused: bool = False,
) -> Text:
    """`First response  ✔ met (due 10:40)` / `Resolution  ✖ overdue 2h (due 09:00)`."""
    c = clock(now=now, due=due, done_at=done_at, started_at=started, active=active, paused=paused)
    words = {
        ClockState.OK: f"{format_duration(due - now)} left",
        ClockState.AT_RISK: f"at risk, {format_duration(due - now)} left",
        ClockState.BREACHED: f"overdue {format_duration(now - due)}",
        ClockState.MET: "met",
        ClockState.MISSED: "missed",
        ClockState.PAUSED: "paused: waiting for the customer",
        ClockState.STOPPED: "stopped",
    }[c.state]
    line = Text(no_wrap=True)
    line.append(f"{label:<15}", style="bold")
    line.append(f"{c.state.symbol} {words}", style=CLOCK_STYLE[c.state])
    line.append(f"  due {due.strftime('%d %b %H:%M')}", style="dim")
    return line


def clock_of(widget: Any) -> datetime:
    """The console's clock (tests pin it), or the wall clock."""
    try:
        clock = getattr(widget.app, "clock", None)
    except Exception:  # not mounted yet
        clock = None
    return clock() if callable(clock) else datetime.now(UTC)
