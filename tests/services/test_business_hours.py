"""SLA clocks in business time, pending pauses, and `csm calendars`, on both stores.

The team works Mon-Fri 09:00-18:00 in Riga.  The ticket is created on Friday 2026-03-27 at
16:00 EET; Riga moves to summer time (EEST) on Sunday 2026-03-29, so every deadline below
crosses both a weekend and a DST change.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from csm_console.domain.model import Priority, Status, Tier
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import calendars, sla, ticket_reads, tickets
from csm_console.store.models import Ticket
from tests.conftest import Cli, Desk

OFFICE = "timezone: Europe/Riga\nmon-fri: 09:00-18:00\n"
CREATED = datetime(2026, 3, 27, 14, 0, tzinfo=UTC)  # Friday 16:00 EET


def _utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _create(desk: Desk, *, now: datetime = CREATED) -> int:
    """A normal-priority Frontline ticket: first response 4 h, resolution 48 h (conftest)."""
    return tickets.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="liga@example.lv",
        subject="Router",
        body="no internet",
        priority=Priority.NORMAL,
        team="Frontline",
        now=now,
    ).id


def _raw(desk: Desk, ticket_id: int) -> Ticket:
    with desk.store.read() as session:
        row = session.execute(select(Ticket).where(Ticket.id == ticket_id)).scalar_one()
        session.expunge(row)
        return row


def _office(desk: Desk) -> None:
    calendars.set_calendar(desk.store, actor=desk.anna, name="riga", definition=OFFICE)
    calendars.use_calendar(desk.store, actor=desk.anna, team="Frontline", name="riga")


def test_business_time_clocks_with_a_pending_pause(desk: Desk) -> None:
    _office(desk)
    ticket_id = _create(desk)
    created = _raw(desk, ticket_id)
    # 4 working hours: Fri 16-18, then Mon 09-11 EEST (08:00 UTC, no longer 07:00)
    assert created.first_response_due == _utc(30, 8)
    # 48 working hours: Fri 2 h, Mon-Fri 45 h, Mon 6 Apr 09-10 EEST
    assert created.resolution_due == _utc(6, 7, month=4)
    assert created.paused_seconds == 0 and created.paused_since is None

    # answered on Monday 09:30 EEST, and waiting for the customer from then on
    replied_at = _utc(30, 6, 30)
    tickets.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="Please restart it",
        status=Status.PENDING,
        now=replied_at,
    )
    pending = _raw(desk, ticket_id)
    assert pending.first_response_seconds == 9000  # Fri 2 h + Mon 0.5 h of working time
    assert pending.paused_since == replied_at
    assert ticket_reads.get_ticket(desk.store, ticket_id=ticket_id).ticket.sla_due is None  # paused

    # the customer answers on Tuesday 09:30: 9 working hours were spent pending
    tickets.change_status(
        desk.store, actor=desk.olga, ticket_id=ticket_id, status=Status.OPEN, now=_utc(31, 6, 30)
    )
    resumed = _raw(desk, ticket_id)
    assert (resumed.paused_seconds, resumed.paused_since) == (9 * 3600, None)
    # the resolution deadline moves on by the pause: Mon 6 Apr 10:00 + 9 h = Tue 7 Apr 10:00
    assert resumed.resolution_due == _utc(7, 7, month=4)
    assert ticket_reads.get_ticket(desk.store, ticket_id=ticket_id).ticket.sla_due == _utc(
        7, 7, month=4
    )

    # solved on Wednesday 12:00: 23 working hours since creation, less the 9 paused
    tickets.change_status(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        status=Status.SOLVED,
        now=_utc(1, 9, month=4),
    )
    assert _raw(desk, ticket_id).resolution_seconds == 14 * 3600

    # a reopen clears the measure; solving again measures again, from creation
    tickets.change_status(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        status=Status.OPEN,
        now=_utc(2, 6, month=4),
    )
    assert _raw(desk, ticket_id).resolution_seconds is None
    tickets.change_status(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        status=Status.SOLVED,
        now=_utc(2, 7, month=4),
    )
    # Thu 2 Apr 10:00 EEST: 2 + 9 + 9 + 9 + 1 = 30 h, less 9 paused
    assert _raw(desk, ticket_id).resolution_seconds == 21 * 3600


def test_without_a_calendar_clocks_count_wall_time_and_pauses_still_stop_resolution(
    desk: Desk,
) -> None:
    ticket_id = _create(desk)
    created = _raw(desk, ticket_id)
    assert created.first_response_due == CREATED + timedelta(hours=4)
    assert created.resolution_due == CREATED + timedelta(hours=48)
    tickets.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="Please restart it",
        status=Status.PENDING,
        now=CREATED + timedelta(hours=1),
    )
    tickets.change_status(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        status=Status.SOLVED,  # straight from pending: the pause ends as it is solved
        now=CREATED + timedelta(hours=11),
    )
    solved = _raw(desk, ticket_id)
    assert solved.first_response_seconds == 3600
    assert (solved.paused_seconds, solved.paused_since) == (10 * 3600, None)
    assert solved.resolution_seconds == 3600  # 11 h, less 10 h waiting for the customer
    # the pause moved the resolution deadline as it ended: the met/missed check reads it
    assert solved.resolution_due == CREATED + timedelta(hours=58)


def test_a_calendar_change_recomputes_the_teams_open_tickets(desk: Desk) -> None:
    ticket_id = _create(desk)
    elsewhere = tickets.create_ticket(
        desk.store,
        actor=desk.root,
        customer_email="x@example.com",
        subject="Other team",
        body="hello",
        team="Frontline South",
        now=CREATED,
    ).id
    added = calendars.set_calendar(desk.store, actor=desk.anna, name="riga", definition=OFFICE)
    assert (added.created, added.recomputed, added.calendar and added.calendar.teams) == (
        True,
        0,
        (),
    )
    used = calendars.use_calendar(desk.store, actor=desk.anna, team="Frontline", name="riga")
    assert used.recomputed == 1
    assert _raw(desk, ticket_id).first_response_due == _utc(30, 8)
    assert _raw(desk, elsewhere).first_response_due == CREATED + timedelta(hours=4)
    # a longer day moves the deadline earlier; the policy change recomputes in working time too
    longer = calendars.set_calendar(
        desk.store, actor=desk.anna, name="riga", definition=OFFICE.replace("18:00", "20:00")
    )
    assert (longer.created, longer.recomputed) == (False, 1)
    assert _raw(desk, ticket_id).first_response_due == _utc(27, 18)  # Fri 16:00-20:00 EET
    sla.set_policy(
        desk.store,
        actor=desk.anna,
        priority=Priority.NORMAL,
        first_response=timedelta(hours=1),
        resolution=timedelta(hours=8),
        team="Frontline",  # a lead's policies are her team's
    )
    assert _raw(desk, ticket_id).first_response_due == _utc(27, 15)  # Fri 17:00 EET
    back = calendars.use_calendar(desk.store, actor=desk.anna, team="Frontline", name=None)
    assert back.calendar is None and back.recomputed == 1
    assert _raw(desk, ticket_id).resolution_due == CREATED + timedelta(hours=8)
    assert [v.name for v in calendars.list_calendars(desk.store)] == ["riga"]


def test_calendar_refusals(desk: Desk) -> None:
    with pytest.raises(PermissionDenied):
        calendars.set_calendar(desk.store, actor=desk.olga, name="riga", definition=OFFICE)
    with pytest.raises(UsageError, match="line 2: bad hours"):
        calendars.set_calendar(
            desk.store, actor=desk.anna, name="riga", definition="timezone: Europe/Riga\nmon: 9-5"
        )
    with pytest.raises(UsageError, match="unknown timezone"):
        calendars.set_calendar(
            desk.store,
            actor=desk.anna,
            name="riga",
            definition="timezone: Mars/Base\nmon: 09:00-17:00",
        )
    with pytest.raises(UsageError, match="bad calendar name"):
        calendars.set_calendar(desk.store, actor=desk.anna, name="no such", definition=OFFICE)
    with pytest.raises(UsageError, match="bad calendar name"):
        calendars.set_calendar(desk.store, actor=desk.anna, name="none", definition=OFFICE)
    _office(desk)
    with pytest.raises(UsageError, match="used by Frontline"):
        calendars.remove_calendar(desk.store, actor=desk.anna, name="riga")
    with pytest.raises(NotFound, match="no team named"):
        calendars.use_calendar(desk.store, actor=desk.anna, team="Nowhere", name="riga")
    with pytest.raises(NotFound, match="no calendar named"):
        calendars.use_calendar(desk.store, actor=desk.anna, team="Frontline", name="paris")
    assert [v.teams for v in calendars.list_calendars(desk.store)] == [("Frontline",)]


def test_csm_calendars_commands(desk: Desk, tmp_path: Any) -> None:
    _create(desk)
    url = desk.store.url.render_as_string(hide_password=False)

    csm = functools.partial(Cli(db=url, agent="anna"), "calendars")

    added = csm(
        "set", "riga", "--text", "timezone: Europe/Riga; mon-fri: 09:00-18:00; holidays: 2026-12-24"
    )
    assert added.exit_code == 0, added.output
    assert "calendar added: riga" in added.stderr
    used = csm("use", "riga", "--team", "Frontline")
    assert used.exit_code == 0 and "1 open ticket got new due times" in used.stderr
    shown = csm("show", "riga")
    assert shown.stdout == "timezone: Europe/Riga\nmon-fri: 09:00-18:00\nholidays: 2026-12-24\n"
    (tmp_path / "riga.cal").write_text(shown.stdout.replace("18:00", "17:00"), encoding="utf-8")
    assert csm("set", "riga", "--file", str(tmp_path / "riga.cal")).exit_code == 0
    piped = csm("set", "night", "--text", "-", stdin="timezone: UTC\nmon-sun: 22:00-24:00\n")
    assert piped.exit_code == 0, piped.output
    listed = json.loads(csm("list", "--format", "json").stdout)
    assert [(c["name"], c["teams"]) for c in listed] == [("night", []), ("riga", ["Frontline"])]
    assert "mon-fri: 09:00-17:00" in listed[1]["definition"]
    bad = csm("set", "mars", "--text", "timezone: Mars/Base; mon: 09:00-17:00")
    assert bad.exit_code == 2 and "unknown timezone 'Mars/Base'" in bad.stderr
    assert csm("set", "x").exit_code == 2  # neither --text nor --file
    assert csm("remove", "riga").exit_code == 2  # in use
    assert (
        csm("set", "riga", "--text", "timezone: UTC; mon: 09:00-17:00", agent="olga").exit_code == 5
    )
    assert csm("show", "paris").exit_code == 3
    assert csm("use", "none", "--team", "Frontline").exit_code == 0
    assert csm("remove", "riga").exit_code == 0
    assert [c["name"] for c in json.loads(csm("list", "--format", "json").stdout)] == ["night"]


def test_escalating_a_pending_ticket_ends_its_pause_and_recounts_in_the_new_teams_calendar(
    desk: Desk,
) -> None:
    calendars.set_calendar(desk.store, actor=desk.root, name="riga", definition=OFFICE)
    calendars.use_calendar(desk.store, actor=desk.root, team="Technical", name="riga")
    ticket_id = _create(desk)  # Frontline: wall time
    tickets.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="Please restart it",
        status=Status.PENDING,
        now=CREATED + timedelta(hours=1),  # Fri 17:00 EET
    )
    tickets.change_status(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        status=Status.OPEN,
        now=_utc(30, 7),  # Mon 10:00 EEST: 65 h of wall time pending, 2 h of Riga working time
    )
    tickets.change_status(
        desk.store, actor=desk.olga, ticket_id=ticket_id, status=Status.PENDING, now=_utc(30, 8)
    )
    escalated = tickets.escalate(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        to_tier=Tier.L2,
        reason="line fault",
        now=_utc(30, 10),  # Mon 13:00 EEST: 2 more working hours pending
    )
    assert escalated.status is Status.OPEN and escalated.team == "Technical"
    row = _raw(desk, ticket_id)
    # both pauses counted in Technical's office hours (Fri 17-18 + Mon 09-10, then Mon 11-13)
    assert (row.paused_seconds, row.paused_since) == (4 * 3600, None)
    # 48 working hours from Friday 16:00 EET plus the 4 paused: Fri 2 h, Mon-Fri 45 h, then
    # Mon 6 Apr 09:00-14:00 EEST
    assert row.resolution_due == _utc(6, 11, month=4)
    assert row.first_response_due == CREATED + timedelta(hours=4)  # met: kept, in wall time
    assert ticket_reads.get_ticket(desk.store, ticket_id=ticket_id).ticket.sla_due == _utc(
        6, 11, month=4
    )


def test_a_calendar_too_sparse_for_the_policies_is_refused_before_anything_changes(
    desk: Desk,
) -> None:
    # ten minutes a week cannot count the 5-day target of low tickets within ten years
    tiny = "timezone: UTC\nsun: 10:00-10:10\n"
    with pytest.raises(UsageError, match="calendar tiny: the calendar has too little working"):
        calendars.set_calendar(desk.store, actor=desk.root, name="tiny", definition=tiny)
    assert calendars.list_calendars(desk.store) == []
    # two hours a week can; a 365-day target it cannot, and the policy is refused untouched
    sparse = "timezone: UTC\nsun: 10:00-12:00\n"
    calendars.set_calendar(desk.store, actor=desk.root, name="sparse", definition=sparse)
    calendars.use_calendar(desk.store, actor=desk.root, team="Technical", name="sparse")
    year = {"first_response": timedelta(days=1), "resolution": timedelta(days=365)}
    with pytest.raises(UsageError, match=r"calendar sparse: .* the policies need 365d"):
        sla.set_policy(desk.store, actor=desk.root, priority=Priority.LOW, **year)
    low = [p for p in sla.list_policies(desk.store) if p.priority is Priority.LOW]
    assert [p.resolution for p in low] == [timedelta(days=5)]
    # a policy for another team does not involve that calendar
    sla.set_policy(desk.store, actor=desk.root, priority=Priority.LOW, team="Frontline", **year)
    with pytest.raises(UsageError, match="unknown timezone 'localtime'"):
        calendars.set_calendar(
            desk.store,
            actor=desk.anna,
            name="here",
            definition="timezone: localtime\nmon: 09:00-17:00",
        )


def test_generated_pending_tickets_wait_with_their_resolution_clock_paused(desk: Desk) -> None:
    from csm_console.devtools.generate import generate_tickets

    generate_tickets(desk.store, count=600, seed=5)
    with desk.store.read() as session:
        rows = session.execute(
            select(Ticket.first_response_at, Ticket.paused_since, Ticket.sla_due).where(
                Ticket.status == Status.PENDING.value
            )
        ).all()
    answered = [r for r in rows if r.first_response_at is not None]
    assert answered and all(r.paused_since is not None and r.sla_due.year == 9999 for r in answered)
    assert all(r.paused_since is None for r in rows if r.first_response_at is None)
