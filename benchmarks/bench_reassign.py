"""`csm tickets reassign` against a bare SQL UPDATE of the same rows, on a 1M-ticket store.

    python benchmarks/bench_reassign.py [--tickets 1000000] [--runs 3]

Each run reassigns the tickets of one agent matching `priority:>=high` (about 20,000 at 1M)
to a colleague with the service (chunks of 500: lock, UPDATE with the version bump, one audit
event per ticket), then moves the same rows back with one bare `UPDATE ... WHERE id IN (...)`,
which is the baseline.  Medians and the ratio are printed; with CSM_BENCH_POSTGRES_URL set, the
same on PostgreSQL in a scratch database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from csm_console.domain.query import parse_query
from csm_console.services import reassign, setup
from csm_console.services.agents import resolve_actor
from csm_console.services.generate import generate_tickets
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Ticket


def measure(kind: str, store: Store, tickets: int, runs: int) -> None:
    generate_tickets(store, count=tickets)
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
    query = parse_query(f"assignee:{source.handle} priority:>=high")
    service_times, bare_times = [], []
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = reassign.apply(
            store, actor=actor, query=query, to=target.handle, max_tickets=10**7
        )
        service_times.append(time.perf_counter() - started)
        count = result.changed
        with store.read() as session:
            moved = text(
                "SELECT ticket_id FROM audit_event WHERE batch_id = :b AND field = 'assignee'"
            )
            ids = [i for (i,) in session.execute(moved, {"b": result.batch_id})]
        started = time.perf_counter()
        with store.write() as session:
            for start in range(0, len(ids), 30000):
                session.execute(
                    Ticket.__table__.update()  # type: ignore[attr-defined]
                    .where(Ticket.__table__.c.id.in_(ids[start : start + 30000]))  # type: ignore[attr-defined]
                    .values(assignee_id=source.id)
                )
        bare_times.append(time.perf_counter() - started)
    service, bare = statistics.median(service_times), statistics.median(bare_times)
    print(
        f"reassign [{kind}]: {count:,} tickets of {tickets:,}: service {service:.2f} s "
        f"(median of {runs}), bare UPDATE {bare:.2f} s -> ratio {service / bare:.2f} "
        "(goal <= 2)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'r.db'}")
        setup.initialize(store)
        measure("sqlite", store, args.tickets, args.runs)
        store.dispose()
    url = os.environ.get("CSM_BENCH_POSTGRES_URL")
    if url:
        base = make_url(url).set(drivername="postgresql+psycopg")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = f"csm_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        store = Store(base.set(database=name))
        try:
            setup.initialize(store)
            measure("postgresql", store, args.tickets, args.runs)
        finally:
            store.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
