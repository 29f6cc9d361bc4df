"""What the lead's dashboard shows, as plain data: one load of the service metrics, and how each
figure reads (its value, its trend, whether up is good).  No Textual here: the screen
(`dashboard.py`) only lays these out, so the numbers can be checked without a terminal.

Every figure comes from `services.metrics` (the definitions live in `domain/metrics.py`); the
tickets behind a figure are selected by `domain.metrics.drill_query`, never re-derived here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum

from rich.style import Style
from rich.text import Text

from csm_console.domain.durations import rounded_duration
from csm_console.domain.metrics import (
    AGE_BUCKETS,
    TOTAL_KEY,
    BacklogCell,
    GroupBy,
    Metric,
    MetricRow,
    Period,
    Report,
    Times,
)
from csm_console.domain.text import sanitize
from csm_console.services import metrics, sla
from csm_console.services.audit import LastVerified, last_verified
from csm_console.services.sla import PolicyView
from csm_console.store.engine import Store

PERIODS = (7, 30)  # the period lengths `p` cycles through, in days


@dataclass(frozen=True, slots=True)
class CalendarLine:
    """A business-hours calendar as the dashboard lists it (from services.calendars when the
    store has them)."""

    name: str
    definition: str
    teams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DashboardData:
    """One load: the period by day, its baseline, today and yesterday, the agents, the backlog
    and the SLA rules.  `now` is the moment every "now" figure was measured at."""

    now: datetime
    team: str | None
    period: Report  # by DAY: rows are the days, total is the whole period
    previous: Report  # the period of the same length just before
    today: Report
    yesterday: Report
    agents: Report  # by AGENT over the period
    backlog: tuple[BacklogCell, ...]
    policies: tuple[PolicyView, ...]
    calendars: tuple[CalendarLine, ...] | None  # None: this csm has no calendars yet
    audit: LastVerified | None = None  # when an admin last verified the audit chain

    @property
    def days(self) -> int:
        return self.period.period.day_count


def load_dashboard(
    store: Store, *, days: int, team: str | None, now: datetime, audit: bool = False
) -> DashboardData:
    """Read everything the dashboard shows (three aggregate reports, the backlog and the SLA
    rules; with `audit`, for an admin, when the audit chain was last verified).  Today and
    yesterday are days of the period's by-day report: a report's day row counts exactly what a
    one-day report would."""
    period = Period.ending_today(days, now)
    today = Period.ending_today(1, now)
    by_day = metrics.report(store, period=period, by=GroupBy.DAY, team=team, now=now)
    return DashboardData(
        now=now,
        team=team,
        period=by_day,
        previous=metrics.report(store, period=period.previous(), team=team, now=now),
        today=_one_day(store, by_day, today, team=team, now=now),
        yesterday=_one_day(store, by_day, today.previous(), team=team, now=now),
        agents=metrics.report(store, period=period, by=GroupBy.AGENT, team=team, now=now),
        backlog=tuple(metrics.backlog(store, team=team, now=now)),
        policies=tuple(sla.list_policies(store)),
        calendars=_calendars(store),
        audit=last_verified(store) if audit else None,
    )


def _one_day(
    store: Store, by_day: Report, day: Period, *, team: str | None, now: datetime
) -> Report:
    """The report of one day of `by_day`'s period, from its day row (the "now" figures, which a
    day row leaves out, from its total); a day outside the period is read on its own."""
    key = day.since.date().isoformat()
    row = next((r for r in by_day.rows if r.key == key), None)
    if row is None:
        return metrics.report(store, period=day, team=team, now=now)
    total = replace(
        row, key=TOTAL_KEY, breaching=by_day.total.breaching, backlog=by_day.total.backlog
    )
    return replace(by_day, period=day, by=None, rows=(), total=total)


def _calendars(store: Store) -> tuple[CalendarLine, ...] | None:
    try:
        from csm_console.services import calendars
    except ImportError:  # a csm without business-hours calendars
        return None
    return tuple(
        CalendarLine(name=c.name, definition=c.definition, teams=c.teams)
        for c in calendars.list_calendars(store)
    )


def audit_line(last: LastVerified | None) -> Text:
    """When the audit chain was last verified (`csm audit verify` by an admin), and the result;
    the symbol and the words say it, the colour only repeats it."""
    line = Text("audit chain  ", style="bold")
    if last is None:
        line.append("· never verified: run csm audit verify as an admin", style="dim")
        return line
    when = last.at.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")
    if last.result == "intact":
        line.append(f"✔ intact ({last.rows} rows) when verified {when}", style="green")
    else:
        result = sanitize(last.result, single_line=True)
        line.append(f"✖ {result} when verified {when}", style="red")
        line.append("; csm audit verify names the row", style="dim")
    return line


# ---------------------------------------------------------------------- how a figure reads


class Better(Enum):
    """Which way a figure should move.  Shown as a word-like sign, never by colour alone."""

    UP = "↑ good"
    DOWN = "↓ good"
    NEITHER = ""


class Kind(Enum):
    COUNT = "count"
    RATE = "rate"
    DURATION = "duration"


Value = int | float | timedelta | None


@dataclass(frozen=True, slots=True)
class Kpi:
    """One tile: the metric behind it (its value in a report row, and what a drill-down
    opens), which way is good, and a line of detail (the counts behind a rate, a time's p90)."""

    metric: Metric
    title: str
    better: Better
    kind: Kind
    # (period, today, days) → the detail line, or several, longest first: a tile shows the
    # first that fits its width
    detail: Callable[[MetricRow, MetricRow, int], str | tuple[str, ...]]
    now: bool = False  # measured now, not over the period: one figure, no trend

    def value(self, row: MetricRow) -> Value:
        return row.value(self.metric)


def _p90(period: MetricRow, today: MetricRow, days: int, which: str) -> tuple[str, ...]:
    p: Times = getattr(period, which)
    t: Times = getattr(today, which)
    return tuple(
        f"p90 {days}d {_cut(p.p90, parts)} · today {_cut(t.p90, parts)}" for parts in (2, 1)
    )


def _cut(value: timedelta | None, parts: int) -> str:
    return "–" if value is None else rounded_duration(value, parts=parts)


def _per_day(count: int, days: int) -> str:
    return f"{count / days:,.1f} a day over {days}d"  # 351,458.7: grouped as the counts are


def _of(part: int, whole: int, what: str) -> str:
    return f"{part:,} of {whole:,} {what}"


KPIS: tuple[Kpi, ...] = (
    Kpi(
        Metric.CREATED,
        "Created",
        Better.NEITHER,
        Kind.COUNT,
        lambda p, t, d: _per_day(p.created, d),
    ),
    Kpi(
        Metric.SOLVED,
        "Solved",
        Better.UP,
        Kind.COUNT,
        lambda p, t, d: _per_day(p.solved, d),
    ),
    Kpi(
        Metric.FIRST_RESPONSE,
        "First response",
        Better.DOWN,
        Kind.DURATION,
        lambda p, t, d: _p90(p, t, d, "first_response"),
    ),
    Kpi(
        Metric.RESOLUTION,
        "Resolution",
        Better.DOWN,
        Kind.DURATION,
        lambda p, t, d: _p90(p, t, d, "resolution"),
    ),
    Kpi(
        Metric.FCR,
        "First contact",
        Better.UP,
        Kind.RATE,
        lambda p, t, d: _of(p.fcr, p.solved, "solved"),
    ),
    Kpi(
        Metric.CSAT,
        "CSAT 4-5",
        Better.UP,
        Kind.RATE,
        lambda p, t, d: (
            f"mean {p.csat_mean:.1f} · {p.csat_responses:,} rated"
            if p.csat_mean is not None
            else f"{p.csat_responses:,} rated"
        ),
    ),
    Kpi(
        Metric.REPEAT,
        "Repeat contact",
        Better.DOWN,
        Kind.RATE,
        lambda p, t, d: _of(p.repeat, p.solved, "solved"),
    ),
    Kpi(
        Metric.FRT_COMPLIANCE,
        "Response in SLA",
        Better.UP,
        Kind.RATE,
        lambda p, t, d: _of(p.frt_met, p.first_response.count, "met"),
    ),
    Kpi(
        Metric.RESOLUTION_COMPLIANCE,
        "Resolved in SLA",
        Better.UP,
        Kind.RATE,
        lambda p, t, d: _of(p.resolution_met, p.solved, "met"),
    ),
    Kpi(
        Metric.MISSED,
        "SLA missed",
        Better.DOWN,
        Kind.COUNT,
        lambda p, t, d: f"of {p.created:,} created",
    ),
    Kpi(
        Metric.BREACHING,
        "Breaching now",
        Better.DOWN,
        Kind.COUNT,
        lambda p, t, d: (
            f"{p.breaching / p.backlog:.0%} of the backlog" if p.backlog else "no backlog"
        ),
        now=True,
    ),
    Kpi(
        Metric.BACKLOG,
        "Backlog now",
        Better.DOWN,
        Kind.COUNT,
        lambda p, t, d: f"{d}d in {p.created:,} · out {p.solved:,}",
        now=True,
    ),
)

GOOD = Style(color="green")
BAD = Style(color="red", bold=True)
NEUTRAL = Style(dim=True)


def duration(value: timedelta | None) -> str:
    """`1h20m`; rounded and marked `~` when a part was dropped (`~1d3h` for 1d2h40m)."""
    return "–" if value is None else rounded_duration(value, parts=2)


def show_value(kind: Kind, value: Value) -> str:
    """`1,204`, `78%`, `1h20m`; `–` where there is nothing to measure."""
    if value is None:
        return "–"
    if kind is Kind.RATE:
        assert isinstance(value, float)
        return f"{value:.0%}" if value in (0, 1) or 0.1 <= value <= 0.99 else f"{value:.1%}"
    if kind is Kind.DURATION:
        assert isinstance(value, timedelta)
        return duration(value)
    return f"{value:,}"


def trend(kpi: Kpi, current: Value, baseline: Value) -> Text:
    """`▲ 12m ✖`: the arrow says which way, the difference how far, and ✔ / ✖ whether that is
    better or worse for this figure (colour repeats it, never carries it alone).  `= same`
    when unchanged; `· no base` when either side has nothing to measure."""
    if current is None or baseline is None:
        return Text("· no base", style=NEUTRAL, no_wrap=True)
    if isinstance(current, timedelta) and isinstance(baseline, timedelta):
        seconds = (current - baseline).total_seconds()
        diff: float = seconds
        size = rounded_duration(timedelta(seconds=abs(seconds)), parts=1)
        same = abs(seconds) < 60
    elif kpi.kind is Kind.RATE:
        diff = float(current) - float(baseline)  # type: ignore[arg-type]
        points = abs(diff) * 100
        size = f"{points:.0f}pp" if points >= 9.5 else f"{points:.1f}pp"
        same = points < 0.05
    else:
        diff = float(current) - float(baseline)  # type: ignore[arg-type]
        size = f"{abs(int(diff)):,}"
        same = diff == 0
    if same:
        return Text("= same", style=NEUTRAL, no_wrap=True)
    up = diff > 0
    line = Text(no_wrap=True)
    if kpi.better is Better.NEITHER:
        line.append(f"{'▲' if up else '▼'} {size}", style=NEUTRAL)
        return line
    good = up == (kpi.better is Better.UP)
    line.append(f"{'▲' if up else '▼'} {size} {'✔' if good else '✖'}", style=GOOD if good else BAD)
    return line


# ---------------------------------------------------------------------- the days of a period


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    key: str  # the report's group key for this day (what drill_query takes)
    row: MetricRow | None  # None: nothing happened that day


def days_of(report: Report) -> list[Day]:
    """Every day of the report's period in order, with its row where the report has one."""
    rows: dict[date, MetricRow] = {}
    for row in report.rows:
        if row.key:
            try:
                rows[date.fromisoformat(row.key[:10])] = row
            except ValueError:
                continue
    first = report.period.since.astimezone(UTC).date()
    out = []
    for offset in range(report.period.day_count):
        day = first + timedelta(days=offset)
        found = rows.get(day)
        key = found.key if found is not None and found.key else day.isoformat()
        out.append(Day(day, key, found))
    return out


@dataclass(frozen=True, slots=True)
class Series:
    """One chart: a count per day (`values` line up with `days`)."""

    metric: Metric
    title: str
    days: tuple[Day, ...]
    values: tuple[int, ...]


def day_series(report: Report) -> tuple[Series, ...]:
    days = tuple(days_of(report))

    def values(read: Callable[[MetricRow], int]) -> tuple[int, ...]:
        return tuple(read(d.row) if d.row is not None else 0 for d in days)

    return (
        Series(Metric.CREATED, "Created per day", days, values(lambda r: r.created)),
        Series(Metric.SOLVED, "Solved per day", days, values(lambda r: r.solved)),
        Series(Metric.MISSED, "SLA missed per day", days, values(lambda r: r.missed)),
    )


# ---------------------------------------------------------------------- the backlog by age


def backlog_rows(cells: Sequence[BacklogCell]) -> list[tuple[str, str | None, dict[str, int]]]:
    """(tier, team, count per AGE_BUCKETS label) per tier and team, tiers in order."""
    table: dict[tuple[str, str | None], dict[str, int]] = {}
    for cell in cells:
        counts = table.setdefault((cell.tier, cell.team), dict.fromkeys(AGE_BUCKETS, 0))
        counts[cell.bucket] = counts.get(cell.bucket, 0) + cell.count
    return [(tier, team, counts) for (tier, team), counts in sorted(table.items(), key=_order)]


def _order(item: tuple[tuple[str, str | None], dict[str, int]]) -> tuple[str, bool, str]:
    (tier, team), _ = item
    return (tier, team is None, team or "")
