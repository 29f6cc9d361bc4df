"""The ticket fields of `--fields` and of the JSON/CSV output: a stable contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from csm_console.domain.durations import iso_utc
from csm_console.domain.stored import shown_invalid
from csm_console.errors import UsageError
from csm_console.services.ticket_row import TicketRow


def _sla_state(row: TicketRow, now: datetime) -> str:
    """ok, at_risk, breached, paused or stopped."""
    return row.running_badge(now)[0].value


FIELDS: dict[str, Callable[[TicketRow, datetime], Any]] = {
    "id": lambda r, now: r.id,
    "subject": lambda r, now: r.subject,
    "status": lambda r, now: r.status.value,
    "priority": lambda r, now: r.priority.label,
    "tier": lambda r, now: r.tier.value,
    "channel": lambda r, now: r.channel,
    "category": lambda r, now: r.category,
    "team": lambda r, now: r.team,
    "assignee": lambda r, now: r.assignee,
    "customer": lambda r, now: r.customer,
    "customer_email": lambda r, now: r.customer_email,
    "tags": lambda r, now: list(r.tags),
    "created_at": lambda r, now: iso_utc(r.created_at),
    "updated_at": lambda r, now: iso_utc(r.updated_at),
    "first_response_at": lambda r, now: iso_utc(r.first_response_at),
    "first_response_due": lambda r, now: iso_utc(r.first_response_due),
    "resolution_due": lambda r, now: iso_utc(r.resolution_due),
    "solved_at": lambda r, now: iso_utc(r.solved_at),
    "sla_due": lambda r, now: iso_utc(r.sla_due),
    "sla_state": _sla_state,
    "reopen_count": lambda r, now: r.reopen_count,
    "csat_score": lambda r, now: r.csat_score,
    "version": lambda r, now: r.version,
    "external_id": lambda r, now: r.external_id,
}


def _shown(name: str, read: Callable[[TicketRow, datetime], Any]) -> Callable[..., Any]:
    """A value the store should not hold shows as `invalid: <stored value>` (domain.stored)."""

    def shown(row: TicketRow, now: datetime) -> Any:
        for field, stored in row.invalid:
            if field == name:
                return shown_invalid(stored)
        return read(row, now)

    return shown


FIELDS = {name: _shown(name, read) for name, read in FIELDS.items()}
TABLE_FIELDS = [
    "id",
    "priority",
    "sla_due",
    "status",
    "tier",
    "subject",
    "customer",
    "assignee",
    "updated_at",
]


def parse_fields(text: str | None, default: list[str]) -> list[str]:
    if not text:
        return default
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FIELDS]
    if unknown or not names:
        raise UsageError(
            f"unknown field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown) or '(none)'}; "
            f"valid fields: {', '.join(FIELDS)}"
        )
    return names


def record(row: TicketRow, fields: list[str], now: datetime) -> dict[str, Any]:
    return {name: FIELDS[name](row, now) for name in fields}
