"""`csm import tickets` as a real process, on SQLite and PostgreSQL: killed with SIGKILL in the
middle of its transaction (several chunks written, the rest of the file still to come), it
leaves the store exactly as it was, and the same file imports whole afterwards."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from csm_console.services import audit
from csm_console.store.engine import Store
from csm_console.store.models import metadata
from tests.conftest import ROOT, STORE_KINDS, run_csm, sample_url, start_csm

pytestmark = pytest.mark.slow  # starts processes

FIRST = 2_500  # records sent before the kill: two chunks of 1,000 written, a third being read
TOTAL = 4_000
IMPORT = ("import", "tickets", "-", "--format", "ndjson")


def _lines(start: int, stop: int) -> str:
    return "".join(
        json.dumps(
            {
                "external_id": f"KILL-{n}",
                "subject": f"Kill test {n}",
                "body": "Body",
                "customer_email": f"kill{n % 50}@example.com",
                "tags": ["kill"],
            }
        )
        + "\n"
        for n in range(start, stop)
    )


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables
                if table.name not in ("presence",)
            }
    finally:
        store.dispose()


def _in_transaction(url: str) -> bool:
    """Whether the import holds its write transaction open (it has written and waits for
    more input)."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # database is locked: the import's transaction
            return True
        finally:
            connection.close()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            written = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
            return bool(written)
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_an_import_killed_midway_leaves_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sample_url(tmp_path / "kill.db", kind, request, "importkill")
    before = _snapshot(url)
    process = start_csm(*IMPORT, db=url, agent="admin", cwd=ROOT, stdin=subprocess.PIPE)
    assert process.stdin is not None
    try:
        process.stdin.write(_lines(0, FIRST))
        process.stdin.flush()
        deadline = time.monotonic() + 120
        while not _in_transaction(url):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import never began writing"
            time.sleep(0.2)
        time.sleep(3.0)  # let it write what it has been sent (two chunks)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert _snapshot(url) == before
    store = Store(url)
    try:
        assert audit.verify(store, actor=None).intact
    finally:
        store.dispose()
    again = run_csm(*IMPORT, db=url, agent="admin", cwd=ROOT, input=_lines(0, TOTAL), timeout=600)
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.split()) == TOTAL
    assert f"{TOTAL} records: {TOTAL} created" in again.stderr
