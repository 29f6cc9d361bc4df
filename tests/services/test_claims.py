"""take-next's one-statement claim (store.claims) against the rules of the ORM road, on both
stores: the same stamps and audit events, the agent re-read, and the ORM road where the claim
moves a ticket into the agent's team."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text, update

from csm_console.domain.model import Priority, Status
from csm_console.errors import PermissionDenied, QueueEmpty, StoreUnavailable
from csm_console.services import audit as audit_service
from csm_console.services import ticket_reads
from csm_console.services import tickets as svc
from csm_console.services.tickets import _claimant as svc_claimant
from csm_console.store import claims
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Team, Ticket
from tests.conftest import NOW, Desk, url_of, wait_for


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


def test_an_empty_queue_is_answered_on_the_claims_road(desk: Desk) -> None:
    """On SQLite an empty queue is told in the claim's own transaction (the agent re-read in
    it, its team's name as the store has it now), not on the ORM road, which held the store's
    write lock while it built its session (the claimers behind it slept in the busy handler):
    no SQLAlchemy transaction begins.  The answer is the ORM road's, word for word, on both
    stores; an agent deactivated meanwhile is refused, queue empty or not."""
    begun: list[object] = []
    event.listen(desk.store.engine, "begin", begun.append)
    with desk.store.write() as session:  # renamed after ivan's Actor was read
        session.execute(update(Team).where(Team.name == "Frontline").values(name="Front line"))
    begun.clear()
    with pytest.raises(QueueEmpty) as empty:
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    assert str(empty.value) == "the queue is empty: no unassigned ticket for ivan (L1, Front line)"
    with pytest.raises(QueueEmpty, match=r"^the queue is empty: no unassigned ticket for root "
                       r"\(any tier\)$"):  # fmt: skip
        svc.take_next(desk.store, actor=desk.root, now=NOW)
    if desk.store.is_sqlite:
        assert begun == []
    with desk.store.write() as session:
        session.execute(update(Agent).where(Agent.id == desk.ivan.id).values(active=False))
    with pytest.raises(PermissionDenied, match="inactive"):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)


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


def test_claims_follow_the_queue_over_the_teams_and_the_unteamed_tickets(desk: Desk) -> None:
    """The pick reads the head of the agent's team's queue and the head of the unteamed
    tickets of its tier (`ix_ticket_claimable`): the claims still come in queue order over both
    (SLA due, then priority, then id, ties across the two heads too) and never take another
    team's or tier's ticket, however urgent."""
    with desk.store.read() as session:
        teams = dict(session.execute(select(Team.name, Team.id)).all())
    layout = [  # team, tier, minutes until due, priority
        ("Frontline", "L1", 50, Priority.NORMAL),
        (None, "L1", 40, Priority.NORMAL),
        ("Frontline South", "L1", 5, Priority.URGENT),
        ("Technical", "L2", 1, Priority.URGENT),
        (None, "L2", 2, Priority.URGENT),
        ("Frontline", "L1", 40, Priority.HIGH),
        (None, "L1", 40, Priority.HIGH),  # ties with the one above: the lower id first
        ("Frontline", "L1", 10, Priority.LOW),
        (None, "L1", 90, Priority.LOW),
        ("Frontline", "L1", 90, Priority.LOW),
    ]
    expected = []
    for n, (team, tier, due, priority) in enumerate(layout):
        ticket = _new(desk, f"ticket {n}")
        with desk.store.write() as session:
            session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(
                    team_id=teams[team] if team else None,
                    tier=tier,
                    sla_due=NOW + timedelta(minutes=due),
                    priority=priority.value,
                )
            )
        if tier == "L1" and team in ("Frontline", None):
            expected.append((due, -priority.value, ticket.id))
    claimed = [svc.take_next(desk.store, actor=desk.ivan, now=NOW).id for _ in expected]
    assert claimed == [ticket_id for *_, ticket_id in sorted(expected)]
    with pytest.raises(QueueEmpty):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)


def test_the_pick_reads_the_claimable_index(desk: Desk) -> None:
    """The pick's plan probes `ix_ticket_claimable` (migration 0020) on both stores, for an
    agent with a team and one without: a plan that walks the unassigned tickets instead costs
    a heap row for every more urgent ticket of the other teams (1,400 a claim at 1M)."""
    for actor in (desk.ivan, replace(desk.ivan, team_id=None, team=None)):
        claimant = svc_claimant(actor)
        params = {**claims._params(claimant), "now": NOW}
        with desk.store.connection() as conn:
            if desk.store.is_postgres:
                sql = claims._statements("postgresql", claimant)
                plan = conn.exec_driver_sql(f"EXPLAIN {sql}", params).scalars().all()
            else:
                pick = claims._statements("sqlite", claimant)[0]
                plan = [
                    row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {pick}", params)
                ]
        text = "\n".join(plan)
        assert "ix_ticket_claimable" in text, text
        assert "ix_ticket_assignee" not in text, text


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


def _copies(desk: Desk, ticket_id: int, count: int) -> None:
    """`count` more tickets like `ticket_id` (unassigned, as it is), in one statement."""
    columns = ", ".join(
        c.name for c in Ticket.__table__.columns if c.name not in {"id", "external_id"}
    )  # type: ignore[attr-defined]
    with desk.store.write() as session:
        session.execute(
            text(
                f"INSERT INTO ticket ({columns}) SELECT {columns} FROM ticket, "
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
                "SELECT i FROM n) AS copies WHERE ticket.id = :id"
            ),
            {"count": count, "id": ticket_id},
        )


def _wal_pages(desk: Desk, mode: str = "PASSIVE") -> int:
    """The pages in the SQLite store's WAL (checkpointed or not: the WAL since its last reset)."""
    with sqlite3.connect(desk.store.url.database or "") as conn:
        return int(conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[1])


def test_sqlite_claimers_checkpoint_the_wal_themselves(desk: Desk) -> None:
    """A claim does not checkpoint inside its COMMIT (the claimers behind it would wait in the
    queue for it: `wal_autocheckpoint` is off on its connection), so the claimers checkpoint
    the WAL themselves once out of the queue: it does not grow with the claims.  Other
    transactions on the same pooled connection checkpoint as before."""
    if not desk.store.is_sqlite:
        pytest.skip("SQLite's WAL")
    _copies(desk, _new(desk, "many").id, 199)
    claims._CHECKPOINTS.clear()
    _wal_pages(desk, "TRUNCATE")  # an empty WAL
    svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    one = _wal_pages(desk)  # the pages one claim writes
    _wal_pages(desk, "TRUNCATE")
    for _ in range(199):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    assert 0 < _wal_pages(desk) < 199 * one / 2  # checkpointed on the way
    raw = desk.store.engine.raw_connection()  # a connection the claims used
    try:
        assert raw.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        raw.close()
    with desk.store.write() as session:  # the same pooled connection, in SQLAlchemy's hands
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 1000
    with pytest.raises(QueueEmpty):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)


def test_sqlite_claims_keep_their_statement_journals_in_memory(desk: Desk) -> None:
    """The claim's statements journal in memory (`temp_store` MEMORY on its connection), not
    in a temporary file made and removed on every claim under the store's lock; SQLAlchemy's
    transactions on the same pooled connection go back to files (a big sort must not spill
    into the process's memory)."""
    if not desk.store.is_sqlite:
        pytest.skip("SQLite's temporary files")
    _new(desk, "one")
    svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    raw = desk.store.engine.raw_connection()  # the one pooled connection the claim used
    try:
        assert raw.cursor().execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    finally:
        raw.close()
    with desk.store.write() as session:
        assert session.execute(text("PRAGMA temp_store")).scalar_one() == 0  # the default
    with pytest.raises(QueueEmpty):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)


ONLY_POSTGRES = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
_ALL_SHARDS = text(  # each shard's head row locked by the caller's transaction (made if need be)
    "INSERT INTO audit_chain_head AS h (id, last_id, last_hash) "
    "SELECT g, 0, '' FROM generate_series(1, 16) AS g "
    "ON CONFLICT (id) DO UPDATE SET last_id = h.last_id"
)


def _take(store: Store, desk: Desk) -> BaseException | None:
    try:
        svc.take_next(store, actor=desk.ivan, now=NOW)
    except BaseException as error:  # the caller checks it
        return error
    return None


@ONLY_POSTGRES
def test_a_failed_postgres_claim_is_a_clear_error_and_spoils_no_pooled_connection(
    desk: Desk,
) -> None:
    """The PostgreSQL claim runs on the pool's psycopg connection in autocommit: a statement
    that fails (here: stopped by the statement timeout while every shard of the audit chain is
    held) reads as the store's error, and the connection goes back to the pool as the pool's
    other users expect it (not in autocommit: their transactions must still roll back); a
    connection lost in the middle of a claim is not pooled again."""
    ticket = _new(desk, "waits for the chain")
    impatient = Store(url_of(desk.store), statement_timeout_ms=300)
    patient = Store(url_of(desk.store))
    holder = desk.store.engine.connect()
    try:
        with holder.begin():  # every shard's head held: the claim's audit rows must wait
            holder.execute(_ALL_SHARDS)
            with pytest.raises(StoreUnavailable, match="statement timeout"):
                svc.take_next(impatient, actor=desk.ivan, now=NOW)
        raw = impatient.engine.raw_connection()  # the one connection the claim used
        try:
            assert raw.driver_connection.autocommit is False  # type: ignore[union-attr]
        finally:
            raw.close()

        with holder.begin():  # again, and the waiting claim's backend is killed
            holder.execute(_ALL_SHARDS)
            outcome: list[BaseException | None] = []
            claimer = threading.Thread(target=lambda: outcome.append(_take(patient, desk)))
            claimer.start()
            kill = text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            with desk.store.engine.connect() as killer:
                wait_for(lambda: killer.execute(kill).all(), "the waiting claim")
            claimer.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable)
        with desk.store.read() as session:  # nothing claimed
            assert session.get(Ticket, ticket.id).assignee_id is None  # type: ignore[union-attr]
        row = svc.take_next(patient, actor=desk.ivan, now=NOW)  # a sound connection again
        assert row.id == ticket.id and row.assignee == "ivan"
    finally:
        holder.close()
        impatient.dispose()
        patient.dispose()
