"""Reading tickets: the queue's rows (pages, keyset cursors, counts), one ticket with its
thread, audit and customer card, and the words that describe an audited change.

Nothing here writes; the shared write core (`ticket_core`) and the use cases (`tickets`) read
through these functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from csm_console.domain.model import MAX_ID, AuthorKind, Priority, Status, Tier, as_id
from csm_console.domain.query import Query, Sort
from csm_console.domain.rights import Actor
from csm_console.domain.stored import Invalid
from csm_console.domain.text import sanitize
from csm_console.errors import NotFound, UsageError
from csm_console.services import mail_reads
from csm_console.services.clock import utcnow
from csm_console.services.records import (
    AuditView,
    CustomerView,
    MessageView,
    Page,
    TicketDetail,
    TicketRow,
)
from csm_console.store.constraints import CHANNELS, CSAT_SCORES
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Customer, Message, Team, Ticket, TicketTag
from csm_console.store.ticket_query import (
    SENTINEL,
    compile_query,
    encode_cursor,
    keyset_after,
    order_by,
)

_Assignee = aliased(Agent)


def _row_select() -> Any:
    return (
        select(
            col(Ticket.id),
            col(Ticket.subject),
            col(Ticket.status),
            col(Ticket.priority),
            col(Ticket.tier),
            col(Ticket.channel),
            col(Ticket.category),
            col(Team.name).label("team"),
            col(_Assignee.handle).label("assignee"),
            col(Customer.name).label("customer"),
            col(Customer.email).label("customer_email"),
            col(Ticket.created_at),
            col(Ticket.updated_at),
            col(Ticket.first_response_at),
            col(Ticket.first_response_due),
            col(Ticket.resolution_due),
            col(Ticket.solved_at),
            col(Ticket.sla_due),
            col(Ticket.reopen_count),
            col(Ticket.csat_score),
            col(Ticket.version),
            col(Ticket.external_id),
        )
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(Team, col(Team.id) == col(Ticket.team_id))
        .outerjoin(_Assignee, col(_Assignee.id) == col(Ticket.assignee_id))
    )


def _to_row(r: Any, tags: Sequence[str] = ()) -> TicketRow:
    bad = Invalid()  # a row that breaks the CHECK constraints reads as invalid, not as a crash
    bad.check(r.channel, CHANNELS, "channel")
    bad.check(r.csat_score, CSAT_SCORES, "csat_score")
    return TicketRow(
        id=r.id,
        subject=r.subject,
        status=bad.enum(Status, r.status, "status", Status.OPEN),
        priority=bad.enum(Priority, r.priority, "priority", Priority.NORMAL),
        tier=bad.enum(Tier, r.tier, "tier", Tier.L1),
        channel=r.channel,
        category=r.category,
        team=r.team,
        assignee=r.assignee,
        customer=r.customer,
        customer_email=r.customer_email,
        created_at=r.created_at,
        updated_at=r.updated_at,
        first_response_at=r.first_response_at,
        first_response_due=r.first_response_due,
        resolution_due=r.resolution_due,
        solved_at=r.solved_at,
        sla_due=None if r.sla_due >= SENTINEL else r.sla_due,
        reopen_count=r.reopen_count,
        csat_score=r.csat_score,
        version=r.version,
        tags=tuple(tags),
        external_id=r.external_id,
        invalid=bad.pairs(),
    )


def tags_for(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    if not ticket_ids:
        return tags
    rows = session.execute(
        select(col(TicketTag.ticket_id), col(TicketTag.tag))
        .where(col(TicketTag.ticket_id).in_(ticket_ids))
        .order_by(col(TicketTag.ticket_id), col(TicketTag.tag))
    )
    for ticket_id, tag in rows:
        tags.setdefault(ticket_id, []).append(tag)
    return tags


def _rows(session: Session, statement: Any) -> list[TicketRow]:
    result = list(session.execute(statement))
    tags = tags_for(session, [r.id for r in result])
    return [_to_row(r, tags.get(r.id, ())) for r in result]


def list_tickets(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    sort: Sort,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> Page[TicketRow]:
    """One page of the queue: the query's tickets in `sort` order, after `cursor` (keyset)."""
    if limit < 1:
        raise UsageError("limit must be at least 1")
    now = now or utcnow()
    statement = _row_select().where(
        *compile_query(query, me_id=actor.id if actor else None, now=now)
    )
    if cursor:
        statement = statement.where(keyset_after(sort, cursor))
    statement = statement.order_by(*order_by(sort)).limit(limit + 1)
    with store.read() as session:
        rows = _rows(session, statement)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(sort, _sort_value(sort, last), last.id)
    return Page(tuple(rows), next_cursor)


def _sort_value(sort: Sort, row: TicketRow) -> Any:
    key = sort.key.value
    if key == "sla":
        return row.sla_due or SENTINEL
    if key == "priority":
        return int(row.priority)
    if key == "created":
        return row.created_at
    if key == "updated":
        return row.updated_at
    return row.id


def cursor_after(sort: Sort, row: TicketRow) -> str:
    """The keyset cursor that continues `sort` order after `row` (for views that page on their
    own, such as the console's queue window)."""
    return encode_cursor(sort, _sort_value(sort, row), row.id)


def iter_tickets(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    sort: Sort,
    limit: int | None = None,
    page_size: int = 1000,
    now: datetime | None = None,
) -> Iterator[TicketRow]:
    """Every matching ticket, read page by page so memory stays flat."""
    now = now or utcnow()
    cursor: str | None = None
    remaining = limit
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        page = list_tickets(
            store, actor=actor, query=query, sort=sort, cursor=cursor, limit=size, now=now
        )
        yield from page.items
        if remaining is not None:
            remaining -= len(page.items)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def count_tickets(
    store: Store,
    *,
    actor: Actor | None,
    query: Query,
    now: datetime | None = None,
    at_most: int | None = None,
) -> int:
    """How many tickets the query finds.  With `at_most`, counting stops after `at_most + 1`
    of them (a result above `at_most` means "more than `at_most`"), so a count of a large
    view reads a bounded part of the index instead of every ticket."""
    now = now or utcnow()
    conditions = compile_query(query, me_id=actor.id if actor else None, now=now)
    if at_most is None:
        statement = select(func.count()).select_from(Ticket).where(*conditions)
    else:
        found = select(col(Ticket.id)).where(*conditions).limit(at_most + 1).subquery()
        statement = select(func.count()).select_from(found)
    with store.read() as session:
        return int(session.execute(statement).scalar_one())


def get_ticket(store: Store, *, ticket_id: int, other_limit: int = 20) -> TicketDetail:
    """The ticket with its customer card, thread and audit trail."""
    with store.read() as session:
        rows = _rows(session, _row_select().where(col(Ticket.id) == ticket_id))
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
            _row_select()
            .where(col(Ticket.customer_id) == ticket.customer_id, col(Ticket.id) != ticket_id)
            .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
            .limit(other_limit)
        )
        others = _rows(session, others_statement)
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
            rows += _rows(session, _row_select().where(col(Ticket.id).in_(chunk)))
    return rows


@cache
def _by_id() -> tuple[Any, Any]:
    """The statements of `row_by_id`, built once (every write returns its ticket through it)."""
    one: Any = bindparam("ticket_id")
    return (
        _row_select().where(col(Ticket.id) == one),
        select(col(TicketTag.tag))
        .where(col(TicketTag.ticket_id) == one)
        .order_by(col(TicketTag.tag)),
    )


def row_by_id(session: Session, ticket_id: int) -> TicketRow:
    """One ticket as a row, read on the session's connection (plain columns: no ORM step)."""
    row_select, tag_select = _by_id()
    session.flush()  # a write reading its ticket back sees its change (as autoflush would)
    conn = session.connection()
    row = conn.execute(row_select, {"ticket_id": ticket_id}).one()
    return _to_row(row, conn.execute(tag_select, {"ticket_id": ticket_id}).scalars().all())


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
