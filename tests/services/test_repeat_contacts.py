"""What a ticket row keeps for the metrics, so that the report never reads messages or probes
for later tickets: `agent_replies` (first-contact resolution) and `next_contact_at` (repeat
contacts).  Both are checked against a recount in Python, from the messages and tickets
themselves, after every step of a random walk of the services that change them, after a bulk
load, and after migration 0009 filled them on a store that had tickets already."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from csm_console.devtools import generate
from csm_console.domain.metrics import GroupBy, Period
from csm_console.domain.model import Status
from csm_console.errors import CsmError
from csm_console.services import metrics, tickets, transfer
from csm_console.store import migrate
from csm_console.store.engine import Store
from csm_console.store.models import ACTIVE_CONDITION, Message, Ticket
from tests.conftest import NOW, Desk, PostgresServer, build_desk
from tests.services.test_store import _schema_diff


@dataclass(frozen=True)
class Kept:
    agent_replies: int
    next_contact_at: datetime | None


def kept(store: Store) -> dict[int, Kept]:
    with store.read() as session:
        rows = session.execute(
            select(col(Ticket.id), col(Ticket.agent_replies), col(Ticket.next_contact_at))
        ).all()
    return {r[0]: Kept(r[1], r[2]) for r in rows}


def recounted(store: Store) -> dict[int, Kept]:
    """The two columns worked out again from the tickets and messages, in Python."""
    with store.read() as session:
        rows = session.execute(
            select(
                col(Ticket.id),
                col(Ticket.customer_id),
                col(Ticket.category),
                col(Ticket.created_at),
                col(Ticket.solved_at),
            )
        ).all()
        messages = session.execute(
            select(col(Message.ticket_id), col(Message.author_kind), col(Message.internal))
        ).all()
    replies = dict.fromkeys((r[0] for r in rows), 0)
    for ticket_id, kind, internal in messages:
        if kind == "agent" and not internal:
            replies[ticket_id] += 1
    result = {}
    for ticket_id, customer, category, _, solved in rows:
        later = [
            other[3]
            for other in rows
            if solved is not None
            and other[0] != ticket_id
            and (other[1], other[2]) == (customer, category)
            and other[3] > solved
        ]
        result[ticket_id] = Kept(replies[ticket_id], min(later) if later else None)
    return result


def test_a_random_walk_of_the_desk_keeps_both_columns_right(desk: Desk) -> None:
    """Tickets of three customers in two categories and none, created, answered, noted,
    solved, reopened, and imported and re-imported with another category, customer, creation
    time or solving time: after every step the kept columns equal the recount."""
    store, actor = desk.store, desk.root
    rng = random.Random(20261123)
    clock = NOW - timedelta(days=20)
    customers = ["a@walk.example", "b@walk.example", "c@walk.example"]
    categories = ["billing", "tv", None]
    imported: dict[str, dict[str, object]] = {}
    done: list[str] = []
    for step in range(90):
        clock += timedelta(minutes=rng.randint(1, 600))
        ids = sorted(kept(store))
        action = rng.choice(
            ["create", "create", "reply", "reply", "note", "solve", "solve", "reopen", "import"]
        )
        try:
            if action == "create" or not ids:
                tickets.create_ticket(
                    store,
                    actor=actor,
                    customer_email=rng.choice(customers),
                    subject=f"step {step}",
                    body="Hello",
                    category=rng.choice(categories),
                    now=clock,
                )
            elif action == "reply":
                tickets.reply(
                    store, actor=actor, ticket_id=rng.choice(ids), body="Answer", now=clock
                )
            elif action == "note":
                tickets.add_note(
                    store, actor=actor, ticket_id=rng.choice(ids), body="Note", now=clock
                )
            elif action in ("solve", "reopen"):
                status = Status.SOLVED if action == "solve" else Status.OPEN
                tickets.change_status(
                    store, actor=actor, ticket_id=rng.choice(ids), status=status, now=clock
                )
            else:
                key = f"W-{rng.randint(1, 6)}"
                record = imported.get(key) or {
                    "external_id": key,
                    "subject": f"imported {key}",
                    "body": "From the old desk",
                }
                record = {
                    **record,
                    "customer_email": rng.choice(customers),
                    "category": rng.choice(["billing", "tv"]),
                    "created_at": (clock - timedelta(days=rng.randint(0, 9))).isoformat(),
                }
                if rng.random() < 0.5:
                    record["status"] = "solved"
                    record["solved_at"] = (clock - timedelta(hours=rng.randint(0, 30))).isoformat()
                elif record.get("status") == "solved":
                    record["status"] = "open"
                    record.pop("solved_at", None)
                transfer.import_tickets(
                    store, actor=actor, data=json.dumps([record]).encode(), now=clock
                )
                imported[key] = record
        except CsmError:
            continue  # a refused step (not allowed from this status, ...) changes nothing
        done.append(action)
        assert kept(store) == recounted(store), f"after step {step}: {action}"
    assert {"create", "reply", "solve", "reopen", "import"} <= set(done)
    assert any(k.next_contact_at for k in kept(store).values())
    assert any(k.agent_replies == 1 for k in kept(store).values())


def test_a_bulk_load_stamps_both_columns(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large enough to drop the indexes and build them again (made small here): the next
    contacts are stamped between the two halves of the rebuild, and every index is back."""
    build_desk(store)
    monkeypatch.setattr(generate, "REBUILD_INDEXES_FROM", 100)
    generate.generate_tickets(store, count=1500, seed=11)
    found = kept(store)
    assert found == recounted(store)
    assert sum(k.next_contact_at is not None for k in found.values()) > 50
    assert sum(k.agent_replies for k in found.values()) > 500
    assert _schema_diff(store) == []


def _open_plan(store: Store) -> str:
    """SQLite's plan for the report's count of the tickets open now, by team."""
    statements: list[tuple[str, object]] = []

    def keep(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if "ticket.status IN" in statement and "sla_due" in statement:
            statements.append((statement, params))

    from sqlalchemy import event

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        metrics.report(store, period=Period.days(NOW.date(), NOW.date()), by=GroupBy.TEAM)
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    ((statement, params),) = statements
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        return " ".join(str(r[3]) for r in raw.execute(f"EXPLAIN QUERY PLAN {statement}", params))


def test_the_open_tickets_are_counted_from_their_partial_index(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'open.db'}")
    migrate.upgrade(store)
    assert "USING INDEX ix_ticket_open" in _open_plan(store) or (
        "USING COVERING INDEX ix_ticket_open" in _open_plan(store)
    )
    with store.engine.connect() as conn:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_ticket_open'")
        ).scalar_one()
    assert ACTIVE_CONDITION in sql
    store.dispose()


_T = "2026-11-{day:02d}T{hour:02d}:00:00+00:00"
_ROWS_AT_0008 = [
    "INSERT INTO team (id, name, tier, description) VALUES (1, 'Frontline', 'L1', '')",
    "INSERT INTO agent (id, handle, name, email, role, tier, team_id, active, signature) "
    "VALUES (1, 'olga', 'Olga', 'olga@example.com', 'operator', 'L1', 1, TRUE, '')",
    *(
        "INSERT INTO customer (id, name, email, phone, company, language, preferred_channel, "
        f"segment, lookup) VALUES ({n}, 'C{n}', 'c{n}@example.com', '', '', 'en', 'email', "
        f"'standard', 'c{n}')"
        for n in (1, 2)
    ),
]
# id, customer, category, created (day, hour), solved (day, hour) or None
_TICKETS = [
    (1, 1, "'billing'", (2, 9), (2, 12)),  # next: #3 (day 3), not #2 (tv) or #4 (customer 2)
    (2, 1, "'tv'", (2, 10), (2, 11)),  # none later in tv
    (3, 1, "'billing'", (3, 9), (3, 10)),  # next: #5
    (4, 2, "'billing'", (3, 9), None),  # open
    (5, 1, "'billing'", (9, 9), None),
    (6, 1, "NULL", (2, 9), (2, 10)),  # no category: next is #7, also without one
    (7, 1, "NULL", (4, 9), (4, 10)),
    (8, 2, "NULL", (1, 9), (5, 9)),  # #4 came after creation but before solving: none
]


def _fill_at_0008(store: Store) -> None:
    statements = list(_ROWS_AT_0008)
    for ticket_id, customer, category, created, solved in _TICKETS:
        c = _T.format(day=created[0], hour=created[1])
        s = f"'{_T.format(day=solved[0], hour=solved[1])}'" if solved else "NULL"
        status = "'solved'" if solved else "'open'"
        statements.append(
            "INSERT INTO ticket (id, subject, customer_id, channel, status, priority, category, "
            "tier, team_id, created_at, updated_at, solved_at, first_response_due, "
            "resolution_due, sla_due, reopen_count, version, search_text) VALUES "
            f"({ticket_id}, 'T', {customer}, 'email', {status}, 2, {category}, 'L1', 1, '{c}', "
            f"'{c}', {s}, '{c}', '{c}', '{c}', 0, 1, 't')"
        )
    # ticket 1: two public replies and a note; ticket 3: one public reply; 2: only the customer
    for ticket_id, kind, agent, internal in (
        (1, "customer", "NULL", "FALSE"),
        (1, "agent", "1", "FALSE"),
        (1, "agent", "1", "TRUE"),
        (1, "agent", "1", "FALSE"),
        (2, "customer", "NULL", "FALSE"),
        (3, "agent", "1", "FALSE"),
        (3, "agent", "1", "TRUE"),
    ):
        statements.append(
            "INSERT INTO message (ticket_id, author_kind, agent_id, internal, body, created_at) "
            f"VALUES ({ticket_id}, '{kind}', {agent}, {internal}, 'm', "
            f"'{_T.format(day=2, hour=9)}')"
        )
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _migration_fills_both(store: Store) -> None:
    migrate.upgrade(store, "0008")
    _fill_at_0008(store)
    assert migrate.upgrade(store) == ("0008", migrate.HEAD)
    assert _schema_diff(store) == []
    found = kept(store)
    assert found == recounted(store)
    at = {i: k.next_contact_at.isoformat() if k.next_contact_at else None for i, k in found.items()}
    assert at == {
        1: "2026-11-03T09:00:00+00:00",
        2: None,
        3: "2026-11-09T09:00:00+00:00",
        4: None,
        5: None,
        6: "2026-11-04T09:00:00+00:00",
        7: None,
        8: None,
    }
    assert {i: k.agent_replies for i, k in found.items()} == {
        1: 2, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0,
    }  # fmt: skip
    assert migrate.downgrade(store, "0008") == "0008"
    migrate.upgrade(store)
    assert kept(store) == found


def test_migration_0009_fills_both_on_sqlite(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    _migration_fills_both(store)
    store.dispose()


@pytest.mark.postgres
def test_migration_0009_fills_both_on_postgres(postgres_server: PostgresServer) -> None:
    store = Store(postgres_server.create_database("m0009"))
    _migration_fills_both(store)
    store.dispose()
