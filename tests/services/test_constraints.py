"""CHECK constraints on every enumerated column, on both stores (migration 0010): the store's own
owner cannot write a value csm does not know, and a row that broke them before they existed
reads as invalid instead of failing every list, show and export it is in."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import exc, text

from csm_console.domain.routing import RoutingRule, RuleActions
from csm_console.services import routing, tickets
from csm_console.store import migrate
from csm_console.store.constraints import CHECKS
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk, build_desk

_csm = Cli(agent="root").on


def _fill(desk: Desk) -> int:
    """A row in every table with a checked column."""
    row = tickets.create_ticket(
        desk.store, actor=desk.root, customer_email="c@example.com", subject="s", body="b"
    )
    routing.add_rule(
        desk.store,
        actor=desk.root,
        rule=RoutingRule(name="r", condition="refund", actions=RuleActions(category="billing")),
    )
    return row.id


def test_every_enumerated_column_refuses_an_unknown_value(desk: Desk) -> None:
    _fill(desk)
    engine = desk.store.engine
    for check in CHECKS:
        bad = 0 if isinstance(check.values[0], int) else "zz"
        with pytest.raises(exc.IntegrityError, match=check.name), engine.begin() as conn:
            conn.execute(text(f"UPDATE {check.table} SET {check.column} = :bad"), {"bad": bad})
    # the probe, and an INSERT
    with pytest.raises(exc.IntegrityError, match="ck_ticket_priority"), engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET priority = 0"))
    with pytest.raises(exc.IntegrityError, match="ck_message_author_kind"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO message (ticket_id, author_kind, internal, body, created_at) "
                "SELECT id, 'robot', false, 'x', created_at FROM ticket"
            )
        )
    with engine.begin() as conn:  # a known value passes
        conn.execute(text("UPDATE ticket SET priority = 4, status = 'on_hold'"))


@pytest.fixture
def old_store(own_store: Store) -> Store:
    """A store of its own, to take back to 0009 (before the constraints) once it has rows."""
    migrate.upgrade(own_store)
    return own_store


def test_rows_that_broke_the_rules_before_read_as_invalid(old_store: Store) -> None:
    desk = build_desk(old_store)
    ids = [_fill(desk)] + [
        tickets.create_ticket(
            old_store, actor=desk.root, customer_email="d@example.com", subject=s, body="b"
        ).id
        for s in ("fine", "lost")
    ]
    bad_priority, fine, bad_status = ids
    migrate.downgrade(old_store, "0009")
    with old_store.engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET priority = 0 WHERE id = :i"), {"i": bad_priority})
        conn.execute(
            text("UPDATE ticket SET status = 'lost\x1b[31m', tier = 'L9' WHERE id = :i"),
            {"i": bad_status},
        )
    migrate.upgrade(old_store)  # the constraints hold for new writes; the old rows stay
    with pytest.raises(exc.IntegrityError), old_store.engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET priority = 0 WHERE id = :i"), {"i": fine})

    listed = _csm(old_store, "tickets", "list", "--format", "ids")
    assert listed.exit_code == 0, listed.output
    assert sorted(int(i) for i in listed.stdout.split()) == sorted(ids)

    shown = _csm(old_store, "tickets", "show", str(bad_priority))
    assert shown.exit_code == 0, shown.output
    assert "priority invalid: 0" in shown.stdout
    assert f"#{bad_priority} holds invalid values: priority '0'" in shown.stderr
    shown = _csm(old_store, "tickets", "show", str(bad_status), "--format", "json")
    assert shown.exit_code == 0, shown.output
    ticket = json.loads(shown.stdout)["ticket"]
    assert ticket["status"] == "invalid: lost\x1b[31m" and ticket["tier"] == "invalid: L9"
    table = _csm(old_store, "tickets", "show", str(bad_status))
    assert table.exit_code == 0 and "status invalid: lost " in table.stdout
    assert "\x1b" not in table.stdout + table.stderr

    exported = _csm(old_store, "export", "tickets", "--format", "ndjson")
    assert exported.exit_code == 0, exported.output
    records = {r["id"]: r for r in map(json.loads, exported.stdout.splitlines())}
    assert set(records) == set(ids)
    assert records[bad_priority]["priority"] == "invalid: 0"
    assert records[fine]["priority"] == "normal"
    assert f"warning: #{bad_priority} holds invalid values: priority '0'" in exported.stderr
    # importing that export names the bad value instead of guessing
    back = _csm(old_store, "import", "tickets", "-", stdin=exported.stdout)
    assert back.exit_code == 2 and "priority" in back.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("own_store", ["postgres"], indirect=True)
def test_postgres_validates_the_constraints_no_row_breaks(old_store: Store) -> None:
    desk = build_desk(old_store)
    bad = _fill(desk)
    migrate.downgrade(old_store, "0009")
    with old_store.engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET priority = 0 WHERE id = :i"), {"i": bad})
    migrate.upgrade(old_store)
    with old_store.engine.connect() as conn:
        valid = dict(
            conn.execute(
                text(
                    "SELECT conname, convalidated FROM pg_constraint "
                    "WHERE contype = 'c' AND conrelid <> 0"
                )
            ).all()
        )
    # migration 0010's checks (the ones on tables made later are part of their CREATE TABLE)
    of_0010 = {name: ok for name, ok in valid.items() if name in {c.name for c in CHECKS}}
    assert of_0010 == {c.name: c.name != "ck_ticket_priority" for c in CHECKS}
    assert all(ok for name, ok in valid.items() if name not in of_0010)
    assert migrate.downgrade(old_store, "0009") == "0009"
    with old_store.engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0")
        )
        assert left.scalar() == 0
