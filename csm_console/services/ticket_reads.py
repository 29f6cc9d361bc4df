"""Reading tickets: the queue's rows (pages, keyset cursors, counts: `ticket_list`, in Core,
re-exported here), one ticket with its thread, audit and customer card, and the words that
describe an audited change.

Nothing here writes; the shared write core (`ticket_core`) and the use cases (`tickets`) read
through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from csm_console.domain.model import MAX_ID, AuthorKind, as_id
from csm_console.domain.text import sanitize
from csm_console.errors import NotFound, UsageError
from csm_console.services import mail_reads, ticket_list
from csm_console.services.records import (
    AuditView,
    CustomerView,
    MessageView,
    TicketDetail,
    TicketRow,
)
from csm_console.services.ticket_list import count_tickets as count_tickets
from csm_console.services.ticket_list import cursor_after as cursor_after
from csm_console.services.ticket_list import iter_tickets as iter_tickets
from csm_console.services.ticket_list import list_tickets as list_tickets
from csm_console.services.ticket_list import row_select
from csm_console.services.ticket_list import tags_for as tags_for
from csm_console.services.ticket_list import to_row as to_row  # take-next's claimed row
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Customer, Message, Ticket, TicketTag


def get_ticket(store: Store, *, ticket_id: int, other_limit: int = 20) -> TicketDetail:
    """The ticket with its customer card, thread and audit trail."""
    with store.read() as session:
        rows = ticket_list.rows(session, row_select().where(col(Ticket.id) == ticket_id))
        if not rows:
            raise NotFound(f"ticket #{ticket_id} not found")
        row = rows[0]
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        messages = thread(session, ticket_id, customer.name)
        audit = audit_views(session, ticket_id)
        others_statement = (
            row_select()
            .where(col(Ticket.customer_id) == ticket.customer_id, col(Ticket.id) != ticket_id)
            .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
            .limit(other_limit)
        )
        others = ticket_list.rows(session, others_statement)
        other_count = session.execute(
            select(func.count())
            .select_from(Ticket)
            .where(col(Ticket.customer_id) == ticket.customer_id, col(Ticket.id) != ticket_id)
        ).scalar_one()
        return TicketDetail(
            ticket=row,
            customer=customer_view(customer),
            messages=tuple(messages),
            audit=tuple(audit),
            csat_comment=ticket.csat_comment,
            closed_at=ticket.closed_at,
            other_tickets=tuple(others),
            other_ticket_count=int(other_count),
        )


def thread(session: Session, ticket_id: int, customer_name: str) -> list[MessageView]:
    """A ticket's messages in order with their e-mail facts: three queries however long the
    thread (the messages, then their attachments and their outbox rows by message ids)."""
    rows = list(
        session.execute(
            select(Message, col(Agent.handle))
            .outerjoin(Agent, col(Agent.id) == col(Message.agent_id))
            .where(col(Message.ticket_id) == ticket_id)
            .order_by(col(Message.created_at), col(Message.id))
        )
    )
    ids = [m.id for m, _ in rows]
    files = mail_reads.number_attachments(ids, mail_reads.attachments_by_message(session, ids))
    deliveries = mail_reads.deliveries_by_message(session, ids)
    return [
        MessageView(
            id=m.id,
            author_kind=m.author_kind,
            author=handle
            if m.author_kind == AuthorKind.AGENT and handle
            else (customer_name if m.author_kind == AuthorKind.CUSTOMER else "system"),
            internal=m.internal,
            body=m.body,
            created_at=m.created_at,
            mail_id=m.mail_id,
            sender=m.sender,
            flags=tuple(dict.fromkeys(m.flags.split())),
            attachments=files.get(m.id, ()),
            delivery=deliveries.get(m.id),
        )
        for m, handle in rows
    ]


def audit_views(
    session: Session, ticket_id: int, *, after_version: int | None = None
) -> list[AuditView]:
    statement = (
        select(AuditEvent, col(Agent.handle))
        .outerjoin(Agent, col(Agent.id) == col(AuditEvent.actor_id))
        .where(col(AuditEvent.ticket_id) == ticket_id)
        .order_by(col(AuditEvent.id))
    )
    if after_version is not None:
        statement = statement.where(col(AuditEvent.version) > after_version)
    return [
        AuditView(
            id=e.id,
            actor=handle,
            action=e.action,
            field=e.field,
            old_value=e.old_value,
            new_value=e.new_value,
            created_at=e.created_at,
            batch_id=e.batch_id,
            version=e.version,
        )
        for e, handle in session.execute(statement)
    ]


def customer_view(c: Customer) -> CustomerView:
    assert c.id is not None
    return CustomerView(
        id=c.id,
        name=c.name,
        email=c.email,
        phone=c.phone,
        company=c.company,
        language=c.language,
        preferred_channel=c.preferred_channel,
        segment=c.segment,
        no_surveys=c.no_surveys,
    )


def current_versions(store: Store, ticket_ids: Sequence[int]) -> dict[int, int]:
    """id → version for the tickets that exist."""
    versions: dict[int, int] = {}
    with store.read() as session:
        for start in range(0, len(ticket_ids), 500):
            chunk = list(ticket_ids[start : start + 500])
            for ticket_id, version in session.execute(
                select(col(Ticket.id), col(Ticket.version)).where(col(Ticket.id).in_(chunk))
            ):
                versions[ticket_id] = version
    return versions


def rows_by_id(store: Store, ticket_ids: Sequence[int]) -> list[TicketRow]:
    """The current queue rows of these tickets (those that still exist), in no order."""
    rows: list[TicketRow] = []
    with store.read() as session:
        for start in range(0, len(ticket_ids), 500):
            chunk = list(ticket_ids[start : start + 500])
            rows += ticket_list.rows(session, row_select().where(col(Ticket.id).in_(chunk)))
    return rows


@cache
def _by_id() -> tuple[Any, Any]:
    """The statements of `row_by_id`, built once (every write returns its ticket through it)."""
    one: Any = bindparam("ticket_id")
    return (
        row_select().where(col(Ticket.id) == one),
        select(col(TicketTag.tag))
        .where(col(TicketTag.ticket_id) == one)
        .order_by(col(TicketTag.tag)),
    )


def row_by_id(session: Session, ticket_id: int) -> TicketRow:
    """One ticket as a row, read on the session's connection (plain columns: no ORM step)."""
    session.flush()  # a write reading its ticket back sees its change (as autoflush would)
    return row_on(session.connection(), ticket_id)


def row_on(conn: Connection, ticket_id: int) -> TicketRow:
    """`row_by_id` on a plain connection."""
    row_select, tag_select = _by_id()
    row = conn.execute(row_select, {"ticket_id": ticket_id}).one()
    return to_row(row, conn.execute(tag_select, {"ticket_id": ticket_id}).scalars().all())


def describe_change(change: AuditView) -> str:
    who = change.actor or "system"
    when = change.created_at.strftime("%d %b %H:%M")
    if change.action == "unaudited":  # store.unaudited: a write that skipped csm
        return f"{change.new_value} changed {change.old_value} outside csm at {when}"
    if change.action == "mail" and change.new_value:  # the mail intake (services.mail_thread)
        return f"{who} took in an {change.new_value} at {when}"
    if change.field and (change.old_value is not None or change.new_value is not None):
        old = change.old_value if change.old_value is not None else "none"
        new = change.new_value if change.new_value is not None else "none"
        return f"{who} set {change.field} {old} → {new} at {when}"
    verbs = {"reply": "replied", "note": "added a note", "create": "created it"}
    return f"{who} {verbs.get(change.action, change.action)} at {when}"


def parse_ticket_id(text: str) -> int:
    """`1042` or `#1042` → 1042."""
    number = as_id(sanitize(text, single_line=True).strip().lstrip("#"))
    if number is None:
        raise UsageError(
            f"bad ticket id {text[:40]!r}; ids are numbers like 1042 or #1042 (1 to {MAX_ID})"
        )
    return number
