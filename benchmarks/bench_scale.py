"""How the everyday figures grow with the store: 10k, 100k, 1M and 10M tickets (issue 18, "Ten
times bigger").

    python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--runs 30] [--keep]
    python benchmarks/bench_scale.py --url postgresql://postgres@host/csm_scale_10m  # a store
    python benchmarks/bench_scale.py --smoke          # 600 tickets, the correctness checks only

With CSM_BENCH_POSTGRES_URL each size is a PostgreSQL database of its own, `csm_scale_<size>`,
next to the one that URL names: made with `csm init --sample` and `csm dev generate` as real
processes (the time is printed), reused when it already holds the size, and dropped at the end
unless --keep.  Without it (CI's smoke run) the stores are SQLite files in a temporary folder.
`--url` measures one existing store as it is (the 10M one took long enough to build that it is
built once, by hand: see docs/benchmarks.md).

On each store, against a baseline from the same run (a `SELECT 1` round trip, or `csm
--version` for the processes):

- a queue page (50 rows) sorted by SLA: all tickets, `assignee:me`, a free-text word, and
  `sla:breached`, as `ticket_reads.list_tickets` (median, p95);
- the console: first paint and key-to-frame p50/p95 moving through the queue (`j`), in a
  fresh process, headless 120x40, the view "All tickets" by SLA (as bench_console.py does, on
  this store's URL, without its final wait for the workers: the live change feed never ends);
- `csm tickets list --limit 20` and `csm report --by team` (30 days) as real processes;
- the dashboard's load (`tui.dashboard_data.load_dashboard`, 7 days, all teams): the service
  calls the dashboard makes, without the screen;
- take-next: 8 processes claiming from the store's own unassigned tickets (as agents of its
  largest L1 team), claims per second, against 1 process; no ticket may be claimed twice.

Correctness checks (each run, the smoke run too; the script exits 1 when one fails): every page
is in SLA order and holds only what its query asks for, the report's created count equals a
bare count of the same tickets, and no claim is a double.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from csm_console.domain.metrics import GroupBy, Period
from csm_console.domain.model import Tier
from csm_console.domain.query import Sort, parse_query
from csm_console.errors import QueueEmpty
from csm_console.services import metrics, setup, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.services.clock import utcnow
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Team, Ticket

sys.path.insert(0, str(Path(__file__).parent))
from bench_store import POSTGRES, ms, p95  # the shared helpers

CSM = [sys.executable, "-m", "csm_console"]
SMOKE_SIZE = 600  # the 342-ticket sample, then generated ones
CLAIM_PROCESSES = 8
FREE_WORD = "счёт"  # in the subjects of the Russian tickets: about 1 in 30
GOALS = {"first_paint_ms": 300, "key_p95_ms": 50, "queue_ms": 20, "report_s": 3.0}

failures: list[str] = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"  CHECK FAILED: {what}", file=sys.stderr)


# ------------------------------------------------------------------------------------- stores


def _url_for(size: int, folder: Path, *, scratch: bool) -> str:
    """The store of `size` tickets; a `scratch` one (the smoke run) has a name of its own, so
    that runs at the same time never share it."""
    if POSTGRES:
        base = make_url(POSTGRES).set(drivername="postgresql")
        name = f"csm_scale_{size}" + (f"_{uuid.uuid4().hex[:8]}" if scratch else "")
        return base.set(database=name).render_as_string(hide_password=False)
    return f"sqlite:///{folder / f'scale-{size}.db'}"


def _tickets_in(url: str) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            return int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())
    except Exception:
        return -1
    finally:
        store.dispose()


def _admin_engine() -> Any:
    assert POSTGRES
    base = make_url(POSTGRES).set(drivername="postgresql+psycopg")
    return create_engine(base, isolation_level="AUTOCOMMIT")


def ensure_store(size: int, folder: Path, *, scratch: bool = False) -> str:
    """The URL of a store of `size` tickets: the sample operation, then generated tickets."""
    url = _url_for(size, folder, scratch=scratch)
    have = _tickets_in(url)
    if have == size:
        print(f"[{size:,}] reusing {Store(url).display_url} ({have:,} tickets)")
        return url
    if POSTGRES:
        name = make_url(url).database
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    began = time.perf_counter()
    subprocess.run([*CSM, "--db", url, "init", "--sample"], check=True, capture_output=True)
    sample = _tickets_in(url)
    began_generating = time.perf_counter()
    subprocess.run(
        [*CSM, "--db", url, "dev", "generate", "--tickets", str(size - sample)],
        check=True,
        capture_output=True,
    )
    done = time.perf_counter()
    print(
        f"[{size:,}] built in {done - began:.1f} s (`csm dev generate --tickets "
        f"{size - sample}` {done - began_generating:.1f} s, after the {sample}-ticket sample)"
    )
    check(_tickets_in(url) == size, f"[{size}] the store holds {size} tickets")
    return url


def drop_store(url: str) -> None:
    if url.startswith("postgresql"):
        name = make_url(url).database
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# -------------------------------------------------------------------------------- measurement


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up
    values = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        values.append(time.perf_counter() - began)
    return values


def _operator_with_tickets(store: Store) -> str:
    """The L1 operator with the most tickets assigned (whose `assignee:me` is the fullest)."""
    with store.read() as session:
        busiest = session.execute(
            select(Ticket.assignee_id).where(Ticket.assignee_id.is_not(None)).limit(1)  # type: ignore[union-attr]
        ).scalar_one()
        return str(session.execute(select(Agent.handle).where(Agent.id == busiest)).scalar_one())


def queue_pages(store: Store, runs: int) -> dict[str, tuple[float, float]]:
    actor = resolve_actor(store, _operator_with_tickets(store))
    sort = Sort.parse("sla")
    now = utcnow()

    def page(query: str) -> Any:
        return ticket_reads.list_tickets(
            store, actor=actor, query=parse_query(query), sort=sort, limit=50, now=now
        )

    cases = {
        "queue by SLA": "",
        "assignee:me": "assignee:me",
        f"free word {FREE_WORD}": FREE_WORD,
        "sla:breached": "sla:breached",
    }
    for name, query in cases.items():  # correctness: SLA order, and only what was asked
        rows = page(query).items
        check(bool(rows), f"{name}: a page of tickets")
        dues = [r.sla_due for r in rows if r.sla_due is not None]
        check(dues == sorted(dues), f"{name}: in SLA order")
        if query == "assignee:me":
            check(all(r.assignee == actor.handle for r in rows), f"{name}: only mine")
    found = {"SELECT 1 (baseline)": timed(store.ping, runs)}
    found |= {name: timed(lambda q=query: page(q), runs) for name, query in cases.items()}
    return {name: (statistics.median(v), p95(v)) for name, v in found.items()}


def processes(url: str, runs: int) -> dict[str, float]:
    env = {**os.environ, "CSM_AGENT": "admin", "COLUMNS": "120"}

    def run(*args: str) -> float:
        began = time.perf_counter()
        subprocess.run([*CSM, *args], check=True, capture_output=True, env=env)
        return time.perf_counter() - began

    out: dict[str, float] = {}
    out["csm --version (baseline)"] = statistics.median([run("--version") for _ in range(runs)])
    out["csm tickets list --limit 20"] = statistics.median(
        [run("--db", url, "tickets", "list", "--limit", "20") for _ in range(runs)]
    )
    out["csm report --by team (30 days)"] = statistics.median(
        [run("--db", url, "report", "--by", "team") for _ in range(max(1, runs // 2))]
    )
    return out


def report_check(store: Store) -> None:
    """The report's tickets created in 30 days, by team, against a bare count of them."""
    now = utcnow()
    period = Period.ending_today(30, now)
    found = metrics.report(store, period=period, by=GroupBy.TEAM, now=now)
    with store.read() as session:
        bare = session.execute(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.created_at >= period.since, Ticket.created_at < period.until)
        ).scalar_one()
    check(found.total.created == bare, f"report: created {found.total.created} == {bare}")


def dashboard(store: Store, runs: int) -> float:
    from csm_console.tui.dashboard_data import load_dashboard

    def load() -> None:
        load_dashboard(store, days=7, team=None, now=utcnow(), audit=True)

    return statistics.median(timed(load, runs))


# --- the console, in a fresh process ---------------------------------------------------------


async def _console(store: Store, keys: int) -> dict[str, float]:
    from bench_console import ALL_TICKETS, FrameClock
    from textual import events

    from csm_console.services.views import all_views
    from csm_console.tui.app import CsmApp
    from csm_console.tui.queue_list import QueueList

    actor = resolve_actor(store, "admin")
    started = time.perf_counter()
    app = CsmApp(store=store, actor=actor, views=[ALL_TICKETS, *all_views(actor)])
    clock = FrameClock(app)
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.query_one(QueueList)
        while not queue.window.rows:
            await asyncio.sleep(0.001)
        first = await clock.next_frame_after(started, timeout=60)
        while not any(f for f in clock.frames if f > first) and not queue.window.rows:
            await asyncio.sleep(0.001)
        result["first_paint_ms"] = (clock.frames[-1] - started) * 1000
        await pilot.pause()
        latencies = []
        for _ in range(keys):
            before = queue.cursor
            moment = time.perf_counter()
            app.post_message(events.Key("j", "j"))
            frame = await clock.next_frame_after(moment, timeout=60)
            latencies.append((frame - moment) * 1000)
            if queue.cursor == before:
                await asyncio.sleep(0.01)  # waiting for a page: the frame came anyway
        result["moved"] = queue.cursor
        result["key_p50_ms"] = statistics.median(latencies)
        result["key_p95_ms"] = sorted(latencies)[int(len(latencies) * 0.95)]
        # printed now: tearing the app down can race a queued cursor message (an error after
        # the measurement, which the parent then ignores)
        print(json.dumps(result), flush=True)
    return result


def console(url: str, keys: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "_console", url, str(keys)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    printed = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not printed:
        raise RuntimeError(f"the console measurement failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(printed[-1])
    check(result["moved"] >= min(keys, 50), f"console: the cursor moved ({result['moved']})")
    return result


# --- take-next, several processes ------------------------------------------------------------


def _claim_worker(url: str, handle: str, count: int) -> None:
    store = Store(url)
    actor = resolve_actor(store, handle)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    ids = []
    for _ in range(count):
        try:
            ids.append(tickets.take_next(store, actor=actor).id)
        except QueueEmpty:
            break
    print(json.dumps(ids), flush=True)


def _claimers(store: Store) -> list[str]:
    """Up to CLAIM_PROCESSES L1 agents of the team with the most L1 agents (repeated if fewer)."""
    with store.read() as session:
        rows = session.execute(
            select(Agent.handle, Agent.team_id)
            .join(Team, Team.id == Agent.team_id)  # type: ignore[arg-type]
            .where(Agent.tier == Tier.L1.value, Agent.active.is_(True))  # type: ignore[attr-defined]
            .order_by(Agent.id)
        ).all()
    by_team: dict[int, list[str]] = {}
    for handle, team_id in rows:
        by_team.setdefault(team_id, []).append(handle)
    handles = max(by_team.values(), key=len)
    return [handles[n % len(handles)] for n in range(CLAIM_PROCESSES)]


def claims(url: str, store: Store, per_process: int) -> tuple[float, float]:
    """Claims per second with CLAIM_PROCESSES processes and with one; checks for doubles."""
    handles = _claimers(store)

    def run(chosen: list[str], count: int) -> float:
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, "_claim", url, handle, str(count)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for handle in chosen
        ]
        for w in workers:
            assert w.stdout is not None
            check(w.stdout.readline().strip() == "ready", "claims: a worker started")
        began = time.perf_counter()
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        claimed: list[int] = []
        for w in workers:
            out, _ = w.communicate(timeout=600)
            claimed += json.loads(out.strip().splitlines()[-1])
        elapsed = time.perf_counter() - began
        check(len(claimed) == len(set(claimed)), "claims: no ticket claimed twice")
        return len(claimed) / elapsed

    # one process first: on a small store the eight may empty the team's queue
    one = run(handles[:1], per_process)
    many = run(handles, per_process)
    check(one > 0 and many > 0, "claims: some tickets claimed")
    return many, one


# ------------------------------------------------------------------------------------- report


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    store = Store(url)
    try:
        setup.initialize(store)  # a kept store made by an older csm: its schema upgraded
        size = _tickets_in(url)
        print(f"\n[{size:,}] {store.display_url}")
        result: dict[str, Any] = {"tickets": size}
        pages = queue_pages(store, args.runs)
        for name, (median, high) in pages.items():
            print(f"  {name:<28} median {ms(median):>9}  p95 {ms(high):>9}")
        result["queue"] = pages
        if not args.no_console:
            shown = console(url, args.keys)
            result["console"] = shown
            print(
                f"  console first paint {shown['first_paint_ms']:.0f} ms, key-to-frame p50 "
                f"{shown['key_p50_ms']:.1f} ms, p95 {shown['key_p95_ms']:.1f} ms"
            )
        report_check(store)
        took = processes(url, args.process_runs)
        result["processes"] = took
        for name, seconds in took.items():
            print(f"  {name:<32} median {seconds:.2f} s")
        result["dashboard_s"] = dashboard(store, max(1, args.process_runs // 2))
        print(f"  dashboard load (7 days)          median {result['dashboard_s']:.2f} s")
        if not args.no_claims:
            many, one = claims(url, store, args.claims)
            result["claims"] = (many, one)
            print(
                f"  take-next {CLAIM_PROCESSES} processes {many:.0f} claims/s; 1 process "
                f"{one:.0f}/s -> ratio {many / max(one, 1e-9):.2f}"
            )
        return result
    finally:
        store.dispose()


def table(results: list[dict[str, Any]]) -> None:
    """The growth, as a Markdown table (for docs/benchmarks.md)."""
    if not results:
        return
    heads = [f"{r['tickets']:,}" for r in results]
    print("\n| figure | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")

    def row(name: str, values: list[str]) -> None:
        print(f"| {name} | " + " | ".join(values) + " |")

    for name in results[0]["queue"]:
        row(
            f"{name} (median / p95)",
            [f"{ms(r['queue'][name][0])} / {ms(r['queue'][name][1])}" for r in results],
        )
    if "console" in results[0]:
        row("console first paint", [f"{r['console']['first_paint_ms']:.0f} ms" for r in results])
        row("console key p95", [f"{r['console']['key_p95_ms']:.1f} ms" for r in results])
    for name in results[0]["processes"]:
        row(name, [f"{r['processes'][name]:.2f} s" for r in results])
    row("dashboard load (7 days)", [f"{r['dashboard_s']:.2f} s" for r in results])
    if "claims" in results[0]:
        row(
            f"take-next, {CLAIM_PROCESSES} processes (1 process)",
            [f"{r['claims'][0]:.0f}/s ({r['claims'][1]:.0f}/s)" for r in results],
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_console":
        store = Store(sys.argv[2])
        asyncio.run(_console(store, int(sys.argv[3])))
        store.dispose()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_claim":
        _claim_worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--url", action="append", default=[], help="measure this store as is")
    parser.add_argument("--runs", type=int, default=30, help="runs of each queue page")
    parser.add_argument("--process-runs", type=int, default=5, help="runs of each process")
    parser.add_argument("--keys", type=int, default=200, help="`j` presses in the console")
    parser.add_argument("--claims", type=int, default=100, help="claims per process")
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--no-console", action="store_true")
    parser.add_argument("--no-claims", action="store_true")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SIZE} tickets, few runs")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.url, args.keep = str(SMOKE_SIZE), [], False
        args.runs, args.process_runs, args.keys, args.claims = 3, 1, 20, 5
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        made = []
        try:
            for url in args.url:
                results.append(measure(url, args))
            if not args.url:
                for size in (int(s) for s in args.sizes.split(",") if s):
                    url = ensure_store(size, Path(tmp), scratch=args.smoke)
                    made.append(url)
                    results.append(measure(url, args))
        finally:
            if not args.keep:
                for url in made:
                    with contextlib.suppress(Exception):
                        drop_store(url)
    table(results)
    if failures:
        print(f"\n{len(failures)} check(s) failed: {'; '.join(failures)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
