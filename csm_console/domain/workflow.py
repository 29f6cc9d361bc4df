"""Ticket status transitions and escalation rules."""

from __future__ import annotations

from csm_console.domain.model import Status, Tier
from csm_console.errors import UsageError

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def check_transition(old: Status, new: Status) -> None:
    """Raise `UsageError` unless `old → new` is allowed."""
    if new == old:
        return
    allowed = TRANSITIONS[old]
    if new not in allowed:
        if allowed:
            hint = "allowed from here: " + ", ".join(s.value for s in Status if s in allowed)
        else:
            hint = "a closed ticket is final; open a new ticket instead"
        raise UsageError(f"cannot change status {old.value} → {new.value}; {hint}")


def is_reopen(old: Status, new: Status) -> bool:
    """Solved back to open is a reopen, and it is counted."""
    return old == Status.SOLVED and new == Status.OPEN


def check_escalation(current: Tier, target: Tier) -> None:
    if target.level <= current.level:
        raise UsageError(
            f"cannot escalate from {current.value} to {target.value}; escalation goes to a higher"
            " tier"
        )
