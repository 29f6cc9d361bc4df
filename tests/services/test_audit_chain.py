"""The audit trail is append-only and hash-chained by the store, on both stores: the store's own
owner is refused UPDATE and DELETE (and a ticket's DELETE, which would cascade into its audit);
with the triggers switched off, `csm audit verify` names the first row where the chain breaks.
The migration chains the rows a store already has."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc, text

from csm_console.domain.query import parse_query
from csm_console.services import audit, reassign, tickets
from csm_console.store import audit_chain, migrate
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk

_csm = Cli(agent="root").on


def _work(desk: Desk) -> list[int]:
    """Audit rows of every kind of writer: the ORM, one by one, and a bulk INSERT ... SELECT."""
    store, root = desk.store, desk.root
    ids = []
    for subject in ("Счёт nav pareizs", "x|y;3:z"):
        row = tickets.create_ticket(
            store, actor=root, customer_email="c@example.com", subject=subject, body="b"
        )
        ids.append(row.id)
        tickets.add_note(store, actor=root, ticket_id=row.id, body="ünïcödé ✓")
        tickets.tag_ticket(store, actor=root, ticket_id=row.id, add=["a", "b"])
    reassign.apply(store, actor=root, query=parse_query("team:Frontline"), to="ivan")
    return ids


@pytest.fixture
def disable(desk: Desk) -> Iterator[Any]:
    """Switch one of the audit triggers off, as the owner can; PostgreSQL tests share one
    database, so they are switched back on after the test."""
    store = desk.store

    def off(trigger: str) -> None:
        with store.engine.begin() as conn:
            if store.is_postgres:
                conn.execute(text(f"ALTER TABLE audit_event DISABLE TRIGGER {trigger}"))
            else:
                conn.execute(text(f"DROP TRIGGER {trigger}"))

    yield off
    if store.is_postgres:
        with store.engine.begin() as conn:
            for trigger in ("audit_event_append_only", "audit_event_chain"):
                conn.execute(text(f"ALTER TABLE audit_event ENABLE ALWAYS TRIGGER {trigger}"))


def _audit_ids(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars())


def test_the_owner_cannot_rewrite_history_and_verify_names_the_first_break(
    desk: Desk, disable: Any
) -> None:
    store = desk.store
    ticket_ids = _work(desk)
    ok = _csm(store, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    rows = _audit_ids(store)
    head = f"{rows[-1]}:"
    assert ok.stdout.startswith(head) and "intact" in ok.stderr

    # the probes, as the owner: each refused by the store
    for probe in (
        "UPDATE audit_event SET actor_id = NULL",
        f"DELETE FROM audit_event WHERE id = {rows[0]}",
        f"DELETE FROM ticket WHERE id = {ticket_ids[0]}",
        "INSERT INTO audit_event (action, created_at, hash) VALUES ('forged', "
        "'2026-01-01 00:00:00', 'x')",
    ):
        with pytest.raises(exc.DBAPIError), store.engine.begin() as conn:
            conn.execute(text(probe))
    assert _csm(store, "audit", "verify").exit_code == 0

    # a row inserted by hand gets its hash from the store and keeps the chain whole
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_event (action, created_at) VALUES ('manual', :at)"),
            {"at": "2026-01-01 00:00:00+00"},
        )
    assert _csm(store, "audit", "verify").exit_code == 0

    # the owner switches the guard off: each edit shows, naming the first broken row
    disable("audit_event_append_only" if store.is_postgres else "audit_event_no_update")
    third = rows[2]
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_event SET actor_id = {desk.anna.id} WHERE id = {third}"))
    broken = _csm(store, "audit", "verify")
    assert broken.exit_code == 7, broken.output
    assert f"broken at row #{third}: its content differs" in broken.stderr
    assert "2 rows before it are intact" in broken.stderr
    data = _csm(store, "audit", "verify", "--format", "json")
    assert data.exit_code == 7 and f'"broken_at": {third}' in data.stdout


def test_removed_rows_are_found_even_at_the_end(desk: Desk, disable: Any) -> None:
    store = desk.store
    _work(desk)
    rows = _audit_ids(store)
    noted = _csm(store, "audit", "verify").stdout.strip()
    disable("audit_event_append_only" if store.is_postgres else "audit_event_no_delete")
    with store.engine.begin() as conn:  # from the middle
        conn.execute(text(f"DELETE FROM audit_event WHERE id = {rows[3]}"))
    broken = _csm(store, "audit", "verify")
    assert broken.exit_code == 7
    assert f"broken at row #{rows[4]}: it does not follow row #{rows[2]}" in broken.stderr

    with store.engine.begin() as conn:  # from the end, head and all: only --expect sees it
        conn.execute(text(f"DELETE FROM audit_event WHERE id >= {rows[3]}"))
        conn.execute(
            text(
                "UPDATE audit_chain_head SET last_id = a.id, last_hash = a.hash "
                f"FROM (SELECT id, hash, chain FROM audit_event WHERE id = {rows[2]}) AS a "
                "WHERE audit_chain_head.id = a.chain"  # the head of the row's shard
            )
        )
    assert _csm(store, "audit", "verify").exit_code == 0
    expect = _csm(store, "audit", "verify", "--expect", noted)
    assert expect.exit_code == 7
    assert "no longer in the chain" in expect.stderr
    with store.engine.begin() as conn:  # the head alone left behind
        conn.execute(text(f"DELETE FROM audit_event WHERE id = {rows[2]}"))
    tail = _csm(store, "audit", "verify")
    assert tail.exit_code == 7 and "rows at the end were removed" in tail.stderr


def test_an_admins_verification_is_recorded(desk: Desk) -> None:
    _work(desk)
    with desk.store.engine.begin() as conn:  # PostgreSQL tests share one store_info
        conn.execute(text("DELETE FROM store_info WHERE key = :k"), {"k": audit.VERIFIED_KEY})
    assert audit.last_verified(desk.store) is None
    assert _csm(desk.store, "audit", "verify", agent="olga").exit_code == 0
    assert audit.last_verified(desk.store) is None  # an operator's run is not recorded
    report = audit.verify(desk.store, actor=desk.root)
    last = audit.last_verified(desk.store)
    assert last is not None and last.result == "intact" and last.rows == report.rows


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_concurrent_writers_chain_one_after_another(desk: Desk) -> None:
    store = desk.store
    ids = [
        tickets.create_ticket(
            store, actor=desk.root, customer_email="c@example.com", subject=f"t{i}", body="b"
        ).id
        for i in range(4)
    ]
    errors: list[BaseException] = []

    def write(ticket_id: int) -> None:
        try:
            for n in range(15):
                tickets.add_note(store, actor=desk.root, ticket_id=ticket_id, body=f"n{n}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = audit.verify(store, actor=None)
    assert report.intact, report.broken
    assert report.rows == len(_audit_ids(store))


def test_the_migration_chains_the_rows_already_there(own_store: Store) -> None:
    store = own_store
    migrate.upgrade(store, "0010")
    with store.engine.begin() as conn:
        for i, (action, old, new) in enumerate(
            [("create", None, None), ("status", "new", "open"), ("note", "ö;1:x", "—\n")]
        ):
            conn.execute(
                text(
                    "INSERT INTO audit_event (action, old_value, new_value, created_at, version) "
                    "VALUES (:a, :o, :n, :t, :v)"
                ),
                {"a": action, "o": old, "n": new, "t": f"2026-01-0{i + 1} 10:00:00.123456+00",
                 "v": i + 1},
            )  # fmt: skip
    migrate.upgrade(store)
    report = audit.verify(store, actor=None)
    assert report.intact and report.rows == 3
    with store.engine.connect() as conn:
        first = conn.execute(text("SELECT prev_hash FROM audit_event ORDER BY id LIMIT 1"))
        assert first.scalar() == ""  # the chain starts from them
    with store.engine.begin() as conn:  # the trigger goes on from the migrated head
        conn.execute(text("INSERT INTO audit_event (action, created_at) VALUES ('x', :t)"),
                     {"t": "2026-02-01 00:00:00+00"})  # fmt: skip
    after = audit.verify(store, actor=None)
    assert after.intact and after.rows == 4
    assert migrate.downgrade(store, "0010") == "0010"
    assert migrate.upgrade(store) == ("0010", migrate.HEAD)
    assert audit.verify(store, actor=None).rows == 4


def _insert(conn: Any, action: str) -> int:
    return int(
        conn.execute(
            text("INSERT INTO audit_event (action, created_at) VALUES (:a, :t) RETURNING id"),
            {"a": action, "t": "2026-03-01 00:00:00+00"},
        ).scalar_one()
    )


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_writers_at_once_chain_in_shards_each_verified_to_its_end(desk: Desk) -> None:
    """Three transactions open at once take three shards (none waits for another's commit);
    the settled id stays below the rows of one still running; every shard verifies, and an
    edit in one shard, a row removed from its middle or its end are each found."""
    store = desk.store
    _insert_committed(store, "before")  # a shard made and used already
    conns = [store.engine.connect() for _ in range(3)]
    try:
        txs = [c.begin() for c in conns]
        ids = [[_insert(c, f"w{n}a")] for n, c in enumerate(conns)]
        for n, c in enumerate(conns):
            ids[n].append(_insert(c, f"w{n}b"))
        txs[2].commit()
        txs[1].commit()
        with store.engine.connect() as reader:  # writer 0 still runs: nothing of it below
            assert audit_chain.settled_id(reader) < ids[0][0]
        txs[0].commit()
        with store.engine.connect() as reader:
            assert audit_chain.settled_id(reader) == ids[2][1]
            chains = dict(reader.execute(text("SELECT id, chain FROM audit_event")).all())
    finally:
        for c in conns:
            c.close()
    assert len({chains[i[0]] for i in ids}) == 3  # a shard each
    assert all(chains[a] == chains[b] for a, b in ids)  # and kept to the commit
    report = audit.verify(store, actor=None)
    assert report.intact and report.rows == 7 and report.head_id == ids[2][1]
    noted = f"{report.head_id}:{report.head_hash}"

    with store.engine.begin() as conn:  # a shard's last row and its head, removed together
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        try:
            conn.execute(text(f"DELETE FROM audit_event WHERE id = {ids[1][1]}"))
            conn.execute(
                text(
                    f"UPDATE audit_chain_head SET last_id = {ids[1][0]}, last_hash = "
                    f"(SELECT hash FROM audit_event WHERE id = {ids[1][0]}) "
                    f"WHERE id = {chains[ids[1][0]]}"
                )
            )
        finally:
            conn.execute(
                text("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only")
            )
    assert audit.verify(store, actor=None).intact  # as with one chain: only a noted head sees it
    expect = _csm(store, "audit", "verify", "--expect", noted)
    assert expect.exit_code == 7 and "not the one noted earlier" in expect.stderr


def _insert_committed(store: Store, action: str) -> int:
    with store.engine.begin() as conn:
        return _insert(conn, action)


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_shard_edited_cut_in_the_middle_or_at_the_end_is_found(desk: Desk, disable: Any) -> None:
    store = desk.store
    conns = [store.engine.connect() for _ in range(2)]
    try:
        txs = [c.begin() for c in conns]
        rows = [[_insert(c, f"s{n}.{k}") for k in range(4)] for n, c in enumerate(conns)]
        for tx in txs:
            tx.commit()
    finally:
        for c in conns:
            c.close()
    second = rows[1]  # its own shard, written while the first was held
    with store.engine.connect() as conn:
        shard = conn.execute(text(f"SELECT chain FROM audit_event WHERE id = {second[0]}"))
        chain = shard.scalar_one()
    assert audit.verify(store, actor=None).intact
    disable("audit_event_append_only")
    with store.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_event SET action = 'forged' WHERE id = {second[1]}"))
    broken = audit.verify(store, actor=None).broken
    assert broken is not None and broken.row_id == second[1] and "content" in broken.reason
    with store.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE id = {second[1]}"))
    broken = audit.verify(store, actor=None).broken
    assert broken is not None and broken.row_id == second[2]
    assert f"does not follow row #{second[0]}" in broken.reason
    with store.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE id >= {second[2]} AND chain = {chain}"))
    broken = audit.verify(store, actor=None).broken
    assert broken is not None and "rows at the end were removed" in broken.reason
    assert f"shard {chain} ends at row #{second[0]}" in broken.reason


def test_a_store_migrated_from_0016_verifies_and_tampering_after_is_caught(
    own_store: Store,
) -> None:
    store = own_store
    migrate.upgrade(store, "0016")
    with store.engine.begin() as conn:  # chained by 0011's trigger: one chain
        old = [_insert(conn, f"old{i}") for i in range(3)]
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.HEAD
    report = audit.verify(store, actor=None)
    assert report.intact and report.rows == 3 and report.head_id == old[-1]
    with store.engine.connect() as conn:
        last_old = conn.execute(text(f"SELECT hash FROM audit_event WHERE id = {old[-1]}"))
        assert report.head_hash == last_old.scalar()  # a head noted before 0017 still holds
    with store.engine.begin() as conn:
        new = [_insert(conn, f"new{i}") for i in range(2)]
    with store.engine.connect() as conn:
        first_new = conn.execute(
            text(f"SELECT chain, prev_hash FROM audit_event WHERE id = {new[0]}")
        ).one()
    assert first_new == (1, report.head_hash)  # the shard goes on from the trunk's end
    after = audit.verify(store, actor=None, expect=(old[-1], report.head_hash or ""))
    assert after.intact and after.rows == 5
    with store.engine.begin() as conn:  # the trunk's last row removed, its head moved back
        if store.is_postgres:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text(f"DELETE FROM audit_event WHERE id = {old[-1]}"))
        conn.execute(
            text(
                f"UPDATE audit_chain_head SET last_id = {old[1]}, last_hash = "
                f"(SELECT hash FROM audit_event WHERE id = {old[1]}) WHERE id = 0"
            )
        )
    broken = audit.verify(store, actor=None).broken
    assert broken is not None and broken.row_id == new[0]
    assert f"does not follow row #{old[1]}" in broken.reason
