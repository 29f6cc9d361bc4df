"""Customers: who writes in, and their tickets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from csm_console.domain.query import MatchTerm, Query, Sort
from csm_console.domain.rights import Actor
from csm_console.domain.text import fold
from csm_console.errors import NotFound
from csm_console.services.clock import utcnow
from csm_console.services.records import CustomerView, TicketRow
from csm_console.services.ticket_core import reload_actor
from csm_console.services.ticket_reads import customer_view, iter_tickets
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent, Customer, Ticket
from csm_console.store.ticket_query import like_pattern


def list_customers(
    store: Store, *, text: str = "", limit: int = 100
) -> list[tuple[CustomerView, int]]:
    """Customers (name or e-mail containing `text`, folded) with their ticket counts."""
    counts = (
        select(col(Ticket.customer_id), func.count().label("tickets"))
        .group_by(col(Ticket.customer_id))
        .subquery()
    )
    statement = (
        select(Customer, func.coalesce(counts.c.tickets, 0))
        .outerjoin(counts, counts.c.customer_id == col(Customer.id))
        .order_by(col(Customer.name))
        .limit(limit)
    )
    if text.strip():
        statement = statement.where(
            col(Customer.lookup).like(like_pattern(fold(text)), escape="\\")
        )
    with store.read() as session:
        return [(customer_view(c), int(n)) for c, n in session.execute(statement)]


def get_customer(store: Store, *, email: str) -> tuple[CustomerView, list[TicketRow]]:
    with store.read() as session:
        customer = session.execute(
            select(Customer).where(col(Customer.email) == email.strip().lower())
        ).scalar_one_or_none()
        if customer is None:
            raise NotFound(f"no customer with e-mail {email!r}")
        view = customer_view(customer)
    rows = list(
        iter_tickets(
            store,
            actor=None,
            query=Query((MatchTerm("customer", (view.email,)),)),
            sort=Sort.parse("-created"),
        )
    )
    return view, rows


def set_surveys(
    store: Store, *, actor: Actor, email: str, allowed: bool, now: datetime | None = None
) -> tuple[CustomerView, bool]:
    """Opt the customer out of satisfaction surveys (`allowed=False`) or back in, audited.
    Returns the customer and whether anything changed."""
    now = now or utcnow()
    with store.write() as session:
        fresh = reload_actor(session, actor)
        customer = session.execute(
            select(Customer).where(col(Customer.email) == email.strip().lower())
        ).scalar_one_or_none()
        if customer is None:
            raise NotFound(f"no customer with e-mail {email!r}")
        changed = customer.no_surveys == allowed
        if changed:
            customer.no_surveys = not allowed
            session.add(customer)
            session.add(
                AuditEvent(
                    ticket_id=None,
                    actor_id=fresh.id,
                    action="customer",
                    field="no_surveys",
                    old_value=f"{customer.email}: {str(allowed).lower()}",
                    new_value=f"{customer.email}: {str(not allowed).lower()}",
                    created_at=now,
                )
            )
            session.flush()
        return customer_view(customer), changed
