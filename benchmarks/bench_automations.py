"""Automations: what the every-minute run costs when there is nothing to do, and what acting
costs per ticket.

    python benchmarks/bench_automations.py [--tickets 100000] [--act 500] [--runs 5] [--smoke]

- idle: `automations.run` of one automation whose condition (`status:pending updated:>3d`,
  a quarter of the store) it has acted on already (the re-arm DELETE, the candidates' query
  and the bookkeeping), against counting the same query (`count_tickets`): the set-based
  query by itself.
- acting: one run acting on `--act` tickets (`tag+=`, `note=`: one transaction per ticket with
  its lock, the condition checked again, the firing row, two audited changes and the
  automation's event), against the same two changes on as many other tickets through the use
  cases (`tag_ticket`, `add_note`: two transactions per ticket).

Each also checks itself (the run acts on every target once, a second run on none) and exits 1
when a check fails.  `--smoke`: a few hundred tickets, one run.  CSM_BENCH_POSTGRES_URL adds
PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench_store import scratch_stores
from sqlalchemy import func, insert, select
from sqlmodel import col

from csm_console.domain.model import Role
from csm_console.domain.query import parse_query
from csm_console.services import automations, tickets
from csm_console.services.acting import resolve_actor
from csm_console.services.ticket_reads import count_tickets
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AutomationFiring, Customer, Team, Ticket, TicketTag

IDLE = "team:Frontline status:pending updated:>3d"  # a lead's condition names their team


def fill(store: Store, count: int) -> list[int]:
    """A lead, and `count` tickets: a quarter pending and untouched for five days."""
    now = datetime.now(UTC)
    with store.write() as session:
        team = Team(name="Frontline", tier="L1")
        session.add(team)
        session.flush()
        session.add(
            Agent(handle="anna", name="Anna", email="a@x", role=Role.LEAD.value, tier="L1",
                  team_id=team.id)
        )  # fmt: skip
        customer = Customer(
            name="Load", email="load@example.com", language="en",
            preferred_channel="email", segment="standard", lookup="load",
        )  # fmt: skip
        session.add(customer)
        session.flush()
        rows = []
        for i in range(count):
            pending = i % 4 == 0
            at = now - (timedelta(days=5) if pending else timedelta(hours=i % 48))
            due = at + timedelta(hours=4)
            rows.append(
                {
                    "subject": f"load {i}", "customer_id": customer.id, "channel": "email",
                    "status": "pending" if pending else "open", "priority": 1 + i % 4,
                    "tier": "L1", "team_id": team.id, "created_at": at, "updated_at": at,
                    "first_response_at": at, "first_response_due": due,
                    "resolution_due": due + timedelta(hours=8), "sla_due": due,
                    "paused_since": at if pending else None, "reopen_count": 0, "version": 1,
                    "search_text": "",
                }
            )  # fmt: skip
        for start in range(0, len(rows), 5000):
            session.execute(insert(Ticket), rows[start : start + 5000])
        return list(session.execute(select(col(Ticket.id)).order_by(col(Ticket.id))).scalars())


def tag_many(store: Store, ids: list[int], tag: str) -> None:
    with store.write() as session:
        session.execute(insert(TicketTag), [{"ticket_id": i, "tag": tag} for i in ids])


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench(kind: str, store: Store, args: argparse.Namespace) -> list[str]:
    problems: list[str] = []
    ids = fill(store, args.tickets)
    anna = resolve_actor(store, "anna")
    # idle: the automation has acted on every matching ticket already (its firing rows)
    view = automations.add_automation(
        store, actor=anna, name="idle", condition=IDLE, actions=["notify=waiting"],
        max_tickets=automations.MAX_MAX,
    )  # fmt: skip
    query = parse_query(IDLE)
    matching = count_tickets(store, actor=None, query=query)
    with store.write() as session:
        pending = session.execute(select(col(Ticket.id)).where(col(Ticket.status) == "pending"))
        session.execute(
            insert(AutomationFiring),
            [{"automation_id": view.id, "ticket_id": i, "fired_at": datetime.now(UTC)}
             for i in pending.scalars()],
        )  # fmt: skip
    idle, bare = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = automations.run(store, names=["idle"])
        idle.append(time.perf_counter() - started)
        if report.acted:
            problems.append(f"{kind}: an idle run acted on {report.acted}")
        started = time.perf_counter()
        count_tickets(store, actor=None, query=query)
        bare.append(time.perf_counter() - started)
    # acting: fresh targets each run, and as many for the use cases
    open_ids = [i for n, i in enumerate(ids) if n % 4 != 0]
    acting, use_cases = [], []
    for r in range(args.runs):
        targets = open_ids[2 * r * args.act : (2 * r + 1) * args.act]
        others = open_ids[(2 * r + 1) * args.act : (2 * r + 2) * args.act]
        if len(others) < args.act:
            problems.append(f"{kind}: too few tickets for {args.runs} runs of {args.act}")
            break
        tag_many(store, targets, f"target-{r}")
        automations.add_automation(
            store, actor=anna, name=f"act {r}", condition=f"team:Frontline tag:target-{r}",
            actions=["tag+=acted", "note=Looked at"], max_tickets=automations.MAX_MAX,
        )  # fmt: skip
        started = time.perf_counter()
        report = automations.run(store, names=[f"act {r}"])
        acting.append((time.perf_counter() - started) / args.act)
        if sorted(report.runs[0].acted) != targets:
            problems.append(f"{kind}: run {r} acted on {report.acted} of {args.act}")
        if automations.run(store, names=[f"act {r}"]).acted:
            problems.append(f"{kind}: run {r} acted again")
        started = time.perf_counter()
        for ticket_id in others:
            tickets.tag_ticket(store, actor=anna, ticket_id=ticket_id, add=["acted"])
            tickets.add_note(store, actor=anna, ticket_id=ticket_id, body="Looked at")
        use_cases.append((time.perf_counter() - started) / args.act)
    with store.read() as session:
        fired = session.execute(select(func.count()).select_from(AutomationFiring)).scalar_one()
    if matching != args.tickets // 4 + (args.tickets % 4 > 0):
        problems.append(f"{kind}: {matching} tickets match {IDLE!r}")
    if fired != matching + args.act * len(acting):
        problems.append(f"{kind}: {fired} firing rows")
    print(
        f"{kind}: {args.tickets} tickets, idle run of {matching} already acted on: "
        f"{median(idle) * 1000:.1f} ms against counting them {median(bare) * 1000:.1f} ms "
        f"({median(idle) / median(bare):.1f}x)"
    )
    if acting:
        per, base = median(acting), median(use_cases)
        print(
            f"{kind}: acting on {args.act} tickets (tag+=, note=): {per * 1000:.2f} ms a ticket "
            f"({1 / per:.0f}/s) against the use cases {base * 1000:.2f} ms ({1 / base:.0f}/s), "
            f"{per / base:.2f}x; medians of {len(acting)}"
        )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--act", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a few hundred tickets, one run")
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.act, args.runs = 300, 10, 1
    problems: list[str] = []
    for kind, store in scratch_stores():
        problems += bench(kind, store, args)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
