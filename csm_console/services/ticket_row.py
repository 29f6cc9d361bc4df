"""The queue's row and a page of rows: plain data handed out by the ticket list and reads
(`services.records` holds the other records, and re-exports these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.sla import ClockState, badge, is_paused

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One line of the queue."""

    id: int
    subject: str
    status: Status
    priority: Priority
    tier: Tier
    channel: str
    category: str | None
    team: str | None
    assignee: str | None
    customer: str
    customer_email: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    first_response_due: datetime
    resolution_due: datetime
    solved_at: datetime | None
    sla_due: datetime | None  # the running clock's deadline; None when no clock runs
    reopen_count: int
    csat_score: int | None
    version: int
    tags: tuple[str, ...] = ()
    external_id: str | None = None  # the id in the system it was imported from
    # (field, value as stored) for each value the store should not hold (domain.stored); the
    # typed field then holds a stand-in, and outputs show the stored value as invalid
    invalid: tuple[tuple[str, str], ...] = ()

    @property
    def paused(self) -> bool:
        """Answered and waiting for the customer: the resolution clock is paused."""
        return is_paused(self.status, self.first_response_at)

    def running_badge(self, now: datetime) -> tuple[ClockState, str]:
        """The running clock as the queue shows it: a state and `▲ 25m`, `‖ paused`, `· —`."""
        return badge(due=self.sla_due, started_at=self.created_at, now=now, paused=self.paused)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None  # None on the last page
