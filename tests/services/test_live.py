"""Live consoles on both stores: the change feed sees writes made elsewhere (another connection,
a real CLI process), survives losing its connection, and presence leases show and expire."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from csm_console.services import presence, tickets
from csm_console.store.change_feed import ChangeFeed
from csm_console.store.engine import Store
from tests.conftest import ROOT, Desk, run_csm


def _ticket(desk: Desk, subject: str = "Router is dead") -> int:
    row = tickets.create_ticket(
        desk.store, actor=desk.olga, customer_email="c@example.com", subject=subject, body="b"
    )
    return row.id


def _other_store(store: Store) -> Store:
    """The same store as another console or process would open it."""
    return Store(store.url)


def _changed_within(feed: ChangeFeed, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if feed.wait(0.5):
            return True
    return False


def test_the_feed_sees_writes_from_elsewhere_and_only_then(desk: Desk) -> None:
    ticket_id = _ticket(desk)
    feed = ChangeFeed(desk.store)
    try:
        assert not feed.wait(0.3)  # connects; nothing happened yet
        assert not feed.wait(0.6), feed.problem
        other = _other_store(desk.store)
        tickets.tag_ticket(other, actor=desk.olga, ticket_id=ticket_id, add=["wifi"])
        assert _changed_within(feed, 2.0)
        assert not feed.wait(0.6)  # one change, reported once
        other.dispose()
    finally:
        feed.close()


def test_presence_heartbeats_are_not_changes(desk: Desk) -> None:
    """Consoles renew their leases every few seconds: that must not make every other console
    re-read its queue (SQLite: data_version moves on any commit)."""
    ticket_id = _ticket(desk)
    feed = ChangeFeed(desk.store)
    try:
        feed.wait(0.2)
        other = _other_store(desk.store)
        for _ in range(3):
            presence.heartbeat(
                other, console=presence.new_console_id(), actor=desk.ivan, ticket_id=ticket_id
            )
        assert not feed.wait(0.8)
        tickets.tag_ticket(other, actor=desk.olga, ticket_id=ticket_id, add=["real"])
        assert _changed_within(feed, 2.0)
        other.dispose()
    finally:
        feed.close()


@pytest.mark.slow  # starts processes
def test_the_feed_sees_a_cli_batch_in_another_process(desk: Desk) -> None:
    ticket_id = _ticket(desk)
    feed = ChangeFeed(desk.store)
    try:
        feed.wait(0.2)
        done = run_csm(
            "tickets", "priority", str(ticket_id), "--set", "urgent",
            db=desk.store, agent="anna", cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert _changed_within(feed, 2.0)
    finally:
        feed.close()


ONLY_POSTGRES = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
ONLY_SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


@ONLY_POSTGRES
def test_the_feed_listens_again_after_its_connection_is_killed(desk: Desk) -> None:
    ticket_id = _ticket(desk)
    feed = ChangeFeed(desk.store)
    try:
        feed.wait(0.2)
        with desk.store.engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'csm-feed' AND datname = current_database()"
                )
            ).all()
        assert killed
        # the loss is noticed, then the reconnect reports a change (what was missed is unknown)
        assert _changed_within(feed, 5.0)
        assert feed.problem is None
        assert not feed.wait(0.5)
        tickets.tag_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, add=["after"])
        assert _changed_within(feed, 2.0)  # listening again
    finally:
        feed.close()


@pytest.mark.slow  # starts processes
@ONLY_SQLITE
def test_the_feed_waits_out_a_locked_sqlite_store(desk: Desk) -> None:
    ticket_id = _ticket(desk)
    feed = ChangeFeed(desk.store)
    path = desk.store.url.database
    desk.store.dispose()  # an exclusive lock on a WAL store wants no other connection open
    locker = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({path!r}, isolation_level=None, timeout=30)\n"
         "c.execute('PRAGMA locking_mode = EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE')\n"
         "c.execute('UPDATE ticket SET subject = subject')\n"
         "print('locked', flush=True); time.sleep(3); c.execute('COMMIT')\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        started = time.monotonic()
        while time.monotonic() - started < 2.0:
            feed.wait(0.3)  # never raises while the store is locked
        locker.wait(timeout=10)
        # once the lock is gone the feed recovers by itself and sees later writes
        assert _changed_within(feed, 10.0)
        tickets.tag_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, add=["later"])
        assert _changed_within(feed, 10.0)
    finally:
        locker.kill()
        feed.close()


@pytest.mark.slow  # waits for presence to expire
def test_presence_shows_who_is_at_a_ticket_and_expires(desk: Desk) -> None:
    first, second = _ticket(desk), _ticket(desk, "Invoice")
    store = desk.store
    mine, olgas, annas = (presence.new_console_id() for _ in range(3))
    presence.heartbeat(store, console=mine, actor=desk.ivan, ticket_id=first)
    presence.heartbeat(store, console=olgas, actor=desk.olga, ticket_id=first)
    presence.heartbeat(
        store,
        console=annas,
        actor=desk.anna,
        ticket_id=second,
        activity=presence.REPLYING,
        lease=timedelta(seconds=1),
    )
    seen = presence.others_at(store, console=mine, ticket_ids=[first, second])
    assert {k: [p.describe() for p in v] for k, v in seen.items()} == {
        first: ["olga is viewing"],  # not ivan himself
        second: ["anna is replying"],
    }
    # olga starts a reply, then closes her console; anna's console is killed (no renewal)
    presence.heartbeat(
        store, console=olgas, actor=desk.olga, ticket_id=first, activity=presence.REPLYING
    )
    assert presence.others_at(store, console=mine, ticket_ids=[first])[first][0].activity == (
        presence.REPLYING
    )
    presence.leave(store, console=olgas)
    time.sleep(1.2)
    assert presence.others_at(store, console=mine, ticket_ids=[first, second]) == {}
    assert presence.prune(store, older_than=timedelta(0)) == 1  # anna's expired lease
    with pytest.raises(ValueError, match="unknown activity"):
        presence.heartbeat(store, console=mine, actor=desk.ivan, ticket_id=first, activity="x")
