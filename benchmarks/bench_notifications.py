"""The console's notification refresh (`services.notifications.since`) at scale: what one live
refresh costs an operator, on a store of `--tickets` synthetic tickets (default 1,000,000).

    python benchmarks/bench_notifications.py [--tickets 1000000] [--runs 5] [--smoke]

For the operator with the most tickets it times, against a round trip (`SELECT 1`, the
baseline) measured in the same run:
- a refresh with nothing new (the common case: the cursor is at the newest audit event);
- a refresh after a burst of 200 assignments to them by a lead (200 notifications, read in
  pages of `MAX_EVENTS`);
- the "needs me" count alone.
It prints the plans of the two statements (EXPLAIN QUERY PLAN / EXPLAIN), and checks that the
count equals `count_tickets("needs:me")`, that the burst notifies each ticket once, and that a
second refresh is empty; it exits non-zero when a check fails.  `--smoke`: 300 tickets, 3 runs.
Set CSM_BENCH_POSTGRES_URL to measure PostgreSQL too (a scratch database, dropped after).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from bench_store import ms, p95, scratch_stores, timed
from sqlalchemy import func, select, text

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.query import parse_query
from csm_console.domain.rights import Actor
from csm_console.services import notifications, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Ticket
from csm_console.store.ticket_query import needs_me

BURST = 200


def busiest(store: Store) -> tuple[Actor, Actor, int | None]:
    """The operator holding the most tickets, and a lead (or admin) who may assign to them."""
    with store.read() as session:
        handle, team_id = session.execute(
            select(Agent.handle, Agent.team_id)
            .join(Ticket, Ticket.assignee_id == Agent.id)
            .where(Agent.role == "operator", Agent.active.is_(True))  # type: ignore[attr-defined]
            .group_by(Agent.id, Agent.handle, Agent.team_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        lead = session.execute(
            select(Agent.handle)
            .where(Agent.role == "admin", Agent.active.is_(True))  # type: ignore[attr-defined]
            .order_by(Agent.id)
            .limit(1)
        ).scalar_one_or_none()
        if lead is None:
            lead = session.execute(
                select(Agent.handle).where(Agent.role == "lead", Agent.team_id == team_id).limit(1)
            ).scalar_one()
    return resolve_actor(store, handle), resolve_actor(store, lead), team_id


def plans(store: Store, actor: Actor, after: int) -> None:
    """The plans of the refresh's statements, as the planner sees them."""
    assert actor.id is not None
    now = datetime.now(UTC)
    statements = {
        "events": select(AuditEvent.id)
        .join(Ticket, Ticket.id == AuditEvent.ticket_id)
        .where(AuditEvent.id > after, AuditEvent.action.in_(("assign", "mail", "notify")))  # type: ignore[union-attr,attr-defined]
        .order_by(AuditEvent.id)
        .limit(notifications.MAX_EVENTS),
        "needs me": select(Ticket.id).where(needs_me(actor.id, now)),
    }
    with store.read() as session:
        bind = session.get_bind()
        for name, statement in statements.items():
            compiled = statement.compile(bind, compile_kwargs={"literal_binds": True})
            prefix = (
                "EXPLAIN QUERY PLAN " if store.url.get_backend_name() == "sqlite" else "EXPLAIN "
            )
            rows = session.execute(text(prefix + str(compiled))).all()
            print(f"  plan of {name}:")
            for row in rows:
                print(f"    {row[-1]}")


def bench(kind: str, store: Store, count: int, runs: int) -> list[str]:
    problems: list[str] = []
    started = time.perf_counter()
    generate_tickets(store, count=count)
    took = time.perf_counter() - started
    print(f"notifications [{kind}]: generated {count} tickets in {took:.1f} s")
    actor, lead, team_id = busiest(store)
    mine = ticket_reads.count_tickets(store, actor=actor, query=parse_query("assignee:me"))
    print(
        f"notifications [{kind}]: operator {actor.handle} holds {mine} tickets; lead {lead.handle}"
    )
    head = notifications.since(store, actor=actor, cursor=None)
    expected = ticket_reads.count_tickets(store, actor=actor, query=parse_query("needs:me"))
    if head.needs_me != expected:
        problems.append(f"needs me {head.needs_me} but needs:me lists {expected}")
    print(f"notifications [{kind}]: needs me {head.needs_me}")

    base = timed(store.ping, runs)
    idle = timed(lambda: notifications.since(store, actor=actor, cursor=head.cursor), runs)
    count_only = timed(lambda: notifications.needs_me_count(store, actor=actor), runs)

    with store.read() as session:
        targets = list(
            session.execute(
                select(Ticket.id)
                .where(
                    Ticket.assignee_id.is_(None),  # type: ignore[union-attr]
                    Ticket.status.in_(("new", "open")),  # type: ignore[attr-defined]
                    Ticket.team_id == team_id,
                    Ticket.tier == actor.tier.value,
                )
                .order_by(Ticket.id)
                .limit(BURST)
            ).scalars()
        )
    for ticket_id in targets:
        try:
            tickets.assign_ticket(store, actor=lead, ticket_id=ticket_id, to=actor.handle)
        except Exception as refused:  # another team's ticket the lead may not move: skip it
            print(f"  (#{ticket_id} not assigned: {type(refused).__name__})")
    assigned = {
        t
        for t in targets
        if ticket_reads.count_tickets(store, actor=actor, query=parse_query(f"id:{t} assignee:me"))
    }

    def drain() -> list[int]:
        seen: list[int] = []
        cursor = head.cursor
        while True:
            update = notifications.since(store, actor=actor, cursor=cursor)
            seen += [n.ticket_id for n in update.notifications if n.kind == "assigned"]
            if not update.notifications or update.cursor == cursor:
                return seen
            cursor = update.cursor

    burst = timed(drain, max(1, runs // 5))
    seen = drain()
    if sorted(seen) != sorted(assigned) or len(seen) != len(set(seen)):
        problems.append(f"burst: {len(assigned)} assigned, {len(seen)} notified")
    tail = notifications.since(store, actor=actor, cursor=None)
    if notifications.since(store, actor=actor, cursor=tail.cursor).notifications:
        problems.append("a refresh at the head reported something")

    b = statistics.median(base)
    for name, values in (
        ("baseline round trip (SELECT 1)", base),
        ("refresh, nothing new", idle),
        ("needs-me count alone", count_only),
        (f"refresh after {len(assigned)} assignments", burst),
    ):
        m = statistics.median(values)
        print(
            f"notifications [{kind}]: {name:<34} median {ms(m)}  p95 {ms(p95(values))}  "
            f"({m / b:.0f}x baseline)"
        )
    plans(store, actor, head.cursor.after)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="300 tickets, 3 runs (CI)")
    args = parser.parse_args()
    count, runs = (300, 3) if args.smoke else (args.tickets, args.runs)
    problems: list[str] = []
    for kind, store in scratch_stores():
        problems += [f"{kind}: {p}" for p in bench(kind, store, count, runs)]
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
