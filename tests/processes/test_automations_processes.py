"""Automations with real processes: two workers running the same automation on one store act on
every ticket exactly once (PostgreSQL: row locks and the firing row; SQLite: serialised
writers), and `csm worker` runs the automations without any mailbox and stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlmodel import col

from csm_console.domain.rights import Actor
from csm_console.services import automations
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import (
    AuditEvent,
    AutomationFiring,
    Customer,
    Message,
    Team,
    Ticket,
    TicketTag,
)
from tests.conftest import (
    ROOT,
    STOP_LOAD_MARGIN,
    STOP_WITHIN,
    STORE_KINDS,
    build_desk,
    process_env,
    scratch_url,
    start_csm,
    stop_timed,
    url_of,
)
from tests.conftest import (
    wait_for as shared_wait_for,
)

pytestmark = pytest.mark.slow  # starts processes

TICKETS = 300
WAIT = 60.0  # seconds: a generous bound for something that should happen (not a speed test)


@pytest.fixture(params=STORE_KINDS)
def desk_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from csm_console.store.migrate import upgrade

    url = scratch_url(tmp_path / "auto.db", request.param, request, "autoproc")
    store = Store(url)
    upgrade(store)
    build_desk(store)
    store.dispose()
    return url


def _bulk_tickets(store: Store, count: int) -> list[int]:
    """`count` high-priority new tickets of Frontline, inserted at once."""
    now = datetime.now(UTC)
    with store.write() as session:
        team_id = session.execute(select(Team.id).where(Team.name == "Frontline")).scalar_one()
        customer = Customer(
            name="Load", email="load@example.com", language="en",
            preferred_channel="email", segment="standard", lookup="load",
        )  # fmt: skip
        session.add(customer)
        session.flush()
        due = now + timedelta(hours=1)
        rows = [
            {
                "subject": f"load {i}",
                "customer_id": customer.id,
                "channel": "email",
                "status": "new",
                "priority": 3,
                "tier": "L1",
                "team_id": team_id,
                "created_at": now,
                "updated_at": now,
                "first_response_due": due,
                "resolution_due": due + timedelta(hours=8),
                "sla_due": due,
                "reopen_count": 0,
                "version": 1,
                "search_text": "",
            }
            for i in range(count)
        ]
        session.execute(insert(Ticket), rows)
        return list(session.execute(select(col(Ticket.id)).order_by(col(Ticket.id))).scalars())


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.automation_workers", *args],
        cwd=ROOT, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_workers_act_on_every_ticket_exactly_once(desk_url: str) -> None:
    store = Store(desk_url)
    ids = _bulk_tickets(store, TICKETS)
    anna = build_actor(store, "anna")
    automations.add_automation(
        store, actor=anna, name="look at hot ones", condition="team:Frontline priority:high",
        actions=["tag+=looked-at", "note=Looked at by the automation"], max_tickets=1000,
    )  # fmt: skip
    start = str(time.time() + 3)  # both begin together, after their start-up
    workers = [_spawn("run", url_of(desk_url), start) for _ in range(2)]
    acted: list[list[int]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        acted.append(json.loads(out)["acted"])
    together = acted[0] + acted[1]
    assert sorted(together) == ids  # every ticket, and none twice
    print(f"{store.dialect}: the two workers acted on {len(acted[0])} and {len(acted[1])}")
    with store.read() as session:

        def per_ticket(statement: object) -> set[int]:
            counts = session.execute(statement).all()  # type: ignore[call-overload]
            assert len(counts) == TICKETS
            return {n for _, n in counts}

        notes = (
            select(col(Message.ticket_id), func.count())
            .where(col(Message.internal))
            .group_by(col(Message.ticket_id))
        )
        assert per_ticket(notes) == {1}
        events = (
            select(col(AuditEvent.ticket_id), func.count())
            .where(col(AuditEvent.action) == "automation")
            .group_by(col(AuditEvent.ticket_id))
        )
        assert per_ticket(events) == {1}
        tags = session.execute(
            select(func.count()).where(col(TicketTag.tag) == "looked-at")
        ).scalar_one()
        assert tags == TICKETS
        fired = session.execute(select(func.count()).select_from(AutomationFiring)).scalar_one()
        assert fired == TICKETS
    store.dispose()


def build_actor(store: Store, handle: str) -> Actor:
    return resolve_actor(store, handle)


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    shared_wait_for(check, what, timeout, every=0.2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_csm_worker_runs_the_automations_and_stops_cleanly(
    desk_url: str, tmp_path: Path, signum: int
) -> None:
    store = Store(desk_url)
    ids = _bulk_tickets(store, 3)
    automations.add_automation(
        store,
        actor=build_actor(store, "anna"),
        name="flag",
        condition="team:Frontline priority:high",
        actions=["tag+=flagged"],
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as err:
        worker = start_csm(
            "worker", db=desk_url, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err, text=False,
        )  # fmt: skip
    try:
        wait_for(lambda: "automation flag: acted on 3" in log.read_text(), "the automation run")
        said = log.read_text()
        assert "no mailbox to fetch" in said and "without sending" in said
        code, took = stop_timed(worker, signum)
        assert code == 0
        assert took <= STOP_WITHIN + STOP_LOAD_MARGIN, f"the worker took {took:.2f} s to stop"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert log.read_text().rstrip().endswith("stopped")
    with store.read() as session:
        tagged = session.execute(
            select(col(TicketTag.ticket_id)).where(col(TicketTag.tag) == "flagged")
        ).scalars()
        assert sorted(tagged) == ids
    store.dispose()
