"""Exporting tickets as files (`csm export`), and the import's entry points (`csm import`,
in `services.importing`).

An export writes the record shape of an import (plus the store's read-only fields, which an
import accepts and ignores), page by page so memory stays flat: an export re-imports as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from csm_console.domain.durations import iso_utc
from csm_console.domain.query import Query, Sort
from csm_console.domain.rights import Actor
from csm_console.domain.stored import shown_invalid
from csm_console.services import ticket_reads
from csm_console.services.importing import (
    BATCH_PREFIX,
    OWN_PREFIX,
    ImportOutcome,
    ImportResult,
    import_tickets,
    parse_import,
    store_key,
)
from csm_console.services.records import TicketRow
from csm_console.store.engine import Store
from csm_console.store.models import Customer, Message, StoreInfo, Ticket

__all__ = [
    "BATCH_PREFIX",
    "OWN_PREFIX",
    "ImportOutcome",
    "ImportResult",
    "export_record",
    "import_tickets",
    "iter_export",
    "parse_import",
    "store_key",
]


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
