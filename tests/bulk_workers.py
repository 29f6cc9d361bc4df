"""Helpers for the bulk-job process tests (processes/test_bulk_processes.py): seeding many tickets
fast, and an editor process, `python -m tests.bulk_workers edit URL ...`, that works the same
tickets a bulk reassign is moving, the way people do: read a ticket, think, write with the
version they read (`expected_version`)."""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import col

from csm_console.domain.model import Priority, Status
from csm_console.errors import Conflict, CsmError
from csm_console.services import tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Customer, Team, Ticket

# The state every seeded ticket starts in (version 1, no audit events yet).
START = {"assignee": "olga", "status": "open", "priority": "normal", "team": "Frontline"}


def seed_tickets(store: Store, count: int) -> list[int]:
    """`count` open, normal-priority L1 tickets of team Frontline, all with olga, at version 1.
    Needs the agents and teams of `tests.conftest.build_desk`."""
    now = datetime.now(UTC)
    with store.write() as session:
        team_id = session.execute(
            select(col(Team.id)).where(col(Team.name) == START["team"])
        ).scalar_one()
        olga = session.execute(
            select(col(Agent.id)).where(col(Agent.handle) == START["assignee"])
        ).scalar_one()
        customer = Customer(
            name="Bulk",
            email="bulk@example.com",
            language="en",
            preferred_channel="email",
            segment="standard",
            lookup="bulk bulk@example.com",
        )
        session.add(customer)
        session.flush()
        rows: list[dict[str, Any]] = []
        for i in range(count):
            due = now + timedelta(minutes=60 + i % 500)
            rows.append(
                {
                    "subject": f"bulk {i}",
                    "customer_id": customer.id,
                    "channel": "email",
                    "status": START["status"],
                    "priority": int(Priority.NORMAL),
                    "tier": "L1",
                    "team_id": team_id,
                    "assignee_id": olga,
                    "created_at": now,
                    "updated_at": now,
                    "first_response_due": due,
                    "resolution_due": due + timedelta(hours=8),
                    "sla_due": due,
                    "reopen_count": 0,
                    "version": 1,
                    "search_text": f"bulk {i}",
                }
            )
        session.execute(insert(Ticket), rows)
    with store.read() as session:
        return list(session.execute(select(col(Ticket.id)).order_by(col(Ticket.id))).scalars())


def _frontier(store: Store) -> int:
    """The highest ticket id a reassign batch has committed so far (0 before the first chunk)."""
    with store.read() as session:
        value = session.execute(
            select(func.max(col(AuditEvent.ticket_id))).where(col(AuditEvent.action) == "reassign")
        ).scalar_one()
    return int(value or 0)


def edit(url: str, handle: str, first: str, last: str, ready_file: str, stop_file: str) -> None:
    """Work the tickets before and while a reassign moves them; print what happened as JSON.

    Before: 30 edits spread over all the tickets (a third move a ticket off olga, which the
    batch must then skip), then `ready_file` is created and the test starts the batch.
    While: as soon as the batch's first chunk is committed, and until `stop_file` exists, round
    after round reads a few tickets just behind and ahead of the batch's frontier (version and
    state), waits a moment (a person thinking), then writes each with the version it read
    (`expected_version`): moves it to anna, toggles open/pending, or changes the priority.

    One record per write attempt: the outcome (ok, conflict, refused), the version read and
    the version returned, and when it read, started writing and was answered."""
    store = Store(url)
    actor = resolve_actor(store, handle)
    with store.read() as session:
        handles = dict(list(session.execute(select(col(Agent.id), col(Agent.handle)))))
    low, high = int(first), int(last)
    rng = random.Random(f"{url}{handle}")
    log: list[dict[str, Any]] = []

    def attempt(chosen: list[int], ops: list[str] | None = None) -> None:
        read_at = _now()
        with store.read() as session:
            read = {
                r.id: r
                for r in session.execute(
                    select(
                        col(Ticket.id),
                        col(Ticket.version),
                        col(Ticket.status),
                        col(Ticket.priority),
                        col(Ticket.assignee_id),
                    ).where(col(Ticket.id).in_(chosen))
                )
            }
        time.sleep(0.03)  # the person reads before writing; the batch moves on meanwhile
        for index, ticket_id in enumerate(chosen):
            row = read[ticket_id]
            op = ops[index % len(ops)] if ops else rng.choice(["assignee", "status", "priority"])
            if op == "assignee" and handles.get(row.assignee_id) in ("olga", "ivan"):
                field, new = "assignee", "anna"
            elif op in ("assignee", "status") and row.status in ("open", "pending"):
                field, new = "status", "pending" if row.status == "open" else "open"
            else:
                field = "priority"
                new = rng.choice([p.label for p in Priority if int(p) != row.priority])
            record: dict[str, Any] = {
                "id": ticket_id,
                "field": field,
                "new": new,
                "expected": row.version,
                "read_at": read_at,
                "started": _now(),
            }
            try:
                record["version"] = _write(store, actor, ticket_id, row.version, field, new)
                record["outcome"] = "ok"
            except Conflict:
                record["outcome"] = "conflict"
            except CsmError as error:
                record["outcome"] = "refused"
                record["reason"] = str(error)
            record["at"] = _now()
            log.append(record)

    attempt(sorted(rng.sample(range(low, high + 1), 30)), ["assignee", "status", "priority"])
    Path(ready_file).touch()
    stop = Path(stop_file)
    deadline = time.monotonic() + 180  # a backstop: the test creates `stop_file` when done
    while (frontier := _frontier(store)) == 0 and not stop.exists():
        assert time.monotonic() < deadline, "the reassign never committed a chunk"
        time.sleep(0.005)
    while not stop.exists() and time.monotonic() < deadline:
        behind = range(max(low, frontier - 40), frontier + 1)
        ahead = range(frontier + 1, min(high, frontier + 1500) + 1)
        chosen = rng.sample(behind, min(2, len(behind))) + rng.sample(ahead, min(6, len(ahead)))
        attempt(sorted(chosen))
        frontier = _frontier(store)
    store.dispose()
    json.dump(log, sys.stdout)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _write(store: Store, actor: Any, ticket_id: int, expected: int, field: str, new: str) -> int:
    common: dict[str, Any] = {"actor": actor, "ticket_id": ticket_id, "expected_version": expected}
    if field == "assignee":
        return tickets.assign_ticket(store, to=new, **common).version
    if field == "status":
        return tickets.change_status(store, status=Status(new), **common).version
    return tickets.change_priority(store, priority=Priority.parse(new), **common).version


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"edit": edit}[command](*args)
