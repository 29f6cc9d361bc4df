"""Repeat contacts: a solved ticket whose customer opens another ticket in the same category
soon after it was solved.

Each ticket keeps `next_contact_at`: when the same customer next opened a ticket in the same
category (no category matching no category) after this one was solved; NULL when none has, or
while the ticket is not solved.  The report and the query language (`repeat:7d`) then count a
repeat contact from the ticket row alone: `next_contact_at` within the window of `solved_at`.

The value depends only on the tickets of one customer and category, a handful of rows:
`refresh` recomputes such groups after a ticket is created, solved or reopened, or changes its
customer, category or creation time.  After a bulk load, `stamp_all_statement` sets it on
the solved tickets of the loaded tickets' customers in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Update,
    and_,
    bindparam,
    case,
    func,
    null,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from csm_console.store.models import Ticket

Group = tuple[int, str | None]  # (customer id, category)


def _came_back(later: Any, ticket: Any, *, hashable: bool = False) -> ColumnElement[bool]:
    """`later` is another ticket of `ticket`'s customer in its category (no category matching
    no category: IS on SQLite, IS NOT DISTINCT FROM on PostgreSQL), opened after `ticket` was
    solved.  `hashable`: the category written as two keys a hash join can use (the category
    or '', and whether it is NULL), for a join over the whole table (`csm dev generate` on
    PostgreSQL, where IS NOT DISTINCT FROM paired every two tickets of a customer)."""
    same_category = (
        and_(
            func.coalesce(later.category, "") == func.coalesce(ticket.category, ""),
            later.category.is_(None) == ticket.category.is_(None),
        )
        if hashable
        else later.category.is_not_distinct_from(ticket.category)
    )
    return and_(
        later.customer_id == ticket.customer_id,
        same_category,
        later.created_at > ticket.solved_at,
        later.id != ticket.id,
    )


def _next_contact(ticket: Any) -> Any:
    """The earliest ticket that came back after `ticket` (a scalar subquery correlated to
    `ticket`)."""
    later = aliased(Ticket, name="later")
    return (
        select(func.min(col(later.created_at))).where(_came_back(later, ticket)).scalar_subquery()
    )


@cache
def _refresh_statement() -> Update:
    """The refresh of one (customer, category) group, built once: building it costs more
    than running it (an import runs it for every ticket it creates)."""
    table = Ticket.__table__
    value = case((table.c.solved_at.is_(None), null()), else_=_next_contact(table.c))
    return (
        update(table)
        .where(
            table.c.customer_id == bindparam("group_customer", type_=Integer()),
            table.c.category.is_not_distinct_from(bindparam("group_category", type_=String())),
            table.c.next_contact_at.is_distinct_from(value),
        )
        .values(next_contact_at=value)
    )


def refresh(session: Session, groups: Iterable[Group]) -> None:
    """Recompute `next_contact_at` of every ticket in the (customer, category) groups; a row
    is written only where the value changes.  Flushes the session first.  Ticket objects in
    the session keep the value they were loaded with (the column is read by SQL only, and the
    ORM never writes back an attribute nobody set): expiring them would cost a pass over the
    whole session for each ticket an import creates."""
    wanted = {(int(customer_id), category) for customer_id, category in groups}
    if not wanted:
        return
    session.flush()
    connection = session.connection()  # a table statement: no ORM work per call
    for customer_id, category in sorted(wanted, key=lambda g: (g[0], g[1] or "")):
        connection.execute(
            _refresh_statement(), {"group_customer": customer_id, "group_category": category}
        )


def group_of(ticket: Ticket) -> Group:
    return (ticket.customer_id, ticket.category)


def stamp_all_statement(first_id: int = 1, *, hashable: bool = False) -> Update:
    """Set `next_contact_at` on every solved ticket whose customer came back in its category,
    where it is not set so already: for a bulk load, which only adds tickets (those from
    `first_id` on) and so never has to clear one.  Only the loaded tickets' customers can have
    changed."""
    t = aliased(Ticket, name="t")
    later = aliased(Ticket, name="l")
    loaded = aliased(Ticket, name="loaded")
    earliest = (
        select(col(t.id).label("id"), func.min(col(later.created_at)).label("at"))
        .join(later, _came_back(later, t, hashable=hashable))
        .where(
            col(t.solved_at).is_not(None),
            col(t.customer_id).in_(
                select(col(loaded.customer_id)).where(col(loaded.id) >= first_id)
            ),
        )
        .group_by(col(t.id))
        .subquery("earliest")
    )
    return (
        update(Ticket)
        .where(
            col(Ticket.id) == earliest.c.id,
            col(Ticket.next_contact_at).is_distinct_from(earliest.c.at),
        )
        .values(next_contact_at=earliest.c.at)
        .execution_options(synchronize_session=False)
    )


def stamp_all(session: Session, first_id: int = 1) -> None:
    """Run `stamp_all_statement` (after a bulk load)."""
    session.execute(stamp_all_statement(first_id))
