"""`csm report`: the service metrics of a period (see csm_console.domain.metrics), per group."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import typer

from csm_console.cli.output import check_format, emit_json, out, write_records
from csm_console.cli.state import state
from csm_console.domain.durations import format_duration, iso_utc, parse_duration
from csm_console.domain.metrics import GroupBy, MetricRow, Period, Report, Times
from csm_console.domain.text import sanitize
from csm_console.domain.ticket_record import EARLIEST_TIME, LATEST_TIME
from csm_console.errors import UsageError
from csm_console.services import clock, metrics

DEFAULT_DAYS = 30
FORMATS = ("table", "json", "csv")
# The CSV's columns, one per metric (seconds for times, 0..1 for rates), in this order
CSV_FIELDS = (
    "key",
    "created",
    "solved",
    "frt_count",
    "frt_median_seconds",
    "frt_p90_seconds",
    "resolution_count",
    "resolution_median_seconds",
    "resolution_p90_seconds",
    "fcr",
    "fcr_rate",
    "csat_responses",
    "csat_good",
    "csat_rate",
    "csat_mean",
    "repeat",
    "repeat_rate",
    "frt_met",
    "frt_compliance",
    "resolution_met",
    "resolution_compliance",
    "missed",
    "breaching",
    "backlog",
)


def report(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None,
        "--since",
        metavar="DATE",
        help=f"First day (UTC), YYYY-MM-DD. Default: {DEFAULT_DAYS} days up to --until.",
    ),
    until: str | None = typer.Option(
        None,
        "--until",
        metavar="DATE",
        help="Last day (UTC, included), YYYY-MM-DD. Default: today.",
    ),
    team: str | None = typer.Option(None, "--team", metavar="T", help="Only this team's tickets."),
    agent: str | None = typer.Option(
        None, "--agent", metavar="H", help="Only tickets assigned to this agent (me: you)."
    ),
    by: str | None = typer.Option(
        None,
        "--by",
        metavar="GROUP",
        help="One row per day, agent, team, category, channel or tier.",
    ),
    repeat_window: str = typer.Option(
        "7d",
        "--repeat-window",
        metavar="DURATION",
        help="How soon a new ticket counts as a repeat contact.",
    ),
    format: str = typer.Option("table", "--format", help="table, json or csv (one row per group)."),
) -> None:
    """The service metrics of a period: first response and resolution times (median, p90),
    FCR, CSAT, repeat contacts, SLA compliance, and the backlog now.  Every number is defined
    in the docs (docs/metrics.md); `csm tickets list --query` opens the tickets behind it."""
    check_format(format, FORMATS)
    group = None
    if by is not None:
        try:
            group = GroupBy(by.strip().lower())
        except ValueError:
            valid = ", ".join(g.value for g in GroupBy)
            raise UsageError(f"--by: unknown group {by!r}; valid: {valid}") from None
    now = clock.utcnow()  # looked up when called: a test sets the report's now
    try:
        last = _day(until, "--until") if until else now.date()
        first = _day(since, "--since") if since else last - timedelta(days=DEFAULT_DAYS - 1)
        period = Period.days(first, last)
        window = parse_duration(repeat_window)
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    if agent is not None and agent.strip().lower() == "me":
        agent = st.actor().handle
    result = metrics.report(
        st.store(),
        period=period,
        by=group,
        team=team,
        agent=agent,
        repeat_window=window,
        now=now,
    )
    if format == "json":
        emit_json(report_json(result))
    elif format == "csv":
        write_csv(result)
    else:
        print_table(result)


def _day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option}: a date like 2026-11-01, not {text[:40]!r}") from None
    if not EARLIEST_TIME.date() <= day <= LATEST_TIME.date():
        raise ValueError(
            f"{option}: {day} is out of range; dates lie between {EARLIEST_TIME.year} "
            f"and {LATEST_TIME.year}"
        )
    return day


# --- data forms ---------------------------------------------------------------------------------


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _times_json(times: Times) -> dict[str, Any]:
    return {
        "count": times.count,
        "median_seconds": _seconds(times.median),
        "p90_seconds": _seconds(times.p90),
    }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def row_json(row: MetricRow, *, has_now: bool = True) -> dict[str, Any]:
    """A row as JSON: counts, rates (0..1, None when nothing to divide by), times in seconds;
    `breaching` and `backlog` are null in day rows (a day has no "now")."""
    return {
        "key": row.key,
        "created": row.created,
        "solved": row.solved,
        "first_response": _times_json(row.first_response),
        "resolution": _times_json(row.resolution),
        "fcr": row.fcr,
        "fcr_rate": _rate(row.fcr_rate),
        "csat_responses": row.csat_responses,
        "csat_good": row.csat_good,
        "csat_rate": _rate(row.csat_rate),
        "csat_mean": None if row.csat_mean is None else round(row.csat_mean, 2),
        "repeat": row.repeat,
        "repeat_rate": _rate(row.repeat_rate),
        "frt_met": row.frt_met,
        "frt_compliance": _rate(row.frt_compliance),
        "resolution_met": row.resolution_met,
        "resolution_compliance": _rate(row.resolution_compliance),
        "missed": row.missed,
        "breaching": row.breaching if has_now else None,
        "backlog": row.backlog if has_now else None,
    }


def report_json(result: Report) -> dict[str, Any]:
    has_now = result.by is not GroupBy.DAY
    return {
        "since": result.period.first_day.isoformat(),
        "until": result.period.last_day.isoformat(),
        "by": result.by.value if result.by else None,
        "team": result.team,
        "agent": result.agent,
        "repeat_window_seconds": int(result.repeat_window.total_seconds()),
        "generated_at": iso_utc(result.generated_at),
        "times_approximate": result.times_approximate,
        "rows": [row_json(r, has_now=has_now) for r in result.rows],
        "total": row_json(result.total),
    }


def csv_record(row: MetricRow, *, has_now: bool = True) -> dict[str, Any]:
    data = row_json(row, has_now=has_now)
    flat = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for name, prefix in (("first_response", "frt"), ("resolution", "resolution")):
        times = data[name]
        flat[f"{prefix}_count"] = times["count"]
        flat[f"{prefix}_median_seconds"] = times["median_seconds"]
        flat[f"{prefix}_p90_seconds"] = times["p90_seconds"]
    return flat


def write_csv(result: Report) -> None:
    """One row per group (the total alone without --by), one column per metric."""
    has_now = result.by is not GroupBy.DAY
    rows = [csv_record(r, has_now=has_now) for r in result.rows] or [csv_record(result.total)]
    write_records(sys.stdout, rows, list(CSV_FIELDS), "csv")


# --- the table ----------------------------------------------------------------------------------


def _duration(value: timedelta | None) -> str:
    return "—" if value is None else format_duration(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


# (title, width) of the table's columns after the group's
_COLUMNS = (
    ("created", 7),
    ("solved", 6),
    ("FRT p50", 7),
    ("p90", 6),
    ("RES p50", 7),
    ("p90", 6),
    ("FCR", 4),
    ("CSAT", 4),
    ("repeat", 6),
    ("FRT sla", 7),
    ("RES sla", 7),
    ("missed", 6),
    ("breach", 6),
    ("backlog", 7),
)
MAX_KEY = 24


def print_table(result: Report) -> None:
    """Plain fixed-width lines (a team or handle is printed as text, never as markup)."""
    period = f"{result.period.first_day} .. {result.period.last_day} (UTC)"
    scope = "".join(
        part
        for part in (
            result.team and f", team {result.team}",
            result.agent and f", agent {result.agent}",
        )
        if part
    )
    out.print(f"Service metrics {period}{scope}", markup=False)
    if result.times_approximate:
        out.print(
            "(times from the daily summary: each median and p90 is exact to 1/64, never above)",
            markup=False,
        )
    if result.by is None:
        _print_summary(result)
        return
    has_now = result.by is not GroupBy.DAY
    keys = [_key(r.key) for r in (*result.rows, result.total)]
    width = max(len(result.by.value), *(len(k) for k in keys))
    header = [result.by.value.ljust(width)] + [t.rjust(w) for t, w in _COLUMNS]
    out.print(" ".join(header), markup=False)
    for key, row in zip(keys, (*result.rows, result.total), strict=True):
        now_cells = has_now or row is result.total
        cells = (
            str(row.created),
            str(row.solved),
            _duration(row.first_response.median),
            _duration(row.first_response.p90),
            _duration(row.resolution.median),
            _duration(row.resolution.p90),
            _percent(row.fcr_rate),
            _percent(row.csat_rate),
            _percent(row.repeat_rate),
            _percent(row.frt_compliance),
            _percent(row.resolution_compliance),
            str(row.missed),
            _count(row.breaching if now_cells else None),
            _count(row.backlog if now_cells else None),
        )
        line = [key.ljust(width)] + [c.rjust(w) for c, (_, w) in zip(cells, _COLUMNS, strict=True)]
        out.print(" ".join(line), markup=False)


def _key(key: str | None) -> str:
    shown = "(none)" if key is None else sanitize(key, single_line=True)
    return shown if len(shown) <= MAX_KEY else shown[: MAX_KEY - 1] + "…"


def _print_summary(result: Report) -> None:
    t = result.total
    window = format_duration(result.repeat_window)
    lines = (
        ("created", str(t.created)),
        ("solved", str(t.solved)),
        (
            "first response",
            f"median {_duration(t.first_response.median)}, p90 {_duration(t.first_response.p90)}"
            f" ({t.first_response.count} answered)",
        ),
        (
            "resolution",
            f"median {_duration(t.resolution.median)}, p90 {_duration(t.resolution.p90)}"
            " (less time pending)",
        ),
        ("FCR", f"{_percent(t.fcr_rate)} ({t.fcr} of {t.solved} solved)"),
        (
            "CSAT",
            f"{_percent(t.csat_rate)} rated 4-5, mean "
            f"{'—' if t.csat_mean is None else f'{t.csat_mean:.2f}'} ({t.csat_responses} ratings)",
        ),
        ("repeat contacts", f"{_percent(t.repeat_rate)} ({t.repeat} within {window})"),
        (
            "SLA first response",
            f"{_percent(t.frt_compliance)} met ({t.frt_met} of {t.first_response.count})",
        ),
        (
            "SLA resolution",
            f"{_percent(t.resolution_compliance)} met ({t.resolution_met} of {t.solved})",
        ),
        ("missed a target", f"{t.missed} of the created"),
        ("breaching now", str(t.breaching)),
        ("backlog now", str(t.backlog)),
    )
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        out.print(f"  {name:<{width}}  {value}", markup=False)
