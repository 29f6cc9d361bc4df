"""`csm tickets reassign` against a bare SQL UPDATE of the same rows, on a 1M-ticket store.

    python benchmarks/bench_reassign.py [--tickets 1000000] [--runs 5] [--query Q]
        [--only sqlite|postgresql] [--before DIR] [--lean] [--fresh] [--smoke]

Each run reassigns the tickets of one agent matching `--query` (default: all of them, about
96,000 at 1M; `priority:>=high` moves about 48,000)
to a colleague with the service: one pass to check the rules and collect the matching ids, then
chunks of 1,000 (growing to 8,000 while each is quick) in a transaction each (lock,
one audit event per ticket with `INSERT ... SELECT`, one `UPDATE` with the version and
`updated_at` bump).  Then one bare `UPDATE ticket SET
assignee_id = ... WHERE id IN (...)` in one transaction moves the same rows back: that is the
baseline (it sets `assignee_id` only: no version, no `updated_at`, no audit, no chunks; on
PostgreSQL in `replica` mode, so that migration 0013 does not audit it at commit as a write that
skipped csm, which it did before 2026-12-06 and made the baseline slower than the service).  As a
reference it also times the same bare UPDATE cut into transactions of a chunk's rows (inside
`Store.bulk`, as the service: on SQLite one WAL checkpoint at the end), which shows what the
chunking alone costs.  Medians and the ratio are printed, with where the service's time went;
with CSM_BENCH_POSTGRES_URL set, the same on PostgreSQL in a scratch database.

The writers' turn: after the timed runs, one more service run moves the tickets back while a
thread (a store and connection of its own, as a console) saves a reply on a ticket outside the
batch every 50 ms; its waits (median and max) say how long a console waits for its turn.
`--before DIR` (DIR holds an older `csm_console`: `git archive main csm_console | tar -x -C
DIR`): in each run that code's service moves the same tickets too (every other run before this
code's), in a process of its own on the same store, timed inside it, so before and now are
measured against the same baseline; the median of the runs' now / before is printed too.
`--lean`: no reference runs (the chunked bare UPDATE, the service without the summary's trigger).
`--fresh`: this code's service also moves the tickets in a process of its own in each run,
timed as `--before`'s is: the benchmark's own process has a big heap (the generated store's
objects) and warm caches, a fresh one neither, so only `--fresh` figures compare with
`--before`'s on equal terms.
`--smoke`: 600 tickets, one run, and every check (all moved, the chain intact).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_store import scratch_stores
from sqlalchemy import event, select, text

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.query import parse_query
from csm_console.services import audit, reassign, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store import report_days
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Ticket

TICKET = Ticket.__table__  # type: ignore[attr-defined]
HERE = Path(__file__).resolve().parent.parent  # the checkout this script's csm_console is in


class Clock:
    """Where a store's time goes: SQL statements by kind, and commits."""

    def __init__(self, store: Store) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._started = 0.0

        @event.listens_for(store.engine, "before_cursor_execute")
        def _before(*_: Any) -> None:
            self._started = time.perf_counter()

        @event.listens_for(store.engine, "after_cursor_execute")
        def _after(_conn: Any, _cursor: Any, statement: str, *__: Any) -> None:
            self.spent[self._kind(statement)] += time.perf_counter() - self._started

        commit = store.engine.dialect.do_commit

        def do_commit(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            commit(dbapi_connection)
            self.spent["commit"] += time.perf_counter() - started

        store.engine.dialect.do_commit = do_commit  # type: ignore[method-assign]

        bulk = store.bulk

        @contextmanager
        def timed_bulk() -> Iterator[None]:  # the job's end: on SQLite its one WAL checkpoint
            with bulk():
                yield
                ending = time.perf_counter()
            self.spent["job's checkpoint"] += time.perf_counter() - ending

        store.bulk = timed_bulk  # type: ignore[method-assign]

    @staticmethod
    def _kind(statement: str) -> str:
        head = statement.lstrip()[:40].upper()
        if head.startswith("UPDATE TICKET"):
            return "ticket UPDATE"
        if head.startswith("INSERT INTO AUDIT_EVENT"):
            return "audit INSERT"
        if head.startswith("WITH "):  # PostgreSQL: a chunk in one statement
            return "chunk statement"
        return "other SQL"

    @contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        self.spent.clear()
        parts: dict[str, float] = {}
        started = time.perf_counter()
        yield parts
        parts.update(self.spent)
        parts["total"] = time.perf_counter() - started


def bare_update(store: Store, ids: list[int], assignee_id: int, per_transaction: int) -> None:
    for first in range(0, len(ids), per_transaction):
        with store.write() as session:
            if store.is_postgres:  # bare: not audited at commit as a write that skipped csm
                session.execute(text("SET LOCAL session_replication_role = replica"))
            part = ids[first : first + per_transaction]
            for start in range(0, len(part), 30000):
                session.execute(
                    TICKET.update()
                    .where(TICKET.c.id.in_(part[start : start + 30000]))
                    .values(assignee_id=assignee_id)
                )


def before_apply(code: Path, store: Store, lead: str, query: str, to: str) -> tuple[float, int]:
    """The older code's `reassign.apply`, in a process of its own on the same store: (seconds
    inside that process, tickets moved)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    url = store.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, __file__, "_apply", url, lead, query, to],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"--before: the older code failed:\n{done.stderr}")
    where, figures = done.stdout.strip().splitlines()[-2:]
    if Path(where) != code:
        raise SystemExit(f"--before: the process imported csm_console from {where}")
    out = json.loads(figures)
    return float(out["seconds"]), int(out["changed"])


def _before_run(
    kind: str, code: Path, store: Store, lead: str, query: str, to: str, count: int
) -> str:
    seconds, changed = before_apply(code, store, lead, query, to)
    if count and changed != count:
        raise SystemExit(f"[{kind}] the older code moved {changed}, this one {count}")
    return f"before {seconds:.2f} s"


def _apply(url: str, lead: str, query: str, to: str) -> None:
    """`--before`'s process: one `reassign.apply` with whichever csm_console comes first."""
    import csm_console

    store = Store(url)
    actor = resolve_actor(store, lead)
    started = time.perf_counter()
    result = reassign.apply(store, actor=actor, query=parse_query(query), to=to, max_tickets=10**7)
    seconds = time.perf_counter() - started
    store.dispose()
    print(Path(csm_console.__file__).parent.parent)
    print(json.dumps({"seconds": seconds, "changed": result.changed}))


def measure(
    kind: str,
    store: Store,
    size: int,
    runs: int,
    where: str,
    before: Path | None = None,
    lean: bool = False,
    fresh: bool = False,
) -> tuple[str, str, str]:
    generate_tickets(store, count=size)
    with store.read() as session:
        agents = list(
            session.execute(
                select(Agent.handle, Agent.id, Agent.team_id, Agent.role).order_by(Agent.id)
            )
        )
    leads = [a for a in agents if a.role == "lead"]
    lead = leads[0]
    mates = [a for a in agents if a.team_id == lead.team_id and a.role == "operator"]
    source, target = mates[0], mates[1]
    actor = resolve_actor(store, lead.handle)
    text_query = f"assignee:{source.handle} {where}".strip()
    query = parse_query(text_query)
    clock = Clock(store)
    service: list[dict[str, float]] = []
    bare: list[float] = []
    older: list[float] = []
    chunked: list[float] = []
    untriggered: list[float] = []
    own: list[float] = []
    count = 0
    ids: list[int] = []
    for run in range(runs):
        line = ""
        if before is not None and run % 2 and ids:  # every other run the older code first
            line = _before_run(kind, before, store, lead.handle, text_query, target.handle, count)
            older.append(float(line.split()[1]))
            bare_update(store, ids, source.id, len(ids))
        with clock.measure() as parts:
            result = reassign.apply(
                store, actor=actor, query=query, to=target.handle, max_tickets=10**7
            )
        service.append(parts)
        count = result.changed
        if not count:
            raise SystemExit(f"[{kind}] the query moved no ticket")
        with store.read() as session:
            moved = text(
                "SELECT ticket_id FROM audit_event WHERE batch_id = :b AND field = 'assignee' "
                "ORDER BY ticket_id"
            )
            ids = [i for (i,) in session.execute(moved, {"b": result.batch_id})]
        if len(ids) != count:
            raise SystemExit(f"[{kind}] {count} tickets moved, {len(ids)} assignee events")
        with clock.measure() as parts:
            bare_update(store, ids, source.id, len(ids))
        bare.append(parts["total"])
        line = f"service {service[-1]['total']:.2f} s, bare UPDATE {bare[-1]:.2f} s" + (
            f", {line} (ran first)" if line else ""
        )
        if before is not None and len(older) < len(service):
            line += ", " + _before_run(
                kind, before, store, lead.handle, text_query, target.handle, count
            )
            older.append(float(line.split(", ")[-1].split()[1]))
            bare_update(store, ids, source.id, len(ids))
        if fresh:  # this code too in a process of its own, timed as --before's code is
            seconds, changed = before_apply(HERE, store, lead.handle, text_query, target.handle)
            if changed != count:
                raise SystemExit(f"[{kind}] in a process of its own {changed} moved, not {count}")
            own.append(seconds)
            line += f", now in a process of its own {seconds:.2f} s"
            bare_update(store, ids, source.id, len(ids))
        if not lean:
            # reference: the same bare UPDATE, a chunk's rows per transaction (there and back again)
            with clock.measure() as parts, store.bulk():  # as the service: one checkpoint
                bare_update(store, ids, target.id, reassign.CHUNK)
            chunked.append(parts["total"])
            bare_update(store, ids, source.id, len(ids))
            # the service again without the report summary's marking trigger (migration 0018)
            with store.engine.begin() as conn:
                report_days.remove_triggers(conn)
            with clock.measure() as parts:
                reassign.apply(store, actor=actor, query=query, to=target.handle, max_tickets=10**7)
            untriggered.append(parts["total"])
            with store.engine.begin() as conn:
                report_days.install_triggers(conn)
            bare_update(store, ids, source.id, len(ids))
            line += (
                f", bare in chunks {chunked[-1]:.2f} s, service without the summary's trigger "
                f"{untriggered[-1]:.2f} s"
            )
        print(f"  [{kind}] run: {line}", file=sys.stderr, flush=True)
    median = statistics.median(p["total"] for p in service)
    base = statistics.median(bare)
    print(
        f"reassign [{kind}]: {count:,} tickets of {size:,}: service {median:.2f} s "
        f"(median of {runs}), bare UPDATE (assignee_id only, one transaction) {base:.2f} s "
        f"-> ratio {median / base:.2f} (goal <= 2); load {os.getloadavg()[0]:.1f}"
    )
    if older:
        then = statistics.median(older)
        pairs = statistics.median(p["total"] / o for p, o in zip(service, older, strict=True))
        print(
            f"  before ({before}): {then:.2f} s -> ratio {then / base:.2f}; now / before "
            f"{median / then:.2f} (medians), {pairs:.2f} (median of the runs' own)"
        )
    if own:
        mine = statistics.median(own)
        line = f"  now in a process of its own: {mine:.2f} s -> ratio {mine / base:.2f}"
        if older:
            pairs = statistics.median(n / o for n, o in zip(own, older, strict=True))
            line += f"; own / before {mine / then:.2f} (medians), {pairs:.2f} (the runs' own)"
        print(line)
    if chunked:
        print(
            f"  reference: the bare UPDATE in transactions of {reassign.CHUNK} rows "
            f"{statistics.median(chunked):.2f} s = {statistics.median(chunked) / base:.2f} x bare"
        )
    if untriggered:
        plain = statistics.median(untriggered)
        print(
            f"  the service without the report summary's trigger {plain:.2f} s: with it "
            f"{median / plain:.2f} x that"
        )
    kinds = [
        "ticket UPDATE",
        "audit INSERT",
        "chunk statement",
        "commit",
        "job's checkpoint",
        "other SQL",
    ]
    spent = {k: statistics.median(p.get(k, 0.0) for p in service) for k in kinds}
    rest = median - sum(spent.values())
    print(
        "  service time (medians): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items() if v)
        + f", Python and the rest {rest:.2f} s"
    )
    return lead.handle, source.handle, target.handle


def writers_turn(kind: str, store: Store, lead: str, query: str, to: str) -> None:
    """A bulk run with a console's replies racing it: how long each reply waits."""
    url = store.url.render_as_string(hide_password=False)
    console = Store(url)
    actor = resolve_actor(console, lead)
    with console.read() as session:  # an open ticket of the lead's team outside the batch
        other = session.execute(
            select(Ticket.id)
            .where(
                Ticket.team_id == actor.team_id,
                Ticket.status.in_(["new", "open"]),
                Ticket.assignee_id.is_(None) | (Ticket.assignee_id == actor.id),
            )
            .order_by(Ticket.id)
            .limit(1)
        ).scalar_one()
    tickets.assign_ticket(console, actor=actor, ticket_id=other, to=lead)
    waits: list[float] = []
    done = threading.Event()

    def reply() -> None:
        while not done.is_set():
            started = time.perf_counter()
            tickets.reply(console, actor=actor, ticket_id=other, body="On it.")
            waits.append(time.perf_counter() - started)
            done.wait(0.05)

    replier = threading.Thread(target=reply)
    started = time.perf_counter()
    replier.start()
    result = reassign.apply(
        store, actor=resolve_actor(store, lead), query=parse_query(query), to=to, max_tickets=10**7
    )
    took = time.perf_counter() - started
    done.set()
    replier.join()
    console.dispose()
    if not waits:
        raise SystemExit(f"[{kind}] no reply was saved during the bulk job")
    print(
        f"  writers' turn: {len(waits)} replies saved during a {result.changed:,}-ticket job "
        f"({took:.1f} s; {store.turn.waited:.2f} s of it giving way): reply median "
        f"{statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms"
    )


def check_chain(kind: str, store: Store) -> None:
    report = audit.verify(store, actor=None)
    if not report.intact:
        raise SystemExit(f"[{kind}] the audit chain breaks: {report.broken}")
    print(f"  audit chain intact: {report.rows:,} rows")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="", help="more conditions after assignee:SOURCE")
    parser.add_argument("--smoke", action="store_true", help="600 tickets, 1 run: a check")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one store, not both")
    parser.add_argument(
        "--before",
        type=Path,
        help="a folder holding an older csm_console (git archive main csm_console | tar -x -C "
        "DIR): its service moves the same tickets in each run, against the same baseline",
    )
    parser.add_argument(
        "--lean", action="store_true", help="no reference runs (chunked bare, no summary trigger)"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="this code's service also in a process of its own each run, timed as --before's "
        "is (a fresh process: its own caches and a small heap)",
    )
    if len(sys.argv) > 1 and sys.argv[1] == "_apply":
        _apply(*sys.argv[2:6])
        return
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.runs = 600, 1
    before = args.before.resolve() if args.before else None
    if before is not None and not (before / "csm_console").is_dir():
        raise SystemExit(f"--before {args.before}: no csm_console folder in it")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC"
    )
    for kind, store in scratch_stores():
        if args.only and kind != args.only:
            continue
        lead, source, target = measure(
            kind, store, args.tickets, args.runs, args.query, before, args.lean, args.fresh
        )
        writers_turn(kind, store, lead, f"assignee:{source} {args.query}".strip(), target)
        check_chain(kind, store)


if __name__ == "__main__":
    main()
