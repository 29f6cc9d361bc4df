"""The service metrics on a small hand-made help desk whose answers were worked out by hand, on
both stores: business hours, pending pauses, a reopen that breaks FCR, and repeat contacts just
inside and just outside the window.  Then every number drills down to a query that selects
exactly the tickets behind it.

The desk (times UTC; the report covers Mon 2026-11-16 .. Fri 2026-11-20, "now" is Fri 18:00).
Frontline counts wall time (normal: answer in 4h, solve in 2d; high 1h/8h; urgent 30m/4h;
low 8h/5d).  Technical works Riga office hours, Mon-Fri 09:00-18:00 local = 07:00-16:00 UTC.

Ticket: team, assignee; customer, category, priority; what happens (FRT, resolution in s)
 1: Frontline, olga; a, billing, normal; Mon 09:00 in, 09:30 reply, 11:00 solved, CSAT 5
    (1800, 7200)
 2: Frontline, olga; b, connectivity, normal; Mon 10:00 in, 12:00 reply + pending, Tue 12:00
    open again (24h paused), 13:00 reply, 14:00 solved, CSAT 3 (7200, 28h - 24h = 14400)
 3: Frontline, ivan; a, billing, normal; Tue 09:00 in, 09:10 reply, 10:00 solved, 12:00
    reopened, 13:00 solved (600, 14400)
 4: Frontline, nobody; c, hardware, normal; Wed 09:00 in, nothing since: both targets missed,
    breaching
 5: Frontline, ivan; d, tv, low; Mon 08:00 in, 08:10 reply, 09:00 solved, CSAT 4 (600, 3600)
 6: Frontline, olga; d, tv, low; Tue 09:00 in (#5 solved + 24h exactly), 09:05 reply, open
    (300, -)
 7: Frontline, ivan; e, tv, low; Mon 08:00 in, 08:20 reply, 10:00 solved (1200, 7200)
 8: Frontline, nobody; e, tv, low; Tue 10:00:01 in (#7 solved + 24h + 1s), nothing since: FRT
    missed, breaching
 9: Technical, petr; j, no category, normal; Thu 15:00 in, Fri 08:00 reply, 09:00 solved
    (1h Thu + 1h Fri = 7200, 1h + 2h = 10800)
10: Frontline, olga; f, billing, high; Thu 10:00 in, 12:00 reply (1h late), 12:30 solved,
    CSAT 4 (7200, 9000)
11: Frontline, ivan; g, connectivity, urgent; Wed 08:00 in, 08:20 reply, 13:00 solved (1h
    late), CSAT 1 (1200, 18000)
12: Frontline, olga; h, account, high; Mon 09:00 in, 09:30 reply + pending since: paused, so
    not missed (1800, -)
13: Technical, petr; j, no category, normal; Fri 13 15:00 in (before the period), Mon 08:00
    reply over the weekend, 09:00 solved (1h Fri + 1h Mon = 7200, 10800)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from csm_console.domain.metrics import (
    GroupBy,
    Metric,
    MetricRow,
    Period,
    Report,
    Times,
    drill_query,
    times_of,
)
from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.query import Sort, parse_query
from csm_console.errors import NotFound
from csm_console.services import calendars, metrics, ticket_reads, tickets
from tests.conftest import Desk

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
PERIOD = Period.days(date(2026, 11, 16), date(2026, 11, 20))
RIGA_OFFICE = "timezone: Europe/Riga\nmon-fri: 09:00-18:00\n"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Built:
    desk: Desk
    ids: dict[int, int]  # the table's number -> ticket id

    def numbers(self, ticket_ids: set[int]) -> set[int]:
        back = {v: k for k, v in self.ids.items()}
        return {back[t] for t in ticket_ids}


def build(desk: Desk) -> Built:
    store = desk.store
    calendars.set_calendar(store, actor=desk.root, name="riga", definition=RIGA_OFFICE)
    calendars.use_calendar(store, actor=desk.root, team="Technical", name="riga")
    ids: dict[int, int] = {}

    def new(
        n: int,
        created: datetime,
        customer: str,
        category: str | None,
        priority: Priority = Priority.NORMAL,
        team: str = "Frontline",
        agent: str | None = None,
    ) -> int:
        tier = Tier.L2 if team == "Technical" else Tier.L1
        row = tickets.create_ticket(
            store,
            actor=desk.root,
            customer_email=f"{customer}@example.com",
            subject=f"ticket {n}",
            body="help",
            category=category,
            priority=priority,
            tier=tier,
            team=team,
            now=created,
        )
        ids[n] = row.id
        if agent is not None:
            tickets.assign_ticket(store, actor=desk.root, ticket_id=row.id, to=agent, now=created)
        return row.id

    def reply(n: int, when: datetime, status: Status | None = None) -> None:
        tickets.reply(
            store, actor=desk.root, ticket_id=ids[n], body="Answer", status=status, now=when
        )

    def status(n: int, when: datetime, to: Status) -> None:
        tickets.change_status(store, actor=desk.root, ticket_id=ids[n], status=to, now=when)

    def csat(n: int, score: int) -> None:
        tickets.record_csat(store, actor=desk.root, ticket_id=ids[n], score=score, now=NOW)

    new(13, at(13, 15), "j", None, team="Technical", agent="petr")
    reply(13, at(16, 8))
    status(13, at(16, 9), Status.SOLVED)

    new(1, at(16, 9), "a", "billing", agent="olga")
    reply(1, at(16, 9, 30))
    status(1, at(16, 11), Status.SOLVED)
    csat(1, 5)

    new(2, at(16, 10), "b", "connectivity", agent="olga")
    reply(2, at(16, 12), Status.PENDING)
    status(2, at(17, 12), Status.OPEN)
    reply(2, at(17, 13))
    status(2, at(17, 14), Status.SOLVED)
    csat(2, 3)

    new(3, at(17, 9), "a", "billing", agent="ivan")
    reply(3, at(17, 9, 10))
    status(3, at(17, 10), Status.SOLVED)
    status(3, at(17, 12), Status.OPEN)
    status(3, at(17, 13), Status.SOLVED)

    new(4, at(18, 9), "c", "hardware")

    new(5, at(16, 8), "d", "tv", Priority.LOW, agent="ivan")
    reply(5, at(16, 8, 10))
    status(5, at(16, 9), Status.SOLVED)
    csat(5, 4)

    new(6, at(17, 9), "d", "tv", Priority.LOW, agent="olga")
    reply(6, at(17, 9, 5))

    new(7, at(16, 8), "e", "tv", Priority.LOW, agent="ivan")
    reply(7, at(16, 8, 20))
    status(7, at(16, 10), Status.SOLVED)

    new(8, at(17, 10, 0, 1), "e", "tv", Priority.LOW)

    new(9, at(19, 15), "j", None, team="Technical", agent="petr")
    reply(9, at(20, 8))
    status(9, at(20, 9), Status.SOLVED)

    new(10, at(19, 10), "f", "billing", Priority.HIGH, agent="olga")
    reply(10, at(19, 12))
    status(10, at(19, 12, 30), Status.SOLVED)
    csat(10, 4)

    new(11, at(18, 8), "g", "connectivity", Priority.URGENT, agent="ivan")
    reply(11, at(18, 8, 20))
    status(11, at(18, 13), Status.SOLVED)
    csat(11, 1)

    new(12, at(16, 9), "h", "account", Priority.HIGH, agent="olga")
    reply(12, at(16, 9, 30), Status.PENDING)
    return Built(desk, ids)


@pytest.fixture
def built(desk: Desk) -> Built:
    return build(desk)


def run(built: Built, **options: object) -> Report:
    return metrics.report(built.desk.store, period=PERIOD, now=NOW, **options)  # type: ignore[arg-type]


def times(*seconds: int) -> Times:
    return times_of(list(seconds))


def test_the_totals_match_the_hand_computed_answers(built: Built) -> None:
    total = run(built).total
    assert total.key == "all"
    assert total.created == 12  # #13 was created before the period
    # answered in the period: 11 values (#4 and #8 never were; #13 was, on Monday)
    assert total.first_response == Times(11, timedelta(seconds=1800), timedelta(seconds=7200))
    assert total.first_response == times(
        1800, 7200, 600, 600, 300, 1200, 7200, 7200, 1200, 1800, 7200
    )
    assert total.frt_met == 10  # #10 answered an hour late
    # solved in the period: #2 less its 24 hours in pending, #3 counted to its last solve
    assert total.solved == 9
    assert total.resolution == Times(9, timedelta(seconds=10800), timedelta(seconds=18000))
    assert total.resolution == times(7200, 14400, 14400, 3600, 7200, 10800, 9000, 18000, 10800)
    assert total.resolution_met == 8  # #11 solved an hour late
    assert total.fcr == 7  # not #2 (two replies) nor #3 (reopened)
    assert total.fcr_rate == pytest.approx(7 / 9)
    assert (total.csat_responses, total.csat_good) == (5, 3)
    assert total.csat_mean == pytest.approx(17 / 5)
    assert total.csat_rate == pytest.approx(3 / 5)
    # #1 -> #3 (a, billing, next day), #5 -> #6 (d, tv, 24h), #7 -> #8 (24h + 1s),
    # #13 -> #9 (j, no category matches no category, three days later)
    assert total.repeat == 4
    assert total.missed == 4  # #4 (both), #8 (FRT), #10 (FRT), #11 (resolution); #12 is paused
    assert total.breaching == 2  # #4 and #8; #12 waits for the customer, #6 is within target
    assert total.backlog == 4  # #4, #6, #8, #12
    assert total.frt_compliance == pytest.approx(10 / 11)
    assert total.resolution_compliance == pytest.approx(8 / 9)


def test_business_hours_count_working_time_only(built: Built) -> None:
    """Technical's calendar: #13 was answered 65 wall hours after it came in on a Friday
    evening, but only two working hours (one on Friday, one on Monday) went by."""
    technical = {r.key: r for r in run(built, by=GroupBy.TEAM).rows}["Technical"]
    assert technical.first_response == times(7200, 7200)
    assert technical.resolution == times(10800, 10800)
    assert (technical.created, technical.solved, technical.frt_met) == (1, 2, 2)


def test_rows_without_measured_times_count_wall_time_less_pauses(built: Built) -> None:
    """Tickets from before schema 0008 have no measured times: the report then counts wall
    time, less the time spent pending (#2: 28 hours less 24)."""
    from sqlalchemy import update
    from sqlmodel import col

    from csm_console.store.models import Ticket

    with built.desk.store.write() as session:
        session.execute(
            update(Ticket)
            .where(col(Ticket.id).in_([built.ids[n] for n in (2, 9, 13)]))
            .values(first_response_seconds=None, resolution_seconds=None)
        )
    technical = {r.key: r for r in run(built, by=GroupBy.TEAM).rows}["Technical"]
    assert technical.first_response == times(17 * 3600, 65 * 3600)  # Thu 15:00 - Fri 08:00 ...
    assert technical.resolution == times(18 * 3600, 66 * 3600)
    assert run(built, agent="olga").total.resolution == times(7200, 14400, 9000)


def test_the_repeat_window_is_inclusive_at_its_end(built: Built) -> None:
    """With a one-day window #6 (24h after #5 was solved) is a repeat, #8 (24h and 1s after #7)
    is not, and #3 (22h after #1) is."""
    report = run(built, repeat_window=timedelta(days=1))
    assert report.total.repeat == 2
    assert report.repeat_window == timedelta(days=1)
    drilled = drill(built, Metric.REPEAT, repeat_window=timedelta(days=1))
    assert built.numbers(drilled) == {1, 5}
    assert built.numbers(drill(built, Metric.REPEAT)) == {1, 5, 7, 13}


def test_one_team_by_hand(built: Built) -> None:
    """Frontline, worked out by hand: FRT of #1,2,3,5,6,7,10,11,12 = 1800 7200 600 600 300 1200
    7200 1200 1800; sorted, the 5th of 9 is 1200 (the median) and the 9th is 7200 (p90).
    Solved: #1,2,3,5,7,10,11; FCR: #1,5,7,10,11 = 5 of 7."""
    report = run(built, by=GroupBy.TEAM)
    assert [r.key for r in report.rows] == ["Frontline", "Technical"]
    frontline = report.rows[0]
    assert frontline.first_response == Times(9, timedelta(minutes=20), timedelta(hours=2))
    assert (frontline.solved, frontline.fcr) == (7, 5)
    assert frontline.fcr_rate == pytest.approx(5 / 7)
    assert (frontline.created, frontline.missed, frontline.breaching, frontline.backlog) == (
        11,
        4,
        2,
        4,
    )
    assert built.numbers(drill(built, Metric.FCR, by=GroupBy.TEAM, key="Frontline")) == {
        1,
        5,
        7,
        10,
        11,
    }


def test_by_day_keys_every_day_of_the_period(built: Built) -> None:
    report = run(built, by=GroupBy.DAY)
    days = {r.key: r for r in report.rows}
    assert list(days) == [f"2026-11-{d}" for d in range(16, 21)]
    assert [days[k].created for k in days] == [5, 3, 2, 2, 0]
    assert [days[k].solved for k in days] == [4, 2, 1, 1, 1]
    assert days["2026-11-16"].first_response == times(1800, 7200, 600, 1200, 1800, 7200)
    # "now" numbers belong to no day: only the total has them
    assert all(r.breaching == 0 and r.backlog == 0 for r in report.rows)
    assert report.total.backlog == 4


def test_by_agent_and_category_put_the_unset_group_last(built: Built) -> None:
    agents = run(built, by=GroupBy.AGENT)
    assert [r.key for r in agents.rows] == ["ivan", "olga", "petr", None]
    unassigned = agents.rows[-1]
    assert (unassigned.created, unassigned.missed, unassigned.breaching) == (2, 2, 2)
    olga = agents.rows[1]
    assert (olga.created, olga.solved, olga.backlog) == (5, 3, 2)
    categories = run(built, by=GroupBy.CATEGORY)
    assert [r.key for r in categories.rows] == [
        "account",
        "billing",
        "connectivity",
        "hardware",
        "tv",
        None,
    ]
    tv = {r.key: r for r in categories.rows}["tv"]
    assert tv.resolution == times(3600, 7200)  # typical-question speed: tv is solved fastest


def test_filters_narrow_every_population(built: Built) -> None:
    report = run(built, team="frontline", agent="OLGA")
    assert (report.team, report.agent) == ("Frontline", "olga")
    total = report.total
    assert (total.created, total.solved, total.backlog, total.breaching) == (5, 3, 2, 0)
    assert total.first_response == times(1800, 7200, 300, 7200, 1800)
    with pytest.raises(NotFound):
        run(built, team="Nowhere")
    with pytest.raises(NotFound):
        run(built, agent="nobody")


def test_the_backlog_by_tier_team_and_age(built: Built) -> None:
    """Open at Fri 18:00: #4 (in since Wed 09:00: 2 days 9 hours), #6, #8 and #12 (3-4 days)."""
    cells = metrics.backlog(built.desk.store, now=NOW)
    assert cells == (
        metrics.BacklogCell("L1", "Frontline", "1-3d", 1),
        metrics.BacklogCell("L1", "Frontline", "3-7d", 3),
    )
    assert metrics.backlog(built.desk.store, agent="olga", now=NOW) == (
        metrics.BacklogCell("L1", "Frontline", "3-7d", 2),
    )
    assert metrics.backlog(built.desk.store, team="Technical", now=NOW) == ()
    later = metrics.backlog(built.desk.store, now=NOW + timedelta(days=3))
    assert [(c.bucket, c.count) for c in later] == [("3-7d", 3), (">=7d", 1)]  # #12: 7d9h


def test_an_empty_period_has_no_times(built: Built) -> None:
    quiet = metrics.report(
        built.desk.store, period=Period.days(date(2026, 1, 1), date(2026, 1, 2)), now=NOW
    )
    assert quiet.total == MetricRow(
        "all", 0, 0, Times(0, None, None), Times(0, None, None), 0, 0, 0, None, 0, 0, 0, 0, 2, 4
    )
    assert quiet.total.fcr_rate is None


# ---------------------------------------------------------------------------------------------
# Drill-down: each number opens the tickets behind it


def drill(built: Built, metric: Metric, **options: object) -> set[int]:
    text = drill_query(metric, period=PERIOD, **options)  # type: ignore[arg-type]
    rows = ticket_reads.iter_tickets(
        built.desk.store, actor=None, query=parse_query(text), sort=Sort.parse("id"), now=NOW
    )
    return {r.id for r in rows}


def expected_count(row: MetricRow, metric: Metric) -> int:
    """How many tickets the drill-down of `metric` in `row` must find."""
    return {
        Metric.CREATED: row.created,
        Metric.SOLVED: row.solved,
        Metric.FIRST_RESPONSE: row.first_response.count,
        Metric.RESOLUTION: row.resolution.count,
        Metric.FCR: row.fcr,
        Metric.CSAT: row.csat_responses,
        Metric.REPEAT: row.repeat,
        Metric.FRT_COMPLIANCE: row.first_response.count - row.frt_met,
        Metric.RESOLUTION_COMPLIANCE: row.solved - row.resolution_met,
        Metric.MISSED: row.missed,
        Metric.BREACHING: row.breaching,
        Metric.BACKLOG: row.backlog,
    }[metric]


@pytest.mark.parametrize("by", [None, *GroupBy])
def test_every_number_drills_down_to_as_many_tickets(built: Built, by: GroupBy | None) -> None:
    report = run(built, by=by)
    for row in (*report.rows, report.total):
        for metric in Metric:
            if row is report.total:
                found = drill(built, metric)
            elif by is GroupBy.DAY and metric in (Metric.BREACHING, Metric.BACKLOG):
                continue  # a day has no "now"
            else:
                found = drill(built, metric, by=by, key=row.key)
            assert len(found) == expected_count(row, metric), (by, row.key, metric)


def test_drill_downs_land_on_the_right_tickets(built: Built) -> None:
    def numbers(metric: Metric, **options: object) -> set[int]:
        return built.numbers(drill(built, metric, **options))

    assert numbers(Metric.FRT_COMPLIANCE) == {10}
    assert numbers(Metric.RESOLUTION_COMPLIANCE) == {11}
    assert numbers(Metric.MISSED) == {4, 8, 10, 11}
    assert numbers(Metric.BREACHING) == {4, 8}
    assert numbers(Metric.BACKLOG) == {4, 6, 8, 12}
    assert numbers(Metric.FIRST_RESPONSE) == {1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13}
    assert numbers(Metric.CSAT) == {1, 2, 5, 10, 11}
    assert numbers(Metric.SOLVED, by=GroupBy.DAY, key="2026-11-17") == {2, 3}
    assert numbers(Metric.CREATED, by=GroupBy.AGENT, key=None) == {4, 8}
    assert numbers(Metric.RESOLUTION, by=GroupBy.CATEGORY, key=None) == {9, 13}
    assert numbers(Metric.CREATED, by=GroupBy.TIER, key="L2") == {9}
    assert numbers(Metric.SOLVED, agent="ivan", by=GroupBy.CHANNEL, key="email") == {3, 5, 7, 11}


def test_the_query_terms_on_their_own(built: Built) -> None:
    def numbers(text: str) -> set[int]:
        rows = ticket_reads.iter_tickets(
            built.desk.store, actor=None, query=parse_query(text), sort=Sort.parse("id"), now=NOW
        )
        return built.numbers({r.id for r in rows})

    assert numbers("fcr:no") == {2, 3}
    assert numbers("csat:>=4") == {1, 5, 10}
    assert numbers("csat:1,3") == {2, 11}
    assert numbers("csat:none status:solved") == {3, 7, 9, 13}
    assert numbers("-csat:>=4 status:solved") == {2, 3, 7, 9, 11, 13}  # unrated ones too
    assert numbers("frt:met -status:solved") == {6, 12}
    assert numbers("resolution:met") == {1, 2, 3, 5, 7, 9, 10, 13}
    assert numbers("responded:<2026-11-16") == set()
    assert numbers("solved:<2026-11-16T10:00") == {5, 13}
    assert numbers("-solved:>=2026-11-17") == {1, 4, 5, 6, 7, 8, 12, 13}  # unsolved ones too
    assert numbers("repeat:1d") == {1, 5}
    assert numbers("repeat:22h") == {1}
    assert numbers("sla:missed") == {4, 8, 10, 11}


# ---------------------------------------------------------------------------------------------
# The pure parts: periods, nearest ranks, the drill-down text, the new query terms


def test_periods_are_whole_utc_days() -> None:
    week = Period.days(date(2026, 11, 16), date(2026, 11, 22))
    assert (week.since, week.until) == (at(16, 0), at(23, 0))
    assert (week.day_count, week.first_day, week.last_day) == (
        7,
        date(2026, 11, 16),
        date(2026, 11, 22),
    )
    assert week.previous() == Period.days(date(2026, 11, 9), date(2026, 11, 15))
    assert Period.ending_today(30, NOW) == Period.days(date(2026, 10, 22), date(2026, 11, 20))
    assert len(Period.ending_today(30, NOW).day_keys()) == 30
    with pytest.raises(ValueError, match="before it starts"):
        Period.days(date(2026, 11, 2), date(2026, 11, 1))


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([5], 5, 5),
        ([1, 2], 1, 2),  # nearest rank: the lower middle
        ([3, 1, 2], 2, 3),
        (list(range(1, 11)), 5, 9),
        (list(range(1, 21)), 10, 18),
        (list(range(1, 12)), 6, 10),
    ],
)
def test_nearest_rank(values: list[int], median: int, p90: int) -> None:
    assert times_of(values) == Times(len(values), timedelta(seconds=median), timedelta(seconds=p90))


def test_drill_query_text() -> None:
    week = Period.days(date(2026, 11, 16), date(2026, 11, 20))
    assert drill_query(Metric.CREATED, period=week) == "created:>=2026-11-16 created:<2026-11-21"
    assert (
        drill_query(Metric.FCR, period=week, by=GroupBy.TEAM, key="Second line", agent="olga")
        == 'solved:>=2026-11-16 solved:<2026-11-21 fcr:yes team:"Second line" assignee:olga'
    )
    assert (
        drill_query(Metric.FRT_COMPLIANCE, period=week, by=GroupBy.DAY, key="2026-11-18")
        == "responded:>=2026-11-18 responded:<2026-11-19 frt:missed"
    )
    assert (
        drill_query(Metric.REPEAT, period=week, by=GroupBy.CATEGORY, key=None,
                    repeat_window=timedelta(days=1, hours=12))
        == "solved:>=2026-11-16 solved:<2026-11-21 repeat:1d12h category:none"
    )  # fmt: skip
    assert drill_query(Metric.BACKLOG, period=week, by=GroupBy.AGENT, key=None) == (
        "status:new,open,pending,on_hold assignee:none"
    )
    assert drill_query(Metric.BREACHING, period=week, team="Frontline") == (
        "sla:breached team:Frontline"
    )
    for metric in Metric:  # every drill-down parses
        parse_query(drill_query(metric, period=week, by=GroupBy.TIER, key="L2"))


def test_the_new_terms_parse_and_refuse_nonsense() -> None:
    from csm_console.domain.query import (
        CompareTerm,
        MatchTerm,
        Op,
        OutcomeTerm,
        RepeatTerm,
        SlaTerm,
        TimeTerm,
    )
    from csm_console.errors import QueryError

    terms = parse_query(
        "frt:missed resolution:met fcr:yes -fcr:no csat:>=4 csat:4,5 csat:none repeat:7d "
        "sla:missed solved:>=2026-11-01 answered:<2h"
    ).terms
    assert terms[:4] == (
        OutcomeTerm("frt", "missed"),
        OutcomeTerm("resolution", "met"),
        OutcomeTerm("fcr", "yes"),
        OutcomeTerm("fcr", "no", negated=True),
    )
    assert terms[4] == CompareTerm("csat", Op.GE, 4)
    assert terms[5:7] == (MatchTerm("csat", (4, 5)), MatchTerm("csat", (None,)))
    assert terms[7] == RepeatTerm(timedelta(days=7))
    assert terms[8] == SlaTerm("missed")
    assert terms[9] == TimeTerm("solved", Op.GE, at=at(1, 0))
    assert terms[10] == TimeTerm("responded", Op.LT, age=timedelta(hours=2))
    for bad, message in (
        ("frt:late", "frt: bad value 'late'; valid: met, missed"),
        ("fcr:>yes", "fcr: bad value"),
        ("csat:>=6", "ratings are 1 to 5"),
        ("csat:good", "ratings are 1 to 5"),
        ("repeat:0d", "between 1 second and 365 days"),
        ("repeat:soon", "bad duration"),
        ("repeat:>7d", "write the window after the colon"),
        ("sla:late", "valid: breached, ok, due<DURATION, due>DURATION, missed"),
    ):
        with pytest.raises(QueryError, match=message):
            parse_query(bad)


@pytest.mark.parametrize(
    "name", ["Frontline", "Second line", "Sales, Riga", 'Ops "North"', "Ops 'South'"]
)
def test_a_drill_down_names_any_team_as_one_value(name: str) -> None:
    """A team name with a space, a comma or quotes comes back from the query as itself."""
    from csm_console.domain.metrics import quote_value
    from csm_console.domain.query import MatchTerm

    (term,) = parse_query(f"team:{quote_value(name)}").terms
    assert isinstance(term, MatchTerm) and term.values == (name,)
