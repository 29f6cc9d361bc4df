"""PostgreSQL's change feed counts changes (migration 0021): every transaction that writes the
ticket tables adds 1 to one shard of `change_mark` as it commits, and a console's feed polls the
sum; nothing notifies.  On the real server: committed writes are seen, rolled-back ones are
not, 17 writers at once all count without waiting, and 0021 goes down to 0005's notifications
and up again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from csm_console.services import tickets
from csm_console.store import change_feed, migrate
from csm_console.store.change_feed import ChangeFeed
from csm_console.store.engine import Store
from tests.conftest import Desk, PostgresServer

ONLY_POSTGRES = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
# a few polls: long enough for the feed to see a change, never a timed assertion
SEEN_WITHIN = 8 * change_feed.POLL_SECONDS


def _ticket(desk: Desk) -> int:
    row = tickets.create_ticket(
        desk.store, actor=desk.olga, customer_email="c@example.com", subject="Router", body="b"
    )
    return row.id


def _raw(store: Store) -> psycopg.Connection[tuple[object, ...]]:
    """A connection of another client, as psql would open it."""
    url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(url)


def _mark(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(change_feed.MARK_SQL)).scalar_one())


@pytest.fixture
def feed(desk: Desk) -> Iterator[ChangeFeed]:
    with desk.store.engine.begin() as conn:  # the test store was emptied: its shards back
        conn.execute(text(change_feed.SEED_SQL))
    watching = ChangeFeed(desk.store)
    assert not watching.wait(0.05), watching.problem  # connects: the baseline
    try:
        yield watching
    finally:
        watching.close()


@ONLY_POSTGRES
def test_a_committed_write_is_seen_and_a_rolled_back_one_is_not(
    desk: Desk, feed: ChangeFeed
) -> None:
    ticket_id = _ticket(desk)
    assert feed.wait(SEEN_WITHIN)  # the ticket made above
    assert not feed.wait(SEEN_WITHIN)  # a quiet store
    with contextlib.closing(_raw(desk.store)) as other:
        other.execute("UPDATE ticket SET priority = 3 WHERE id = %s", (ticket_id,))
        assert not feed.wait(SEEN_WITHIN)  # not committed yet: nothing to read
        other.rollback()
        assert not feed.wait(SEEN_WITHIN)  # rolled back: nothing happened
        other.execute("INSERT INTO ticket_tag (ticket_id, tag) VALUES (%s, 'wifi')", (ticket_id,))
        other.commit()
    assert feed.wait(SEEN_WITHIN)
    assert not feed.wait(SEEN_WITHIN)  # one change, reported once
    assert feed.problem is None


@ONLY_POSTGRES
def test_a_transaction_counts_once_and_one_that_changed_nothing_not_at_all(desk: Desk) -> None:
    ticket_id = _ticket(desk)
    before = _mark(desk.store)
    with contextlib.closing(_raw(desk.store)) as other:
        other.execute("UPDATE ticket SET priority = 3 WHERE id = %s", (ticket_id,))
        other.execute("INSERT INTO ticket_tag (ticket_id, tag) VALUES (%s, 'a')", (ticket_id,))
        other.execute("DELETE FROM ticket_tag WHERE ticket_id = %s", (ticket_id,))
        other.commit()
        assert _mark(desk.store) == before + 1
        other.execute("UPDATE ticket SET priority = 3 WHERE id = -1")  # no row
        other.execute("DELETE FROM ticket_tag WHERE ticket_id = -1")
        other.commit()
        assert _mark(desk.store) == before + 1
        # a savepoint's write rolled back does not count; the write after it does
        other.execute("SAVEPOINT s")
        other.execute("UPDATE ticket SET priority = 2 WHERE id = %s", (ticket_id,))
        other.execute("ROLLBACK TO SAVEPOINT s")
        other.execute("UPDATE ticket SET priority = 1 WHERE id = %s", (ticket_id,))
        other.commit()
    assert _mark(desk.store) == before + 2


@ONLY_POSTGRES
def test_seventeen_writers_at_once_all_count_and_none_waits(desk: Desk, feed: ChangeFeed) -> None:
    """16 shards held by 16 open transactions: the 17th counts in its backend's own row
    instead of waiting for a shard (a wait there could deadlock with ticket row locks)."""
    ids = [_ticket(desk) for _ in range(17)]
    assert feed.wait(SEEN_WITHIN)
    before = _mark(desk.store)
    writers = [_raw(desk.store) for _ in ids]
    try:
        for conn, ticket_id in zip(writers, ids, strict=True):
            conn.execute("SET lock_timeout = '5s'")  # a writer that waited would fail here
            conn.execute("UPDATE ticket SET priority = 3 WHERE id = %s", (ticket_id,))
        assert _mark(desk.store) == before  # none committed yet
        assert not feed.wait(SEEN_WITHIN)
        for conn in writers:
            conn.commit()
    finally:
        for conn in writers:
            conn.close()
    assert _mark(desk.store) == before + 17
    with desk.store.engine.connect() as conn:
        shards = conn.execute(text("SELECT shard FROM change_mark WHERE version > 0")).scalars()
        used = sorted(shards)
    assert used[:16] == list(range(16)) and len(used) == 17 and used[16] >= 16
    assert feed.wait(SEEN_WITHIN)


@ONLY_POSTGRES
def test_the_feed_reports_a_change_after_a_reconnect(desk: Desk, feed: ChangeFeed) -> None:
    ticket_id = _ticket(desk)
    assert feed.wait(SEEN_WITHIN)
    with desk.store.engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'csm-feed' AND datname = current_database()"
            )
        )
    assert not feed.wait(SEEN_WITHIN)  # the loss is noticed
    assert feed.problem is not None
    changed = False
    for _ in range(20):  # the backoff, then the reconnect, which reports a change
        if feed.wait(SEEN_WITHIN):
            changed = True
            break
    assert changed and feed.problem is None
    assert not feed.wait(SEEN_WITHIN)
    tickets.tag_ticket(desk.store, actor=desk.olga, ticket_id=ticket_id, add=["after"])
    assert feed.wait(SEEN_WITHIN)


def _triggers(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t.tgname, p.proname FROM pg_trigger AS t "
                "JOIN pg_proc AS p ON p.oid = t.tgfoid WHERE t.tgname LIKE 'csm_%_changed'"
            )
        ).all()
    return {str(name): str(function) for name, function in rows}


@pytest.mark.postgres
def test_0021_replaces_the_notifications_and_gives_them_back(
    postgres_server: PostgresServer,
) -> None:
    scratch = Store(postgres_server.create_database("changemark"))
    try:
        migrate.upgrade(scratch)
        names = {f"csm_{t}_changed" for t in change_feed.WATCHED_TABLES}
        assert _triggers(scratch) == dict.fromkeys(names, "csm_mark_change")
        with scratch.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM change_mark")).scalar_one() == 16
        assert migrate.downgrade(scratch, "0020") == "0020"
        assert _triggers(scratch) == dict.fromkeys(names, "csm_notify_change")
        with contextlib.closing(_raw(scratch)) as listener:
            listener.autocommit = True
            listener.execute(f"LISTEN {change_feed.CHANNEL}")
            with scratch.engine.begin() as conn:
                conn.execute(text("DELETE FROM ticket_tag"))
            heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
        assert heard == ["ticket_tag"]
        assert migrate.upgrade(scratch) == ("0020", migrate.HEAD)
        assert _triggers(scratch) == dict.fromkeys(names, "csm_mark_change")
    finally:
        scratch.dispose()
