"""SLA policies on both stores: leads and admins set them, open tickets get new due times (a
target already met keeps its own), and `csm sla` drives it."""

from __future__ import annotations

import functools
import json
from datetime import timedelta

import pytest

from csm_console.domain.model import Priority, Status
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import sla, ticket_reads, tickets
from tests.conftest import NOW, Cli, Desk


def _open_ticket(desk: Desk, priority: Priority) -> int:
    row = tickets.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="c@example.com",
        subject="Help",
        body="please",
        priority=priority,
        now=NOW,
    )
    return row.id


def test_a_policy_change_recomputes_open_tickets(desk: Desk) -> None:
    store = desk.store
    waiting = _open_ticket(desk, Priority.HIGH)
    answered = _open_ticket(desk, Priority.HIGH)
    tickets.reply(
        store, actor=desk.olga, ticket_id=answered, body="On it", now=NOW + timedelta(minutes=20)
    )
    other = _open_ticket(desk, Priority.LOW)
    before = {
        t: ticket_reads.get_ticket(store, ticket_id=t).ticket for t in (waiting, answered, other)
    }

    change = sla.set_policy(
        store,
        actor=desk.root,
        priority=Priority.HIGH,
        first_response=timedelta(minutes=15),
        resolution=timedelta(hours=2),
    )
    assert (change.created, change.recomputed) == (False, 2)
    after = {
        t: ticket_reads.get_ticket(store, ticket_id=t).ticket for t in (waiting, answered, other)
    }
    assert after[waiting].first_response_due == NOW + timedelta(minutes=15)
    assert after[waiting].resolution_due == NOW + timedelta(hours=2)
    # answered within the old target: its first response keeps the due time it was met against
    assert after[answered].first_response_due == before[answered].first_response_due
    assert after[answered].resolution_due == NOW + timedelta(hours=2)
    assert after[other] == before[other]  # another priority: untouched
    assert after[waiting].status is Status.NEW


def test_team_and_segment_policies_and_refusals(desk: Desk) -> None:
    store = desk.store
    added = sla.set_policy(
        store,
        actor=desk.root,
        priority=Priority.NORMAL,
        first_response=timedelta(hours=1),
        resolution=timedelta(hours=8),
        team="Technical",
        segment="vip",
    )
    assert added.created and added.policy.team == "Technical"
    assert any(p.team == "Technical" and p.segment == "vip" for p in sla.list_policies(store))
    hours = {"first_response": timedelta(hours=1), "resolution": timedelta(hours=2)}
    with pytest.raises(PermissionDenied):
        sla.set_policy(store, actor=desk.olga, priority=Priority.LOW, **hours)
    # a lead sets their own team's policies only (a policy for every team is an admin's)
    with pytest.raises(PermissionDenied, match="leads change their own team's only"):
        sla.set_policy(store, actor=desk.anna, priority=Priority.LOW, **hours)
    with pytest.raises(PermissionDenied, match="applies beyond team Frontline"):
        sla.set_policy(store, actor=desk.anna, priority=Priority.LOW, team="Technical", **hours)
    own = sla.set_policy(store, actor=desk.anna, priority=Priority.LOW, team="Frontline", **hours)
    assert own.created and own.policy.team == "Frontline"
    with pytest.raises(NotFound, match="no team named"):
        sla.set_policy(store, actor=desk.root, priority=Priority.LOW, team="Nowhere", **hours)
    with pytest.raises(UsageError, match="unknown segment"):
        sla.set_policy(store, actor=desk.root, priority=Priority.LOW, segment="gold", **hours)
    late = {"first_response": timedelta(hours=3), "resolution": timedelta(hours=2)}
    with pytest.raises(UsageError, match="cannot be later than the resolution"):
        sla.set_policy(store, actor=desk.root, priority=Priority.LOW, **late)


def test_csm_sla_commands(desk: Desk) -> None:
    _open_ticket(desk, Priority.URGENT)
    url = desk.store.url.render_as_string(hide_password=False)

    csm = functools.partial(Cli(db=url, agent="root"), "sla")

    done = csm("set", "urgent", "--first-response", "10m", "--resolution", "2h")
    assert done.exit_code == 0, done.output
    assert "1 open ticket got new due times" in done.stderr
    listed = json.loads(csm("list", "--format", "json").stdout)
    urgent = next(p for p in listed if p["priority"] == "urgent" and p["segment"] is None)
    assert (urgent["first_response_minutes"], urgent["resolution_minutes"]) == (10, 120)
    assert csm("set", "urgent", "--first-response", "soon", "--resolution", "2h").exit_code == 2
    assert csm("set", "urgent", "--first-response", "1h", "--resolution", "2h",
               agent="olga").exit_code == 5  # fmt: skip
    assert "urgent" in csm("list").stdout
