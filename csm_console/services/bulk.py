"""Acting on several tickets at once (the console's marked tickets, `tickets assign - `).

Each ticket is its own transaction, so one refusal does not undo the others; every change of the
run shares one batch id in the audit.  The result says what changed, what already was so, and
what was refused and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from csm_console.domain.model import Priority, Status
from csm_console.domain.rights import Actor
from csm_console.errors import Conflict, NotFound, PermissionDenied, UsageError
from csm_console.services import ticket_reads, tickets
from csm_console.services.records import TicketRow
from csm_console.store.engine import Store


@dataclass
class BulkResult:
    batch_id: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    refusal_codes: list[int] = field(default_factory=list)  # exit codes of the refusals

    def summary(self) -> str:
        parts = [f"{len(self.changed)} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


def _each(
    store: Store, ticket_ids: Iterable[int], apply: Callable[[int, str], TicketRow]
) -> BulkResult:
    result = BulkResult(batch_id=f"bulk-{uuid.uuid4().hex}")
    ids = list(dict.fromkeys(ticket_ids))  # once each, in the given order
    before = ticket_reads.current_versions(store, ids)
    for ticket_id in ids:
        try:
            row = apply(ticket_id, result.batch_id)
        except (PermissionDenied, UsageError, Conflict, NotFound) as refusal:
            result.refused.append((ticket_id, refusal.message))
            result.refusal_codes.append(refusal.exit_code)
            continue
        if row.version == before.get(ticket_id):
            result.unchanged.append(ticket_id)
        else:
            result.changed.append(ticket_id)
    return result


def _write_each(
    store: Store,
    actor: Actor,
    ticket_ids: Iterable[int],
    write: Callable[..., TicketRow],
    versions: dict[int, int] | None,
    **change: Any,
) -> BulkResult:
    """Call one ticket write (`tickets.assign_ticket`, ...) per ticket, guarded by the version
    each ticket was read at (when known), under the run's batch id."""
    known = versions or {}
    return _each(
        store,
        ticket_ids,
        lambda tid, batch: write(
            store,
            actor=actor,
            ticket_id=tid,
            expected_version=known.get(tid),
            batch_id=batch,
            **change,
        ),
    )


def assign_many(
    store: Store,
    *,
    actor: Actor,
    ticket_ids: Iterable[int],
    to: str | None,
    versions: dict[int, int] | None = None,
) -> BulkResult:
    """Assign each ticket to `to` (or unassign).  `versions` (id → version read) guards each."""
    return _write_each(store, actor, ticket_ids, tickets.assign_ticket, versions, to=to)


def set_status_many(
    store: Store,
    *,
    actor: Actor,
    ticket_ids: Iterable[int],
    status: Status,
    versions: dict[int, int] | None = None,
) -> BulkResult:
    return _write_each(store, actor, ticket_ids, tickets.change_status, versions, status=status)


def set_priority_many(
    store: Store,
    *,
    actor: Actor,
    ticket_ids: Iterable[int],
    priority: Priority,
    versions: dict[int, int] | None = None,
) -> BulkResult:
    return _write_each(
        store, actor, ticket_ids, tickets.change_priority, versions, priority=priority
    )


def tag_many(
    store: Store,
    *,
    actor: Actor,
    ticket_ids: Iterable[int],
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    versions: dict[int, int] | None = None,
) -> BulkResult:
    return _write_each(
        store, actor, ticket_ids, tickets.tag_ticket, versions, add=list(add), remove=list(remove)
    )
