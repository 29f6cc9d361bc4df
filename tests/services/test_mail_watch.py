"""`services.mail_watch` in this process against a real IMAP server: polling where there is no
IDLE, the other periodic work, the fallbacks for servers without MOVE."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from csm_console.domain.mail import Mailbox, MailSettings, Outcome
from csm_console.errors import NotFound
from csm_console.services.mail_fetch import FetchReport, fetch_mailbox, open_session
from csm_console.services.mail_intake import Intake
from csm_console.services.mail_watch import WatchOptions, describe, run_periodic, watch
from csm_console.store.engine import Store
from tests.conftest import WAIT, wait_for
from tests.mailservers import ImapServer, message


def mailbox_on(server: ImapServer, folder: str, **options: Any) -> Mailbox:
    return Mailbox(
        name="support",
        addresses=("support@desk.test",),
        imap_url=server.url(),
        folder=folder,
        password_env="CSM_TEST_IMAP_PASSWORD",
        **options,
    )


class Recorder:
    def __init__(self) -> None:
        self.raws: list[bytes] = []

    def __call__(self, store: Store, raw: bytes, **options: Any) -> Intake:
        self.raws.append(raw)
        return Intake(outcome=Outcome.NEW)


def test_periodic_work_runs_and_one_failure_stops_nothing() -> None:
    ran: list[str] = []
    said: list[str] = []

    def sender() -> None:
        ran.append("send")

    def broken() -> None:
        raise RuntimeError("smtp down")

    def missing() -> None:
        raise NotFound("no such thing")

    run_periodic([broken, missing, sender], said.append)
    assert ran == ["send"]
    assert said == ["broken failed: RuntimeError: smtp down", "missing: no such thing"]


def test_describe_a_round() -> None:
    quiet = FetchReport(mailbox="support", folder="INBOX")
    assert describe(quiet) is None
    busy = FetchReport(
        mailbox="support",
        folder="INBOX",
        counts={"new": 2, "duplicate": 1},
        error="the store is locked",
        store_unavailable=True,
    )
    assert describe(busy) == (
        "mailbox support: 1 duplicate, 2 new; stopped: the store is locked; the next round retries"
    )


@pytest.mark.slow
def test_watch_with_periodic_work_and_stop(
    imap_server: ImapServer, imap_password: str, tmp_path: Any
) -> None:
    """The watch threads fetch, the periodic jobs run every poll, and `stop` ends it all."""
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1))
    box = mailbox_on(imap_server, folder)
    intake = Recorder()
    rounds: list[float] = []
    said: list[str] = []
    stop = threading.Event()
    from tests.conftest import make_sqlite_store

    store = make_sqlite_store(tmp_path / "watch.db")
    runner = threading.Thread(
        target=watch,
        args=(store, MailSettings(mailboxes=(box,))),
        kwargs={
            "mailboxes": [box],
            "stop": stop,
            "say": said.append,
            "options": WatchOptions(poll=1.0),
            "periodic": [lambda: rounds.append(time.monotonic())],
            "take_in": intake,
        },
    )
    runner.start()
    try:
        wait_for(lambda: len(intake.raws) == 1, "the first message")
        wait_for(lambda: len(rounds) >= 2, "a second round of periodic work")
        imap_server.append(folder, message(2))
        wait_for(lambda: len(intake.raws) == 2, "the second message")
    finally:
        stop.set()
        runner.join(10)
        store.dispose()
    assert not runner.is_alive()
    assert "mailbox support: 1 new" in said


@pytest.mark.slow
def test_polling_where_the_server_has_no_idle(imap_server: ImapServer, imap_password: str) -> None:
    folder = imap_server.new_folder()
    session = open_session(mailbox_on(imap_server, folder))
    try:
        session._capabilities -= {b"IDLE"}  # a server without IDLE
        session.select(folder)
        stop = threading.Event()
        assert session.wait(0.3, stop) is False  # waited, then a NOOP: still connected
        stop.set()
        assert session.wait(60, stop) is False  # a stop ends a wait at once
        session.noop()
    finally:
        session.close()


@pytest.mark.slow
def test_idle_wait_wakes_on_new_mail(imap_server: ImapServer, imap_password: str) -> None:
    folder = imap_server.new_folder()
    session = open_session(mailbox_on(imap_server, folder))
    try:
        session.select(folder)
        adder = threading.Timer(0.5, lambda: imap_server.append(folder, message(1)))
        adder.start()
        assert session.wait(WAIT, threading.Event()) is True
        adder.join()
    finally:
        session.close()


@pytest.mark.slow
def test_an_announcement_cut_in_two_wakes_the_wait_on_a_new_connection(
    tmp_path: Path, imap_password: str
) -> None:
    """A TLS record that ends inside the server's `EXISTS` line: imapclient loses the first
    part and cannot parse the rest (seen under load in CI).  The wait reports a change and
    carries on over a new connection with the folder selected, instead of failing."""
    with ImapServer(tmp_path, tls="imaps", stammer=True) as server:
        folder = server.new_folder()
        session = open_session(mailbox_on(server, folder))
        try:
            session.select(folder)
            adder = threading.Timer(0.5, lambda: server.append(folder, message(1)))
            adder.start()
            assert session.wait(WAIT, threading.Event(), step=0.2) is True
            adder.join()
            assert session.folder is not None and session.folder.name == folder
            assert len(session.uids_after(0)) == 1  # the new conversation works
        finally:
            session.close()


@pytest.mark.slow
def test_move_without_the_move_extension(
    store: Store, imap_server: ImapServer, imap_password: str
) -> None:
    """COPY, \\Deleted and UID EXPUNGE: the moved message goes, and a message that another
    client marked deleted stays (a plain EXPUNGE would have removed it)."""
    folder, done = imap_server.new_folder(), imap_server.new_folder("done")
    imap_server.append(folder, message(1, subject="Taken in, then deleted by someone"))
    intake = Recorder()
    plain = mailbox_on(imap_server, folder)
    mail = MailSettings(mailboxes=(plain,))
    assert fetch_mailbox(store, plain, mail=mail, take_in=intake).taken == 1
    theirs = imap_server.uids(folder)
    with imap_server.client() as other:
        other.select_folder(folder)
        other.add_flags(theirs, [b"\\Deleted"])
    imap_server.append(folder, message(2, subject="Ours to move"))

    moving = mailbox_on(imap_server, folder, move_to=done)
    session = open_session(moving)
    session._capabilities -= {b"MOVE"}  # a server without MOVE (but with UIDPLUS)
    try:
        report = fetch_mailbox(store, moving, mail=mail, take_in=intake, session=session)
    finally:
        session.close()
    assert report.ok and report.taken == 1
    assert imap_server.uids(folder) == theirs  # still there, \\Deleted, not expunged by us
    moved = imap_server.flags(done)
    assert len(moved) == 1 and b"\\Flagged" in next(iter(moved.values()))
