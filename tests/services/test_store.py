"""The store: migrations, SQLite settings, error translation, and the layer rule."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from csm_console.errors import ConfigError, SchemaError, StoreUnavailable
from csm_console.store import engine as store_engine
from csm_console.store import migrate, store_info
from csm_console.store.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_LEAN_CACHE_KIB,
    SQLITE_LEAN_MMAP_BYTES,
    SQLITE_MMAP_BYTES,
    Store,
    mask_url,
    parse_store_url,
)
from csm_console.store.models import Ticket, metadata
from csm_console.store.search_index import is_search_object
from tests.conftest import PostgresServer


def _schema_diff(store: Store) -> list[object]:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                # the full-text index is dialect-specific DDL, not part of the models
                "include_name": lambda name, type_, parent: not is_search_object(name),
            },
        )
        return list(compare_metadata(context, metadata))


def test_migrations_build_exactly_the_models_on_sqlite(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    with pytest.raises(SchemaError, match="has no csm schema; run `csm init`"):
        migrate.check_schema(store)
    before, after = migrate.upgrade(store)
    assert (before, after) == (None, migrate.head_revision())
    migrate.check_schema(store)
    assert _schema_diff(store) == []
    assert migrate.upgrade(store) == (after, after)  # idempotent
    store.dispose()


@pytest.mark.postgres
def test_migrations_build_exactly_the_models_on_postgres(postgres_server: PostgresServer) -> None:
    store = Store(postgres_server.create_database("migrate"))
    with pytest.raises(SchemaError, match="run `csm init`"):
        migrate.check_schema(store)
    migrate.upgrade(store)
    migrate.check_schema(store)
    assert _schema_diff(store) == []
    store.dispose()


_T0 = "2026-01-01T00:00:00+00:00"
_OLD_ROWS = [
    "INSERT INTO team (id, name, tier, description) VALUES (1, 'Frontline', 'L1', '')",
    # an agent that a ticket points at: a migration that rebuilt `agent` would break that
    "INSERT INTO agent (id, handle, name, email, role, tier, team_id, active, signature) "
    "VALUES (1, 'olga', 'Olga', 'olga@example.com', 'operator', 'L1', 1, TRUE, '')",
    "INSERT INTO customer (id, name, email, phone, company, language, preferred_channel, "
    "segment, lookup) VALUES (1, 'Ann', 'ann@example.com', '', '', 'en', 'email', 'standard', "
    "'ann ann@example.com')",
    "INSERT INTO ticket (id, subject, customer_id, channel, status, priority, tier, team_id, "
    "assignee_id, created_at, updated_at, first_response_due, resolution_due, sla_due, "
    f"reopen_count, version, search_text) VALUES (7, 'Old', 1, 'email', 'new', 2, 'L1', 1, 1, "
    f"'{_T0}', '{_T0}', '{_T0}', '{_T0}', '{_T0}', 0, 3, 'old')",
    # answered and waiting for the customer: 0008 starts its pause and stops its running clock
    "INSERT INTO ticket (id, subject, customer_id, channel, status, priority, tier, team_id, "
    "assignee_id, created_at, updated_at, first_response_at, first_response_due, resolution_due, "
    f"sla_due, reopen_count, version, search_text) VALUES (8, 'Waiting', 1, 'email', 'pending', "
    f"2, 'L1', 1, 1, '{_T0}', '{_T0}', '{_T0}', '{_T0}', '{_T0}', '{_T0}', 0, 2, 'waiting')",
]


def _upgrade_keeps_data(store: Store) -> None:
    """A store made at 0001 with a ticket in it upgrades to head and keeps it, and comes back
    down again: every migration runs both ways on a real store with data, not only when empty."""
    migrate.upgrade(store, "0001")
    with pytest.raises(SchemaError, match="csm needs"):
        migrate.check_schema(store)
    with store.engine.begin() as conn:  # the 0001 tables, filled by hand: the models are newer
        for statement in _OLD_ROWS:
            conn.execute(text(statement))
    assert migrate.upgrade(store) == ("0001", migrate.HEAD)
    migrate.check_schema(store)
    assert _schema_diff(store) == []
    old_ticket = "SELECT subject, version FROM ticket WHERE id = 7"
    with store.engine.begin() as conn:
        assert conn.execute(text(old_ticket)).one() == ("Old", 3)
    with store.read() as session:
        waiting = session.get(Ticket, 8)
        assert waiting is not None and waiting.paused_since == waiting.updated_at
        assert waiting.sla_due.year == 9999 and waiting.paused_seconds == 0
        assert session.get(Ticket, 7).paused_since is None  # type: ignore[union-attr]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET external_id = 'ZD-7' WHERE id = 7"))
    assert migrate.downgrade(store, "0001") == "0001"
    with store.engine.connect() as conn:
        assert conn.execute(text(old_ticket)).one() == ("Old", 3)
    migrate.upgrade(store)
    assert _schema_diff(store) == []


def test_upgrade_from_0001_keeps_data_on_sqlite(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    _upgrade_keeps_data(store)
    store.dispose()


@pytest.mark.postgres
def test_upgrade_from_0001_keeps_data_on_postgres(postgres_server: PostgresServer) -> None:
    store = Store(postgres_server.create_database("upgrade"))
    _upgrade_keeps_data(store)
    store.dispose()


def test_schema_from_the_future_or_the_past_is_named(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(SchemaError, match="newer than this csm"):
        migrate.check_schema(store)
    store.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    store.dispose()


def test_a_grown_wal_is_cut_back_once_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst grows the WAL; once it is checkpointed and starts over, the file shrinks to
    what the store keeps (`SQLITE_WAL_KEEP_BYTES`), though connections stay open."""
    monkeypatch.setattr(store_engine, "SQLITE_WAL_KEEP_BYTES", 256 * 1024)
    path = tmp_path / "w.db"
    wal = Path(f"{path}-wal")
    store = Store(f"sqlite:///{path}")
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE burst (n INTEGER PRIMARY KEY, body TEXT)")
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")  # as a bulk job defers it
            conn.exec_driver_sql("INSERT INTO burst (body) VALUES (?)", [("x" * 2000,)] * 2000)
        assert wal.stat().st_size > 4_000_000
        with store.engine.connect() as conn:  # the burst checkpointed; the next write restarts
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO burst (body) VALUES ('after')")
        assert wal.stat().st_size <= 256 * 1024
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM burst").scalar() == 2001
    finally:
        store.dispose()


def test_a_lean_store_reads_without_the_memory_map_except_in_a_scan(tmp_path: Path) -> None:
    """The console's store (`Store.lean`) reads through a small page cache and no memory map,
    so that the pages a query touches do not stay in its resident memory; a scan (the report,
    the dashboard) and a bulk job get the big cache (and the scan the map) for that transaction
    only.  Other stores keep both on every connection."""
    path = tmp_path / "lean.db"
    plain = Store(f"sqlite:///{path}")
    migrate.upgrade(plain)

    def pragmas(store: Store, *, scan: bool = False) -> tuple[int, int]:
        with store.read(scan=scan) as session:
            return (
                int(session.execute(text("PRAGMA mmap_size")).scalar_one()),
                int(session.execute(text("PRAGMA cache_size")).scalar_one()),
            )

    big = (SQLITE_MMAP_BYTES, -SQLITE_CACHE_KIB)
    assert pragmas(plain) == big
    assert pragmas(plain, scan=True) == big
    plain.dispose()

    lean = Store(f"sqlite:///{path}")
    lean.lean()
    small = (SQLITE_LEAN_MMAP_BYTES, -SQLITE_LEAN_CACHE_KIB)
    assert SQLITE_LEAN_MMAP_BYTES < SQLITE_MMAP_BYTES
    assert pragmas(lean) == small
    assert pragmas(lean, scan=True) == big
    assert pragmas(lean) == small  # the same pooled connection, back to lean
    with lean.bulk(), lean.write() as session:
        assert session.execute(text("PRAGMA cache_size")).scalar_one() == -SQLITE_CACHE_KIB
        assert session.execute(text("PRAGMA mmap_size")).scalar_one() == SQLITE_LEAN_MMAP_BYTES
    assert pragmas(lean) == small
    lean.dispose()


def test_sqlite_writes_begin_immediate(tmp_path: Path) -> None:
    """A write transaction holds the write lock from its first statement, so a reader that
    later writes never fails halfway with "database is locked"."""
    path = tmp_path / "lock.db"
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    with store.write() as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    store.dispose()


def test_locked_sqlite_store_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csm_console.store.engine as engine_module

    path = tmp_path / "busy.db"
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with (
        pytest.raises(StoreUnavailable, match="stayed locked by another process"),
        store.write() as s,
    ):
        s.execute(text("SELECT 1"))
    assert time.monotonic() - started < 10
    holder.execute("ROLLBACK")
    holder.close()
    store.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:secret@h/db", "unsupported store"),
        ("postgresql://u:secret@h:notaport/db", "bad store URL"),  # a plain path is a file
        ("postgresql+asyncpg://u:secret@h/db", "psycopg 3"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_store_url(url)
    assert "secret" not in str(caught.value)


def test_postgres_url_uses_psycopg_and_masks_password() -> None:
    url = parse_store_url("postgresql://olga:s3cret@db.example:5432/csm")
    assert url.drivername == "postgresql+psycopg"
    assert mask_url(url) == "postgresql+psycopg://olga:***@db.example:5432/csm"
    assert "s3cret" not in mask_url("postgresql://olga:s3cret@db example/csm")


def test_unreachable_server_is_one_line_without_password() -> None:
    store = Store("postgresql://olga:s3cret@127.0.0.1:1/csm")
    with pytest.raises(StoreUnavailable) as caught:
        store.ping()
    message = str(caught.value)
    assert "s3cret" not in message and "\n" not in message
    assert "127.0.0.1:1" in message
    store.dispose()


@pytest.mark.postgres
def test_a_runaway_query_is_stopped_by_the_statement_timeout(
    postgres_template_url: str,
) -> None:
    store = Store(postgres_template_url, statement_timeout_ms=200)
    with (
        pytest.raises(StoreUnavailable, match="ran longer than the statement timeout"),
        store.read() as session,
    ):
        session.execute(text("SELECT pg_sleep(2)"))
    with store.read() as session:  # the connection is fine afterwards
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    store.dispose()


@pytest.mark.postgres
def test_options_in_the_url_are_kept_with_the_statement_timeout(
    postgres_template_url: str,
) -> None:
    store = Store(postgres_template_url + "?options=-csearch_path%3Dpublic,extra")
    with store.read() as session:
        assert "extra" in session.execute(text("SHOW search_path")).scalar_one()
        assert session.execute(text("SHOW statement_timeout")).scalar_one() == "1min"
    store.dispose()


def _backend_pid(store: Store) -> int:
    with store.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_pooled_connection_is_pinged_only_after_sitting_idle(
    postgres_template_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(postgres_template_url)
    pings: list[int] = []
    ping = store.engine.dialect.do_ping
    monkeypatch.setattr(store.engine.dialect, "do_ping", lambda c: pings.append(1) or ping(c))
    monkeypatch.setattr(store_engine, "POSTGRES_PING_AFTER_IDLE_S", 60.0)  # no stall counts
    try:
        pid = _backend_pid(store)  # a new connection: alive, not pinged
        assert [_backend_pid(store) for _ in range(20)] == [pid] * 20 and pings == []
        # idle past the window: pinged at checkout; killed meanwhile: replaced, no error
        monkeypatch.setattr(store_engine, "POSTGRES_PING_AFTER_IDLE_S", 0.0)
        killer = Store(postgres_template_url)
        with killer.engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        fresh = _backend_pid(store)  # the dead one pinged, then its replacement (window 0)
        assert fresh != pid and len(pings) == 2
        assert _backend_pid(store) == fresh and len(pings) == 3
    finally:
        store.dispose()


@pytest.mark.slow  # starts processes
def test_core_and_cli_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import csm_console.domain.query, csm_console.services.tickets\n"
        "import csm_console.services.setup\n"
        "import csm_console.devtools.generate, csm_console.store.migrate, csm_console.config\n"
        "import csm_console.cli.main\n"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if 'textual' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_write_transactions_roll_back_on_error(tmp_path: Path) -> None:
    from csm_console.store.models import Team

    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    migrate.upgrade(store)
    with pytest.raises(RuntimeError), store.write() as session:
        session.add(Team(name="x", tier="L1"))
        session.flush()
        raise RuntimeError("boom")
    with store.read() as session:
        assert session.execute(text("SELECT count(*) FROM team")).scalar() == 0
    store.dispose()


def test_concurrent_readers_while_writing(tmp_path: Path) -> None:
    """WAL: readers see the last commit while a writer holds the lock."""
    from csm_console.store.models import Team

    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    migrate.upgrade(store)
    seen: list[int] = []
    with store.write() as session:
        session.add(Team(name="x", tier="L1"))
        session.flush()

        def read() -> None:
            with store.read() as s:
                seen.append(s.execute(text("SELECT count(*) FROM team")).scalar_one())

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(5)
    assert seen == [0]
    store.dispose()


def test_head_constant_matches_the_migration_scripts() -> None:
    """Everyday commands compare against `HEAD` without importing Alembic; it must not drift."""
    assert migrate.script_head() == migrate.HEAD


def test_bulk_runs_checkpoint_the_wal_once_at_the_end(tmp_path: Path) -> None:
    """Inside `Store.bulk` SQLite does not checkpoint after every commit (each chunk of a bulk
    job would pay for one); every transaction still commits, and the setting is restored after."""
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    migrate.upgrade(store)

    def autocheckpoint() -> int:
        with store.write() as session:
            return int(session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())

    assert autocheckpoint() == 1000
    with store.bulk():
        assert autocheckpoint() == 0
        with store.write() as session:
            session.execute(
                text("INSERT INTO team (name, tier, description) VALUES ('T', 'L1', '')")
            )
    with sqlite3.connect(tmp_path / "b.db") as other:  # committed, seen by another connection
        assert other.execute("SELECT count(*) FROM team").fetchone() == (1,)
    assert autocheckpoint() == 1000
    store.dispose()


def test_a_store_fact_is_set_whether_or_not_another_writer_just_set_it(store: Store) -> None:
    """Two workers recording the same fact at once: the one that comes second updates it
    instead of failing on the key (the PostgreSQL run interleaves the two transactions)."""
    with store.write() as session:
        store_info.put(session, "automation:7", "first")
    with store.read() as session:
        assert store_info.get(session, "automation:7") == "first"
    if store.dialect == "postgresql":
        with store.write() as late:
            assert store_info.get(late, "automation:8") is None  # it looks: nothing yet
            with store.write() as early:
                store_info.put(early, "automation:8", "early")
            store_info.put(late, "automation:8", "late")  # the old read-then-insert failed here
    else:
        with store.write() as session:
            store_info.put(session, "automation:8", "late")
    with store.write() as session:
        store_info.put(session, "automation:7", "second")
    with store.read() as session:
        assert store_info.get(session, "automation:7") == "second"
        assert store_info.get(session, "automation:8") == "late"
