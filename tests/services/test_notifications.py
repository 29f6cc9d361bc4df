"""Telling the operator (services.notifications) on both stores: each kind of notification,
the cursor (nothing twice, nothing missed), at risk once per crossing, my own changes never
notify me, and the "needs me" count agreeing with the `needs:me` query."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from csm_console.domain.model import Priority
from csm_console.domain.query import Sort, parse_query
from csm_console.domain.rights import Actor
from csm_console.services import mail_intake, notifications, ticket_reads
from csm_console.services import tickets as svc
from csm_console.services.notifications import Cursor, NotificationKind, Update
from csm_console.services.ticket_core import write_audit
from csm_console.store.models import Agent, Customer, Ticket
from tests.conftest import NOW, Desk
from tests.hostile import hostile_cases
from tests.mail_support import MAIL, message

CUSTOMER = "mara@example.lv"


def olgas_ticket(
    desk: Desk,
    *,
    priority: Priority = Priority.NORMAL,
    at: datetime = NOW,
    name: str = "Mara Ozola",
    email: str = CUSTOMER,
) -> int:
    """A ticket from a customer, assigned to olga by anna (the lead)."""
    row = svc.create_ticket(
        desk.store,
        actor=desk.anna,
        customer_email=email,
        customer_name=name,
        subject="Router is down",
        body="It blinks red since morning.",
        priority=priority,
        now=at,
    )
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=row.id, to="olga", now=at)
    return row.id


def refresh(
    desk: Desk, cursor: Cursor | None, *, actor: Actor | None = None, now: datetime = NOW
) -> Update:
    return notifications.since(desk.store, actor=actor or desk.olga, cursor=cursor, now=now)


def texts(update: Update) -> list[str]:
    return [n.text for n in update.notifications]


def customer_writes(
    desk: Desk, ticket_id: int, *, at: datetime, sender: str = CUSTOMER, **headers: str
) -> None:
    raw = message(
        sender=sender,
        subject=f"Re: [#{ticket_id}] Router is down",
        body="Still broken, see attached.",
        message_id=f"<{at.timestamp()}.{ticket_id}@example.lv>",
        headers=headers or None,
    )
    result = mail_intake.take_in(desk.store, raw, mail=MAIL, mailbox=None, now=at)
    assert result.ticket_id == ticket_id, result.line()


def test_a_new_console_is_told_nothing_of_the_past(desk: Desk) -> None:
    olgas_ticket(desk)
    update = refresh(desk, None)
    assert update.notifications == ()
    assert update.cursor.after > 0
    assert update.needs_me == 1  # the customer wrote and olga has not replied


def test_assigned_by_someone_else_once(desk: Desk) -> None:
    row = svc.create_ticket(
        desk.store,
        actor=desk.anna,
        customer_email=CUSTOMER,
        subject="Invoice",
        body="Wrong amount.",
        now=NOW,
    )
    first = refresh(desk, None)
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=row.id, to="olga", now=NOW)
    second = refresh(desk, first.cursor)
    assert texts(second) == [f"#{row.id} assigned to you by @anna"]
    assert second.notifications[0].kind is NotificationKind.ASSIGNED
    assert refresh(desk, second.cursor).notifications == ()  # nothing twice
    # ivan hears nothing of olga's ticket
    assert refresh(desk, first.cursor, actor=desk.ivan).notifications == ()


def test_my_own_changes_do_not_notify_me(desk: Desk) -> None:
    row = svc.create_ticket(
        desk.store,
        actor=desk.anna,
        customer_email=CUSTOMER,
        subject="Invoice",
        body="Wrong amount.",
        now=NOW,
    )
    start = refresh(desk, None)
    taken = svc.take_next(desk.store, actor=desk.olga, now=NOW)  # olga assigns it to herself
    assert taken.id == row.id
    svc.add_note(desk.store, actor=desk.olga, ticket_id=row.id, body="looking", now=NOW)
    assert refresh(desk, start.cursor).notifications == ()


def test_assigned_by_the_system(desk: Desk) -> None:
    """An assignment with no actor (an automation, as `services.automations` writes it)."""
    row = svc.create_ticket(
        desk.store,
        actor=desk.anna,
        customer_email=CUSTOMER,
        subject="Invoice",
        body="Wrong amount.",
        now=NOW,
    )
    start = refresh(desk, None)
    with desk.store.write() as session:
        ticket = session.get(Ticket, row.id)
        olga = session.get(Agent, desk.olga.id)
        assert ticket is not None and olga is not None
        ticket.assignee_id = olga.id
        ticket.version += 1
        write_audit(session, ticket, None, "assign", NOW, field="assignee", new="olga")
    assert texts(refresh(desk, start.cursor)) == [f"#{row.id} assigned to you by the system"]


def test_customer_answered_my_ticket(desk: Desk) -> None:
    ticket_id = olgas_ticket(desk)
    svc.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="Please restart it.", now=NOW)
    start = refresh(desk, None)
    assert start.needs_me == 0  # olga replied last
    customer_writes(desk, ticket_id, at=NOW + timedelta(minutes=5))
    update = refresh(desk, start.cursor, now=NOW + timedelta(minutes=6))
    assert texts(update) == [f"#{ticket_id}: Mara Ozola answered"]
    assert update.notifications[0].kind is NotificationKind.ANSWERED
    assert update.needs_me == 1
    # an out-of-office reply is not an answer, and does not need olga
    svc.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="Done?", now=NOW)
    customer_writes(
        desk, ticket_id, at=NOW + timedelta(minutes=7), **{"Auto-Submitted": "auto-replied"}
    )
    later = refresh(desk, update.cursor, now=NOW + timedelta(minutes=8))
    assert later.notifications == ()
    assert later.needs_me == 0


def test_an_answer_on_someone_elses_ticket_is_not_mine(desk: Desk) -> None:
    ticket_id = olgas_ticket(desk)
    start = refresh(desk, None, actor=desk.ivan)
    customer_writes(desk, ticket_id, at=NOW + timedelta(minutes=5))
    update = refresh(desk, start.cursor, actor=desk.ivan, now=NOW + timedelta(minutes=6))
    assert update.notifications == ()
    assert update.needs_me == 0


def test_automation_notify_is_told_to_the_assignee(desk: Desk) -> None:
    ticket_id = olgas_ticket(desk)
    start = refresh(desk, None)
    with desk.store.write() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        write_audit(session, ticket, None, "notify", NOW, new="Customer waits 3 days\x1b[2J")
    update = refresh(desk, start.cursor)
    assert texts(update) == [f"#{ticket_id}: Customer waits 3 days"]
    assert update.notifications[0].kind is NotificationKind.AUTOMATION


def test_at_risk_fires_once_per_crossing(desk: Desk) -> None:
    # high: first response in 60 minutes, resolution in 480 (the desk's policy)
    ticket_id = olgas_ticket(desk, priority=Priority.HIGH)
    cursor = refresh(desk, None).cursor
    calm = refresh(desk, cursor, now=NOW + timedelta(minutes=30))
    assert calm.notifications == ()
    risk = refresh(desk, calm.cursor, now=NOW + timedelta(minutes=50))
    assert texts(risk) == [f"#{ticket_id} at risk: first response in 10m"]
    assert risk.notifications[0].kind is NotificationKind.AT_RISK
    again = refresh(desk, risk.cursor, now=NOW + timedelta(minutes=52))
    assert again.notifications == ()  # still at risk: told once
    assert again.needs_me == 1
    # answered: the resolution clock runs, not at risk; later it crosses: told again
    svc.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="On it.",
        now=NOW + timedelta(minutes=53),
    )
    answered = refresh(desk, again.cursor, now=NOW + timedelta(minutes=54))
    assert answered.notifications == ()
    assert answered.needs_me == 0
    assert ticket_id not in answered.cursor.at_risk
    late = refresh(desk, answered.cursor, now=NOW + timedelta(minutes=480 - 60))
    assert texts(late) == [f"#{ticket_id} at risk: resolution in 1h"]


def test_at_risk_at_start_is_not_news(desk: Desk) -> None:
    ticket_id = olgas_ticket(desk, priority=Priority.HIGH)
    start = refresh(desk, None, now=NOW + timedelta(minutes=50))
    assert start.cursor.at_risk == {ticket_id}
    assert refresh(desk, start.cursor, now=NOW + timedelta(minutes=51)).notifications == ()


def test_the_cursor_misses_nothing_when_more_arrive_than_one_refresh_reads(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "MAX_EVENTS", 2)
    start = refresh(desk, None)
    ids = [olgas_ticket(desk) for _ in range(5)]
    seen: list[int] = []
    cursor = start.cursor
    for _ in range(4):
        update = refresh(desk, cursor)
        seen += [n.ticket_id for n in update.notifications]
        cursor = update.cursor
    assert seen == ids


def test_needs_me_agrees_with_the_query(desk: Desk) -> None:
    answered = olgas_ticket(desk)  # never replied: needs olga
    replied = olgas_ticket(desk, email="other@example.lv", name="Other")
    svc.reply(desk.store, actor=desk.olga, ticket_id=replied, body="Fixed.", now=NOW)
    risky = olgas_ticket(desk, priority=Priority.URGENT, email="u@example.lv", name="U")
    svc.reply(desk.store, actor=desk.olga, ticket_id=risky, body="Looking.", now=NOW)
    now = NOW + timedelta(minutes=200)  # urgent: resolution in 240 minutes, at risk after 180
    count = notifications.needs_me_count(desk.store, actor=desk.olga, now=now)
    page = ticket_reads.list_tickets(
        desk.store, actor=desk.olga, query=parse_query("needs:me"), sort=Sort.parse("id"), now=now
    )
    assert sorted(r.id for r in page.items) == sorted([answered, risky])
    assert count == 2
    assert notifications.needs_me_count(desk.store, actor=desk.ivan, now=now) == 0


@pytest.mark.parametrize("case", hostile_cases()[:12], ids=lambda c: c.get("why", "")[:30])
def test_customer_names_are_sanitised(desk: Desk, case: dict[str, str]) -> None:
    from csm_console.domain.text import sanitize

    ticket_id = olgas_ticket(desk)
    with desk.store.write() as session:  # as an import or an older version may have stored it
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        customer = session.get(Customer, ticket.customer_id)
        assert customer is not None
        customer.name = case["text"][:200].replace("\x00", "")
    start = refresh(desk, None)
    customer_writes(desk, ticket_id, at=NOW + timedelta(minutes=1))
    [note] = refresh(desk, start.cursor, now=NOW + timedelta(minutes=2)).notifications
    assert "\x1b" not in note.text and "\n" not in note.text
    assert note.text == sanitize(note.text, single_line=True)


def test_needs_me_in_the_query_language(desk: Desk) -> None:
    from csm_console.domain.query import MatchTerm
    from csm_console.errors import QueryError

    assert parse_query("needs:ME").terms == (MatchTerm("needs", ("me",)),)
    with pytest.raises(QueryError, match="valid: me"):
        parse_query("needs:anna")
    mine = olgas_ticket(desk)
    svc.reply(desk.store, actor=desk.olga, ticket_id=mine, body="Fixed.", now=NOW)
    waiting = olgas_ticket(desk, email="other@example.lv", name="Other")

    def ids(text: str) -> set[int]:
        page = ticket_reads.list_tickets(
            desk.store, actor=desk.olga, query=parse_query(text), sort=Sort.parse("id"), now=NOW
        )
        return {r.id for r in page.items}

    assert ids("needs:me") == {waiting}
    assert ids("assignee:me -needs:me") == {mine}
    with pytest.raises(QueryError, match="acting agent"):
        ticket_reads.list_tickets(
            desk.store, actor=None, query=parse_query("needs:me"), sort=Sort.parse("id")
        )


def test_without_recount_the_count_waits_for_news_that_concern_me(desk: Desk) -> None:
    """A live refresh with nothing new for me skips the count (a look at each of my active
    tickets); news for me, or a recount, counts again."""
    first = notifications.since(desk.store, actor=desk.olga, cursor=None, now=NOW)
    quiet = notifications.since(
        desk.store, actor=desk.olga, cursor=first.cursor, now=NOW, recount=False
    )
    assert quiet.needs_me is None and quiet.cursor == first.cursor and not quiet.notifications
    olgas_ticket(desk)
    news = notifications.since(
        desk.store, actor=desk.olga, cursor=quiet.cursor, now=NOW, recount=False
    )
    assert news.notifications and news.needs_me == 1
    later = notifications.since(
        desk.store, actor=desk.olga, cursor=news.cursor, now=NOW, recount=False
    )
    assert later.needs_me is None and later.cursor.at_risk == news.cursor.at_risk
    assert refresh(desk, later.cursor).needs_me == 1
    # olga's own change tells her nothing, but the count follows it
    mine = ticket_reads.list_tickets(
        desk.store, actor=None, query=parse_query("assignee:olga"), sort=Sort.parse("id"), limit=1
    ).items[0]
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=mine.id, to=None, now=NOW)
    own = notifications.since(
        desk.store, actor=desk.olga, cursor=later.cursor, now=NOW, recount=False
    )
    assert own.notifications == () and own.needs_me == 0
