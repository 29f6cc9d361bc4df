"""`csm report --by team` for 30 days on a 1,000,000-ticket store (the metrics issue's target:
<= 2 s on SQLite; PostgreSQL is reported too).

    python benchmarks/bench_report.py [--tickets 1000000] [--store PATH] [--runs 5]
                                      [--pg-url URL] [--smoke]

Times, as medians of --runs, interleaved so that machine noise spreads evenly:
- `csm report --by team` for the last 30 days of the store, as a real process (wall clock from
  spawn to exit), and the service call (`services.metrics.report`) alone in this process: read
  from the daily summary (`services.report_summary`), as every whole-day report is;
- the same service call with the last day of the period marked (`report_dirty_day`), as on a
  desk where tickets keep changing: the report first computes that day again from its tickets;
- the same service call counted from the tickets (`from_summary=False`): the report before the
  summary, the baseline of the summary's gain;
- the same for "an average month": 30 days that hold about a twelfth of a year's tickets (the
  generator skews ages recent, so its last 30 days hold over 40% of all its tickets, a desk
  five times busier than a million tickets a year);
- where the service's time goes: each of its statements, one after another;
- baselines from the same run: `SELECT 1`, `csm --version` and `csm tickets list --limit 20`
  as processes (what any command, and any command that reads the store, costs to start), and
  the cheapest statement over the period: `SELECT team_id, count(*) ... WHERE created_at in the
  period GROUP BY team_id`.

The SQLite store is generated once at --store (default: a file in the temp dir) and reused; the
period is counted back from its newest ticket, so a reused store measures the same days.  With
CSM_BENCH_POSTGRES_URL (a database to connect to) a scratch database is generated, vacuumed and
dropped; --pg-url measures an existing PostgreSQL store instead (its summary is brought up to
date by the first report).

It checks its own results (exit non-zero): for each period, the report's total of tickets
created equals a plain count of the tickets created in it, and the report read from the
summary equals the report counted from the tickets (its times truncated as the histogram
truncates them when it says they come from it).  `--smoke` (CI): 300 tickets in a
store in a temporary folder, one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.metrics import GroupBy, Period, Times
from csm_console.services import metrics, setup
from csm_console.services.report_summary import bucket_of
from csm_console.store.engine import Store
from csm_console.store.models import Ticket
from csm_console.store.tables import report_dirty_day

POSTGRES = os.environ.get("CSM_BENCH_POSTGRES_URL")
CSM = "import sys; sys.argv[0] = 'csm'; from csm_console.cli.main import run; run()"
DAYS = 30


def ensure_sqlite(path: Path, tickets: int) -> Store:
    store = Store(f"sqlite:///{path}")
    setup.initialize(store)
    have = setup.summarize(store).tickets
    if have < tickets:
        print(f"generating {tickets - have:,} tickets into {path} ...", file=sys.stderr)
        generate_tickets(store, count=tickets - have)
    return store


@contextmanager
def scratch_postgres(url: str, tickets: int) -> Iterator[Store]:
    base = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"csm_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(base.set(database=name))
    try:
        setup.initialize(store)
        print(f"generating {tickets:,} tickets into PostgreSQL {name} ...", file=sys.stderr)
        generate_tickets(store, count=tickets)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does soon after a bulk load
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def periods(store: Store, tickets: int) -> dict[str, Period]:
    """The last 30 days of the store, and 30 days holding about a twelfth of a year's tickets."""
    with store.read() as session:
        newest = session.execute(select(func.max(col(Ticket.created_at)))).scalar_one()
        last_day: date = newest.astimezone(UTC).date()
        latest = Period.days(last_day - timedelta(days=DAYS - 1), last_day)
        wanted = tickets * DAYS / 365
        average = latest
        for back in range(0, 330, 5):
            end = last_day - timedelta(days=back)
            candidate = Period.days(end - timedelta(days=DAYS - 1), end)
            created = session.execute(
                select(func.count()).where(
                    col(Ticket.created_at) >= candidate.since,
                    col(Ticket.created_at) < candidate.until,
                )
            ).scalar_one()
            if created <= wanted:
                average = candidate
                break
    return {"last 30 days": latest, "average month": average}


def created_in(store: Store, period: Period) -> int:
    with store.read() as session:
        return int(
            session.execute(
                select(func.count()).where(
                    col(Ticket.created_at) >= period.since, col(Ticket.created_at) < period.until
                )
            ).scalar_one()
        )


def process_seconds(url: str, *args: str) -> float:
    env = {**os.environ, "CSM_CONFIG_FILE": "", "CSM_AGENT": ""}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CSM, "--db", url, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"csm {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed


def baseline_seconds(store: Store, period: Period) -> float:
    statement = (
        select(col(Ticket.team_id), func.count())
        .where(col(Ticket.created_at) >= period.since, col(Ticket.created_at) < period.until)
        .group_by(col(Ticket.team_id))
    )
    started = time.perf_counter()
    with store.read() as session:
        session.execute(statement).all()
    return time.perf_counter() - started


def statement_seconds(store: Store, period: Period, **options: Any) -> dict[str, float]:
    """The report's statements, run one after another (PARALLEL = 1), by what they read."""
    spent: dict[str, float] = {}
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        for name, marker in (
            ("summary counts", "FROM report_count"),
            ("summary times", "FROM report_time"),
            ("summary marks", "report_dirty_day"),
            ("created", "ticket.created_at >="),
            ("first responses", "ticket.first_response_at >="),
            ("solved", "ticket.solved_at >="),
            ("open now", "ticket.status IN"),
        ):
            if marker in statement:
                took = time.perf_counter() - started[id(cursor)]
                spent[name] = spent.get(name, 0.0) + took
                return

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    parallel, metrics.PARALLEL = metrics.PARALLEL, 1
    try:
        metrics.report(store, period=period, by=GroupBy.TEAM, **options)
    finally:
        metrics.PARALLEL = parallel
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)
    return spent


def mark(store: Store, day: date) -> None:
    """A day of the period marked, as a ticket change marks it."""
    table = report_dirty_day
    with store.write() as session:
        session.execute(delete(table).where(table.c.day == day.isoformat()))
        session.execute(insert(table).values(day=day.isoformat(), marks=1))


def select_one_seconds(store: Store) -> float:
    with store.read() as session:
        started = time.perf_counter()
        session.execute(text("SELECT 1")).scalar_one()
        return time.perf_counter() - started


def check_summary(store: Store, windows: dict[str, Period]) -> None:
    """The report read from the summary against the report counted from the tickets."""
    now = datetime.now(UTC)
    for name, period in windows.items():
        kept = metrics.report(store, period=period, by=GroupBy.TEAM, now=now)
        counted = metrics.report(store, period=period, by=GroupBy.TEAM, now=now, from_summary=False)
        for got, want in zip([*kept.rows, kept.total], [*counted.rows, counted.total], strict=True):
            # a population's times are exact, or truncated when read from the histogram
            times_ok = all(
                getattr(got, t) in (getattr(want, t), _cut(getattr(want, t)))
                for t in ("first_response", "resolution")
            )
            same_counts = replace(
                got, first_response=want.first_response, resolution=want.resolution
            )
            if not times_ok or same_counts != want:
                raise SystemExit(
                    f"bench_report: {name}: the summary's report differs from the recount: "
                    f"{got} != {want}"
                )


def _cut(times: Times) -> Times:
    def cut(value: timedelta | None) -> timedelta | None:
        return None if value is None else timedelta(seconds=bucket_of(int(value.total_seconds())))

    return Times(times.count, cut(times.median), cut(times.p90))


def check_created(store: Store, windows: dict[str, Period]) -> None:
    """The report's own count against a plain count of the same tickets."""
    for name, period in windows.items():
        found = metrics.report(store, period=period, by=GroupBy.TEAM).total.created
        expected = created_in(store, period)
        if found != expected:
            raise SystemExit(
                f"bench_report: {name}: the report counts {found:,} tickets created, "
                f"the store holds {expected:,}"
            )


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.3f} s"


def measure(label: str, store: Store, url: str, tickets: int, runs: int) -> None:
    windows = periods(store, tickets)
    check_created(store, windows)
    check_summary(store, windows)
    print(f"\n{label}: {tickets:,} tickets")
    timings: dict[str, list[float]] = {}

    def add(name: str, fn: Callable[[], float]) -> None:
        timings.setdefault(name, []).append(fn())

    def service(period: Period, *, marked: bool = False, **options: Any) -> float:
        if marked:
            mark(store, period.last_day)
        started = time.perf_counter()
        metrics.report(store, period=period, by=GroupBy.TEAM, **options)
        return time.perf_counter() - started

    for _ in range(runs):
        add("SELECT 1", lambda: select_one_seconds(store))
        add("csm --version", lambda: process_seconds(url, "--version"))
        add(
            "csm tickets list --limit 20",
            lambda: process_seconds(url, "tickets", "list", "--limit", "20"),
        )
        for name, period in windows.items():
            cli = ("report", "--by", "team", "--since", str(period.first_day),
                   "--until", str(period.last_day))  # fmt: skip
            add(f"csm report --by team, {name}", lambda cli=cli: process_seconds(url, *cli))
            add(f"service, {name}", lambda p=period: service(p))
            add(f"service, last day marked, {name}", lambda p=period: service(p, marked=True))
            add(
                f"service from the tickets, {name}",
                lambda p=period: service(p, from_summary=False),
            )
            add(f"baseline SQL, {name}", lambda p=period: baseline_seconds(store, p))
    for name, period in windows.items():
        print(
            f"  {name}: {period.first_day} .. {period.last_day}, "
            f"{created_in(store, period):,} tickets created"
        )
    for name, values in timings.items():
        runs_text = " ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<44} median {median(values)}   runs: {runs_text}")
    for name, period in windows.items():
        mark(store, period.last_day)
        parts = statement_seconds(store, period)
        spread = ", ".join(f"{k} {v:.3f} s" for k, v in parts.items())
        print(f"  one after another, last day marked, {name}: {spread}")
        parts = statement_seconds(store, period, from_summary=False)
        spread = ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
        print(
            f"  one after another, from the tickets, {name}: {spread} "
            f"(sum {sum(parts.values()):.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "csm-bench-report.db"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg-url", help="an existing PostgreSQL store to measure instead")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="300 tickets, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="csm-bench-report-") as tmp:
            args.tickets, args.runs, args.store = 300, 1, Path(tmp) / "smoke.db"
            run(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    if not args.skip_sqlite:
        store = ensure_sqlite(args.store, args.tickets)
        measure("SQLite", store, f"sqlite:///{args.store}", args.tickets, args.runs)
        store.dispose()
    if args.pg_url:
        store = Store(args.pg_url)
        held = setup.summarize(store).tickets  # the store as it is, not --tickets
        measure("PostgreSQL", store, args.pg_url, held, args.runs)
        store.dispose()
    elif POSTGRES:
        with scratch_postgres(POSTGRES, args.tickets) as store:
            url = store.engine.url.render_as_string(hide_password=False)
            measure("PostgreSQL", store, url, args.tickets, args.runs)
    else:
        print("\nPostgreSQL skipped (set CSM_BENCH_POSTGRES_URL, or give --pg-url)")


if __name__ == "__main__":
    main()
