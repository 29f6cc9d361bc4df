"""The sample operation loads completely, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csm_console.domain.query import Sort, parse_query
from csm_console.errors import UsageError
from csm_console.services import setup, ticket_reads, tickets
from csm_console.store.engine import Store
from csm_console.store.models import Ticket

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _expected() -> dict[str, int]:
    return {
        "teams": len(json.loads((SAMPLE / "teams.json").read_text("utf-8"))),
        "agents": len(json.loads((SAMPLE / "agents.json").read_text("utf-8"))),
        "customers": len(list(csv.DictReader((SAMPLE / "customers.csv").open(encoding="utf-8")))),
        "tickets": len(json.loads((SAMPLE / "tickets.json").read_text("utf-8"))),
        "templates": len(list((SAMPLE / "templates").glob("*.md"))),
        "articles": len(list((SAMPLE / "kb").glob("*.md"))),
    }


def test_the_sample_meets_the_brief() -> None:
    expected = _expected()
    assert expected["teams"] >= 3
    assert expected["agents"] >= 12
    assert expected["customers"] >= 60
    assert expected["tickets"] >= 300
    assert expected["templates"] >= 25
    assert expected["articles"] >= 60
    raw = json.loads((SAMPLE / "tickets.json").read_text("utf-8"))
    for field, values in (
        ("channel", {"email", "phone", "chat", "web"}),
        ("status", {"new", "open", "pending", "on_hold", "solved", "closed"}),
        ("priority", {"low", "normal", "high", "urgent"}),
        ("tier", {"L1", "L2", "L3"}),
    ):
        assert {t[field] for t in raw} == values, field
    assert all(1 <= len(t["messages"]) <= 8 for t in raw)
    assert sum(1 for t in raw if t.get("escalation")) >= 10
    assert sum(1 for t in raw if t.get("reopen_count")) >= 5
    assert sum(1 for t in raw if t.get("csat")) >= 30
    languages = {
        row["language"] for row in csv.DictReader((SAMPLE / "customers.csv").open(encoding="utf-8"))
    }
    assert languages == {"en", "ru", "lv"}


def test_sample_loads_completely(store: Store) -> None:
    summary = setup.load_sample(store, now=NOW)
    expected = _expected()
    assert {k: getattr(summary, k) for k in expected} == expected
    assert summary.messages >= expected["tickets"]
    assert summary.breaching > 0
    assert summary.audit_events >= expected["tickets"]
    with pytest.raises(UsageError, match="already holds data"):
        setup.load_sample(store, now=NOW)
    # the queue reads work on it: Cyrillic and Latvian free text, breaching, keyset pages
    some = ticket_reads.list_tickets(
        store,
        actor=None,
        query=parse_query("sla:breached"),
        sort=Sort.parse("sla"),
        now=NOW,
        limit=500,
    )
    assert some.items and all(t.sla_due is not None and t.sla_due < NOW for t in some.items)
    with store.read() as session:
        max_id = session.execute(select(func.max(Ticket.id))).scalar_one()
    assert max_id == setup.SAMPLE_FIRST_TICKET_ID + expected["tickets"] - 1


@pytest.mark.postgres
def test_sqlite_and_postgres_load_the_same_counts(tmp_path: Path, postgres_server) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_sqlite_store

    lite = make_sqlite_store(tmp_path / "s.db")
    pg = Store(postgres_server.create_database("sample"))
    setup.initialize(pg)
    a = setup.load_sample(lite, now=NOW)
    b = setup.load_sample(pg, now=NOW)
    assert (
        a.teams,
        a.agents,
        a.customers,
        a.tickets,
        a.messages,
        a.templates,
        a.articles,
        a.audit_events,
        a.by_status,
        a.breaching,
    ) == (
        b.teams,
        b.agents,
        b.customers,
        b.tickets,
        b.messages,
        b.templates,
        b.articles,
        b.audit_events,
        b.by_status,
        b.breaching,
    )
    # a new ticket after the explicit-id load gets the next id on both stores
    from csm_console.services.acting import resolve_actor

    for store in (lite, pg):
        actor = resolve_actor(store, "demo")
        row = tickets.create_ticket(
            store,
            actor=actor,
            customer_email="new@example.com",
            subject="after the sample",
            body="hello",
        )
        assert row.id == setup.SAMPLE_FIRST_TICKET_ID + a.tickets
        store.dispose()
