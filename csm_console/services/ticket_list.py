"""The ticket list: the queue's rows in a sort order (keyset pages), and their count.

Read in SQLAlchemy Core on `store.tables`, through the one query compiler
(`store.ticket_query`): a process that only lists tickets (`csm tickets list`, a script calling
it in a loop) never imports the ORM or builds the SQLModel classes, which was about a third of
its start-up.  `ticket_reads` builds its other reads (a ticket with its thread, rows by id) on
the same row statement and row conversion, on an ORM session.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.query import Query, Sort
from csm_console.domain.stored import Invalid
from csm_console.errors import UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ticket_row import Page, TicketRow
from csm_console.store.constraints import CHANNELS, CSAT_SCORES
from csm_console.store.engine import Store
from csm_console.store.tables import agent, customer, team, ticket, ticket_tag
from csm_console.store.ticket_query import (
    SENTINEL,
    compile_query,
    encode_cursor,
    keyset_after,
    order_by,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from csm_console.domain.rights import Actor

    Reader = Connection | Session  # a Core connection (the list) or an ORM session

_assignee = agent.alias("assignee_agent")


def row_select() -> Any:
    """The queue row's columns: the ticket with its team, assignee and customer."""
    return (
        select(
            ticket.c.id,
            ticket.c.subject,
            ticket.c.status,
            ticket.c.priority,
            ticket.c.tier,
            ticket.c.channel,
            ticket.c.category,
            team.c.name.label("team"),
            _assignee.c.handle.label("assignee"),
            customer.c.name.label("customer"),
            customer.c.email.label("customer_email"),
            ticket.c.created_at,
            ticket.c.updated_at,
            ticket.c.first_response_at,
            ticket.c.first_response_due,
            ticket.c.resolution_due,
            ticket.c.solved_at,
            ticket.c.sla_due,
            ticket.c.reopen_count,
            ticket.c.csat_score,
            ticket.c.version,
            ticket.c.external_id,
        )
        .join(customer, customer.c.id == ticket.c.customer_id)
        .outerjoin(team, team.c.id == ticket.c.team_id)
        .outerjoin(_assignee, _assignee.c.id == ticket.c.assignee_id)
    )


def to_row(r: Any, tags: Sequence[str] = ()) -> TicketRow:
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


def tags_for(reader: Reader, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    if not ticket_ids:
        return tags
    rows = reader.execute(
        select(ticket_tag.c.ticket_id, ticket_tag.c.tag)
        .where(ticket_tag.c.ticket_id.in_(ticket_ids))
        .order_by(ticket_tag.c.ticket_id, ticket_tag.c.tag)
    )
    for ticket_id, tag in rows:
        tags.setdefault(ticket_id, []).append(tag)
    return tags


def rows(reader: Reader, statement: Any) -> list[TicketRow]:
    """The rows of a `row_select()` statement, with their tags."""
    result = list(reader.execute(statement))
    tags = tags_for(reader, [r.id for r in result])
    return [to_row(r, tags.get(r.id, ())) for r in result]


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
    statement = row_select().where(
        *compile_query(query, me_id=actor.id if actor else None, now=now)
    )
    if cursor:
        statement = statement.where(keyset_after(sort, cursor))
    statement = statement.order_by(*order_by(sort)).limit(limit + 1)
    with store.connection() as conn:
        found = rows(conn, statement)
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        last = found[-1]
        next_cursor = encode_cursor(sort, _sort_value(sort, last), last.id)
    return Page(tuple(found), next_cursor)


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
        statement = select(func.count()).select_from(ticket).where(*conditions)
    else:
        found = select(ticket.c.id).where(*conditions).limit(at_most + 1).subquery()
        statement = select(func.count()).select_from(found)
    with store.connection() as conn:
        return int(conn.execute(statement).scalar_one())
