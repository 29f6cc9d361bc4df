"""take-next's one-statement claim (store.claims) against the rules of the ORM road, on both
stores: the same stamps and audit events, the agent re-read, and the ORM road where the claim
moves a ticket into the agent's team."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from csm_console.domain.model import Priority, Status
from csm_console.errors import PermissionDenied, QueueEmpty
from csm_console.services import audit as audit_service
from csm_console.services import ticket_reads
from csm_console.services import tickets as svc
from csm_console.store.models import Agent, AuditEvent, Team, Ticket
from tests.conftest import NOW, Desk


def _new(desk: Desk, subject: str, minutes_ago: int = 0, priority: Priority = Priority.NORMAL):
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject=subject,
        body="It blinks red.",
        priority=priority,
        now=NOW - timedelta(minutes=minutes_ago),
    )


def _events(desk: Desk, ticket_id: int) -> list[tuple[object, ...]]:
    with desk.store.read() as session:
        return [
            (e.action, e.field, e.old_value, e.new_value, e.version, e.actor_id, e.created_at)
            for e in session.execute(
                select(AuditEvent)
                .where(AuditEvent.ticket_id == ticket_id)
                .where(AuditEvent.action.not_in(["create", "unaudited"]))  # the set-up's
                .order_by(AuditEvent.id)
            ).scalars()
        ]


def test_a_claim_stamps_and_audits_as_the_rules_say(desk: Desk) -> None:
    first = _new(desk, "first", minutes_ago=30, priority=Priority.URGENT)
    second = _new(desk, "second", minutes_ago=20)
    # the second is open already (assigned and given back): its claim opens nothing
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=second.id, to="olga")
    svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=second.id, to=None)
    before = _events(desk, second.id)
    at = NOW + timedelta(minutes=5)

    row = svc.take_next(desk.store, actor=desk.ivan, now=at)
    assert row.id == first.id and row.assignee == "ivan" and row.status is Status.OPEN
    assert row.version == first.version + 1 and row.updated_at == at
    assert row.sla_due == min(first.first_response_due, first.resolution_due)
    ivan = desk.ivan.id
    assert _events(desk, first.id) == [
        ("assign", "assignee", None, "ivan", row.version, ivan, at),
        ("status", "status", "new", "open", row.version, ivan, at),
        ("claim", None, None, None, row.version, ivan, at),
    ]

    again = svc.take_next(desk.store, actor=desk.ivan, now=at)
    assert again.id == second.id and again.status is Status.OPEN
    assert _events(desk, second.id) == [
        *before,
        ("assign", "assignee", None, "ivan", again.version, ivan, at),
        ("claim", None, None, None, again.version, ivan, at),
    ]
    with pytest.raises(QueueEmpty):
        svc.take_next(desk.store, actor=desk.ivan, now=at)
    assert audit_service.verify(desk.store, actor=None).intact


def test_the_claim_returns_the_row_the_queue_reads(desk: Desk) -> None:
    """The claim's own statement hands back the ticket (no read-back): it must be the row a
    fresh read gives, names, tags (in the store's order) and times included."""
    ticket = svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        customer_name="Līga Bērziņa",
        subject="Maršrutētājs mirgo [b]sarkanā[/b]",
        body="It blinks red.",
        category="hardware",
        tags=["Wi-Fi", "ārkārtas", "срочно", "Zeta", "alpha"],
        priority=Priority.HIGH,
        now=NOW - timedelta(minutes=90),
    )
    at = NOW + timedelta(minutes=7, microseconds=123)
    row = svc.take_next(desk.store, actor=desk.ivan, now=at)
    (fresh,) = ticket_reads.rows_by_id(desk.store, [ticket.id])
    assert row == fresh
    assert row.id == ticket.id and row.assignee == "ivan" and row.team == "Frontline"
    assert row.customer == "Līga Bērziņa" and row.category == "hardware"
    assert len(row.tags) == 5 and row.updated_at == at and row.updated_at.tzinfo is not None
    assert row.sla_due is not None and row.sla_due.tzinfo is not None


def test_the_claim_re_reads_the_agent(desk: Desk) -> None:
    ticket = _new(desk, "for Frontline")
    with desk.store.write() as session:  # rita moves to Frontline after her Actor was read
        frontline = session.execute(select(Team.id).where(Team.name == "Frontline")).scalar()
        session.execute(update(Agent).where(Agent.id == desk.rita.id).values(team_id=frontline))
    assert svc.take_next(desk.store, actor=desk.rita, now=NOW).id == ticket.id
    other = _new(desk, "another")
    with desk.store.write() as session:
        session.execute(update(Agent).where(Agent.id == desk.ivan.id).values(active=False))
    with pytest.raises(PermissionDenied, match="inactive"):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    with desk.store.read() as session:
        assert session.get(Ticket, other.id).assignee_id is None  # type: ignore[union-attr]


def test_an_unteamed_ticket_moves_into_the_agents_team(desk: Desk) -> None:
    ticket = _new(desk, "no team yet", minutes_ago=60)
    with desk.store.write() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(team_id=None))
    row = svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    assert row.id == ticket.id and row.team == "Frontline" and row.assignee == "ivan"
    assert [e[:4] for e in _events(desk, ticket.id)] == [
        ("assign", "assignee", None, "ivan"),
        ("assign", "team", None, "Frontline"),
        ("status", "status", "new", "open"),
        ("claim", None, None, None),
    ]


def _waiting_on(path: Path) -> bool:
    """Whether some process or thread waits for a `flock` of `path` (Linux: /proc/locks lists
    each waiter as a `->` line with the file's device:inode)."""
    inode = f":{path.stat().st_ino} "
    return any(
        "->" in line and "FLOCK" in line and inode in line
        for line in Path("/proc/locks").read_text().splitlines()
    )


def test_sqlite_claimers_queue_on_the_claims_file(desk: Desk) -> None:
    """A claim waits its turn on `<store>-claims` (store.bulk_turn) and claims once the claim
    ahead of it has gone, rather than polling the store's lock in SQLite's busy handler."""
    if not desk.store.is_sqlite or desk.store.turn.claims_path is None:
        pytest.skip("the claimers' queue is a SQLite store's (a file beside it)")
    if not Path("/proc/locks").exists():
        pytest.skip("needs /proc/locks to see the waiting claimer")
    ticket = _new(desk, "queued claim")
    path = desk.store.turn.claims_path
    ahead = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # a claim ahead of ivan's, holding
    fcntl.flock(ahead, fcntl.LOCK_EX)
    claimed: list[object] = []
    claimer = threading.Thread(
        target=lambda: claimed.append(svc.take_next(desk.store, actor=desk.ivan, now=NOW))
    )
    try:
        claimer.start()
        deadline = time.monotonic() + 30
        while not _waiting_on(path):
            assert claimer.is_alive() and time.monotonic() < deadline, "ivan did not queue"
            time.sleep(0.01)
        with desk.store.read() as session:  # queued: nothing claimed, nothing locked
            assert session.get(Ticket, ticket.id).assignee_id is None  # type: ignore[union-attr]
    finally:
        os.close(ahead)  # the claim ahead has gone
        claimer.join(timeout=30)
    assert not claimer.is_alive()
    assert [row.id for row in claimed] == [ticket.id]  # type: ignore[attr-defined]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
