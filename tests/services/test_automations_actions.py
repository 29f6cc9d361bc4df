"""The action runner (services.ticket_actions) on both stores: each kind of action, all or
nothing, the system as the actor, the audit naming the automation, and a dry run writing
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from csm_console.domain.actions import parse_actions
from csm_console.domain.model import Status
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import tickets as svc
from csm_console.services.ticket_actions import Source, apply_actions
from csm_console.services.ticket_reads import get_ticket
from csm_console.store.models import AuditEvent, Message, OutgoingMail, ReplyTemplate, Ticket
from tests.conftest import NOW, Desk
from tests.smtp_support import with_mail

AUTO = Source("automation", "chase quiet customers")


def new_ticket(desk: Desk, subject: str = "Router is down") -> int:
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject=subject,
        body="It blinks red since morning.",
        now=NOW - timedelta(hours=1),
    ).id


def run(desk: Desk, ticket_id: int, *lines: str, **kw: object):  # type: ignore[no-untyped-def]
    return apply_actions(
        desk.store,
        actor=kw.pop("actor", None),  # type: ignore[arg-type]
        ticket_id=ticket_id,
        actions=parse_actions(lines),
        source=kw.pop("source", AUTO),  # type: ignore[arg-type]
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def events(desk: Desk, ticket_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    with desk.store.read() as session:
        return [
            (e.action, e.field, e.old_value, e.new_value)
            for e in session.execute(
                select(AuditEvent)
                .where(col(AuditEvent.ticket_id) == ticket_id)
                .order_by(col(AuditEvent.id))
            ).scalars()
        ]


def test_status_priority_tags_and_note_in_one_transaction(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, to="olga")
    result = run(
        desk,
        ticket_id,
        "status=pending",
        "priority=high",
        "tag+=waiting",
        "note=Reminded by the desk",
        batch_id="auto-1",
    )
    fields = [(c.field, c.old, c.new) for c in result.changes]
    assert ("status", "open", "pending") in fields
    assert ("priority", "normal", "high") in fields
    assert ("tags", None, "waiting") in fields
    assert ("note", None, "Reminded by the desk") in fields
    detail = get_ticket(desk.store, ticket_id=ticket_id)
    assert detail.ticket.status is Status.PENDING and "waiting" in detail.ticket.tags
    trail = events(desk, ticket_id)
    assert trail[-1] == (
        "automation",
        "rule",
        None,
        "chase quiet customers: status=pending, priority=high, tag+=waiting, "
        "note=Reminded by the desk",
    )
    with desk.store.read() as session:
        batch = session.execute(
            select(func.count()).where(col(AuditEvent.batch_id) == "auto-1")
        ).scalar_one()
        assert batch == 5  # status, priority, tag, note and the automation event
        actors = set(
            session.execute(
                select(col(AuditEvent.actor_id)).where(col(AuditEvent.batch_id) == "auto-1")
            ).scalars()
        )
        assert actors == {None}  # the system
        note = session.execute(
            select(Message).where(col(Message.ticket_id) == ticket_id, col(Message.internal))
        ).scalar_one()
        assert note.author_kind == "system" and note.agent_id is None


def test_a_forbidden_action_changes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    before = events(desk, ticket_id)
    with pytest.raises(UsageError, match="status=") as raised:
        run(desk, ticket_id, "priority=urgent", "status=closed")  # new -> closed is forbidden
    assert "closed" in raised.value.message
    assert events(desk, ticket_id) == before
    assert get_ticket(desk.store, ticket_id=ticket_id).ticket.priority.label == "normal"


def test_escalate_moves_tier_team_and_leaves_a_note(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, to="olga")
    result = run(desk, ticket_id, "escalate=L2: first response at 80%")
    fields = {c.field: (c.old, c.new) for c in result.changes}
    assert fields["tier"] == ("L1", "L2")
    assert fields["team"] == ("Frontline", "Technical")
    assert fields["assignee"] == ("olga", None)
    row = get_ticket(desk.store, ticket_id=ticket_id)
    assert row.ticket.tier.value == "L2" and row.ticket.assignee is None
    # already there: nothing more to do, not an error
    assert not run(desk, ticket_id, "escalate=L2: again").changed


def test_team_and_assignee_actions(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, to="olga")
    result = run(desk, ticket_id, "team=Frontline South")
    fields = {c.field: (c.old, c.new) for c in result.changes}
    assert fields["team"] == ("Frontline", "Frontline South")
    assert fields["assignee"] == ("olga", None)  # olga is not of that team
    run(desk, ticket_id, "assignee=@rita")
    assert get_ticket(desk.store, ticket_id=ticket_id).ticket.assignee == "rita"
    run(desk, ticket_id, "assignee=none")
    assert get_ticket(desk.store, ticket_id=ticket_id).ticket.assignee is None
    with pytest.raises(UsageError, match="team="):
        run(desk, ticket_id, "team=Technical")  # an L2 team for an L1 ticket


def test_least_loaded_picks_the_active_agent_with_fewest_tickets(desk: Desk) -> None:
    busy = [new_ticket(desk) for _ in range(3)]
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=busy[0], to="olga")
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=busy[1], to="olga")
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=busy[2], to="anna")
    ticket_id = new_ticket(desk)
    run(desk, ticket_id, "assignee=least-loaded")
    # Frontline L1: olga 2, anna 1, ivan 0; gone is inactive
    assert get_ticket(desk.store, ticket_id=ticket_id).ticket.assignee == "ivan"


def test_notify_writes_an_audit_event_only(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    version = get_ticket(desk.store, ticket_id=ticket_id).ticket.version
    result = run(desk, ticket_id, "notify=Customer waits\x1b[31m for 2 days")
    assert [(c.field, c.new) for c in result.changes] == [("notify", "Customer waits for 2 days")]
    assert ("notify", "notify", None, "Customer waits for 2 days") in events(desk, ticket_id)
    assert get_ticket(desk.store, ticket_id=ticket_id).ticket.version == version


def test_reply_from_a_template_in_the_customers_language_through_the_outbox(desk: Desk) -> None:
    with_mail(desk.store)
    with desk.store.write() as session:
        for language, body in (
            ("en", "Hello {{ customer.first_name }}, any news on #{{ ticket.id }}?"),
            ("lv", "Sveiki {{ customer.first_name }}, vai ir jaunumi par #{{ ticket.id }}?"),
        ):
            session.add(ReplyTemplate(name="remind", language=language, body=body, updated_at=NOW))
    ticket_id = new_ticket(desk)  # the customer's language is guessed from the English text
    result = run(desk, ticket_id, "reply=remind")
    assert result.changes[0].field == "reply"
    text = result.changes[0].new or ""
    assert text == f"Hello liga, any news on #{ticket_id}?"  # the name from the address
    with desk.store.read() as session:
        message = (
            session.execute(
                select(Message)
                .where(col(Message.ticket_id) == ticket_id, col(Message.internal).is_(False))
                .order_by(col(Message.id).desc())
            )
            .scalars()
            .first()
        )
        assert message is not None and message.body == text
        assert message.author_kind == "system"
        queued = session.execute(
            select(func.count()).where(col(OutgoingMail.ticket_id) == ticket_id)
        ).scalar_one()
        assert queued == 1
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.first_response_at is None  # no agent answered
    with pytest.raises(NotFound, match="reply=: no reply template"):
        run(desk, ticket_id, "reply=missing")


def test_dry_run_reports_and_writes_nothing(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    before = events(desk, ticket_id)
    result = run(desk, ticket_id, "priority=urgent", "tag+=vip", "note=x", dry_run=True)
    assert result.dry_run and {c.field for c in result.changes} == {"priority", "tags", "note"}
    assert events(desk, ticket_id) == before
    row = get_ticket(desk.store, ticket_id=ticket_id).ticket
    assert row.priority.label == "normal" and "vip" not in row.tags


def test_an_agent_acts_with_its_own_rights(desk: Desk) -> None:
    ticket_id = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.ivan, ticket_id=ticket_id, to="ivan")
    with pytest.raises(PermissionDenied):
        run(desk, ticket_id, "priority=high", actor=desk.olga, source=Source("macro", "m"))
    result = run(desk, ticket_id, "priority=high", actor=desk.ivan, source=Source("macro", "m"))
    assert result.changed
    assert events(desk, ticket_id)[-1][0] == "macro"
