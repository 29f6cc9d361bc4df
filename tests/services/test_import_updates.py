"""An import's updates (`services.importing`: the changed columns of a chunk's tickets written
with one statement, the audit rows with another) make exactly what the same changes applied
one ticket at a time through the ORM make, on both stores: every column of the tickets,
messages, tags and audit rows, the audit chain verifying.

The reference below applies each record in its own transaction with the same domain function
(`import_plan.update`), the ORM flushing the ticket, as the import did before it wrote a
chunk's updates in bulk.  The records change every kind of field (subject, body, priority, the
creation time, team, assignee, status along the workflow, solved time, category, customer,
tags), some change nothing, and the import under test writes chunks of 7 records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csm_console.domain.ticket_record import RawRecord, validate
from csm_console.errors import BadRecords
from csm_console.services import audit, import_plan, importing, repeat_contacts, ticket_core
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent, Customer, Message, Ticket, TicketTag
from tests.conftest import NOW, STORE_KINDS
from tests.services.test_import_bulk import _records, _rows, _sample_store

BATCH = "import-equal"


def _edited(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records again, each changing something else (a few nothing at all)."""
    edited: list[dict[str, Any]] = []
    for n, original in enumerate(records):
        record = dict(original)
        kind = n % 8
        if kind == 0:
            record["subject"] = original["subject"] + " (edited)"
            record["priority"] = "urgent"
            solved = datetime.fromisoformat(original["created_at"]) + timedelta(hours=4)
            record["solved_at"] = solved.isoformat()  # the record was solved: a later time
        elif kind == 1:
            record["body"] = "A new body\nwith two lines " + "x" * 80
            record["tags"] = ["edited", "Import"]
        elif kind == 2:
            record["team"] = "Billing Experts"
            record.pop("assignee", None)
            record["category"] = "refunds"
        elif kind == 3:
            record["created_at"] = (NOW - timedelta(days=5, hours=n)).isoformat()
            record["customer_email"] = "sarah_oconnor@example.com"
        elif kind == 4:  # solved: reopened along the workflow
            record["status"] = "open"
            record.pop("solved_at", None)
        elif kind == 5:
            record["assignee"] = "laura"
            record.pop("team", None)
            record["priority"] = "low"
        elif kind == 6:
            record["status"] = "solved"
            solved = datetime.fromisoformat(original["created_at"]) + timedelta(hours=3)
            record["solved_at"] = solved.isoformat()
        # kind 7: unchanged
        edited.append(record)
    return edited


def _update_one_by_one(store: Store, records: list[dict[str, Any]]) -> None:
    """Each record applied in its own transaction, the ORM writing the ticket."""
    actor = resolve_actor(store, "admin")
    for index, data in enumerate(records):
        record = validate(RawRecord(f"record [{index}]", data))
        with store.write() as session:
            fresh = ticket_core.reload_actor(session, actor)
            current = session.execute(
                select(Ticket).where(Ticket.external_id == record.external_id)  # type: ignore[arg-type]
            ).scalar_one()
            assert current.id is not None
            plan = import_plan.plan(import_plan.TicketLookup(session, fresh), record, current)
            first = session.execute(
                select(Message)
                .where(Message.ticket_id == current.id, Message.author_kind == "customer")  # type: ignore[arg-type]
                .order_by(Message.id)  # type: ignore[arg-type]
                .limit(1)
            ).scalar_one()
            tags = sorted(
                session.execute(
                    select(TicketTag.tag).where(TicketTag.ticket_id == current.id)  # type: ignore[arg-type]
                ).scalars()
            )
            customer = session.execute(
                select(Customer).where(Customer.email == record.customer_email)  # type: ignore[arg-type]
            ).scalar_one()
            known = import_plan.Known(
                first_messages={current.id: first},
                tags={current.id: tags},
                customers={customer.email: customer},
                rules=ticket_core.policy_rules(session),
            )
            import_plan.update(session, fresh, plan, known, BATCH, NOW)
            session.flush()
            if known.search:
                import_plan.rebuild_search_text(session, known.search)
            session.flush()
            repeat_contacts.refresh(session, known.groups)
            session.add_all(TicketTag(ticket_id=t, tag=tag) for t, tag in known.new_tags)
            session.add_all(AuditEvent(**event) for event in known.audit)


def _import_into(stores: tuple[Store, ...], records: list[dict[str, Any]]) -> None:
    """The same records imported as new tickets into each store, as admin."""
    for store in stores:
        importing.import_tickets(
            store, actor=resolve_actor(store, "admin"), data=json.dumps(records).encode(), now=NOW
        )


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_bulk_updates_equal_the_same_changes_made_one_by_one(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    records = _records()
    edited = _edited(records)
    bulk, single = (_sample_store(tmp_path, kind, request, name) for name in ("ua", "ub"))
    try:
        _import_into((bulk, single), records)
        assert _rows(bulk) == _rows(single)
        result = importing.import_tickets(
            bulk,
            actor=resolve_actor(bulk, "admin"),
            data=json.dumps(edited).encode(),
            now=NOW,
            chunk_records=7,
        )
        assert result.count("unchanged") >= 1  # kind 7 (a routed ticket differs from its record)
        assert result.count("updated") + result.count("unchanged") == len(records)
        assert result.count("updated") >= 30
        _update_one_by_one(single, edited)
        got, expected = _rows(bulk), _rows(single)
        assert set(got) == set(expected)
        for table in expected:
            assert len(got[table]) == len(expected[table]), table
            for row, want in zip(got[table], expected[table], strict=True):
                assert row == want, f"{table}: {row} != {want}"
        with bulk.read() as session:  # the cases the records were written for did happen
            fields = set(
                session.execute(
                    select(AuditEvent.field).where(AuditEvent.batch_id == result.batch_id)  # type: ignore[arg-type]
                ).scalars()
            )
            assert {"subject", "body", "priority", "team", "assignee", "status", "tags"} <= fields
            assert {"created_at", "customer", "category", "solved_at"} <= fields
        for store in (bulk, single):
            assert audit.verify(store, actor=None).intact
    finally:
        bulk.dispose()
        single.dispose()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_bad_update_in_a_later_chunk_leaves_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = _sample_store(tmp_path, kind, request, "ubad")
    try:
        actor = resolve_actor(store, "admin")
        records = _records()
        importing.import_tickets(store, actor=actor, data=json.dumps(records).encode())
        before = _rows(store)
        edited = _edited(records)
        edited[36]["subject"] = "s" * 501  # past the column's 500 characters: refused
        with pytest.raises(BadRecords) as refused:
            importing.import_tickets(
                store, actor=actor, data=json.dumps(edited).encode(), chunk_records=7
            )
        assert "record [36]" in str(refused.value.problems)
        assert _rows(store) == before
        with store.read() as session:
            imported = Ticket.external_id.like("EQ-%")  # type: ignore[union-attr]
            assert (
                session.execute(select(func.max(Ticket.version)).where(imported)).scalar_one() == 1
            )
    finally:
        store.dispose()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_reopen_alone_clears_its_next_contact_as_one_by_one(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A solved ticket whose customer came back in its category, reopened by a record that
    changes nothing else of that group: its next contact is cleared once the chunk's tickets
    are written (the status change alone refreshes the group), as one by one."""
    records = _records()
    reopened = {k: v for k, v in records[20].items() if k not in ("status", "solved_at")}
    reopened["status"] = "open"
    bulk, single = (_sample_store(tmp_path, kind, request, name) for name in ("ra", "rb"))
    try:
        _import_into((bulk, single), records)
        with bulk.read() as session:
            before = session.execute(
                select(Ticket).where(Ticket.external_id == "EQ-20")
            ).scalar_one()  # type: ignore[arg-type]
            assert before.status == "solved" and before.next_contact_at is not None
        importing.import_tickets(
            bulk, actor=resolve_actor(bulk, "admin"), data=json.dumps([reopened]).encode(), now=NOW
        )
        _update_one_by_one(single, [reopened])
        got, expected = _rows(bulk), _rows(single)
        assert got["ticket"] == expected["ticket"]
        with bulk.read() as session:
            after = session.execute(
                select(Ticket).where(Ticket.external_id == "EQ-20")
            ).scalar_one()  # type: ignore[arg-type]
            assert after.status == "open" and after.next_contact_at is None
    finally:
        bulk.dispose()
        single.dispose()
