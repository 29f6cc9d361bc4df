"""`csm mail import` killed (SIGKILL) in the middle of its batches, then run again, on both
stores: the batches committed before the kill stand, the one being written is lost whole, and
the re-run stores every message exactly once (the receipts make the rest duplicates)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select

from csm_console.devtools.mail_corpus import write_corpus
from csm_console.services import audit
from csm_console.store.engine import Store
from csm_console.store.models import MailReceipt, Message
from tests.conftest import STORE_KINDS, process_env, run_csm, sample_url, start_csm, wait_for

pytestmark = pytest.mark.slow

MESSAGES = 600
CONFIG = """
[[mailboxes]]
name = "support"
addresses = ["support@example.com"]
acknowledge = false
"""


def _receipts(store: Store) -> int:
    with store.read() as session:
        return int(session.execute(select(func.count()).select_from(MailReceipt)).scalar_one())


def _stored(store: Store) -> tuple[int, int]:
    """The customers' messages stored, and how many distinct Message-IDs they carry."""
    with store.read() as session:
        stored = select(Message.mail_id).where(Message.mail_id.is_not(None))  # type: ignore[union-attr]
        total = session.execute(select(func.count()).select_from(stored.subquery())).scalar_one()
        distinct_ids = session.execute(
            select(func.count(distinct(Message.mail_id))).where(Message.mail_id.is_not(None))  # type: ignore[union-attr]
        ).scalar_one()
    return int(total), int(distinct_ids)


def _maildir_and_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The generated Maildir of MESSAGES messages, and the environment of a csm process whose
    config names its mailbox."""
    folder = tmp_path / "Maildir"
    write_corpus(folder, messages=MESSAGES)
    config = tmp_path / "csm.toml"
    config.write_text(CONFIG, "utf-8")
    env = {**process_env(), "CSM_DATA_DIR": str(tmp_path / "data"), "CSM_CONFIG_FILE": str(config)}
    return folder, env


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_an_import_killed_mid_batch_and_run_again_stores_each_message_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sample_url(tmp_path / "store.db", kind, request, "mailcrash")
    folder, env = _maildir_and_env(tmp_path)
    store = Store(url)
    try:
        sample, _ = _stored(store)  # the sample operation's own messages
        importing = start_csm(
            "mail",
            "import",
            str(folder),
            db=url,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # a few batches committed, more to come
            wait_for(lambda: _receipts(store) >= 100, "the import's first batches", timeout=180)
        finally:
            os.kill(importing.pid, signal.SIGKILL)
            importing.wait(timeout=60)
        at_kill = _receipts(store)
        assert 100 <= at_kill < MESSAGES, f"killed after {at_kill} of {MESSAGES}: not mid-run"
        total, distinct_ids = _stored(store)
        assert total == distinct_ids == sample + at_kill  # what was committed, once

        again = run_csm("mail", "import", str(folder), db=url, env=env, timeout=900)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith(f"{MESSAGES} messages: "), again.stdout
        assert f"{at_kill} duplicate" in again.stdout, again.stdout
        assert _receipts(store) == MESSAGES
        total, distinct_ids = _stored(store)
        assert total == distinct_ids == sample + MESSAGES  # every message, exactly once
        assert not audit.verify(store, actor=None).broken

        third = run_csm("mail", "import", str(folder), db=url, env=env, timeout=900)
        assert third.stdout.strip() == f"{MESSAGES} messages: {MESSAGES} duplicate", third.stdout
    finally:
        store.dispose()


def test_a_writer_gets_its_turn_while_an_import_runs(tmp_path: Path) -> None:
    """SQLite: a write transaction from another process (a console saving a reply) begins
    between two batches of a running import, not after the whole import (`Store.bulk`)."""
    url = sample_url(tmp_path / "store.db")
    folder, env = _maildir_and_env(tmp_path)
    store = Store(url)
    try:
        importing = start_csm(
            "mail", "import", str(folder), db=url, env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            wait_for(lambda: _receipts(store) >= 100, "the import's first batches", timeout=180)
            with store.write() as session:  # waits for the batch being written, not the rest
                session.execute(select(func.count()).select_from(MailReceipt))
            assert importing.poll() is None, "the import ended before the writer got in"
            assert _receipts(store) < MESSAGES
        finally:
            out, err = importing.communicate(timeout=600)
        assert importing.returncode == 0, err
        assert out.startswith(f"{MESSAGES} messages: "), out
        assert _receipts(store) == MESSAGES
    finally:
        store.dispose()
