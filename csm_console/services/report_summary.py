"""The report's summary: what `services.metrics.report` reads instead of the tickets.

Per UTC day, `report_count` holds, for each population (created, responded, solved: the
tickets whose `created_at`, `first_response_at` or `solved_at` falls on that day) and each
group cell (team, assignee, channel, category, tier), the report's counts; `report_time` holds,
per day, population, team and assignee, a histogram of the first-response or resolution
seconds.  A report of 30 days then reads 30 days x cells rows, however many tickets they hold.

How it stays right.  A trigger on `ticket` (`store.report_days`; per statement on PostgreSQL,
per row on SQLite) marks, in the transaction of every ticket change that may move a figure,
the days the tickets belonged to before and after.  Before the store's owner reads a period,
the marked days in it are computed again from the tickets (`refresh`), with the very
conditions the live report and the drill-down use (`store.ticket_query`), in one transaction
that first takes the marks (so a writer marking the same day waits, and its change is either
seen or leaves the day marked).  Nothing is ever added or subtracted by hand, so the summary
cannot drift from the tickets: a summary day is either the tickets' own aggregate or marked.

Who writes it.  The owner alone (`may_refresh`): on PostgreSQL an agent's login has no write
rights on these tables (store.grants), and row security may show it only part of the
tickets, whose sums must not be stored for everybody.  Its report reads the days not marked
from the summary and counts the marked ones from the tickets it sees (`count_rows`,
`time_rows`), storing nothing.

Precision.  Counts are exact.  A histogram keeps every value below 2**BITS seconds (128 s) as
is and truncates a larger one to its BITS leading binary digits, so a median or p90 taken from
it is the true nearest-rank value truncated: never above it, and less than 1/64 (1.6 %) below
it (`bucket`).  `metrics.report` only uses the histogram for a population of more than
`EXACT_LIMIT` tickets; a smaller one gets its exact times from the tickets.

Not kept: the figures that move with the clock (`sla:missed` of tickets still open, backlog
and breaching) are counted live from the open tickets; a repeat window other than the default
and a period that does not start and end at UTC midnights read the tickets (the old way).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from csm_console.domain.metrics import REPEAT_WINDOW
from csm_console.errors import PermissionDenied
from csm_console.store import report_days
from csm_console.store.engine import Store
from csm_console.store.tables import report_count, report_dirty_day, report_time, ticket
from csm_console.store.ticket_query import (
    fcr,
    frt_met,
    repeat_contact,
    resolution_met,
    seconds_between,
    sla_missed_settled,
    utc_day,
)

BITS = 7  # leading binary digits a histogram keeps: values < 2**7 s exact, else within 1/64
EXACT_LIMIT = 50_000  # a population up to this size gets exact times from the tickets
_WIDEST = 42  # values up to 2**42 s (139,000 years) are bucketed

CREATED, RESPONDED, SOLVED = "created", "responded", "solved"
COUNTS = (
    "missed",
    "frt_met",
    "fcr",
    "csat_responses",
    "csat_good",
    "csat_sum",
    "repeat",
    "resolution_met",
)
_DIMENSIONS = ("team_id", "assignee_id", "channel", "category", "tier")


def frt_seconds() -> Any:
    """The first response time of a ticket: measured (working time), or wall time."""
    return func.coalesce(
        ticket.c.first_response_seconds,
        seconds_between(ticket.c.first_response_at, ticket.c.created_at),
    )


def resolution_seconds() -> Any:
    """The resolution time of a solved ticket: measured (working time less pauses), or wall
    time less the time in `pending`."""
    return func.coalesce(
        ticket.c.resolution_seconds,
        seconds_between(ticket.c.solved_at, ticket.c.created_at) - ticket.c.paused_seconds,
    )


def bucket_of(seconds: int) -> int:
    """The histogram bucket of a value (its lower bound): the definition `bucket` computes in
    SQL (tests check both)."""
    if seconds < 1 << BITS:
        return seconds
    step = 1 << (seconds.bit_length() - BITS)
    return seconds - seconds % step


def bucket(value: Any) -> Any:
    """`bucket_of` in SQL, portable: one branch per power of two."""

    def big(n: int) -> Any:
        return literal(n, BigInteger)

    whens = [(value < big(1 << BITS), value)]
    for e in range(BITS, _WIDEST):
        whens.append((value < big(1 << (e + 1)), value - value % big(1 << (e - BITS + 1))))
    return case(*whens, else_=value)


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


_POPULATIONS: dict[str, Any] = {
    CREATED: ticket.c.created_at,
    RESPONDED: ticket.c.first_response_at,
    SOLVED: ticket.c.solved_at,
}


_TIMED = (RESPONDED, SOLVED)


def _counts_of(population: str) -> dict[str, Any]:
    zero = literal(0)
    counts: dict[str, Any] = dict.fromkeys(COUNTS, zero)
    if population == CREATED:
        counts["missed"] = func.sum(_flag(sla_missed_settled()))
    elif population == RESPONDED:
        counts["frt_met"] = func.sum(_flag(frt_met()))
    else:
        csat = ticket.c.csat_score
        counts.update(
            fcr=func.sum(_flag(fcr())),
            csat_responses=func.sum(_flag(csat.is_not(None))),
            csat_good=func.sum(_flag(csat >= 4)),
            csat_sum=func.sum(func.coalesce(csat, 0)),
            repeat=func.sum(_flag(repeat_contact(REPEAT_WINDOW))),
            resolution_met=func.sum(_flag(resolution_met())),
        )
    return counts


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=UTC)


def _where(population: str, days: Sequence[str] | None) -> list[Any]:
    column = _POPULATIONS[population]
    where: list[Any] = [column.is_not(None)]
    if days is not None:
        # days in a row are the time range alone: a day computed from the time as well cost
        # PostgreSQL its row estimate (1,500 rows for a day of 600,000), so it sorted to group
        first, last = _midnight(min(days)), _midnight(max(days))
        where += [column >= first, column < last + timedelta(days=1)]
        if len(set(days)) <= (last - first).days:  # days missing between: name the days
            where.append(utc_day(column).in_(list(days)))
    return where


def count_rows(population: str, days: Sequence[str] | None) -> Select[Any]:
    """The `report_count` rows of `population` on `days` (None: every day), computed from the
    tickets the session sees: what a refresh stores, and what a login that may not write the
    summary reads instead of a marked day (`metrics.report`)."""
    day = utc_day(_POPULATIONS[population])
    dims: list[Any] = [ticket.c[name].label(name) for name in _DIMENSIONS]
    counts = _counts_of(population)
    return (
        select(
            day.label("day"),
            literal(population).label("population"),
            *dims,
            func.count().label("n"),
            *(counts[name].label(name) for name in COUNTS),
        )
        .where(*_where(population, days))
        .group_by(day, *dims)
    )


def time_rows(population: str, days: Sequence[str] | None) -> Select[Any]:
    """The `report_time` rows (histogram buckets) of `population` on `days`, as `count_rows`."""
    day = utc_day(_POPULATIONS[population])
    seconds = frt_seconds() if population == RESPONDED else resolution_seconds()
    # OFFSET 0: computed once per ticket (PostgreSQL would otherwise pull the subquery up
    # and compute the seconds again in each branch of the bucket's CASE)
    values = (
        select(
            day.label("day"),
            ticket.c.team_id.label("team_id"),
            ticket.c.assignee_id.label("assignee_id"),
            seconds.label("seconds"),
        )
        .where(*_where(population, days))
        .offset(0)
        .subquery("timed")
    )
    t = values.c
    value = bucket(t.seconds)
    return select(
        t.day,
        literal(population).label("population"),
        t.team_id,
        t.assignee_id,
        value.label("value"),
        func.count().label("n"),
    ).group_by(t.day, t.team_id, t.assignee_id, value)


def _fill(session: Session, days: Sequence[str] | None) -> None:
    """Compute the summary of `days` (None: every day) from the tickets (every ticket: only
    a session that may write the summary gets here, and such a login reads every ticket)."""
    report_days.roomy(session)
    for population in _POPULATIONS:
        session.execute(
            insert(report_count).from_select(
                ["day", "population", *_DIMENSIONS, "n", *COUNTS], count_rows(population, days)
            )
        )
        if population in _TIMED:
            session.execute(
                insert(report_time).from_select(
                    ["day", "population", "team_id", "assignee_id", "value", "n"],
                    time_rows(population, days),
                )
            )


def may_refresh(store: Store) -> bool:
    """Whether this login may compute the summary again: the store's owner (and SQLite).  An
    agent's login (PostgreSQL) may not, whatever row security lets it see: a summary computed
    from part of the tickets would be wrong for everybody."""
    if not store.is_postgres:
        return True
    with store.read() as session:
        return report_days.may_write_summary(session)


def marked(store: Store, *, first: str, last: str) -> list[str]:
    """The marked days between `first` and `last` (`YYYY-MM-DD`)."""
    table = report_dirty_day
    with store.read() as session:
        return sorted(
            r[0]
            for r in session.execute(
                select(table.c.day).where(table.c.day >= first, table.c.day <= last).distinct()
            )
        )


def refresh(store: Store, *, first: str | None = None, last: str | None = None) -> int:
    """Compute again the marked days (between `first` and `last`, `YYYY-MM-DD`, when given);
    returns how many.  The marks are taken first (DELETE ... RETURNING): a writer marking one
    of these days meanwhile waits for this transaction, and a day another refresh took is
    left to it."""
    table = report_dirty_day
    where = []
    if first is not None:
        where.append(table.c.day >= first)
    if last is not None:
        where.append(table.c.day <= last)
    with store.write() as session:
        marked = [r[0] for r in session.execute(select(table.c.day).where(*where).distinct())]
        if not marked:
            return 0
        taken = sorted(
            {  # every shard's mark of the day
                r[0]
                for r in session.execute(
                    delete(table).where(table.c.day.in_(marked)).returning(table.c.day)
                )
            }
        )
        if taken:
            for model, populations in ((report_count, _POPULATIONS), (report_time, _TIMED)):
                session.execute(
                    delete(model).where(  # through the (population, day) index
                        model.c.population.in_(list(populations)), model.c.day.in_(taken)
                    )
                )
            _fill(session, taken)
        return len(taken)


def rebuild(store: Store) -> int:
    """The whole summary again from the tickets (`csm db rebuild-summary`), in one
    transaction; returns how many days it holds.  The store's owner only (`may_refresh`)."""
    if not may_refresh(store):
        raise PermissionDenied(
            "only the store's owner computes the report's summary (an agent's login may see "
            "only part of the tickets): run this as the login that owns the schema"
        )
    with store.write() as session:
        report_days.unbounded(session)
        for model in (report_dirty_day, report_count, report_time):
            session.execute(delete(model))
        _fill(session, None)
        return int(
            session.execute(select(func.count(func.distinct(report_count.c.day)))).scalar_one()
        )


def marked_days(store: Store) -> int:
    """How many days wait to be computed again."""
    with store.read() as session:
        days = func.count(func.distinct(report_dirty_day.c.day))
        return int(session.execute(select(days)).scalar_one())
