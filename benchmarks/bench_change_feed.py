"""What a console's change feed costs the PostgreSQL server: one poll of the change counter
(`store.change_feed.MARK_SQL`), as the feed sends it on its own connection.

    python benchmarks/bench_change_feed.py [--polls 10000] [--extra-rows 0] [--runs 3] [--smoke]

For a fresh, migrated scratch database (CSM_BENCH_POSTGRES_URL's server): the server backend's
CPU time per poll (its /proc/PID/stat, so the server must run on this machine), the round trip
a poll takes as the client sees it, and the statement's own execution time (`EXPLAIN ANALYZE`).
`--extra-rows N` adds N backends' own rows (16 + pid: writers that found all 16 shards held).
The counter's rows are first bumped as claimers would (dead row versions included), so the
poll reads a table that has been written; the sum the poll reads must be what was written.
`--smoke`: 200 polls, one run (CI).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import POSTGRES, scratch_database

from csm_console.services import setup
from csm_console.store.change_feed import MARK_SQL, POLL_SECONDS, SHARDS
from csm_console.store.engine import Store

TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) the server backend `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--polls", type=int, default=10_000)
    parser.add_argument("--extra-rows", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="200 polls, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.polls, args.runs = 200, 1
    if not POSTGRES:
        if args.smoke:
            print("change feed poll: PostgreSQL only, CSM_BENCH_POSTGRES_URL not set: skipped")
            return
        raise SystemExit("set CSM_BENCH_POSTGRES_URL")
    with scratch_database() as url:
        store = Store(url)
        setup.initialize(store)
        store.dispose()
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as owner:
            owner.execute(
                "INSERT INTO change_mark (shard, version) SELECT %s + g, 1 "
                "FROM generate_series(1, %s) AS g",
                (SHARDS, args.extra_rows),
            )
            for shard in range(SHARDS):  # written as claimers write it
                for _ in range(20):
                    owner.execute(
                        "UPDATE change_mark SET version = version + 1 WHERE shard = %s", (shard,)
                    )
        with psycopg.connect(dsn, autocommit=True, application_name="csm-feed") as feed:
            pid = int(feed.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
            for _ in range(100):  # warm: psycopg prepares the statement after a few runs
                seen = feed.execute(MARK_SQL).fetchone()
            written = SHARDS * 20 + args.extra_rows  # the bumps above, all committed
            if seen is None or int(seen[0]) != written:
                raise SystemExit(f"the poll read {seen}, the counter was written to {written}")
            cpu_us, trip_us = [], []
            for _ in range(args.runs):
                cpu, started = _backend_cpu(pid), time.perf_counter()
                for _ in range(args.polls):
                    feed.execute(MARK_SQL).fetchone()
                trip = time.perf_counter() - started
                cpu_us.append((_backend_cpu(pid) - cpu) / args.polls * 1e6)
                trip_us.append(trip / args.polls * 1e6)
            plans = []
            for _ in range(200):
                plan = feed.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {MARK_SQL}").fetchone()
                assert plan is not None
                plans.append(float(plan[0][0]["Execution Time"]) * 1000)
        rows = SHARDS + args.extra_rows
        loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        cpu = statistics.median(cpu_us)
        print(
            f"change feed poll, {rows} counter rows, {args.polls} polls x {args.runs}: server "
            f"backend CPU {cpu:.1f} µs a poll (runs: {', '.join(f'{c:.1f}' for c in cpu_us)}); "
            f"round trip {statistics.median(trip_us):.0f} µs; EXPLAIN ANALYZE execution "
            f"{statistics.median(plans):.1f} µs (median of 200); load {loadavg}"
        )
        polls = 100 / POLL_SECONDS  # 100 consoles, a poll each every POLL_SECONDS
        print(
            f"  100 consoles polling every {POLL_SECONDS} s: {polls:.0f} polls/s, "
            f"{polls * cpu / 1e4:.2f} % of one server core"
        )


if __name__ == "__main__":
    main()
