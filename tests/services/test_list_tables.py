"""The ticket list reads in SQLAlchemy Core on `store.tables`; the ORM classes of those tables
map onto the very same `Table` objects, so a condition of the one query compiler means the same
table in a Core statement (the list) and in an ORM one (reassign, automations, the report)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from csm_console.domain.model import Priority
from csm_console.domain.query import Sort, parse_query
from csm_console.services import tickets as svc
from csm_console.services.ticket_list import count_tickets, iter_tickets, list_tickets
from csm_console.store import models, tables
from csm_console.store.ticket_query import compile_query, order_by
from tests.conftest import NOW, Desk

MAPPED = [
    (models.Ticket, tables.ticket),
    (models.Team, tables.team),
    (models.Agent, tables.agent),
    (models.Customer, tables.customer),
    (models.TicketTag, tables.ticket_tag),
    (models.Message, tables.message),
    (models.Attachment, tables.attachment),
    (models.OutgoingMail, tables.outgoing_mail),
]

# every kind of term the compiler knows, several of them reading other tables
QUERIES = [
    "",
    "status:open,pending priority:>=high",
    "tag:billing -tag:vip",
    "assignee:olga,none team:frontline",
    "assignee:me needs:me",
    "customer:liga mail:failed,queued has:attachment",
    "sla:breached created:<2d",
    "router -blinks",
    "fcr:no frt:missed repeat:7d csat:none",
]


@pytest.mark.parametrize(("model", "table"), MAPPED, ids=lambda v: getattr(v, "name", ""))
def test_the_models_of_the_listed_tables_are_the_core_tables(model: type, table: object) -> None:
    assert model.__table__ is table  # type: ignore[attr-defined]
    assert table in models.metadata.sorted_tables


@pytest.mark.parametrize("text", QUERIES)
def test_a_compiled_query_in_an_orm_statement_names_one_ticket_table(text: str) -> None:
    """Were the model's table another `Table` than the compiler's, an ORM select would read
    both (a cross join), and every list would be wrong."""
    statement = select(models.Ticket).where(*compile_query(parse_query(text), me_id=1, now=NOW))
    sql = str(statement.compile(dialect=sqlite.dialect()))
    assert sql.split("\nFROM ", 1)[1].split("\nWHERE ", 1)[0].strip() == "ticket", sql


def _new_ticket(desk: Desk, subject: str, age: timedelta, priority: Priority) -> int:
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject=subject,
        body="It blinks red.",
        priority=priority,
        now=NOW - age,
    ).id


def test_the_core_list_and_an_orm_read_select_the_same_tickets(desk: Desk) -> None:
    """The list (Core) and the ORM, with the one compiler, on both stores: same tickets, same
    order, same count; and paging the list by keyset cursors walks them all once."""
    made = [
        _new_ticket(desk, f"Router {n} is down", timedelta(hours=n * 7), Priority(1 + n % 4))
        for n in range(12)
    ]
    for text in QUERIES:
        query = parse_query(text)
        me = desk.olga
        conditions = compile_query(query, me_id=me.id, now=NOW)
        with desk.store.read() as session:
            through_orm = list(
                session.execute(
                    select(models.Ticket.id).where(*conditions).order_by(*order_by(Sort()))
                ).scalars()
            )
        page = list_tickets(desk.store, actor=me, query=query, sort=Sort(), limit=100, now=NOW)
        assert [row.id for row in page.items] == through_orm, text
        assert count_tickets(desk.store, actor=me, query=query, now=NOW) == len(through_orm)
    walked = [
        row.id
        for row in iter_tickets(
            desk.store,
            actor=None,
            query=parse_query(""),
            sort=Sort.parse("-priority"),
            page_size=5,
            now=NOW,
        )
    ]
    assert sorted(walked) == sorted(made)
