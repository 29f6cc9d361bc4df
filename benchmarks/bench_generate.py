"""Benchmark `csm dev generate`: tickets per second into a fresh store.

    python benchmarks/bench_generate.py [TICKETS] [--repeat R] [--seed S] [--smoke]

Each run creates a fresh SQLite store in a temporary directory, generates TICKETS tickets
(default 1,000,000) and times `generate_tickets` alone; the script prints the median of R runs
(default 3).  With CSM_BENCH_POSTGRES_URL set (a database to connect to, e.g.
postgresql://postgres@127.0.0.1:5432/postgres) it does the same on PostgreSQL, each run in a
scratch database it creates and drops.

So that the figure can be quoted independently of the machine, the script also times a
baseline in the same run: a plain `executemany` of TICKETS minimal rows (an integer key and a
short text) into a one-table SQLite file, in one transaction.  The ratio says how many such
trivial inserts one generated ticket (with its thread of messages, tags and indexes) costs.

Every run checks that the store then holds exactly TICKETS tickets (and exits non-zero if
not).  `--smoke` (CI): 300 tickets, one run per store.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from csm_console.devtools.generate import generate_tickets
from csm_console.services.setup import initialize, summarize
from csm_console.store.engine import Store


def time_baseline(directory: Path, count: int) -> float:
    """Seconds for a plain executemany of `count` minimal rows into a one-table SQLite file."""
    path = directory / "baseline.db"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        rows = [(n, "item") for n in range(1, count + 1)]
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO item (id, name) VALUES (?, ?)", rows)
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def time_generate(store: Store, count: int, seed: int) -> tuple[float, str]:
    initialize(store)
    started = time.perf_counter()
    result = generate_tickets(store, count=count, seed=seed)
    elapsed = time.perf_counter() - started
    held = summarize(store).tickets
    store.dispose()
    if held != count or result.tickets != count:
        raise SystemExit(
            f"bench_generate: asked for {count:,} tickets; generate said {result.tickets:,} "
            f"and the store holds {held:,}"
        )
    return elapsed, f"{result.messages:,} messages, {result.tags:,} tags"


def sqlite_run(count: int, seed: int) -> tuple[float, float, str]:
    """(generate seconds, baseline seconds, what was made) on a fresh SQLite store."""
    with tempfile.TemporaryDirectory(prefix="csm-bench-") as tmp:
        directory = Path(tmp)
        store = Store(f"sqlite:///{directory / 'store.db'}")
        elapsed, made = time_generate(store, count, seed)
        return elapsed, time_baseline(directory, count), made


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A scratch database next to the one `url` names (created, then dropped)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql")
    name = f"csm_bench_{uuid.uuid4().hex[:12]}"
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_run(url: str, count: int, seed: int) -> tuple[float, str]:
    with scratch_postgres(url) as scratch:
        return time_generate(Store(scratch), count, seed)


def report(label: str, count: int, times: list[float], baseline: float | None = None) -> None:
    median = statistics.median(times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    line = (
        f"{label:<11} {count:>10,} tickets  median {median:7.2f} s"
        f"  {count / median:>9,.0f} tickets/s"
    )
    if baseline is not None:
        line += f"  ({median / baseline:.1f}× the baseline)"
    print(f"{line}   runs: {runs}")


def repeat(runs: int, label: str, run: Callable[[], tuple[float, str]]) -> list[float]:
    times = []
    for n in range(runs):
        elapsed, made = run()
        print(f"  {label} run {n + 1}/{runs}: {elapsed:.2f} s ({made})", file=sys.stderr)
        times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--repeat", "-r", type=int, default=3, help="runs per store (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="300 tickets, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.repeat = 300, 1
    count: int = args.tickets

    print(
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}"
    )
    sqlite_times: list[float] = []
    baselines: list[float] = []

    def sqlite_once() -> tuple[float, str]:
        elapsed, baseline, made = sqlite_run(count, args.seed)
        baselines.append(baseline)
        return elapsed, made

    sqlite_times = repeat(args.repeat, "sqlite", sqlite_once)
    baseline = statistics.median(baselines)
    print(
        f"baseline    {count:>10,} rows     median {baseline:7.2f} s  {count / baseline:>9,.0f}"
        " rows/s  (plain executemany of (id, text) rows into a one-table SQLite file)"
    )
    report("sqlite", count, sqlite_times, baseline)

    url = os.environ.get("CSM_BENCH_POSTGRES_URL")
    if url:
        times = repeat(args.repeat, "postgres", lambda: postgres_run(url, count, args.seed))
        report("postgresql", count, times, baseline)
    else:
        print("postgresql  skipped (set CSM_BENCH_POSTGRES_URL to a database to connect to)")


if __name__ == "__main__":
    main()
