"""The service metrics, defined once: what each number counts, as plain data.

THE CONTRACT (the console's dashboard, `csm report` and the README all read these names;
`csm_console/services/metrics.py` computes them in SQL, one aggregate query per population with
GROUP BY in the database, never by loading tickets into Python):

- a report covers a `Period`, half-open [since, until) in UTC, whole UTC days;
- `created`: tickets with created_at in the period;
- `solved`: solved_at in the period (solved or closed, not reopened since);
- `first_response`: tickets first answered in the period (first_response_at); the value is
  COALESCE(first_response_seconds, wall seconds first_response_at - created_at): working time
  where the team has a business-hours calendar;
- `resolution`: solved in the period; COALESCE(resolution_seconds,
  wall seconds solved_at - created_at - paused_seconds): time in `pending` does not count;
- medians and p90 are nearest-rank: the value at rank ceil(p * n) of the sorted values;
- `fcr`: of the solved, those with exactly one public agent reply (message author_kind 'agent',
  not internal) and reopen_count = 0;
- CSAT: of the solved, `csat_responses` rated ones, `csat_good` rated 4 or 5, and the mean;
- `repeat`: of the solved, those whose customer opened another ticket in the same category
  (no category matches no category) with created_at in (solved_at, solved_at + window];
- `frt_met`: of the first-answered, first_response_at <= first_response_due;
- `resolution_met`: of the solved, solved_at <= resolution_due;
- `missed`: created in the period and missed a target (the query term `sla:missed`);
- `breaching` and `backlog` are "now", not bound to the period: active tickets whose running
  clock is overdue (`sla:breached`), and active tickets (status new, open, pending, on_hold).

`drill_query` turns any number back into the query-language text that selects exactly the
tickets behind it (for a rate: the numerator's tickets, except compliance, which opens the
misses):

    CREATED                 created:>=S created:<U
    SOLVED, RESOLUTION      solved:>=S solved:<U
    FIRST_RESPONSE          responded:>=S responded:<U
    FCR                     solved:... fcr:yes
    CSAT                    solved:... csat:>=1
    REPEAT                  solved:... repeat:7d
    FRT_COMPLIANCE          responded:... frt:missed
    RESOLUTION_COMPLIANCE   solved:... resolution:missed
    MISSED                  created:... sla:missed
    BREACHING               sla:breached
    BACKLOG                 status:new,open,pending,on_hold

plus the group (`assignee:olga` / `assignee:none`, `team:"Second line"`, `category:billing` /
`category:none`, `channel:email`, `tier:L2`; for DAY the population's own time field narrowed
to that day) and the report's filters (team, agent).  Dates in queries are UTC days.

Query-language terms these need (domain/query.py, store/ticket_query.py):
- `solved:` and `responded:` time fields like `created:` (solved_at, first_response_at);
- `frt:met|missed`: met = first_response_at <= first_response_due; missed = answered late, or
  not answered, active, and first_response_due < now;
- `resolution:met|missed`: met = solved_at <= resolution_due; missed = solved late, or active,
  not paused (paused_since IS NULL) and resolution_due < now;
- `sla:missed`: frt:missed or resolution:missed;
- `fcr:yes|no`: yes as `fcr` above; no = solved and not yes;
- `csat:` compared like priority: `csat:>=4`, `csat:4,5`, `csat:none`;
- `repeat:DURATION` (`repeat:7d`): solved, with a repeat contact within that window.

services/metrics.py provides:

    def report(store, *, period, by=None, team=None, agent=None,
               repeat_window=REPEAT_WINDOW, now=None) -> Report
    def backlog(store, *, team=None, agent=None, now=None) -> tuple[BacklogCell, ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from csm_console.domain.durations import format_duration

REPEAT_WINDOW = timedelta(days=7)
AGE_BUCKETS = ("<1d", "1-3d", "3-7d", ">=7d")
# the lower bound of each bucket's age, in days (the last bucket has no upper bound)
AGE_BUCKET_DAYS = (0, 1, 3, 7)
TOTAL_KEY = "all"
ACTIVE_STATUS_TEXT = "new,open,pending,on_hold"


class GroupBy(StrEnum):
    DAY = "day"
    AGENT = "agent"
    TEAM = "team"
    CATEGORY = "category"
    CHANNEL = "channel"
    TIER = "tier"


class Metric(StrEnum):
    CREATED = "created"
    SOLVED = "solved"
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    FCR = "fcr"
    CSAT = "csat"
    REPEAT = "repeat"
    FRT_COMPLIANCE = "frt_compliance"
    RESOLUTION_COMPLIANCE = "resolution_compliance"
    MISSED = "missed"
    BREACHING = "breaching"
    BACKLOG = "backlog"


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open [since, until) in UTC, whole UTC days."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("a period is made of aware (UTC) times")
        if self.until <= self.since:
            raise ValueError("a period ends after it starts")

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From the start of `first` to the end of `last` (inclusive), UTC."""
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        return cls(_midnight(first), _midnight(last) + timedelta(days=1))

    @classmethod
    def ending_today(cls, days: int, now: datetime) -> Period:
        """The last `days` UTC days, today included."""
        if days < 1:
            raise ValueError("a period is at least one day")
        today = now.astimezone(UTC).date()
        return cls.days(today - timedelta(days=days - 1), today)

    def previous(self) -> Period:
        """The period of the same length just before this one (a trend's baseline)."""
        return Period(self.since - (self.until - self.since), self.since)

    @property
    def day_count(self) -> int:
        return (self.until - self.since).days

    @property
    def first_day(self) -> date:
        return self.since.astimezone(UTC).date()

    @property
    def last_day(self) -> date:
        """The last UTC day the period touches (the CLI's --until)."""
        return (self.until - timedelta(microseconds=1)).astimezone(UTC).date()

    def day_keys(self) -> list[str]:
        """Every UTC day of the period, as the rows of a `by=day` report are keyed."""
        first = self.first_day
        return [
            (first + timedelta(days=n)).isoformat() for n in range((self.last_day - first).days + 1)
        ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Times:
    """A duration metric over a population: nearest-rank median and p90."""

    count: int
    median: timedelta | None
    p90: timedelta | None


NO_TIMES = Times(0, None, None)


def rank_of(tenths: int, n: int) -> int:
    """The nearest rank (1-based) of the `tenths`/10 quantile of `n` values, ceil(tenths*n/10),
    in integers so that SQL computes the very same rank."""
    return (tenths * n + 9) // 10


def times_of(seconds: Sequence[int | float]) -> Times:
    """`Times` of plain values: the definition that the SQL reproduces (tests check it)."""
    ordered = sorted(seconds)
    n = len(ordered)
    if not n:
        return NO_TIMES
    return Times(
        n,
        timedelta(seconds=ordered[rank_of(5, n) - 1]),
        timedelta(seconds=ordered[rank_of(9, n) - 1]),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One group of a report (`key` as shown; None = not set; the total row's key is "all")."""

    key: str | None
    created: int
    solved: int
    first_response: Times
    resolution: Times
    fcr: int
    csat_responses: int
    csat_good: int
    csat_mean: float | None
    repeat: int
    frt_met: int
    resolution_met: int
    missed: int
    # "now" (not bound to the period): 0 in `by=day` rows, where a day has no "now"
    breaching: int
    backlog: int

    @property
    def fcr_rate(self) -> float | None:
        return _share(self.fcr, self.solved)

    @property
    def csat_rate(self) -> float | None:
        return _share(self.csat_good, self.csat_responses)

    @property
    def repeat_rate(self) -> float | None:
        return _share(self.repeat, self.solved)

    @property
    def frt_compliance(self) -> float | None:
        return _share(self.frt_met, self.first_response.count)

    @property
    def resolution_compliance(self) -> float | None:
        return _share(self.resolution_met, self.solved)

    def value(self, metric: Metric) -> int | float | timedelta | None:
        """The headline number of `metric` in this row: a count, a rate or a median."""
        return {
            Metric.CREATED: self.created,
            Metric.SOLVED: self.solved,
            Metric.FIRST_RESPONSE: self.first_response.median,
            Metric.RESOLUTION: self.resolution.median,
            Metric.FCR: self.fcr_rate,
            Metric.CSAT: self.csat_rate,
            Metric.REPEAT: self.repeat_rate,
            Metric.FRT_COMPLIANCE: self.frt_compliance,
            Metric.RESOLUTION_COMPLIANCE: self.resolution_compliance,
            Metric.MISSED: self.missed,
            Metric.BREACHING: self.breaching,
            Metric.BACKLOG: self.backlog,
        }[metric]


def empty_row(key: str | None) -> MetricRow:
    """A group with no tickets."""
    return MetricRow(key, 0, 0, NO_TIMES, NO_TIMES, 0, 0, 0, None, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    by: GroupBy | None
    rows: tuple[MetricRow, ...]  # by key: days ascending, others by name, not-set last
    total: MetricRow
    repeat_window: timedelta
    team: str | None
    agent: str | None
    generated_at: datetime
    # the medians and p90 come from the summary's histogram: each is the true value truncated
    # to 7 binary digits (exact below 128 s, else less than 1/64 below it); counts stay exact
    times_approximate: bool = False


@dataclass(frozen=True, slots=True)
class BacklogCell:
    """Active tickets now, by tier, team and age bucket (AGE_BUCKETS)."""

    tier: str
    team: str | None
    bucket: str
    count: int


# ---------------------------------------------------------------------------------------------
# Drill-down: the query-language text behind a number

# The time field whose period picks each metric's tickets (None: the tickets open now)
POPULATION_FIELD: dict[Metric, str | None] = {
    Metric.CREATED: "created",
    Metric.SOLVED: "solved",
    Metric.FIRST_RESPONSE: "responded",
    Metric.RESOLUTION: "solved",
    Metric.FCR: "solved",
    Metric.CSAT: "solved",
    Metric.REPEAT: "solved",
    Metric.FRT_COMPLIANCE: "responded",
    Metric.RESOLUTION_COMPLIANCE: "solved",
    Metric.MISSED: "created",
    Metric.BREACHING: None,
    Metric.BACKLOG: None,
}
_GROUP_FIELD = {
    GroupBy.AGENT: "assignee",
    GroupBy.TEAM: "team",
    GroupBy.CATEGORY: "category",
    GroupBy.CHANNEL: "channel",
    GroupBy.TIER: "tier",
}


def quote_value(value: str) -> str:
    """A query-language value, quoted when it holds a space, a comma or a quote
    (`team:"Second line"`, `team:'Ops "North"'`): a quoted value is one value."""
    if not value or any(ch.isspace() or ch in ",\"'" for ch in value):
        return f"'{value}'" if '"' in value else f'"{value}"'
    return value


def _bound(at: datetime) -> str:
    at = at.astimezone(UTC)
    if at.time() == time(0):
        return at.date().isoformat()
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def time_terms(field: str, since: datetime, until: datetime) -> str:
    """`field:>=SINCE field:<UNTIL` (plain dates when the bounds are UTC midnights)."""
    return f"{field}:>={_bound(since)} {field}:<{_bound(until)}"


def group_term(by: GroupBy, key: str | None) -> str:
    """The term that narrows to one group (not for DAY: a day narrows the time field)."""
    field = _GROUP_FIELD[by]
    if key is None:
        if by not in (GroupBy.AGENT, GroupBy.TEAM, GroupBy.CATEGORY):
            raise ValueError(f"every ticket has a {by.value}")
        return f"{field}:none"
    return f"{field}:{quote_value(key)}"


def drill_query(
    metric: Metric,
    *,
    period: Period,
    by: GroupBy | None = None,
    key: str | None = None,
    team: str | None = None,
    agent: str | None = None,
    repeat_window: timedelta = REPEAT_WINDOW,
) -> str:
    """The query-language text that selects exactly the tickets behind `metric` in the group
    `by` = `key` of a report with these filters (see the table at the top)."""
    field = POPULATION_FIELD[metric]
    parts: list[str] = []
    if field is not None:
        since, until = period.since, period.until
        if by is GroupBy.DAY:
            if key is None:
                raise ValueError("a day row always has a day")
            start = _midnight(date.fromisoformat(key))
            since, until = max(since, start), min(until, start + timedelta(days=1))
        parts.append(time_terms(field, since, until))
    extra = {
        Metric.FCR: "fcr:yes",
        Metric.CSAT: "csat:>=1",
        Metric.REPEAT: f"repeat:{format_duration(repeat_window, parts=3)}",
        Metric.FRT_COMPLIANCE: "frt:missed",
        Metric.RESOLUTION_COMPLIANCE: "resolution:missed",
        Metric.MISSED: "sla:missed",
        Metric.BREACHING: "sla:breached",
        Metric.BACKLOG: f"status:{ACTIVE_STATUS_TEXT}",
    }.get(metric)
    if extra:
        parts.append(extra)
    if by is not None and by is not GroupBy.DAY:
        parts.append(group_term(by, key))
    if team is not None:
        parts.append(f"team:{quote_value(team)}")
    if agent is not None:
        parts.append(f"assignee:{quote_value(agent)}")
    return " ".join(parts)


def age_terms(bucket: str) -> str:
    """An age bucket (AGE_BUCKETS) in the query language: `created:>=1d created:<3d`."""
    index = AGE_BUCKETS.index(bucket)
    low = AGE_BUCKET_DAYS[index]
    high = AGE_BUCKET_DAYS[index + 1] if index + 1 < len(AGE_BUCKET_DAYS) else None
    terms = [f"created:>={low}d"] if low else []
    if high is not None:
        terms.append(f"created:<{high}d")
    return " ".join(terms)


def backlog_drill_query(
    period: Period,
    *,
    tier: str | None,
    team: str | None,
    bucket: str | None,
    team_filter: str | None = None,
) -> str:
    """The query behind a cell of the backlog (BacklogCell: tier, team, age bucket).  No tier
    is the total row: every backlog ticket under the report's team filter; no bucket, every
    age."""
    if tier is None:
        parts = [drill_query(Metric.BACKLOG, period=period, team=team_filter)]
    else:
        parts = [
            drill_query(Metric.BACKLOG, period=period, by=GroupBy.TIER, key=tier),
            group_term(GroupBy.TEAM, team),
        ]
    if bucket is not None:
        parts.append(age_terms(bucket))
    return " ".join(parts)
