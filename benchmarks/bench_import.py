"""Benchmark `csm import tickets`: records per second for new tickets and for updates, against
`csm dev generate` of the same number of tickets in the same run, and peak memory.

    python benchmarks/bench_import.py [--sizes 20000,100000] [--runs 1] [--rss 1000000] [--smoke]
        [--before DIR]

For each size and store (SQLite always; PostgreSQL with CSM_BENCH_POSTGRES_URL), in a fresh
store holding the sample operation (its teams, agents, SLA policies and calendars):
- new: an NDJSON file of that many new records (a customer for every four records, half of
  them new to the store; tags; a team or an assignee on some; a fifth already solved) is
  imported through the service as `csm import tickets` calls it (the file read line by line);
- updates: the same file again with every record changed (subject, priority, a tag), so each
  record updates its ticket (version bump and an audit row per changed field);
- baseline: `generate_tickets` writing the same number of tickets into another fresh store.
After each import the script checks what it wrote (the counts, one audit row per change, the
audit chain verifying) and exits non-zero if anything is wrong.

`--before DIR` measures another copy of `csm_console` (e.g. `git archive main csm_console`
extracted in DIR) in the same run: each run measures this tree and then DIR's, one after the
other (ABAB), each in a fresh process with PYTHONPATH set to its tree, and prints the medians
of both and their ratio ("speed-up"), so the machine's load falls on both alike.

`--rss N` also imports N new records with `csm import tickets FILE` as a real process into a
fresh SQLite store, and reports its peak resident memory (VmHWM from /proc/self/status, read
by the process itself as it exits).  `--smoke` is a tiny run for CI (300 records, no RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

import csm_console
from csm_console.devtools.generate import generate_tickets
from csm_console.services import audit, setup
from csm_console.services.acting import resolve_actor
from csm_console.services.importing import import_tickets
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent, Ticket

POSTGRES = os.environ.get("CSM_BENCH_POSTGRES_URL")
TEAMS = ("Frontline", "Frontline RU", "Technical", "Billing Experts")
ASSIGNEES = ("janis", "laura", "olga", "sergey", "pavel")


@contextmanager
def fresh_store(kind: str, tmp: Path, *, sample: bool = True) -> Iterator[Store]:
    """A new migrated store of `kind` (with the sample operation), dropped afterwards."""
    if kind == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:6]}.db"
        store = Store(f"sqlite:///{path}")
        try:
            setup.initialize(store)
            if sample:
                setup.load_sample(store)
            yield store
        finally:
            store.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    assert POSTGRES
    base = make_url(POSTGRES).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"csm_bench_import_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(base.set(database=name))
    try:
        setup.initialize(store)
        if sample:
            setup.load_sample(store)
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def record(n: int, *, edited: bool = False) -> dict[str, object]:
    """Record `n` of the file; `edited`: the same ticket with subject, priority and tags changed."""
    item: dict[str, object] = {
        "external_id": f"BENCH-{n}",
        "subject": f"{'Re: ' if edited else ''}Invoice {n} was charged twice",
        "body": f"Hello, invoice {n} shows the same amount twice on my card. Please refund.",
        "customer_email": f"bench{n // 4}@example.com",
        "customer_name": f"Customer {n // 4}",
        "priority": ("low", "normal", "high", "urgent")[(n + edited) % 4],
        "tags": ["billing", f"batch{n % 7}"] + (["edited"] if edited else []),
        "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
    }
    if n % 5 == 0:
        item["status"] = "solved"
        item["solved_at"] = f"2026-11-{1 + n % 28:02d}T23:59:00Z"
    elif n % 3 == 0:
        item["assignee"] = ASSIGNEES[n % len(ASSIGNEES)]
    elif n % 3 == 1:
        item["team"] = TEAMS[n % len(TEAMS)]
    if n % 2:
        item["language"] = "en"
    return item


def write_file(path: Path, count: int, *, edited: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(json.dumps(record(n, edited=edited)) + "\n")
    return path


def timed_import(store: Store, path: Path) -> tuple[float, dict[str, int]]:
    actor = resolve_actor(store, "admin")
    started = time.perf_counter()
    with path.open("rb") as lines:
        result = import_tickets(store, actor=actor, lines=lines, source=path.name)
    seconds = time.perf_counter() - started
    counts = {a: result.count(a) for a in ("created", "updated", "unchanged")}
    result.close()
    return seconds, counts


def check(store: Store, failures: list[str], label: str, *, tickets: int, audit_rows: int) -> None:
    with store.read() as session:
        found = session.execute(
            select(func.count()).select_from(Ticket).where(Ticket.external_id.like("BENCH-%"))  # type: ignore[union-attr]
        ).scalar_one()
        rows = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.batch_id.like("import-%"))  # type: ignore[union-attr]
        ).scalar_one()
    if found != tickets:
        failures.append(f"{label}: {found} imported tickets, expected {tickets}")
    if rows != audit_rows:
        failures.append(f"{label}: {rows} import audit rows, expected {audit_rows}")
    verified = audit.verify(store, actor=None)
    if not verified.intact:
        failures.append(f"{label}: the audit chain breaks at {verified.broken}")


def measure(kind: str, count: int, tmp: Path, failures: list[str]) -> dict[str, float]:
    new_file = write_file(tmp / f"new-{count}.ndjson", count)
    edited_file = write_file(tmp / f"edited-{count}.ndjson", count, edited=True)
    with fresh_store(kind, tmp) as store:
        created_s, counts = timed_import(store, new_file)
        if counts["created"] != count:
            failures.append(f"{kind} {count}: created {counts}")
        check(store, failures, f"{kind} {count} new", tickets=count, audit_rows=count)
        updated_s, counts = timed_import(store, edited_file)
        if counts["updated"] != count:
            failures.append(f"{kind} {count}: updated {counts}")
        # each update changes subject, priority and tags: three audit rows
        check(store, failures, f"{kind} {count} updates", tickets=count, audit_rows=4 * count)
    with fresh_store(kind, tmp) as store:
        started = time.perf_counter()
        generate_tickets(store, count=count, seed=1)
        generate_s = time.perf_counter() - started
    return {"new": count / created_s, "updates": count / updated_s, "generate": count / generate_s}


RSS_SCRIPT = """
import atexit, sys
def report():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('PEAK ' + line.split()[1] + '\\n')
atexit.register(report)
from csm_console.cli.main import run
sys.argv = ['csm', *sys.argv[1:]]
run()
"""


def peak_rss(count: int, tmp: Path, failures: list[str]) -> tuple[float, float]:
    """(MB resident at peak, seconds) of `csm import tickets` of `count` new records."""
    path = write_file(tmp / f"rss-{count}.ndjson", count)
    db = tmp / "rss.db"
    store = Store(f"sqlite:///{db}")
    setup.initialize(store)
    setup.load_sample(store)
    store.dispose()
    env = {**os.environ, "CSM_AGENT": "admin", "CSM_DATABASE_URL": f"sqlite:///{db}"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, "import", "tickets", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peaks = [line for line in done.stderr.splitlines() if line.startswith("PEAK ")]
    if done.returncode != 0 or not peaks:
        failures.append(f"rss run failed ({done.returncode}): {done.stderr[-2000:]}")
        return 0.0, seconds
    created = len(done.stdout.split())
    if created != count:
        failures.append(f"rss run: {created} ids printed, expected {count}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    path.unlink()
    return int(peaks[-1].split()[1]) / 1024, seconds


def measured_in(tree: str, kind: str, size: int) -> dict[str, float]:
    """`measure` run by a fresh process that imports `csm_console` from `tree`."""
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run(
        [sys.executable, __file__, "--one", f"{kind}:{size}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run in {tree} failed:\n{done.stdout}{done.stderr[-3000:]}")
    rates: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return rates


def compare(kinds: list[str], sizes: list[int], runs: int, before: str) -> None:
    """This tree against `before`, interleaved run by run; medians and their ratios."""
    here = str(Path(__file__).resolve().parent.parent)
    print(
        f"{'store':<11} {'records':>8} {'tree':<7} {'new/s':>8} {'updates/s':>10}"
        f" {'generate/s':>11} {'new/gen':>8} {'upd/gen':>8}"
    )
    for kind in kinds:
        for size in sizes:
            got: dict[str, list[dict[str, float]]] = {"after": [], "before": []}
            for _ in range(runs):
                got["after"].append(measured_in(here, kind, size))
                got["before"].append(measured_in(before, kind, size))
            medians = {}
            for tree, rates in got.items():
                m = {k: statistics.median(r[k] for r in rates) for k in ("new", "updates")}
                # each run's ratio to its own generate, then the median of those
                for k in ("new", "updates"):
                    m[f"{k}/gen"] = statistics.median(r[k] / r["generate"] for r in rates)
                m["generate"] = statistics.median(r["generate"] for r in rates)
                medians[tree] = m
                print(
                    f"{kind:<11} {size:>8,} {tree:<7} {m['new']:>8,.0f} {m['updates']:>10,.0f}"
                    f" {m['generate']:>11,.0f} {m['new/gen']:>8.3f} {m['updates/gen']:>8.3f}"
                )
            a, b = medians["after"], medians["before"]
            new, updates = (a[f"{k}/gen"] / b[f"{k}/gen"] for k in ("new", "updates"))
            print(
                f"{kind:<11} {size:>8,} speed-up (ratio to generate): new {new:.2f}x, "
                f"updates {updates:.2f}x"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (the median is shown)")
    parser.add_argument("--rss", type=int, default=0, help="also measure peak RSS for N records")
    parser.add_argument("--smoke", action="store_true", help="a tiny run with its checks (CI)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--before", help="also measure the csm_console in this folder (ABAB)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # KIND:SIZE, one run as JSON
    args = parser.parse_args()
    if args.one:
        tree = Path(os.environ["PYTHONPATH"]).resolve()
        assert Path(csm_console.__file__).resolve().is_relative_to(tree), csm_console.__file__
        kind, size = args.one.split(":")
        one_failures: list[str] = []
        with tempfile.TemporaryDirectory() as name:
            one_rates = measure(kind, int(size), Path(name), one_failures)
        for failure in one_failures:
            print(f"FAILED: {failure}", file=sys.stderr)
        print(json.dumps(one_rates))
        return 1 if one_failures else 0
    sizes = [300] if args.smoke else [int(s) for s in args.sizes.split(",")]
    runs = 1 if args.smoke else args.runs
    kinds = ["sqlite"] + (["postgresql"] if POSTGRES and not args.no_postgres else [])
    failures: list[str] = []
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    if args.before and not args.smoke:
        compare(kinds, sizes, runs, args.before)
        return 0
    print(
        f"{'store':<11} {'records':>8} {'new/s':>8} {'updates/s':>10} {'generate/s':>11}"
        f" {'new/generate':>13}"
    )
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for kind in kinds:
            for size in sizes:
                rates = [measure(kind, size, tmp, failures) for _ in range(runs)]
                new = statistics.median(r["new"] for r in rates)
                updates = statistics.median(r["updates"] for r in rates)
                generate = statistics.median(r["generate"] for r in rates)
                print(
                    f"{kind:<11} {size:>8,} {new:>8,.0f} {updates:>10,.0f} {generate:>11,.0f}"
                    f" {generate / new:>12.1f}x"
                )
        if args.rss and not args.smoke:
            mb, seconds = peak_rss(args.rss, tmp, failures)
            print(
                f"csm import tickets, {args.rss:,} new records (SQLite, a real process): "
                f"peak RSS {mb:.0f} MB, {seconds:.0f} s ({args.rss / seconds:,.0f} records/s)"
            )
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
