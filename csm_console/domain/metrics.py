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

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

REPEAT_WINDOW = timedelta(days=7)
AGE_BUCKETS = ("<1d", "1-3d", "3-7d", ">=7d")


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

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From the start of `first` to the end of `last` (inclusive), UTC."""
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        since = datetime.combine(first, time(0), tzinfo=UTC)
        return cls(since, datetime.combine(last, time(0), tzinfo=UTC) + timedelta(days=1))

    @classmethod
    def ending_today(cls, days: int, now: datetime) -> Period:
        """The last `days` UTC days, today included."""
        today = now.astimezone(UTC).date()
        return cls.days(today - timedelta(days=days - 1), today)

    def previous(self) -> Period:
        """The period of the same length just before this one (a trend's baseline)."""
        return Period(self.since - (self.until - self.since), self.since)

    @property
    def day_count(self) -> int:
        return (self.until - self.since).days


@dataclass(frozen=True, slots=True)
class Times:
    """A duration metric over a population: nearest-rank median and p90."""

    count: int
    median: timedelta | None
    p90: timedelta | None


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


@dataclass(frozen=True, slots=True)
class BacklogCell:
    """Active tickets now, by tier, team and age bucket (AGE_BUCKETS)."""

    tier: str
    team: str | None
    bucket: str
    count: int
