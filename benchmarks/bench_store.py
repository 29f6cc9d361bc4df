"""Store benchmarks: sample load time, take-next claims/s, queue page reads at scale.

    python benchmarks/bench_store.py sample [--runs 5]
    python benchmarks/bench_store.py claims [--tickets 20000] [--processes 8] [--smoke]
        [--before DIR]  (DIR holds an older csm_console: its take_next runs in the same run)
    python benchmarks/bench_store.py queue [--tickets 1000000] [--runs 50]

Set CSM_BENCH_POSTGRES_URL to measure PostgreSQL too (scratch databases are created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.model import Role
from csm_console.domain.query import Sort, parse_query
from csm_console.errors import QueueEmpty
from csm_console.services import audit, setup, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, Team, Ticket

POSTGRES = os.environ.get("CSM_BENCH_POSTGRES_URL")


def scratch_stores(only: str | None = None) -> Iterator[tuple[str, Store]]:
    """A fresh, migrated store of each available kind, or of `only` that kind (dropped when
    the loop moves on)."""
    if only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            setup.initialize(store)
            yield "sqlite", store
            store.dispose()
    if POSTGRES and only in (None, "postgresql"):
        with scratch_database() as url:
            store = Store(url)
            try:
                setup.initialize(store)
                yield "postgresql", store
            finally:
                store.dispose()


@contextmanager
def scratch_database(template: str | None = None) -> Iterator[str]:
    """The URL of a new PostgreSQL database on CSM_BENCH_POSTGRES_URL's server, empty or a copy
    of the database at URL `template` (no one may be connected to it), dropped on exit,
    whoever is still connected."""
    assert POSTGRES
    base = make_url(POSTGRES).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"{os.environ.get('CSM_BENCH_DB_PREFIX', 'csm_bench')}_{uuid.uuid4().hex[:8]}"
    copied = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# ------------------------------------------------------------------------------------- sample


def bench_sample(runs: int) -> None:
    timings: dict[str, list[float]] = {}
    baseline: dict[str, list[float]] = {}
    counts: dict[str, tuple[int, ...]] = {}
    for _ in range(runs):
        for kind, store in scratch_stores():
            started = time.perf_counter()
            summary = setup.load_sample(store)
            timings.setdefault(kind, []).append(time.perf_counter() - started)
            started = time.perf_counter()
            setup.summarize(store)
            baseline.setdefault(kind, []).append(time.perf_counter() - started)
            counts[kind] = (summary.tickets, summary.messages, summary.articles, summary.templates)
    for kind, values in timings.items():
        load, base = statistics.median(values), statistics.median(baseline[kind])
        print(
            f"sample load [{kind}]: median {ms(load)} over {runs} runs (tickets, messages, "
            f"articles, templates = {counts[kind]}); baseline: counting the loaded store "
            f"{ms(base)} -> ratio {load / base:.0f}x"
        )


# ------------------------------------------------------------------------------------- claims


def _seed_unassigned(store: Store, count: int, agents: int) -> list[str]:
    now = datetime.now(UTC)
    handles = [f"bench{n}" for n in range(agents)]
    with store.write() as session:
        team = Team(name="Bench", tier="L1")
        session.add(team)
        session.add(
            Customer(
                name="Bench",
                email="bench@example.com",
                language="en",
                preferred_channel="email",
                segment="standard",
                lookup="bench",
            )
        )
        session.flush()
        customer_id = session.execute(select(Customer.id)).scalar_one()
        for handle in handles:
            session.add(
                Agent(
                    handle=handle,
                    name=handle,
                    email=f"{handle}@example.com",
                    role=Role.OPERATOR.value,
                    tier="L1",
                    team_id=team.id,
                )
            )
        rows = [
            {
                "subject": f"claim {i}",
                "customer_id": customer_id,
                "channel": "email",
                "status": "new",
                "priority": 1 + i % 4,
                "tier": "L1",
                "team_id": team.id,
                "created_at": now,
                "updated_at": now,
                "first_response_due": now + timedelta(minutes=i % 600),
                "resolution_due": now + timedelta(hours=9),
                "sla_due": now + timedelta(minutes=i % 600),
                "reopen_count": 0,
                "version": 1,
                "search_text": "",
            }
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            session.execute(insert(Ticket), rows[start : start + 5000])
    return handles


BARE_CLAIM = (
    "UPDATE ticket SET assignee_id = :me WHERE id = (SELECT id FROM ticket "
    "WHERE assignee_id IS NULL AND status IN ('new', 'open') "
    "ORDER BY sla_due, priority DESC, id LIMIT 1{lock}) RETURNING id"
)


def claim_worker(url: str, handle: str, mode: str) -> None:
    """Claim until the queue is empty: with `take_next` (mode "service") or the bare statement
    (mode "bare": PostgreSQL in autocommit with SKIP LOCKED, SQLite under BEGIN IMMEDIATE)."""
    store = Store(url)
    actor = resolve_actor(store, handle)
    claimed: list[int] = []
    claim: Callable[[], int | None]
    if mode == "service":

        def claim() -> int | None:
            try:
                return tickets.take_next(store, actor=actor).id
            except QueueEmpty:
                return None

    else:
        raw: Any = store.engine.raw_connection()  # the store's own pragmas on SQLite
        cursor = raw.cursor()
        if store.is_postgres:
            raw.driver_connection.autocommit = True  # the psycopg connection itself
            sql = BARE_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED").replace(":me", "%s")
        else:
            sql = BARE_CLAIM.format(lock="").replace(":me", "?")

        def claim() -> int | None:
            if store.is_sqlite:
                while True:  # past the busy timeout under load: try again, as a person would
                    try:
                        cursor.execute("BEGIN IMMEDIATE")
                        break
                    except sqlite3.OperationalError as error:
                        if "locked" not in str(error):
                            raise
            cursor.execute(sql, (actor.id,))
            row = cursor.fetchone()
            if store.is_sqlite:
                cursor.execute("COMMIT")
            return None if row is None else int(row[0])

    import csm_console  # which code claims: `--before` puts an older one first on the path

    print(f"ready {Path(csm_console.__file__).parent.parent}", flush=True)
    sys.stdin.readline()  # start together
    started, cpu = time.perf_counter(), time.process_time()
    while (ticket_id := claim()) is not None:
        claimed.append(ticket_id)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"claimed": claimed, "seconds": seconds, "cpu": cpu}), flush=True)


def _run_claims(
    store: Store, processes: int, count: int, mode: str, code: Path | None = None
) -> tuple[float, float]:
    """Claims per second of `processes` workers over `count` tickets, and the workers' CPU
    (process time) per claim in microseconds; checks that every ticket was claimed exactly
    once (and, for the service, audited once as a claim).  `code`: the folder whose
    `csm_console` the workers import (`--before`), else this checkout's."""
    handles = _seed_unassigned(store, count, processes)
    url = store.url.render_as_string(hide_password=False)
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    workers = [
        subprocess.Popen(
            [sys.executable, __file__, "_claim", url, h, mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for h in handles
    ]
    for w in workers:
        assert w.stdout is not None
        ready, _, where = w.stdout.readline().strip().partition(" ")
        assert ready == "ready", ready
        if code is not None and Path(where) != code:
            raise SystemExit(f"--before: the workers imported csm_console from {where}")
    started = time.perf_counter()
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    claimed: list[int] = []
    cpu = 0.0
    for w in workers:
        out, _ = w.communicate(timeout=600)
        if w.returncode != 0:
            raise SystemExit(f"a {mode} claim worker failed (exit {w.returncode})")
        report = json.loads(out.strip().splitlines()[-1])
        claimed += report["claimed"]
        cpu += report["cpu"]
    elapsed = time.perf_counter() - started
    if len(claimed) != count or len(set(claimed)) != count:
        raise SystemExit(
            f"{mode}: {len(claimed)} claims of {count} tickets, "
            f"{len(claimed) - len(set(claimed))} double"
        )
    if mode == "service":
        with store.read() as session:
            audited = session.execute(
                text("SELECT count(*) FROM audit_event WHERE action = 'claim'")
            ).scalar_one()
            shards = session.execute(
                text("SELECT count(DISTINCT chain), max(chain) FROM audit_event")
            ).one()
        if audited != count:
            raise SystemExit(f"{audited} claim audit events for {count} claims")
        print(f"  [{store.dialect}] the claims' audit rows went into {shards[0]} shard(s) of the "
              f"chain (highest: {shards[1]})", file=sys.stderr)  # fmt: skip
        chain = audit.verify(store, actor=None)
        if chain.broken is not None:
            raise SystemExit(f"the audit chain breaks after the claims: {chain.broken}")
    return count / elapsed, cpu / count * 1e6


def _without_summary_trigger(store: Store) -> Store:
    """The store with the report summary's marking trigger dropped (migration 0018): what a
    claim costs without it."""
    from csm_console.store import report_days  # here: `--before` workers run older code

    with store.engine.begin() as conn:
        report_days.remove_triggers(conn)
    return store


def _without_change_feed_trigger(store: Store) -> Store:
    """The store with the change feed's counting trigger dropped (migration 0021): what a
    claim costs when nothing tells the consoles."""
    from csm_console.store import change_feed

    if store.is_postgres:
        with store.engine.begin() as conn:
            for statement in change_feed.POSTGRES_REMOVE:
                conn.execute(text(statement))
    return store


def _at_schema_of(store: Store, code: Path | None) -> Store:
    """`code`'s csm_console runs against the schema it knows: the store taken down to that
    code's newest migration (its triggers too, e.g. 0005's notifications before 0021)."""
    if code is None:
        return store
    from csm_console.store import migrate

    source = (code / "csm_console" / "store" / "migrate.py").read_text()
    head = source.split('HEAD = "', 1)[1].split('"', 1)[0]
    if head != migrate.HEAD:
        migrate.downgrade(store, head)
    return store


def bench_claims(
    count: int, processes: int, runs: int, before: Path | None = None, only: str | None = None
) -> None:
    """take_next against the bare statement, each run in turn (and, with `before`, the older
    code's take_next and the bare statement on the older code's schema too: bare, bare before,
    before, now, bare, ...), so all see the same load."""
    kinds = ["sqlite"] + (["postgresql"] if POSTGRES else [])
    for kind in [k for k in kinds if only in (None, k)]:
        names = ("bare", "bare before", "bare quiet", "before", "service", "-")
        figures: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in figures}  # µs of CPU a claim
        modes = [("bare", "bare", None)]
        if before:
            modes += [("bare before", "bare", before), ("before", "service", before)]
        modes.append(("service", "service", None))
        if kind == "postgresql":
            modes.append(("bare quiet", "bare", None))
        for _ in range(runs):
            for name, mode, code in [*modes, ("-", "service", None)]:
                for k, store in scratch_stores(only=kind):
                    if k == kind:
                        if name == "-":
                            store = _without_summary_trigger(store)
                        if name == "bare quiet":
                            store = _without_change_feed_trigger(store)
                        store = _at_schema_of(store, code)
                        rate, used = _run_claims(store, processes, count, mode, code)
                        figures[name].append(rate)
                        cpu[name].append(used)
        base = statistics.median(figures["bare"])
        loadavg = Path("/proc/loadavg").read_text().split()[:3]  # Linux; as the runs end
        for name, label in (("before", f"take_next before ({before})"), ("service", "take_next")):
            if not figures[name]:
                continue
            many = statistics.median(figures[name])
            print(
                f"take-next [{kind}]: {processes} processes, {count} tickets, median of {runs}: "
                f"{label} {many:.0f} claims/s (runs: {_runs(figures[name])}); baseline, the "
                f"bare claim statement: {base:.0f} claims/s (runs: {_runs(figures['bare'])}) -> "
                f"{many / base:.2f} of the baseline; load {' '.join(loadavg)}"
            )
        for name, label in (
            ("bare before", "on the older code's schema"),
            ("bare quiet", "without the change feed's trigger"),
        ):
            if figures[name]:
                other = statistics.median(figures[name])
                print(
                    f"  the bare claim statement {label}: {other:.0f} claims/s (runs: "
                    f"{_runs(figures[name])}) -> this schema's {base / other:.2f} of that"
                )
        for now, then, label in (
            ("service", "before", "take_next now against before"),
            ("bare", "bare before", "the bare statement now against on the older schema"),
        ):
            if figures[then]:  # side by side in each run: the same load
                paired = [a / b for a, b in zip(figures[now], figures[then], strict=True)]
                print(
                    f"  {label}, run by run: {', '.join(f'{r:.2f}' for r in paired)} "
                    f"(median {statistics.median(paired):.2f})"
                )
        if figures["before"] and figures["bare before"]:
            own = statistics.median(figures["before"]) / statistics.median(figures["bare before"])
            print(f"  take_next before against the bare statement on its own schema: {own:.2f}")
        print(
            "  the claimers' CPU a claim (process time, medians): "
            + ", ".join(
                f"{name} {statistics.median(cpu[name]):.0f} µs"
                for name in ("bare", "bare before", "before", "service")
                if cpu[name]
            )
        )
        plain, many = statistics.median(figures["-"]), statistics.median(figures["service"])
        print(
            f"  take_next without the report summary's trigger: {plain:.0f} claims/s (runs: "
            f"{_runs(figures['-'])}) -> with it {many / plain:.2f} of that"
        )


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


# -------------------------------------------------------------------------------------- queue


def bench_queue(count: int, runs: int) -> None:
    for kind, store in scratch_stores():
        _bench_queue_on(kind, store, count, runs)


def _bench_queue_on(kind: str, store: Store, count: int, runs: int) -> None:
    started = time.perf_counter()
    generate_tickets(store, count=count)
    print(f"queue [{kind}]: generated {count} tickets in {time.perf_counter() - started:.1f} s")
    actor = resolve_actor(store, _some_operator(store))
    sort = Sort.parse("sla")

    def page(query: str, cursor: str | None = None) -> object:
        return ticket_reads.list_tickets(
            store, actor=actor, query=parse_query(query), sort=sort, cursor=cursor, limit=50
        )

    deep = None
    for _ in range(20):  # walk 20 pages in
        deep = ticket_reads.list_tickets(
            store,
            actor=actor,
            query=parse_query(""),
            sort=sort,
            cursor=deep.next_cursor if deep else None,
            limit=50,
        )
    baseline = timed(store.ping, runs)
    deep_cursor = deep.next_cursor if deep else None
    cases = {
        "first page, all tickets": lambda: page(""),
        "page 21 (keyset cursor)": lambda: page("", deep_cursor),
        "status:open,new,pending": lambda: page("status:open,new,pending"),
        "assignee:me": lambda: page("assignee:me"),
        "sla:breached": lambda: page("sla:breached"),
        "priority:>=high status:open": lambda: page("priority:>=high status:open"),
        "free word (Russian, folded)": lambda: page("счёт"),
    }
    base = statistics.median(baseline)
    print(f"queue [{kind}]: baseline round trip (SELECT 1) median {ms(base)}")
    for name, fn in cases.items():
        values = timed(fn, runs)
        print(
            f"queue [{kind}]: {name:<30} median {ms(statistics.median(values))}  "
            f"p95 {ms(p95(values))}  ({statistics.median(values) / base:.0f}x baseline)"
        )


def _some_operator(store: Store) -> str:
    with store.read() as session:
        return str(
            session.execute(
                select(Agent.handle).where(Agent.role == "operator").order_by(Agent.id).limit(1)
            ).scalar_one()
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_claim":
        claim_worker(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if sys.argv[1:] == ["--smoke"]:  # what CI runs for every benchmark: each part in brief
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores (smoke)")
        bench_sample(1)
        bench_claims(300, 2, 1)
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--runs", type=int, default=5)
    c = sub.add_parser("claims")
    c.add_argument("--tickets", type=int, default=20_000)
    c.add_argument("--processes", type=int, default=8)
    c.add_argument("--runs", type=int, default=3)
    c.add_argument("--smoke", action="store_true", help="300 tickets, 2 processes, 1 run: a check")
    c.add_argument(
        "--before",
        type=Path,
        help="a folder holding an older csm_console (git archive main csm_console | tar -x -C "
        "DIR): its take_next runs too, in turn with this one's, against the same baseline",
    )
    c.add_argument(
        "--store",
        "--only",
        dest="store",
        choices=["sqlite", "postgresql"],
        help="measure only this store",
    )
    q = sub.add_parser("queue")
    q.add_argument("--tickets", type=int, default=1_000_000)
    q.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    if args.what == "sample":
        bench_sample(args.runs)
    elif args.what == "claims":
        if args.smoke:
            args.tickets, args.processes, args.runs = 300, 2, 1
        before = args.before.resolve() if args.before else None
        if before is not None and not (before / "csm_console").is_dir():
            raise SystemExit(f"--before {args.before}: no csm_console folder in it")
        bench_claims(args.tickets, args.processes, args.runs, before, args.store)
    else:
        bench_queue(args.tickets, args.runs)


if __name__ == "__main__":
    main()
