"""The report's daily summary (services.report_summary) against the report counted from the
tickets themselves, on both stores: on the hand-made desk of test_metrics, after random
sequences of service writes (each ticket change must mark its days, whatever the write path),
and on a generated store.  Counts must be equal; medians and p90 equal too, except when read
from the histogram, where each must be the exact value truncated by `bucket_of` (so never
above it and less than 1/64 below it)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import BigInteger, insert, literal, select, update
from sqlalchemy.engine import Connection
from sqlmodel import col

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.metrics import GroupBy, MetricRow, Period, Report, Times
from csm_console.domain.model import Priority, Status, Tier
from csm_console.services import metrics, report_summary, tickets
from csm_console.services.report_summary import BITS, bucket, bucket_of
from csm_console.store.engine import Store
from csm_console.store.models import Ticket
from csm_console.store.report_days import SHARDS
from csm_console.store.tables import report_count, report_dirty_day, report_time
from tests.conftest import Desk
from tests.services.test_metrics import NOW, PERIOD, build

GROUPS: list[GroupBy | None] = [None, *GroupBy]


def both(store: Store, period: Period, now: datetime, **options: object) -> tuple[Report, Report]:
    kept = metrics.report(store, period=period, now=now, **options)  # type: ignore[arg-type]
    counted = metrics.report(
        store,
        period=period,
        now=now,
        from_summary=False,
        **options,  # type: ignore[arg-type]
    )
    return kept, counted


def truncated(times: Times) -> Times:
    def cut(value: timedelta | None) -> timedelta | None:
        return None if value is None else timedelta(seconds=bucket_of(int(value.total_seconds())))

    return Times(times.count, cut(times.median), cut(times.p90))


def assert_same(kept: Report, counted: Report, *, histogram: bool = False) -> None:
    assert not counted.times_approximate
    rows = [*kept.rows, kept.total]
    expected: list[MetricRow] = [*counted.rows, counted.total]
    if histogram:
        assert kept.times_approximate or not any(r.first_response.count for r in rows)
        expected = [
            MetricRow(
                **{
                    **{f: getattr(r, f) for f in MetricRow.__slots__},
                    "first_response": truncated(r.first_response),
                    "resolution": truncated(r.resolution),
                }
            )
            for r in expected
        ]
    else:
        assert not kept.times_approximate
    assert rows == expected


@pytest.mark.parametrize("value", [-5, 0, 1, 127, 128, 129, 255, 256, 1000, 86_399, 10**9])
def test_a_bucket_is_the_value_truncated_to_its_leading_digits(store: Store, value: int) -> None:
    low = bucket_of(value)
    assert low <= value
    if value < 1 << BITS:
        assert low == value
    else:
        assert (value - low) * 64 < low  # less than 1/64 below
        assert low.bit_length() == value.bit_length()
    with store.read() as session:
        in_sql = session.execute(select(bucket(literal(value, BigInteger)))).scalar_one()
    assert in_sql == low


@pytest.mark.parametrize("by", GROUPS)
def test_the_summary_gives_the_desks_hand_computed_report(desk: Desk, by: GroupBy | None) -> None:
    build(desk)
    for options in ({}, {"team": "Frontline"}, {"agent": "olga"}):
        kept, counted = both(desk.store, PERIOD, NOW, by=by, **options)
        assert_same(kept, counted)
    assert report_summary.marked_days(desk.store) > 0  # only the period's days were refreshed


def test_the_histogram_gives_each_time_truncated(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(desk)
    monkeypatch.setattr(report_summary, "EXACT_LIMIT", 0)
    for by in (None, GroupBy.DAY, GroupBy.TEAM, GroupBy.AGENT):
        kept, counted = both(desk.store, PERIOD, NOW, by=by)
        assert_same(kept, counted, histogram=True)
    # the groups a histogram does not hold still get exact times
    kept, counted = both(desk.store, PERIOD, NOW, by=GroupBy.CATEGORY)
    assert_same(kept, counted)


def test_a_rebuild_equals_the_kept_summary(desk: Desk) -> None:
    build(desk)
    kept, _ = both(desk.store, PERIOD, NOW, by=GroupBy.TEAM)
    assert report_summary.rebuild(desk.store) >= 5
    assert report_summary.marked_days(desk.store) == 0
    again, counted = both(desk.store, PERIOD, NOW, by=GroupBy.TEAM)
    assert again == kept
    assert_same(again, counted)


def _summary_rows(store: Store) -> list[tuple[object, ...]]:
    with store.read() as session:
        rows = [
            tuple(row)
            for table in (report_count, report_time)
            for row in session.execute(select(*(c for c in table.c if c.name != "id")))
        ]
    return sorted(rows, key=repr)


def test_marked_days_apart_are_counted_alone(desk: Desk) -> None:
    """A refresh of two days with a day between them counts those two days only: the day
    between keeps its rows once (a refresh of days in a row reads the range alone)."""
    generate_tickets(desk.store, count=300, seed=3, now=NOW)
    clean = _summary_rows(desk.store)
    days = sorted({str(row[0]) for row in clean})
    first, _, third = days[-3:]
    with desk.store.write() as session:
        session.execute(
            insert(report_dirty_day), [{"day": first, "marks": 1}, {"day": third, "marks": 1}]
        )
    assert report_summary.refresh(desk.store) == 2
    assert _summary_rows(desk.store) == clean


def _random_writes(
    desk: Desk, rng: random.Random, ids: list[int], start: datetime, steps: int
) -> None:
    """Random desk work through the services, on new tickets and on those in `ids` (older
    ones, whose days a report has already summed up): tickets come in, are assigned,
    answered, solved, reopened, rated, escalated."""
    store = desk.store
    when = start
    for _ in range(steps):
        when += timedelta(minutes=rng.randint(1, 600))
        action = rng.choice(["new", "new", "assign", "reply", "solve", "reopen", "csat", "up"])
        if action == "new" or not ids:
            row = tickets.create_ticket(
                store,
                actor=desk.root,
                customer_email=f"c{rng.randint(1, 4)}@example.com",
                subject="help",
                body="help",
                category=rng.choice([None, "billing", "tv"]),
                priority=rng.choice(list(Priority)),
                tier=Tier.L1,
                team=rng.choice(["Frontline", "Frontline South"]),
                now=when,
            )
            ids.append(row.id)
            continue
        ticket_id = rng.choice(ids)
        try:
            if action == "assign":
                to = rng.choice(["olga", "ivan", "rita"])
                tickets.assign_ticket(store, actor=desk.root, ticket_id=ticket_id, to=to, now=when)
            elif action == "reply":
                tickets.reply(store, actor=desk.root, ticket_id=ticket_id, body="A", now=when)
            elif action == "solve":
                tickets.change_status(
                    store, actor=desk.root, ticket_id=ticket_id, status=Status.SOLVED, now=when
                )
            elif action == "reopen":
                tickets.change_status(
                    store, actor=desk.root, ticket_id=ticket_id, status=Status.OPEN, now=when
                )
            elif action == "csat":
                tickets.record_csat(
                    store, actor=desk.root, ticket_id=ticket_id, score=rng.randint(1, 5), now=when
                )
            else:
                tickets.escalate(
                    store,
                    actor=desk.root,
                    ticket_id=ticket_id,
                    to_tier=Tier.L2,
                    reason="needs L2",
                    now=when,
                )
        except Exception as error:  # a move the rules refuse (rating an open ticket, ...)
            assert type(error).__name__ in {"UsageError", "Conflict", "PermissionDenied"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_any_service_writes_the_summary_equals_the_recount(desk: Desk, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    period = Period.days(date(2026, 11, 2), date(2026, 11, 20))
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    ids: list[int] = []
    for round_ in range(3):
        _random_writes(desk, rng, ids, start + timedelta(days=5 * round_), 25)
        # a report in between: the next writes change days already summed up
        for by in GROUPS:
            kept, counted = both(desk.store, period, now, by=by)
            assert_same(kept, counted)


def test_a_generated_store_sums_up_the_same(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    generate_tickets(desk.store, count=1500, seed=7, now=now)
    period = Period.ending_today(30, now)
    assert report_summary.marked_days(desk.store) == 0  # the generator rebuilt it
    for by in GROUPS:
        kept, counted = both(desk.store, period, now, by=by)
        assert_same(kept, counted)
    monkeypatch.setattr(report_summary, "EXACT_LIMIT", 0)
    for by in (None, GroupBy.DAY, GroupBy.TEAM, GroupBy.AGENT):
        kept, counted = both(desk.store, period, now, by=by, team="Frontline")
        assert_same(kept, counted, histogram=True)


def test_a_change_made_outside_csm_marks_its_days_too(desk: Desk) -> None:
    """A bulk UPDATE typed into a SQL shell moves the report like a service write."""
    build(desk)
    before, _ = both(desk.store, PERIOD, NOW, by=GroupBy.TEAM)
    with desk.store.write() as session:
        session.execute(
            update(Ticket).where(col(Ticket.csat_score).is_not(None)).values(csat_score=1)
        )
    kept, counted = both(desk.store, PERIOD, NOW, by=GroupBy.TEAM)
    assert kept.total.csat_good == 0 != before.total.csat_good
    assert_same(kept, counted)


def test_writers_marking_the_same_day_do_not_queue_on_one_row(desk: Desk) -> None:
    """PostgreSQL: a mark's row stays locked until its transaction ends (a refresh of the day
    waits for the change), so with one row a day every ticket write of the day queued on it
    through its commit.  Each backend marks its own row of the day: a second writer of the same
    day goes on while the first is still open, and the day is marked for both."""
    store = desk.store
    if not store.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time anyway")
    build(desk)
    report_summary.refresh(store)
    with store.read() as session:
        first, second = session.execute(
            select(Ticket.id).where(col(Ticket.solved_at).is_(None)).order_by(Ticket.id).limit(2)
        ).scalars()

    def shard(conn: Connection) -> int:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) % SHARDS

    held = [store.engine.connect()]
    try:
        one = other = held[0]
        while shard(other) == shard(one):  # a backend that marks another row of the day
            other = store.engine.connect()
            held.append(other)
        stamp = datetime.now(UTC)  # both tickets move to today's "created" population
        one.execute(update(Ticket).where(col(Ticket.id) == first).values(created_at=stamp))
        other.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        other.execute(update(Ticket).where(col(Ticket.id) == second).values(created_at=stamp))
        other.commit()  # did not wait for `one`, which still holds its mark
        one.commit()
    finally:
        for conn in held:
            conn.close()
    today = stamp.date().isoformat()
    assert report_summary.marked(store, first=today, last=today) == [today]
    kept, counted = both(store, PERIOD, NOW, by=GroupBy.TEAM)
    assert_same(kept, counted)
