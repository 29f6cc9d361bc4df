"""Ticket use cases: create, assign, claim, change status, escalate, reply, note, tag, change
priority, record CSAT.

Every write runs in one transaction (`store.write()`), locks the ticket row, checks the acting
agent's right, refuses a stale `expected_version` with a `Conflict` that names who changed what,
bumps `version`, and writes its audit events in the same transaction (`ticket_core.changing`).
Reading the queue is `ticket_reads`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from csm_console.domain.mail import MailSettings
from csm_console.domain.model import AuthorKind, Channel, Priority, Role, Status, Tier
from csm_console.domain.outgoing import OutKind
from csm_console.domain.rights import Actor, check_can_assign_to
from csm_console.domain.templates import unresolved_placeholders
from csm_console.domain.text import normalize_tag
from csm_console.domain.ticket_record import (
    clean_body,
    clean_category,
    clean_email,
    clean_name,
    clean_subject,
    clean_tags,
)
from csm_console.domain.workflow import check_escalation, check_transition, is_reopen
from csm_console.errors import QueueEmpty, UsageError
from csm_console.services import outbox
from csm_console.services.clock import utcnow
from csm_console.services.records import TicketRow
from csm_console.services.routing import route
from csm_console.services.ticket_core import (
    NewTicket,
    agent_by_handle,
    append_search_text,
    bump_version,
    changing,
    check_can_hold,
    checked_body,
    find_or_add_customer,
    insert_ticket,
    measure_times,
    move_to_team,
    reload_actor,
    set_due_times,
    stamp_status,
    team_calendar,
    team_for_tier,
    team_name,
    ticket_scope,
    write_audit,
)
from csm_console.services.ticket_reads import row_by_id, tags_for, to_row
from csm_console.store import claims
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, Message, Ticket, TicketTag


def create_ticket(
    store: Store,
    *,
    actor: Actor,
    customer_email: str,
    subject: str,
    body: str,
    customer_name: str | None = None,
    channel: Channel = Channel.EMAIL,
    priority: Priority = Priority.NORMAL,
    category: str | None = None,
    tags: Iterable[str] = (),
    tier: Tier = Tier.L1,
    team: str | None = None,
    send: bool = False,
    mailbox: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Register a ticket; an unknown customer e-mail creates the customer.

    With `send` (proactive contact: the agent writes first), the body is the agent's public
    message, queued by e-mail to the customer from `mailbox` (else the first configured one),
    and the ticket waits for the customer (pending); the answer threads back to it."""
    now = now or utcnow()
    box = None
    if send:
        if channel != Channel.EMAIL:
            raise UsageError("only an e-mail ticket can be sent (--channel email)")
        box = store.mail.mailbox(mailbox)
        if box is None:
            raise UsageError(
                f"no mailbox named {mailbox!r} in the config file"
                if mailbox
                else "no [[mailboxes]] in the config file: there is no address to send from"
            )
    elif mailbox is not None:
        raise UsageError("--mailbox goes with --send")
    try:
        email = clean_email(customer_email)
        subject = clean_subject(subject)
        body = clean_body(body)
        name = clean_name(customer_name)
        category = clean_category(category)
        clean = clean_tags(tags)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with store.write() as session:
        fresh = reload_actor(session, actor)
        customer = find_or_add_customer(
            session, email=email, name=name, language=None, channel=channel, text=subject + body
        )
        new, rule = route(
            session,
            NewTicket(
                author=session.get(Agent, fresh.id) if box is not None else None,
                mail_id=outbox.new_mail_id(box) if box is not None else None,
                sender=box.address if box is not None else None,
                customer=customer,
                subject=subject,
                body=body,
                channel=channel,
                priority=priority,
                category=category,
                tags=clean,
                tier=tier,
                team=team_for_tier(session, tier, team),
                created_at=now,
            ),
        )
        ticket = insert_ticket(session, new, actor=fresh, now=now, rule=rule)
        assert ticket.id is not None
        if box is not None:
            _proactive(session, ticket, fresh, store.mail, box.name, now)
        return row_by_id(session, ticket.id)


def _proactive(
    session: Session, ticket: Ticket, actor: Actor, mail: MailSettings, box: str, now: datetime
) -> None:
    """The new ticket's first message (the agent's, inserted with its mail_id) goes to the
    customer: queued, answered (first response now), and the ticket waits for the customer."""
    first = session.execute(select(Message).where(col(Message.ticket_id) == ticket.id)).scalar_one()
    ticket.mailbox = box
    ticket.agent_replies = 1
    ticket.first_response_at = now
    measure_times(ticket, team_calendar(session, ticket.team_id))
    outbox.queue_mail(
        session,
        mail=mail,
        ticket=ticket,
        message=first,
        kind=OutKind.PROACTIVE,
        now=now,
        mailbox=mail.mailbox(box),
    )
    if ticket.status != Status.PENDING.value:
        apply_status(session, ticket, actor, Status.PENDING, now, mail=mail)
    else:
        bump_version(ticket, now)


def assign_ticket(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    to: str | None,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Assign to the agent with handle `to`, or unassign with `None`.  A no-op changes nothing."""
    now = now or utcnow()
    with changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=expected_version, action="assign"
    ) as (session, ticket, fresh):
        target = agent_by_handle(session, to) if to is not None else None
        if target is not None:
            check_can_hold(session, target, ticket)
        check_can_assign_to(
            fresh,
            ticket_scope(session, ticket),
            target_id=target.id if target else None,
            target_team_id=target.team_id if target else None,
        )
        apply_assignment(session, ticket, fresh, target, now, batch_id=batch_id)
        return row_by_id(session, ticket_id)


def apply_assignment(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    target: Agent | None,
    now: datetime,
    *,
    batch_id: str | None = None,
) -> bool:
    new_id = target.id if target else None
    if ticket.assignee_id == new_id:
        return False
    old = session.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    old_team = ticket.team_id
    ticket.assignee_id = new_id
    if target is not None and target.team_id is not None and target.role != Role.ADMIN.value:
        move_to_team(session, ticket, target.team_id)
    moved_to_open = target is not None and ticket.status == Status.NEW.value
    if moved_to_open:
        ticket.status = Status.OPEN.value
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "assign",
        now,
        field="assignee",
        old=old.handle if old else None,
        new=target.handle if target else None,
        batch_id=batch_id,
    )
    if ticket.team_id != old_team:
        write_audit(
            session,
            ticket,
            actor,
            "assign",
            now,
            field="team",
            old=team_name(session, old_team),
            new=team_name(session, ticket.team_id),
            batch_id=batch_id,
        )
    if moved_to_open:
        write_audit(
            session,
            ticket,
            actor,
            "status",
            now,
            field="status",
            old="new",
            new="open",
            batch_id=batch_id,
        )
    return True


def _claimant(actor: Actor) -> claims.Claimant:
    return claims.Claimant(
        agent_id=actor.id,
        handle=actor.handle,
        role=actor.role.value,
        tier=actor.tier.value,
        team_id=actor.team_id,
        admin=actor.role == Role.ADMIN,
        moves_team=actor.role != Role.ADMIN and actor.team_id is not None,
    )


def _queue_empty(actor: Actor, team: str | None) -> str:
    scope = "any tier" if actor.role == Role.ADMIN else f"{actor.tier.value}, {team}"
    return f"the queue is empty: no unassigned ticket for {actor.handle} ({scope})"


def take_next(store: Store, *, actor: Actor, now: datetime | None = None) -> TicketRow:
    """Claim the most urgent unassigned ticket the agent may work (SLA due, then priority).

    Two agents never get the same ticket: PostgreSQL skips rows another claim has locked
    (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers with `BEGIN IMMEDIATE`.  The common
    claim runs as one statement (`store.claims`: the agent re-read, the ticket locked, assigned,
    opened, stamped and audited as below); when it claims nothing (an empty queue, an agent
    changed meanwhile, an unteamed ticket that moves into the agent's team and recounts its
    clocks) the ORM road below claims or says why not.
    """
    now = now or utcnow()
    claimed = claims.claim_next(store, _claimant(actor), now)  # the common claim
    if isinstance(claimed, claims.Empty):  # the agent re-read with it: as below
        raise QueueEmpty(_queue_empty(actor, claimed.team))
    if claimed is not None:
        return to_row(claimed, claimed.tags)
    with store.write() as session:
        fresh = reload_actor(session, actor)
        statement = select(Ticket).where(
            col(Ticket.assignee_id).is_(None),
            col(Ticket.status).in_([Status.NEW.value, Status.OPEN.value]),
        )
        if fresh.role != Role.ADMIN:  # the unassigned tickets in rights.may_act's scope
            statement = statement.where(
                col(Ticket.tier) == fresh.tier.value,
                (col(Ticket.team_id) == fresh.team_id) | col(Ticket.team_id).is_(None),
            )
        statement = statement.order_by(
            col(Ticket.sla_due),
            col(Ticket.priority).desc(),
            col(Ticket.id),
        ).limit(1)
        if store.is_postgres:
            statement = statement.with_for_update(skip_locked=True)
        ticket = session.execute(statement).scalar_one_or_none()
        if ticket is None:
            raise QueueEmpty(_queue_empty(fresh, fresh.team))
        target = session.get(Agent, fresh.id)
        assert target is not None and ticket.id is not None
        apply_assignment(session, ticket, fresh, target, now)
        write_audit(session, ticket, fresh, "claim", now)
        return row_by_id(session, ticket.id)


def change_status(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    status: Status,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Change the status of one ticket in its own transaction (the use case; `bulk.set_status_many`
    calls it once per ticket under one batch id)."""
    now = now or utcnow()
    with changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="change the status of",
    ) as (session, ticket, fresh):
        apply_status(session, ticket, fresh, status, now, batch_id=batch_id, mail=store.mail)
        return row_by_id(session, ticket_id)


def apply_status(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    status: Status,
    now: datetime,
    *,
    batch_id: str | None = None,
    mail: MailSettings | None = None,
) -> bool:
    """A checked status change inside a write that holds the ticket's lock (`change_status`,
    `reply`): the transition rule, the times (`ticket_core.stamp_status`), the version and
    the audit event (actor None: the system, as the mail intake reopens a ticket), and on
    solving an e-mail ticket the CSAT survey (`outbox.queue_survey`, by its rules).  False
    when the ticket already has that status."""
    old = Status(ticket.status)
    if old == status:
        return False
    check_transition(old, status)
    stamp_status(session, ticket, status, now)
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "reopen" if is_reopen(old, status) else "status",
        now,
        field="status",
        old=old.value,
        new=status.value,
        batch_id=batch_id,
    )
    if status is Status.SOLVED and mail is not None:
        outbox.queue_survey(session, mail=mail, ticket=ticket, now=now)
    return True


def change_priority(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    priority: Priority,
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Change the priority; the SLA due times are recomputed from the policy."""
    now = now or utcnow()
    with changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="change the priority of",
    ) as (session, ticket, fresh):
        apply_priority(session, ticket, fresh, priority, now, batch_id=batch_id)
        return row_by_id(session, ticket_id)


def apply_priority(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    priority: Priority,
    now: datetime,
    *,
    batch_id: str | None = None,
) -> bool:
    """A priority change inside a write that holds the ticket's lock (`change_priority`, the
    action runner): the SLA due times are recomputed from the policy.  False when unchanged."""
    old = Priority(ticket.priority)
    if old == priority:
        return False
    ticket.priority = int(priority)
    customer = session.get(Customer, ticket.customer_id)
    set_due_times(session, ticket, customer.segment if customer else None)
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "priority",
        now,
        field="priority",
        old=old.label,
        new=priority.label,
        batch_id=batch_id,
    )
    return True


def escalate(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    to_tier: Tier,
    reason: str,
    team: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Move the ticket to a higher tier's team, unassigned, with the reason as an internal note."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise UsageError("an escalation needs a reason")
    with changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="escalate",
    ) as (session, ticket, fresh):
        apply_escalation(session, ticket, fresh, to_tier, reason, now, team=team)
        return row_by_id(session, ticket_id)


def apply_escalation(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    to_tier: Tier,
    reason: str,
    now: datetime,
    *,
    team: str | None = None,
    batch_id: str | None = None,
) -> None:
    """An escalation inside a write that holds the ticket's lock (`escalate`, the action
    runner): the higher tier's team, unassigned, a pause ended, the reason as an internal note
    (by the system when the actor is None)."""
    assert ticket.id is not None
    old_tier = Tier(ticket.tier)
    check_escalation(old_tier, to_tier)
    if not Status(ticket.status).is_active:
        raise UsageError(f"#{ticket.id} is {ticket.status}; reopen it before escalating")
    target_team = team_for_tier(session, to_tier, team)
    old_team = team_name(session, ticket.team_id)
    old_assignee = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
    ticket.tier = to_tier.value
    move_to_team(session, ticket, target_team.id)
    ticket.assignee_id = None
    old_status = ticket.status
    if ticket.status in (Status.NEW.value, Status.PENDING.value, Status.ON_HOLD.value):
        stamp_status(session, ticket, Status.OPEN, now)  # a pause ends here
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "escalate",
        now,
        field="tier",
        old=old_tier.value,
        new=to_tier.value,
        batch_id=batch_id,
    )
    write_audit(
        session,
        ticket,
        actor,
        "escalate",
        now,
        field="team",
        old=old_team,
        new=target_team.name,
        batch_id=batch_id,
    )
    if old_assignee is not None:
        write_audit(
            session,
            ticket,
            actor,
            "escalate",
            now,
            field="assignee",
            old=old_assignee.handle,
            new=None,
            batch_id=batch_id,
        )
    if old_status != ticket.status:
        write_audit(
            session,
            ticket,
            actor,
            "status",
            now,
            field="status",
            old=old_status,
            new=ticket.status,
            batch_id=batch_id,
        )
    note = f"Escalated {old_tier.value} → {to_tier.value} ({target_team.name}): {reason}"
    _internal_message(session, ticket, actor, note, now)


def reply(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    status: Status | None = None,
    expected_version: int | None = None,
    attachments: Sequence[outbox.NewFile] = (),
    now: datetime | None = None,
) -> TicketRow:
    """A public reply, with files (name, content type, bytes) if given.  The first one sets
    `first_response_at`, once.  On an e-mail ticket the mail to the customer is queued in the
    same transaction (`outbox.queue_mail`): if the reply fails, nothing is sent.

    A new ticket becomes open unless `status` says otherwise (pending: waiting for the customer).
    """
    now = now or utcnow()
    body = checked_body(body)
    files = outbox.check_files(attachments, limit=store.mail.max_message)
    left = unresolved_placeholders(body)
    if left:
        raise UsageError(
            f"the reply still has placeholders ({', '.join(left[:3])}); fill them in, or use "
            "a template, which is rendered for the ticket"
        )
    with changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="reply to",
    ) as (session, ticket, fresh):
        apply_reply(session, ticket, fresh, body, now, mail=store.mail, status=status, files=files)
        return row_by_id(session, ticket_id)


def apply_reply(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    body: str,
    now: datetime,
    *,
    mail: MailSettings,
    status: Status | None = None,
    files: Sequence[outbox.NewFile] = (),
    batch_id: str | None = None,
) -> Message:
    """A public reply inside a write that holds the ticket's lock (`reply`, the action runner),
    its mail queued in the same transaction.  By the system (actor None, an automation's
    reminder) it is a system message: it counts as no agent reply and no first response."""
    assert ticket.id is not None
    if ticket.status == Status.CLOSED.value:
        raise UsageError(f"#{ticket.id} is closed; a closed ticket is final")
    target = status
    if target is None and ticket.status == Status.NEW.value:
        target = Status.OPEN
    if target is not None and target.value != ticket.status:
        check_transition(Status(ticket.status), target)
    message = Message(
        ticket_id=ticket.id,
        author_kind=(AuthorKind.AGENT if actor else AuthorKind.SYSTEM).value,
        agent_id=actor.id if actor else None,
        internal=False,
        body=body,
        created_at=now,
    )
    session.add(message)
    outbox.queue_mail(
        session, mail=mail, ticket=ticket, message=message, kind=OutKind.REPLY, now=now
    )
    session.flush()
    outbox.store_files(session, message, files)
    append_search_text(ticket, body)
    first = actor is not None and ticket.first_response_at is None
    if actor is not None:
        ticket.agent_replies += 1
    if first:
        ticket.first_response_at = now
        measure_times(ticket, team_calendar(session, ticket.team_id))
    bump_version(ticket, now)
    write_audit(session, ticket, actor, "reply", now, batch_id=batch_id)
    if first:
        write_audit(
            session,
            ticket,
            actor,
            "reply",
            now,
            field="first_response_at",
            new=now.isoformat(timespec="seconds"),
            batch_id=batch_id,
        )
    if target is not None:
        apply_status(session, ticket, actor, target, now, mail=mail, batch_id=batch_id)
    return message


def add_note(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """An internal note: seen by agents only; it stops no SLA clock."""
    now = now or utcnow()
    body = checked_body(body)
    with changing(
        store,
        actor=actor,
        ticket_id=ticket_id,
        expected_version=expected_version,
        action="add a note to",
    ) as (session, ticket, fresh):
        add_note_in(session, ticket, fresh, body, now)
        return row_by_id(session, ticket_id)


def add_note_in(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    body: str,
    now: datetime,
    *,
    batch_id: str | None = None,
) -> None:
    """An internal note inside a write that holds the ticket's lock (`add_note`, the action
    runner; by the system when the actor is None)."""
    _internal_message(session, ticket, actor, body, now)
    bump_version(ticket, now)
    write_audit(session, ticket, actor, "note", now, batch_id=batch_id)


def _internal_message(
    session: Session, ticket: Ticket, actor: Actor | None, body: str, now: datetime
) -> None:
    """An internal message on the ticket (a note, an escalation's reason), by the actor or by
    the system, and its words in the ticket's search text."""
    assert ticket.id is not None
    session.add(
        Message(
            ticket_id=ticket.id,
            author_kind=(AuthorKind.AGENT if actor else AuthorKind.SYSTEM).value,
            agent_id=actor.id if actor else None,
            internal=True,
            body=body,
            created_at=now,
        )
    )
    append_search_text(ticket, body)


def tag_ticket(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    expected_version: int | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    now = now or utcnow()
    try:
        to_add = {normalize_tag(t) for t in add}
        to_remove = {normalize_tag(t) for t in remove}
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if to_add & to_remove:
        raise UsageError(
            f"cannot add and remove the same tag: {', '.join(sorted(to_add & to_remove))}"
        )
    with changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=expected_version, action="tag"
    ) as (session, ticket, fresh):
        apply_tags(session, ticket, fresh, to_add, to_remove, now, batch_id=batch_id)
        return row_by_id(session, ticket_id)


def apply_tags(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    add: set[str],
    remove: set[str],
    now: datetime,
    *,
    batch_id: str | None = None,
) -> tuple[list[str], list[str]]:
    """Add and remove (normalised) tags inside a write that holds the ticket's lock
    (`tag_ticket`, the action runner); the tags added and removed."""
    assert ticket.id is not None
    current = set(tags_for(session, [ticket.id]).get(ticket.id, []))
    added = sorted(add - current)
    removed = sorted(remove & current)
    if added or removed:
        bump_version(ticket, now)
        for tag in added:
            session.add(TicketTag(ticket_id=ticket.id, tag=tag))
            write_audit(
                session, ticket, actor, "tag", now, field="tags", new=tag, batch_id=batch_id
            )
        for tag in removed:
            row = session.get(TicketTag, (ticket.id, tag))
            if row is not None:
                session.delete(row)
            write_audit(
                session, ticket, actor, "untag", now, field="tags", old=tag, batch_id=batch_id
            )
    return added, removed


def record_csat(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    score: int,
    comment: str | None = None,
    now: datetime | None = None,
) -> TicketRow:
    """Record the customer's satisfaction rating (1–5) on a solved or closed ticket."""
    now = now or utcnow()
    if not 1 <= score <= 5:
        raise UsageError(f"CSAT score must be 1 to 5, not {score}")
    with changing(
        store, actor=actor, ticket_id=ticket_id, expected_version=None, action="record CSAT on"
    ) as (session, ticket, fresh):
        apply_csat(session, ticket, fresh, score=score, comment=comment, now=now)
        return row_by_id(session, ticket_id)


def apply_csat(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    *,
    score: int,
    comment: str | None,
    now: datetime,
) -> None:
    """Record a CSAT rating inside a write that holds the ticket's lock (`record_csat`, and the
    mail intake with actor None when a customer answers a survey by e-mail)."""
    if not 1 <= score <= 5:
        raise UsageError(f"CSAT score must be 1 to 5, not {score}")
    if Status(ticket.status).is_active:
        raise UsageError(f"#{ticket.id} is {ticket.status}; CSAT is recorded on solved tickets")
    old = ticket.csat_score
    ticket.csat_score = score
    ticket.csat_comment = (comment or "").strip() or None
    bump_version(ticket, now)
    write_audit(session, ticket, actor, "csat", now, field="csat_score", old=old, new=score)
