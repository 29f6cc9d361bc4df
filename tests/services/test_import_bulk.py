"""The bulk import (`services.importing`) makes exactly what creating the same tickets one by
one makes, on both stores: every column of the tickets, messages, tags, customers and audit
rows, with the audit chain verifying; and it stays all or nothing across its chunks.

The one-by-one reference below creates each ticket in its own transaction through the shared
write core (`find_or_add_customer`, routing, `insert_ticket`), as the import did before it
wrote in bulk; the import under test writes chunks of 7 records, so that customers, repeat
contacts and routing cross chunk boundaries."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csm_console.domain.model import Channel, Priority, Status
from csm_console.domain.routing import RoutingRule, RuleActions
from csm_console.domain.ticket_record import RawRecord, validate
from csm_console.errors import BadRecords
from csm_console.services import audit, import_plan, importing, routing, setup, ticket_core
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent, Customer, Message, Ticket, TicketTag
from tests.conftest import NOW, STORE_KINDS, scratch_url

BATCH = "import-equal"


def _records() -> list[dict[str, Any]]:
    """Records touching every rule a new ticket goes through."""
    base = NOW - timedelta(days=3)
    records: list[dict[str, Any]] = []
    for n in range(40):
        at = base + timedelta(hours=5 * n)
        record: dict[str, Any] = {
            "external_id": f"EQ-{n}",
            "subject": f"Rēķins {n}: двойное списание" if n % 3 else f"Refund {n}",
            "body": f"Body {n}\nline two",
            # repeat customers (also across chunks), some already in the sample
            "customer_email": (
                "sarah_oconnor@example.com" if n % 11 == 0 else f"eq{n % 6}@example.com"
            ),
            "created_at": at.isoformat(),
            "category": ("billing", "network", None)[n % 3],
            "tags": ["Import", f"t{n % 4}"],
        }
        if n % 4 == 0:
            record["status"] = "solved"
            record["solved_at"] = (at + timedelta(hours=2)).isoformat()
            record["first_response_at"] = (at + timedelta(minutes=30)).isoformat()
        elif n % 4 == 1:
            record["assignee"] = ("janis", "olga", "sergey")[n % 3]
        elif n % 4 == 2:
            record["team"] = ("Frontline RU", "Technical", "Billing Experts")[n % 3]
            record["status"] = ("pending", "open", "new")[n % 3]
        if n % 5 == 0:
            record["priority"] = ("urgent", "high", "low")[n % 3]
        if n % 7 == 3:
            record["subject"] = f"VPN drops {n}"  # the routing rule below fires
            record.pop("team", None)
            record.pop("assignee", None)
        if n % 2:
            record["language"] = "lv"
            record["customer_name"] = f"Klients {n}"
        records.append(record)
    return records


def _sample_store(tmp_path: Path, kind: str, request: pytest.FixtureRequest, name: str) -> Store:
    store = Store(scratch_url(tmp_path / f"{name}.db", kind, request, f"equal{name}"))
    setup.initialize(store)
    setup.load_sample(store, now=NOW)
    admin = resolve_actor(store, "admin")
    routing.add_rule(
        store,
        actor=admin,
        rule=RoutingRule(
            name="vpn",
            condition="vpn",
            actions=RuleActions(team="Technical", priority=Priority.HIGH, add_tags=("vpn",)),
        ),
    )
    return store


def _one_by_one(store: Store, records: list[dict[str, Any]]) -> None:
    """Each record created in its own transaction by the shared write core."""
    actor = resolve_actor(store, "admin")
    for index, data in enumerate(records):
        record = validate(RawRecord(f"record [{index}]", data))
        with store.write() as session:
            fresh = ticket_core.reload_actor(session, actor)
            plan = import_plan.plan(import_plan.TicketLookup(session, fresh), record, None)
            channel = record.channel or Channel.EMAIL
            customer = ticket_core.find_or_add_customer(
                session,
                email=record.customer_email,
                name=record.customer_name,
                language=record.language,
                channel=channel,
                text=record.subject + " " + record.body,
            )
            status = record.status or (Status.OPEN if plan.assignee is not None else Status.NEW)
            new = ticket_core.NewTicket(
                customer=customer,
                subject=record.subject,
                body=record.body,
                channel=channel,
                priority=record.priority or Priority.NORMAL,
                category=record.category,
                tags=record.tags or (),
                tier=plan.tier,
                team=plan.team,
                created_at=record.created_at or NOW,
                status=status,
                assignee=plan.assignee,
                first_response_at=record.first_response_at,
                solved_at=record.solved_at,
                external_id=record.external_id,
            )
            rule = None
            if status.is_active:
                new, rule = routing.route(session, new)
            ticket_core.insert_ticket(session, new, actor=fresh, now=NOW, batch_id=BATCH, rule=rule)


def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the import writes, in id order (audit rows without their hash and batch)."""
    with store.read() as session:
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for model in (Ticket, Message, Customer):
            table = model.__table__  # type: ignore[attr-defined]
            tables[table.name] = [
                tuple(row) for row in session.execute(select(table).order_by(table.c.id))
            ]
        tag = TicketTag.__table__  # type: ignore[attr-defined]
        tables["ticket_tag"] = sorted(tuple(r) for r in session.execute(select(tag)))
        event = AuditEvent.__table__  # type: ignore[attr-defined]
        columns = [c for c in event.c if c.name not in ("hash", "prev_hash", "batch_id")]
        tables["audit_event"] = [
            tuple(row) for row in session.execute(select(*columns).order_by(event.c.id))
        ]
        return tables


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_bulk_import_equals_creating_the_tickets_one_by_one(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    records = _records()
    bulk, single = (_sample_store(tmp_path, kind, request, name) for name in ("a", "b"))
    try:
        result = importing.import_tickets(
            bulk,
            actor=resolve_actor(bulk, "admin"),
            data=json.dumps(records).encode(),
            now=NOW,
            chunk_records=7,
        )
        assert result.count("created") == len(records)
        _one_by_one(single, records)
        got, expected = _rows(bulk), _rows(single)
        assert set(got) == set(expected)
        for table in expected:
            assert len(got[table]) == len(expected[table]), table
            for row, want in zip(got[table], expected[table], strict=True):
                assert row == want, f"{table}: {row} != {want}"
        # the cases the records were written for did happen
        with bulk.read() as session:
            tickets = list(session.execute(select(Ticket)).scalars())
            assert any(t.next_contact_at is not None for t in tickets)  # repeat contacts
            assert {"pending", "solved", "open", "new"} <= {t.status for t in tickets}
            actions = set(session.execute(select(AuditEvent.action)).scalars())
            assert "route" in actions
        for store in (bulk, single):
            assert audit.verify(store, actor=None).intact
    finally:
        bulk.dispose()
        single.dispose()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_bad_record_in_a_later_chunk_leaves_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _sample_store(tmp_path, kind, request, "bad")
    try:
        before = _rows(store)
        records = _records()
        records[33]["assignee"] = "nobody"
        records[38]["external_id"] = "EQ-2"  # repeats record [2], three chunks earlier
        with pytest.raises(BadRecords) as refused:
            importing.import_tickets(
                store,
                actor=resolve_actor(store, "admin"),
                data=json.dumps(records).encode(),
                chunk_records=7,
            )
        assert refused.value.problems == [
            "record [33]: assignee: no agent with handle 'nobody'",
            "record [38]: external_id: 'EQ-2' repeats record [2]",
        ]
        assert _rows(store) == before
    finally:
        store.dispose()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_updates_across_chunks_bump_each_ticket_once_with_an_audit_row_per_change(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _sample_store(tmp_path, kind, request, "upd")
    try:
        actor = resolve_actor(store, "admin")
        records = _records()
        importing.import_tickets(store, actor=actor, data=json.dumps(records).encode())
        edited = [{**r, "subject": r["subject"] + " (edited)", "tags": ["edited"]} for r in records]
        result = importing.import_tickets(
            store, actor=actor, data=json.dumps(edited).encode(), chunk_records=9
        )
        assert result.count("updated") == len(records)
        with store.read() as session:
            tickets = {
                t.external_id: t
                for t in session.execute(
                    select(Ticket).where(Ticket.external_id.like("EQ-%"))  # type: ignore[union-attr]
                ).scalars()
            }
            assert {t.version for t in tickets.values()} == {2}
            assert all("(edited)\nbody" in t.search_text for t in tickets.values())
            tags = set(session.execute(select(TicketTag.tag, TicketTag.ticket_id)).all())
            rows = session.execute(
                select(AuditEvent.field).where(AuditEvent.batch_id == result.batch_id)
            ).scalars()
            fields = sorted(rows)
        assert fields == sorted(["subject", "tags"] * len(records))
        assert {tag for tag, ticket_id in tags if ticket_id == tickets["EQ-5"].id} == {"edited"}
        assert audit.verify(store, actor=None).intact
        again = importing.import_tickets(store, actor=actor, data=json.dumps(edited).encode())
        assert again.count("unchanged") == len(records)
    finally:
        store.dispose()
