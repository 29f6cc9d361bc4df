"""The writers' turn: while a bulk reassign runs as a real `csm` process, an operator's reply
from another process gets in between two of its chunks, not after the whole job.

Judged from the replying process: right after its reply commits, it counts the batch's
committed events.  Fewer than the whole batch means the reply got in while chunks were still
to come (audit ids cannot tell: on PostgreSQL the chain's shards let ids commit out of order).
Without the turn (store.bulk_turn), a SQLite writer sleeping in its busy handler nearly never
finds the store free between two chunks and saves after the job.  Run as a worker: `python -m
tests.processes.test_bulk_writers_turn URL TICKET_ID` replies once it reads a line on stdin."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from csm_console.services import reassign, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent
from tests.bulk_workers import seed_tickets
from tests.conftest import ROOT, Desk, process_env, start_csm, url_of

pytestmark = pytest.mark.slow  # starts processes

TICKETS = {"sqlite": 30_000, "postgresql": 8_000}  # long enough to still run after the reply


def _batch_events(store: Store) -> int:
    with store.read() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "reassign", AuditEvent.field == "assignee")
            ).scalar_one()
        )


def test_a_reply_gets_its_turn_between_two_chunks_of_a_bulk_job(desk: Desk) -> None:
    kind = desk.store.dialect
    count = TICKETS[kind]
    ids = seed_tickets(desk.store, count)
    # the reply goes to a ticket outside the batch (anna's), so it waits for the lock, not a row
    other = ids[-1]
    tickets.assign_ticket(desk.store, actor=desk.anna, ticket_id=other, to="anna")
    url = url_of(desk.store)
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.processes.test_bulk_writers_turn", url, str(other)],
        cwd=ROOT,
        env=process_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    job: subprocess.Popen[str] | None = None
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        job = start_csm(
            *("tickets", "reassign", "--query", "assignee:olga", "--to", "ivan"),
            *("--yes", "--max", str(count)),
            db=url,
            agent="anna",
            cwd=ROOT,
        )
        deadline = time.monotonic() + 300
        while _batch_events(desk.store) < reassign.CHUNK and job.poll() is None:
            assert time.monotonic() < deadline, "the bulk job never committed a chunk"
            time.sleep(0.02)
        assert job.poll() is None, "the bulk job ended before the reply could race it"
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        _, job_err = job.communicate(timeout=600)
        assert job.returncode == 0, job_err
    finally:
        for process in (writer, job):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate(timeout=30)
    waited, moved = float(out.split()[1]), int(out.split()[3])
    print(f"{kind}: the reply waited {waited * 1000:.0f} ms for its turn, {moved} moved by then")
    assert _batch_events(desk.store) == count - 1  # all olga's but the other
    assert moved >= reassign.CHUNK and moved % reassign.CHUNK == 0, moved
    assert moved < count - 1, f"the reply waited for the whole job ({moved} moved before it)"


def _reply_when_told(url: str, ticket_id: str) -> None:
    store = Store(url)
    actor = resolve_actor(store, "anna")
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    tickets.reply(store, actor=actor, ticket_id=int(ticket_id), body="On it.")
    waited = time.perf_counter() - started
    print(f"waited {waited:.4f} moved {_batch_events(store)}", flush=True)
    store.dispose()


if __name__ == "__main__":
    _reply_when_told(*sys.argv[1:])
