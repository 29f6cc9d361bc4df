"""`csm mail receive` as a mail server runs it: a real process with the message on stdin.

Exit 75 (EX_TEMPFAIL) when the store cannot be used now, with nothing written: a file that is
no store, a PostgreSQL server that is not there, a SQLite store another process holds locked
in a write transaction (past the busy timeout).  And several processes piping the same
message at the same moment store it once: the receipt's unique key decides."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csm_console.store.engine import Store
from csm_console.store.models import MailReceipt, Quarantine, Ticket
from tests.conftest import build_desk, process_env, run_csm, sample_url, start_csm, url_of
from tests.mail_support import message

pytestmark = pytest.mark.slow

CONFIG = """
[[mailboxes]]
name = "support"
addresses = ["support@desk.example"]
"""


def _env(tmp: Path) -> dict[str, str]:
    config = tmp / "csm.toml"
    config.write_text(CONFIG, "utf-8")
    return {**process_env(), "CSM_DATA_DIR": str(tmp / "data"), "CSM_CONFIG_FILE": str(config)}


def _receive(db: str, raw: bytes, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    return run_csm("mail", "receive", db=db, input=raw, env=_env(tmp), timeout=120, text=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


def test_a_file_that_is_no_store_is_a_temporary_failure(tmp_path: Path) -> None:
    bogus = tmp_path / "store.db"
    bogus.write_bytes(b"this is not a database, it is a note to self\n" * 200)
    before = bogus.read_bytes()
    done = _receive(str(bogus), message(), tmp_path)
    assert done.returncode == 75, done.stderr
    assert b"nothing was written" in done.stderr and done.stdout == b""
    assert bogus.read_bytes() == before


def test_a_store_that_cannot_be_opened_is_a_temporary_failure(tmp_path: Path) -> None:
    (tmp_path / "store.db").mkdir()  # what root cannot open either (see the next test)
    done = _receive(str(tmp_path / "store.db"), message(), tmp_path)
    assert done.returncode == 75, done.stderr
    assert b"unable to open" in done.stderr and done.stdout == b""
    assert list((tmp_path / "store.db").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_store_file_is_a_temporary_failure(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    from csm_console.services import setup

    setup.initialize(store)
    store.dispose()
    (tmp_path / "store.db").chmod(0)
    done = _receive(str(tmp_path / "store.db"), message(), tmp_path)
    assert done.returncode == 75, done.stderr


def test_a_postgresql_server_that_is_not_there_is_a_temporary_failure(tmp_path: Path) -> None:
    url = f"postgresql://csm@127.0.0.1:{_free_port()}/nowhere"
    done = _receive(url, message(), tmp_path)
    assert done.returncode == 75, done.stderr
    assert b"nothing was written" in done.stderr and done.stdout == b""


HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE store_info SET value = value WHERE key = 'store_key'")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
connection.execute("ROLLBACK")
"""


def test_a_store_locked_by_another_writer_is_a_temporary_failure(tmp_path: Path) -> None:
    from tests.conftest import make_sqlite_store

    store = make_sqlite_store(tmp_path / "store.db")
    build_desk(store)
    store.dispose()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "store.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        done = _receive(str(tmp_path / "store.db"), message(), tmp_path)
        assert done.returncode == 75, done.stderr
        assert b"locked" in done.stderr
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with store.read() as session:
            assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0
    finally:
        store.dispose()
    # the mail server tries again: now it goes in
    again = _receive(str(tmp_path / "store.db"), message(), tmp_path)
    assert (again.returncode, again.stdout) == (0, b"#1 new\n"), again.stderr


GOOD = message(attachments=(("log.txt", b"line\n" * 100),))
BAD = b"Subject: no sender\r\n\r\n" + b"unparseable " * 100


@pytest.mark.parametrize(
    ("raw", "first", "others", "table"),
    [
        (GOOD, "#1 new\n", "duplicate of #1\n", Ticket),
        (
            BAD,
            "quarantined Q1: no usable sender (From)\n",
            "duplicate of Q1 (quarantined)\n",
            Quarantine,
        ),
    ],
    ids=["stored", "quarantined"],
)
def test_the_same_message_piped_at_once_is_stored_once(
    store: Store, tmp_path: Path, raw: bytes, first: str, others: str, table: Any
) -> None:
    build_desk(store)
    db = url_of(store)
    env = _env(tmp_path)
    # every process loads csm and blocks reading stdin; then all get the message at once
    processes = [
        start_csm("mail", "receive", db=db, stdin=subprocess.PIPE, env=env, text=False)
        for _ in range(6)
    ]
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(raw)
    for process in processes:
        assert process.stdin is not None
        process.stdin.close()
    results = []
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        out, err = process.stdout.read(), process.stderr.read()  # a line each, at most
        assert process.wait(timeout=120) == 0, err
        results.append(out.decode())
    assert sorted(results) == sorted([first] + [others] * 5)
    with store.read() as session:
        for counted in (table, MailReceipt):
            assert session.execute(select(func.count()).select_from(counted)).scalar_one() == 1


def test_mail_import_draws_a_bar_only_on_a_terminal(tmp_path: Path) -> None:
    from tests.processes.test_progress import BAR, run

    sample_url(tmp_path / "sample.db")
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    for number in range(40):
        raw = message(message_id=f"<p{number}@x>", subject=f"question {number}")
        (maildir / "new" / f"{number}.eml").write_bytes(raw)
    outputs = {}
    for tty in (True, False):
        copy = tmp_path / f"copy-{tty}.db"
        shutil.copy(tmp_path / "sample.db", copy)
        outputs[tty] = run(["--db", str(copy), "mail", "import", str(maildir)], tty=tty)
    (tty_out, tty_err, tty_code), (pipe_out, pipe_err, pipe_code) = outputs[True], outputs[False]
    assert tty_code == pipe_code == 0, (tty_err, pipe_err)
    assert "importing" in tty_err and BAR in tty_err, tty_err
    assert tty_out == pipe_out == "40 messages: 40 new\n"
    assert pipe_err == ""


def test_a_message_over_the_limit_is_read_to_its_end_and_quarantined(
    store: Store, tmp_path: Path
) -> None:
    """Through a real pipe, 40 MiB against a 1 MiB limit: the writer (a mail server) never
    sees a broken pipe, csm counts every byte and quarantines the header (exit 0)."""
    build_desk(store)
    env = _env(tmp_path)
    Path(env["CSM_CONFIG_FILE"]).write_text("max_mail_size = 1048576\n" + CONFIG, "utf-8")
    head = message(body="start of a huge message")
    chunk = b"z" * 76 + b"\r\n"
    count = 40 * 1024 * 1024 // len(chunk)
    process = start_csm(
        "mail", "receive", db=url_of(store), env=env, stdin=subprocess.PIPE, text=False
    )
    assert process.stdin is not None
    process.stdin.write(head)  # a BrokenPipeError here would fail the test
    for _ in range(count // 1000):
        process.stdin.write(chunk * 1000)
    out, err = process.communicate(timeout=120)  # closes stdin: the end of the message
    size = len(head) + (count // 1000) * 1000 * len(chunk)
    assert process.returncode == 0, err
    assert out.decode().startswith(f"quarantined Q1: too large: {size} bytes")
    with store.read() as session:
        row = session.get(Quarantine, 1)
        assert row is not None and row.size == size and len(row.raw) < 64 * 1024
