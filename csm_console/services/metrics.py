"""The service metrics (domain.metrics) counted in SQL.

One aggregate statement per population (tickets created, first answered and solved in the
period, and the tickets open now), grouped in the database; nothing loads tickets into Python.
Medians and p90 are picked in SQL too, from running totals over a (group, value) frequency
table (see `_timed`).  The same statements run on SQLite and PostgreSQL, so both stores give
the same answers, and the four run at once on two connections.

A report of whole UTC days (with the default repeat window) reads the daily summary instead
(services.report_summary): its counts, and its time histograms for a population of more than
`report_summary.EXACT_LIMIT` tickets (then `Report.times_approximate`); what moves with the
clock (the open tickets' missed targets, breaching, backlog) is still counted live.

Every condition comes from store.ticket_query, the module that compiles the query language:
`fcr`, `frt:missed`, `repeat:7d` and the rest count here with exactly the SQL that the
drill-down's query selects with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, null, select, text, union_all
from sqlalchemy.orm import Session

from csm_console.domain.metrics import (
    AGE_BUCKET_DAYS,
    AGE_BUCKETS,
    NO_TIMES,
    REPEAT_WINDOW,
    TOTAL_KEY,
    BacklogCell,
    GroupBy,
    MetricRow,
    Period,
    Report,
    Times,
    empty_row,
)
from csm_console.domain.query import MAX_REPEAT_WINDOW
from csm_console.errors import NotFound, UsageError
from csm_console.services import report_summary as summary
from csm_console.services.clock import utcnow
from csm_console.services.report_summary import frt_seconds, resolution_seconds
from csm_console.store import tables
from csm_console.store.engine import Store
from csm_console.store.tables import report_count, report_time, ticket
from csm_console.store.ticket_query import (
    breaching,
    fcr,
    frt_met,
    repeat_contact,
    resolution_met,
    sla_missed,
    sla_missed_running,
    sla_missed_settled,
    status_is_active,
    utc_day,
)

__all__ = ["BacklogCell", "backlog", "report"]

_GROUP_COLUMNS: dict[GroupBy, Any] = {
    GroupBy.AGENT: ticket.c.assignee_id,
    GroupBy.TEAM: ticket.c.team_id,
    GroupBy.CATEGORY: ticket.c.category,
    GroupBy.CHANNEL: ticket.c.channel,
    GroupBy.TIER: ticket.c.tier,
}
_ALL = "*"  # the one group of an ungrouped statement
PARALLEL = 2  # connections a report uses at once


def _key(by: GroupBy | None, time_column: Any) -> Any:
    """The group of a ticket: its day is the day of the population's own time field."""
    if by is None:
        return literal_column(f"'{_ALL}'")
    if by is GroupBy.DAY:
        return utc_day(time_column)
    return _GROUP_COLUMNS[by]


def _flag(condition: ColumnElement[bool]) -> Any:
    """1 where the condition holds, else 0 (NULL counts as not holding)."""
    return case((condition, 1), else_=0)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(_flag(condition)), 0)


@dataclass
class _Group:
    """What the statements found for one group, before it becomes a MetricRow."""

    created: int = 0
    missed: int = 0
    first_response: Times = NO_TIMES
    frt_met: int = 0
    solved: int = 0
    resolution: Times = NO_TIMES
    fcr: int = 0
    csat_responses: int = 0
    csat_good: int = 0
    csat_sum: int = 0
    repeat: int = 0
    resolution_met: int = 0
    breaching: int = 0
    backlog: int = 0

    def row(self, key: str | None) -> MetricRow:
        return MetricRow(
            key=key,
            created=self.created,
            solved=self.solved,
            first_response=self.first_response,
            resolution=self.resolution,
            fcr=self.fcr,
            csat_responses=self.csat_responses,
            csat_good=self.csat_good,
            csat_mean=self.csat_sum / self.csat_responses if self.csat_responses else None,
            repeat=self.repeat,
            frt_met=self.frt_met,
            resolution_met=self.resolution_met,
            missed=self.missed,
            breaching=self.breaching,
            backlog=self.backlog,
        )


@dataclass(frozen=True)
class _Scope:
    by: GroupBy | None
    filters: tuple[ColumnElement[bool], ...]
    period: Period
    now: datetime


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = (column >= period.since) & (column < period.until)
    return condition


def _timed(
    session: Session,
    scope: _Scope,
    time_column: Any,
    value: Any,
    sums: dict[str, Any],
) -> tuple[dict[Any, tuple[Times, dict[str, int]]], Times]:
    """One population picked by `time_column` in the period: per group, the nearest-rank
    median and p90 of `value` and the `sums`; and the median and p90 of the whole population.

    One statement.  The population is first counted per (group, value): a frequency table,
    which is far smaller than the population and cheap to build (SQLite sorts once, PostgreSQL
    hashes).  Running totals over it then find, in each group and in the whole, the first
    value whose running count reaches the rank ceil(tenths * n / 10), written as
    `10 * running >= tenths * n` so that no store rounds a division."""
    frequencies = (
        select(
            _key(scope.by, time_column).label("k"),
            value.label("v"),
            func.count().label("c"),
            *(func.sum(expression).label(name) for name, expression in sums.items()),
        )
        .where(_in_period(time_column, scope.period), *scope.filters)
        # by label: the key and the value are expressions (PostgreSQL refuses a constant key)
        .group_by(*(literal_column(name) for name in ("k", "v") if scope.by or name == "v"))
        .cte("frequencies")
    )
    return _picked(session, frequencies, tuple(sums))


def _picked(
    session: Session, frequencies: Any, sums: tuple[str, ...]
) -> tuple[dict[Any, tuple[Times, dict[str, int]]], Times]:
    """The median and p90 per group (`k`) and in the whole, and the `sums`, of a frequency
    table (k, v, c, *sums): the tickets' own values, or a histogram's buckets."""
    f = frequencies.c
    running = select(
        f.k,
        f.v,
        f.c,
        *(getattr(f, name) for name in sums),
        func.sum(f.c).over(partition_by=f.k, order_by=f.v, rows=(None, 0)).label("running"),
        func.sum(f.c).over(partition_by=f.k).label("n"),
    ).subquery("running")
    by_value = select(f.v, func.sum(f.c).label("c")).group_by(f.v).subquery("by_value")
    running_all = select(
        by_value.c.v,
        func.sum(by_value.c.c).over(order_by=by_value.c.v, rows=(None, 0)).label("running"),
        func.sum(by_value.c.c).over().label("n"),
    ).subquery("running_all")

    def pick(table: Any, tenths: int) -> Any:
        c = table.c
        return func.min(case((10 * c.running >= tenths * c.n, c.v)))

    r = running.c
    statement = union_all(
        select(
            literal_column("0").label("total"),
            r.k,
            func.sum(r.c),
            pick(running, 5),
            pick(running, 9),
            *(func.sum(getattr(r, name)) for name in sums),
        ).group_by(r.k),
        select(
            literal_column("1"),
            null(),
            null(),
            pick(running_all, 5),
            pick(running_all, 9),
            *(null() for _ in sums),
        ),
    )
    groups: dict[Any, tuple[Times, dict[str, int]]] = {}
    total_count = 0
    total = NO_TIMES
    for row in session.execute(statement):
        is_total, key, count, median, p90, *values = row
        if int(is_total):
            total = Times(total_count, _seconds(median), _seconds(p90))
            continue
        groups[key] = (
            Times(int(count), _seconds(median), _seconds(p90)),
            {name: int(v or 0) for name, v in zip(sums, values, strict=True)},
        )
        total_count += int(count)
    if not total_count:
        return groups, NO_TIMES
    return groups, Times(total_count, total.median, total.p90)


def _seconds(value: Any) -> timedelta | None:
    return None if value is None else timedelta(seconds=int(value))


def _counted(
    session: Session,
    key: Any,
    where: Sequence[ColumnElement[bool]],
    sums: dict[str, Any],
    *,
    grouped: bool,
) -> dict[Any, dict[str, int]]:
    """`sums` over the tickets `where` holds, per group (`key`), or in one row."""
    statement = select(key.label("k"), *sums.values()).where(*where)
    if grouped:
        statement = statement.group_by(key)
    return {
        row[0]: {name: int(v or 0) for name, v in zip(sums, row[1:], strict=True)}
        for row in session.execute(statement)
    }


def report(
    store: Store,
    *,
    period: Period,
    by: GroupBy | None = None,
    team: str | None = None,
    agent: str | None = None,
    repeat_window: timedelta = REPEAT_WINDOW,
    now: datetime | None = None,
    from_summary: bool = True,
) -> Report:
    """The metrics of `period`, per group of `by` and in total, for one team and/or agent.

    Read from the daily summary (services.report_summary) when it holds the report (whole UTC
    days, the default repeat window) and `from_summary`; else counted from the tickets.

    The four populations are counted by four independent statements, run at once on
    `PARALLEL` connections (each its own read transaction): a report costs about as long as
    its slowest population rather than all four one after another."""
    now = now or utcnow()
    if not timedelta(0) < repeat_window <= MAX_REPEAT_WINDOW:
        raise UsageError("the repeat-contact window is between 1 second and 365 days")
    with store.read() as session:
        filters, team_name, agent_handle, ids = _filters(session, team=team, agent=agent)
    scope = _Scope(by, tuple(filters), period, now)
    if from_summary and _summarized(period, repeat_window):
        first, last = period.first_day.isoformat(), period.last_day.isoformat()
        if summary.may_refresh(store):
            summary.refresh(store, first=first, last=last)
            jobs = _summary_jobs(scope, ids, ())
        else:  # an agent's login: its marked days counted from the tickets it sees, unstored
            jobs = _summary_jobs(scope, ids, summary.marked(store, first=first, last=last))
    else:
        jobs = _ticket_jobs(scope, repeat_window)
    jobs["open"] = lambda s: _counted(
        s,
        _key(None if by is GroupBy.DAY else by, None),
        [status_is_active(), *filters],
        {"backlog": func.count(), "breaching": _count(breaching(now))},
        grouped=by not in (None, GroupBy.DAY),
    )
    found = _run(store, jobs)
    groups: dict[Any, _Group] = {}

    def group(key: Any) -> _Group:
        return groups.setdefault(key, _Group())

    for key, sums in found["created"].items():
        g = group(key)
        g.created, g.missed = sums["created"], sums["missed"]
    responded, responded_total, approximate = found["responded"]
    for key, (times, sums) in responded.items():
        g = group(key)
        g.first_response, g.frt_met = times, sums["frt_met"]
    solved, solved_total, solved_approximate = found["solved"]
    for key, (times, sums) in solved.items():
        g = group(key)
        g.solved, g.resolution = times.count, times
        for name, value in sums.items():
            setattr(g, name, value)
    if by is not GroupBy.DAY:
        for key, sums in found["open"].items():
            g = group(key)
            g.backlog, g.breaching = sums["backlog"], sums["breaching"]
    with store.read() as session:
        names = _names(session, by, groups)
    return Report(
        period=period,
        by=by,
        rows=_rows(by, period, groups, names),
        total=_total(groups, responded_total, solved_total, found["open"]),
        repeat_window=repeat_window,
        team=team_name,
        agent=agent_handle,
        generated_at=now,
        times_approximate=approximate or solved_approximate,
    )


def _summarized(period: Period, repeat_window: timedelta) -> bool:
    """Whether the summary (services.report_summary) holds this report: whole UTC days and
    the default repeat window."""
    return (
        repeat_window == REPEAT_WINDOW
        and period.since == _midnight(period.since)
        and period.until == _midnight(period.until)
    )


def _midnight(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime.combine(at.date(), time(0), tzinfo=UTC)


def _ticket_jobs(scope: _Scope, repeat_window: timedelta) -> dict[str, Callable[[Session], Any]]:
    """The populations counted from the tickets themselves."""
    solved_sums = {
        "fcr": _flag(fcr()),
        "csat_responses": _flag(ticket.c.csat_score.is_not(None)),
        "csat_good": _flag(ticket.c.csat_score >= 4),
        "csat_sum": func.coalesce(ticket.c.csat_score, 0),
        "repeat": _flag(repeat_contact(repeat_window)),
        "resolution_met": _flag(resolution_met()),
    }
    by, period, filters = scope.by, scope.period, scope.filters
    # the costliest first, so that two connections finish at about the same time
    return {
        "solved": lambda s: (
            *_timed(s, scope, ticket.c.solved_at, resolution_seconds(), solved_sums),
            False,
        ),
        "responded": lambda s: (
            *_timed(
                s,
                scope,
                ticket.c.first_response_at,
                frt_seconds(),
                {"frt_met": _flag(frt_met())},
            ),
            False,
        ),
        "created": lambda s: _counted(
            s,
            _key(by, ticket.c.created_at),
            [_in_period(ticket.c.created_at, period), *filters],
            {"created": func.count(), "missed": _count(sla_missed(scope.now))},
            grouped=by is not None,
        ),
    }


_SUMMARY_GROUPS: dict[GroupBy, str] = {
    GroupBy.DAY: "day",
    GroupBy.AGENT: "assignee_id",
    GroupBy.TEAM: "team_id",
    GroupBy.CATEGORY: "category",
    GroupBy.CHANNEL: "channel",
    GroupBy.TIER: "tier",
}
# the groups a time histogram holds (report_time keeps team and assignee only)
_HISTOGRAM_GROUPS = (None, GroupBy.DAY, GroupBy.TEAM, GroupBy.AGENT)


def _summary_jobs(
    scope: _Scope, ids: dict[str, int], marked: Sequence[str]
) -> dict[str, Callable[[Session], Any]]:
    """The populations read from the summary: its counts, and the times from its histogram
    for a population over `summary.EXACT_LIMIT` tickets (else exactly, from the tickets).
    The `marked` days (a login that may not compute the summary again) are read from the
    tickets instead, in the summary's shape.  `sla:missed` of the tickets still open moves
    with the clock: counted live."""
    by, period = scope.by, scope.period
    first, last = period.first_day.isoformat(), period.last_day.isoformat()

    def source(model: Any, population: str) -> Any:
        table = model
        rows_of = summary.count_rows if model is report_count else summary.time_rows
        # the table's columns in the order of the rows computed from the tickets
        names = [c.name for c in rows_of(population, None).selected_columns]
        rows = select(*(table.c[name] for name in names)).where(
            table.c.population == population, table.c.day >= first, table.c.day <= last
        )
        if not marked:
            return rows.subquery("kept")
        return union_all(
            rows.where(table.c.day.not_in(list(marked))), rows_of(population, marked)
        ).subquery("kept")

    def where(src: Any) -> list[Any]:
        return [src.c[name] == value for name, value in ids.items()]

    def key(src: Any) -> Any:
        return literal_column(f"'{_ALL}'") if by is None else src.c[_SUMMARY_GROUPS[by]]

    def counts(s: Session, population: str, names: tuple[str, ...]) -> dict[Any, dict[str, int]]:
        src = source(report_count, population)
        k = key(src)
        statement = select(
            k.label("k"), func.sum(src.c.n), *(func.sum(src.c[name]) for name in names)
        ).where(*where(src))
        if by is not None:
            statement = statement.group_by(k)
        return {
            row[0]: {"n": int(row[1]), **dict(zip(names, map(int, row[2:]), strict=True))}
            for row in s.execute(statement)
            if row[1]
        }

    def timed(
        s: Session, population: str, time_column: Any, value: Any, names: tuple[str, ...]
    ) -> tuple[dict[Any, tuple[Times, dict[str, int]]], Times, bool]:
        found = counts(s, population, names)
        n = sum(sums["n"] for sums in found.values())
        if by not in _HISTOGRAM_GROUPS or n <= summary.EXACT_LIMIT:
            groups, total = _timed(s, scope, time_column, value, {})
            approximate = False
        else:
            src = source(report_time, population)
            k = key(src)
            frequencies = (
                select(k.label("k"), src.c.value.label("v"), func.sum(src.c.n).label("c"))
                .where(*where(src))
                .group_by(*(literal_column(c) for c in ("k", "v") if by or c == "v"))
                .cte("frequencies")
            )
            groups, total = _picked(s, frequencies, ())
            approximate = True
        return (
            {
                k: (groups[k][0] if k in groups else NO_TIMES, {x: sums[x] for x in names})
                for k, sums in found.items()
            },
            total,
            approximate,
        )

    def created(s: Session) -> dict[Any, dict[str, int]]:
        found = {
            k: {"created": sums["n"], "missed": sums["missed"]}
            for k, sums in counts(s, summary.CREATED, ("missed",)).items()
        }
        running = _counted(
            s,
            _key(by, ticket.c.created_at),
            [
                _in_period(ticket.c.created_at, period),
                sla_missed_running(scope.now),
                _flag(sla_missed_settled()) == 0,
                *scope.filters,
            ],
            {"missed": func.count()},
            grouped=by is not None,
        )
        for k, sums in running.items():
            if sums["missed"]:
                found.setdefault(k, {"created": 0, "missed": 0})["missed"] += sums["missed"]
        return found

    solved_names = ("fcr", "csat_responses", "csat_good", "csat_sum", "repeat", "resolution_met")
    return {
        "created": created,
        "solved": lambda s: timed(
            s, summary.SOLVED, ticket.c.solved_at, resolution_seconds(), solved_names
        ),
        "responded": lambda s: timed(
            s, summary.RESPONDED, ticket.c.first_response_at, frt_seconds(), ("frt_met",)
        ),
    }


def _run(store: Store, jobs: dict[str, Callable[[Session], Any]]) -> dict[str, Any]:
    """Each job in a read transaction of its own, `PARALLEL` at a time (the sqlite3 module and
    psycopg let other threads run while the database works)."""

    def run(job: Callable[[Session], Any]) -> Any:
        with store.read(scan=True) as session:  # a scan: the memory map, on a lean store too
            if store.is_postgres:
                # compiling these statements just in time costs seconds and saves nothing
                session.execute(text("SET LOCAL jit = off"))
            return job(session)

    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="csm-report") as pool:
        futures = {name: pool.submit(run, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _filters(
    session: Session, *, team: str | None, agent: str | None
) -> tuple[list[ColumnElement[bool]], str | None, str | None, dict[str, int]]:
    """The report's filters as conditions, the team's and agent's names as stored, and their
    ids by column (`team_id`, `assignee_id`)."""
    filters: list[ColumnElement[bool]] = []
    ids: dict[str, int] = {}
    team_name = agent_handle = None
    if team is not None:
        found = session.execute(
            select(tables.team.c.id, tables.team.c.name).where(
                func.lower(tables.team.c.name) == team.strip().lower()
            )
        ).first()
        if found is None:
            raise NotFound(f"no team named {team!r}")
        filters.append(ticket.c.team_id == found[0])
        ids["team_id"] = int(found[0] or 0)
        team_name = found[1]
    if agent is not None:
        found = session.execute(
            select(tables.agent.c.id, tables.agent.c.handle).where(
                func.lower(tables.agent.c.handle) == agent.strip().lower()
            )
        ).first()
        if found is None:
            raise NotFound(f"no agent with handle {agent!r}")
        filters.append(ticket.c.assignee_id == found[0])
        ids["assignee_id"] = int(found[0] or 0)
        agent_handle = found[1]
    return filters, team_name, agent_handle, ids


def _names(session: Session, by: GroupBy | None, groups: dict[Any, _Group]) -> dict[Any, str]:
    """Group keys as shown: teams by name, agents by handle (the query language's values)."""
    ids = [k for k in groups if k is not None]
    if by is GroupBy.TEAM and ids:
        rows = session.execute(
            select(tables.team.c.id, tables.team.c.name).where(tables.team.c.id.in_(ids))
        )
        return {r[0]: r[1] for r in rows}
    if by is GroupBy.AGENT and ids:
        rows = session.execute(
            select(tables.agent.c.id, tables.agent.c.handle).where(tables.agent.c.id.in_(ids))
        )
        return {r[0]: r[1] for r in rows}
    return {}


def _rows(
    by: GroupBy | None, period: Period, groups: dict[Any, _Group], names: dict[Any, str]
) -> tuple[MetricRow, ...]:
    if by is None:
        return ()
    if by is GroupBy.DAY:
        # every day of the period, the quiet ones too (a chart needs them)
        return tuple(
            groups[day].row(day) if day in groups else empty_row(day) for day in period.day_keys()
        )
    shown = [(None if k is None else names.get(k, str(k)), g) for k, g in groups.items()]
    shown.sort(key=lambda item: (item[0] is None, (item[0] or "").casefold(), item[0] or ""))
    return tuple(g.row(key) for key, g in shown)


def _total(
    groups: dict[Any, _Group],
    responded: Times,
    solved: Times,
    open_now: dict[Any, dict[str, int]],
) -> MetricRow:
    total = _Group(first_response=responded, resolution=solved)
    additive: tuple[str, ...] = (
        "created",
        "missed",
        "frt_met",
        "solved",
        "fcr",
        "csat_responses",
        "csat_good",
        "csat_sum",
        "repeat",
        "resolution_met",
    )
    for g in groups.values():
        for name in additive:
            setattr(total, name, getattr(total, name) + getattr(g, name))
    total.backlog = sum(s["backlog"] for s in open_now.values())
    total.breaching = sum(s["breaching"] for s in open_now.values())
    return total.row(TOTAL_KEY)


def backlog(
    store: Store,
    *,
    team: str | None = None,
    agent: str | None = None,
    now: datetime | None = None,
) -> tuple[BacklogCell, ...]:
    """The tickets open now by tier, team and age bucket (AGE_BUCKETS), in that order."""
    now = now or utcnow()
    created = ticket.c.created_at
    bucket = case(
        *(
            (created > now - timedelta(days=upper), label)
            for label, upper in zip(AGE_BUCKETS, AGE_BUCKET_DAYS[1:], strict=False)
        ),
        else_=AGE_BUCKETS[-1],
    )
    with store.read(scan=True) as session:
        filters, _, _, _ = _filters(session, team=team, agent=agent)
        # by team id, named afterwards: a join would look the team up once per open ticket
        statement = (
            select(ticket.c.tier, ticket.c.team_id, bucket.label("bucket"), func.count())
            .where(status_is_active(), *filters)
            .group_by(ticket.c.tier, ticket.c.team_id, bucket)
        )
        rows = session.execute(statement).all()
        names = dict(session.execute(select(tables.team.c.id, tables.team.c.name)).all())
        found = [
            BacklogCell(r[0], None if r[1] is None else names.get(r[1], str(r[1])), r[2], int(r[3]))
            for r in rows
        ]
    order = {label: n for n, label in enumerate(AGE_BUCKETS)}
    return tuple(
        sorted(found, key=lambda c: (c.tier, c.team is None, c.team or "", order[c.bucket]))
    )
