"""The time terms automations are written with, on both stores: `age:`, `updated:>3d`,
`solved:>7d`, `sla:at-risk`, `frt:>80%`, `assignee:none` and `assignee:inactive`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from csm_console.domain.model import Priority, Status
from csm_console.domain.query import ElapsedTerm, Op, SlaTerm, Sort, TimeTerm, parse_query
from csm_console.errors import QueryError
from csm_console.services import tickets as svc
from csm_console.services.ticket_reads import count_tickets, list_tickets
from csm_console.store.models import Ticket
from tests.conftest import NOW, Desk


def new_ticket(desk: Desk, age: timedelta, priority: Priority = Priority.NORMAL) -> int:
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject="Router is down",
        body="It blinks red.",
        priority=priority,
        now=NOW - age,
    ).id


def ids(desk: Desk, text: str) -> set[int]:
    page = list_tickets(
        desk.store, actor=None, query=parse_query(text), sort=Sort(), limit=100, now=NOW
    )
    assert count_tickets(desk.store, actor=None, query=parse_query(text), now=NOW) == len(
        page.items
    )
    return {row.id for row in page.items}


def test_the_terms_parse() -> None:
    assert parse_query("age:>2h").terms == (TimeTerm("created", Op.GT, age=timedelta(hours=2)),)
    assert parse_query("sla:at-risk").terms == (SlaTerm("at-risk"),)
    assert parse_query("sla:at_risk").terms == (SlaTerm("at-risk"),)
    assert parse_query("frt:>80%").terms == (ElapsedTerm(Op.GT, 80),)
    assert parse_query("-frt:>=50%").terms == (ElapsedTerm(Op.GE, 50, negated=True),)
    for bad in ("frt:>80", "frt:>0%", "frt:>abc%", "frt:>5000%", "sla:at-rsk"):
        with pytest.raises(QueryError):
            parse_query(bad)


def test_frt_share_and_at_risk(desk: Desk) -> None:
    # high: first response within 60 minutes (tests.conftest's policies)
    late = new_ticket(desk, timedelta(minutes=50), Priority.HIGH)  # 83% gone, 10 min left
    fresh = new_ticket(desk, timedelta(minutes=10), Priority.HIGH)  # 17%
    overdue = new_ticket(desk, timedelta(minutes=70), Priority.HIGH)  # 117%: breached
    answered = new_ticket(desk, timedelta(minutes=55), Priority.HIGH)
    svc.reply(desk.store, actor=desk.olga, ticket_id=answered, body="On it.", now=NOW)
    assert ids(desk, "frt:>80%") == {late, overdue}
    assert ids(desk, "frt:>80% frt:<100%") == {late}
    assert ids(desk, "frt:<=20%") == {fresh}
    assert ids(desk, "-frt:>80%") == {fresh, answered}
    assert ids(desk, "sla:at-risk") == {late}  # overdue is breached, not at risk
    assert ids(desk, "sla:breached") == {overdue}
    assert ids(desk, "-sla:at-risk") == {fresh, overdue, answered}


def test_age_updated_and_solved(desk: Desk) -> None:
    old = new_ticket(desk, timedelta(hours=3))
    young = new_ticket(desk, timedelta(hours=1))
    assert ids(desk, "age:>2h") == {old}
    assert ids(desk, "age:<2h") == {young}
    quiet = new_ticket(desk, timedelta(days=12))
    day = timedelta(days=1)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=quiet, to="olga", now=NOW - 11 * day)
    pending = Status.PENDING
    svc.change_status(
        desk.store, actor=desk.olga, ticket_id=quiet, status=pending, now=NOW - 10 * day
    )
    assert ids(desk, "status:pending updated:>3d") == {quiet}
    assert ids(desk, "status:pending updated:>11d") == set()
    svc.change_status(
        desk.store, actor=desk.olga, ticket_id=quiet, status=Status.SOLVED, now=NOW - 8 * day
    )
    assert ids(desk, "status:solved solved:>7d") == {quiet}
    assert ids(desk, "status:solved solved:>9d") == set()


def test_assignee_none_and_inactive(desk: Desk) -> None:
    free, olgas, gones = (new_ticket(desk, timedelta(hours=1)) for _ in range(3))
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=olgas, to="olga")
    with desk.store.write() as session:
        session.execute(
            update(Ticket).where(col(Ticket.id) == gones).values(assignee_id=desk.gone.id)
        )
    assert ids(desk, "assignee:none") == {free}
    assert ids(desk, "assignee:inactive") == {gones}
    assert ids(desk, "assignee:inactive,none") == {free, gones}
    assert ids(desk, "-assignee:inactive") == {free, olgas}
