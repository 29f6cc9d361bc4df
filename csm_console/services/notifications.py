"""Telling the operator: what happened to the signed-in agent's tickets since the console last
asked, and how many of their tickets need them now.

A console asks `since(store, actor=..., cursor=...)` on every live refresh and gets back the
notifications, the cursor to ask with next time, and the "needs me" count:

- **assigned**: an `assign` audit event of field `assignee` whose new value is my handle,
  made by someone else or by the system (an automation, a routing rule: no actor);
- **answered**: a `mail` audit event that stored a customer's message (not an auto-reply) on
  a ticket assigned to me;
- **automation**: an automation's `notify` action (audit action `notify`, the text in
  `new_value`) on a ticket assigned to me;
- **at risk**: one of my tickets whose running SLA clock crossed into at-risk
  (`domain.sla.clock`), once per crossing: the cursor remembers which of my tickets were
  already reported, and a ticket leaves that set when its clock is no longer at risk.

My own changes never notify me.  The cursor is the newest *settled* audit event id read
(`store.audit_chain.settled_id`): on PostgreSQL writers in different shards of the audit chain
commit out of id order, so the cursor stops below the rows a running transaction may still add;
SQLite has one writer at a time.  An event after the cursor is never one that committed before
it (nothing missed, nothing twice).

Customer text (a name, an automation's text) is sanitised here, to one line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from csm_console.domain.durations import format_duration
from csm_console.domain.model import Status
from csm_console.domain.rights import Actor
from csm_console.domain.sla import ClockState, clock, running_deadline
from csm_console.domain.text import sanitize
from csm_console.services.clock import utcnow
from csm_console.store.audit_chain import settled_id
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Customer, Message, Ticket
from csm_console.store.ticket_query import needs_me

MAX_EVENTS = 50  # notifications read per refresh; the rest come on the next one
MAX_NEEDS_ME = 10_000  # the "needs me" rows read per refresh (the count shows `10000+`)
MAX_TEXT = 200  # characters of a notification's text


class NotificationKind(StrEnum):
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    AT_RISK = "at-risk"
    AUTOMATION = "automation"


@dataclass(frozen=True, slots=True)
class Notification:
    """One thing to tell the operator, as one sanitised line that names the ticket."""

    kind: NotificationKind
    ticket_id: int
    text: str  # e.g. `#1234 assigned to you by @anna`
    event_id: int | None = None  # the audit event (None: an at-risk crossing)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next refresh starts: after the audit event `after`, with the tickets in
    `at_risk` already reported at risk."""

    after: int
    at_risk: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Update:
    notifications: tuple[Notification, ...]
    cursor: Cursor
    # my tickets that need me now (at most MAX_NEEDS_ME); None: not counted this time
    needs_me: int | None


def since(
    store: Store,
    *,
    actor: Actor,
    cursor: Cursor | None,
    now: datetime | None = None,
    recount: bool = True,
) -> Update:
    """The notifications for `actor` after `cursor`, the next cursor and the "needs me" count.

    Without a cursor (a console just opened) nothing is reported: the cursor starts at the
    newest event, and the tickets at risk now count as reported.  The count (which also finds
    the tickets turning at risk) costs a look at each of the agent's active tickets: with
    `recount` False it is left out unless something new happened to the agent's tickets."""
    now = now or utcnow()
    with store.read() as session:
        newest = settled_id(session.connection())
        events: list[Notification] = []
        after = newest
        if cursor is not None:
            events = _events(session, actor, after=cursor.after, upto=newest)
            if len(events) == MAX_EVENTS:  # more to come: the next refresh goes on from here
                after = events[-1].event_id or newest
        if (
            cursor is not None
            and not recount
            and not events
            and not _touches_me(session, actor, after=cursor.after, upto=newest)
        ):
            return Update(notifications=(), cursor=replace(cursor, after=after), needs_me=None)
        needing = _needing_me(session, actor, now)
    at_risk = {ticket_id: text for ticket_id, text in needing if text is not None}
    crossed: list[Notification] = []
    if cursor is not None:
        crossed = [
            Notification(NotificationKind.AT_RISK, ticket_id, text)
            for ticket_id, text in sorted(at_risk.items())
            if ticket_id not in cursor.at_risk
        ]
    return Update(
        notifications=(*events, *crossed),
        cursor=Cursor(after=after, at_risk=frozenset(at_risk)),
        needs_me=len(needing),
    )


def needs_me_count(store: Store, *, actor: Actor, now: datetime | None = None) -> int:
    """How many of `actor`'s tickets need them now (the console header's `needs you: N`)."""
    now = now or utcnow()
    with store.read() as session:
        return len(_needing_me(session, actor, now))


def _events(session: Session, actor: Actor, *, after: int, upto: int) -> list[Notification]:
    """The audit events after `after` (up to `upto`) that tell `actor` something: one query,
    a range of the audit's primary key joined to each event's ticket by its key."""
    by = aliased(Agent)
    e = AuditEvent
    assigned_to_me = and_(
        col(e.action) == "assign",
        col(e.field) == "assignee",
        col(e.new_value) == actor.handle,
    )
    on_my_ticket = and_(
        col(Ticket.assignee_id) == actor.id,
        or_(
            col(e.action) == "notify",
            and_(col(e.action) == "mail", _customer_message_of(e)),
        ),
    )
    rows = session.execute(
        select(
            col(e.id),
            col(e.ticket_id),
            col(e.action),
            col(e.new_value),
            col(by.handle),
            col(Customer.name),
        )
        .join(Ticket, col(Ticket.id) == col(e.ticket_id))
        .join(Customer, col(Customer.id) == col(Ticket.customer_id))
        .outerjoin(by, col(by.id) == col(e.actor_id))
        .where(
            col(e.id) > after,
            col(e.id) <= upto,
            col(e.action).in_(("assign", "mail", "notify")),
            or_(col(e.actor_id).is_(None), col(e.actor_id) != actor.id),
            or_(assigned_to_me, on_my_ticket),
        )
        .order_by(col(e.id))
        .limit(MAX_EVENTS)
    ).all()
    return [_notification(*row) for row in rows]


def _touches_me(session: Session, actor: Actor, *, after: int, upto: int) -> bool:
    """Whether an audit event after `after` (up to `upto`) is on one of `actor`'s tickets or
    moved a ticket to or from them, by anyone (their own changes too: the count moves): the
    same primary-key range as `_events`."""
    e = AuditEvent
    moved = and_(
        col(e.action) == "assign",
        col(e.field) == "assignee",
        or_(col(e.old_value) == actor.handle, col(e.new_value) == actor.handle),
    )
    found = session.execute(
        select(col(e.id))
        .join(Ticket, col(Ticket.id) == col(e.ticket_id))
        .where(
            col(e.id) > after,
            col(e.id) <= upto,
            or_(col(Ticket.assignee_id) == actor.id, moved),
        )
        .limit(1)
    ).first()
    return found is not None


def _customer_message_of(event: type[AuditEvent]) -> ColumnElement[bool]:
    """The `mail` event stored a customer's message (the intake writes both at one moment in
    one transaction; a bounce's message is the system's, an auto-reply is flagged)."""
    return exists().where(
        col(Message.ticket_id) == col(event.ticket_id),
        col(Message.created_at) == col(event.created_at),
        col(Message.author_kind) == "customer",
        col(Message.internal).is_(False),
        ~col(Message.flags).like("%auto-reply%"),
    )


def _notification(
    event_id: int,
    ticket_id: int,
    action: str,
    new_value: str | None,
    by: str | None,
    customer: str,
) -> Notification:
    if action == "assign":
        who = f"@{by}" if by else "the system"
        return Notification(
            NotificationKind.ASSIGNED,
            ticket_id,
            f"#{ticket_id} assigned to you by {who}",
            event_id,
        )
    if action == "mail":
        name = _line(customer) or "the customer"
        return Notification(
            NotificationKind.ANSWERED, ticket_id, f"#{ticket_id}: {name} answered", event_id
        )
    text = _line(new_value or "") or "(no text)"
    return Notification(NotificationKind.AUTOMATION, ticket_id, f"#{ticket_id}: {text}", event_id)


def _line(text: str) -> str:
    line = " ".join(sanitize(text, single_line=True).split())
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1] + "…"


def _needing_me(session: Session, actor: Actor, now: datetime) -> list[tuple[int, str | None]]:
    """My tickets that need me now (`needs:me`), each with the at-risk text when its running
    clock is at risk (by `domain.sla.clock`), else None: one query (`ix_ticket_open`)."""
    if actor.id is None:
        return []
    rows = session.execute(
        select(
            col(Ticket.id),
            col(Ticket.status),
            col(Ticket.created_at),
            col(Ticket.first_response_at),
            col(Ticket.first_response_due),
            col(Ticket.resolution_due),
        )
        .where(needs_me(actor.id, now))
        .order_by(col(Ticket.id))
        .limit(MAX_NEEDS_ME)
    ).all()
    return [(row[0], _at_risk_text(*row, now=now)) for row in rows]


def _at_risk_text(
    ticket_id: int,
    status: str,
    created_at: datetime,
    first_response_at: datetime | None,
    first_response_due: datetime,
    resolution_due: datetime,
    *,
    now: datetime,
) -> str | None:
    due = running_deadline(
        status=Status(status),
        first_response_at=first_response_at,
        first_response_due=first_response_due,
        resolution_due=resolution_due,
    )
    state = clock(now=now, due=due, done_at=None, started_at=created_at)
    if state.state is not ClockState.AT_RISK or state.remaining is None:
        return None
    which = "first response" if first_response_at is None else "resolution"
    return f"#{ticket_id} at risk: {which} in {format_duration(state.remaining, parts=1)}"
