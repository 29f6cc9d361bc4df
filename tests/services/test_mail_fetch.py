"""`services.mail_fetch` against a real IMAP server (pymap on the loopback, STARTTLS), with the
real intake on both stores: what is on the server becomes tickets, once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from csm_console.domain.mail import Mailbox, MailSettings, Outcome
from csm_console.errors import StoreUnavailable
from csm_console.services.mail_fetch import fetch_mailbox, read_position
from csm_console.services.mail_intake import Intake, take_in
from csm_console.store.engine import Store
from tests.conftest import Desk
from tests.mailservers import ImapServer, message

pytestmark = pytest.mark.slow


def mailbox_on(server: ImapServer, folder: str, **options: Any) -> Mailbox:
    return Mailbox(
        name="support",
        addresses=("support@desk.test",),
        imap_url=server.url(),
        folder=folder,
        password_env="CSM_TEST_IMAP_PASSWORD",
        **options,
    )


def settings(box: Mailbox, **options: Any) -> MailSettings:
    return MailSettings(mailboxes=(box,), **options)


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def subjects(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT subject FROM ticket ORDER BY id"))]


@dataclass
class Recorder:
    """A stand-in intake that remembers what it was given (and can fail on demand)."""

    raws: list[bytes]
    fail_at: int | None = None  # the number of the call that finds the store locked

    def __call__(self, store: Store, raw: bytes, **options: Any) -> Intake:
        if self.fail_at is not None and len(self.raws) + 1 == self.fail_at:
            raise StoreUnavailable("the store is locked (stand-in)")
        self.raws.append(raw)
        return Intake(outcome=Outcome.NEW, ticket_id=len(self.raws))


@pytest.fixture(autouse=True)
def _teams(desk: Desk) -> None:
    """The intake routes new tickets to a team: every test's store is a small desk."""


@pytest.fixture
def folder(imap_server: ImapServer, imap_password: str) -> Iterator[str]:
    yield imap_server.new_folder()


def test_fetch_makes_tickets_once_and_flags_without_seen(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    """New mail becomes tickets; each message is flagged, none is marked read by fetching;
    the next round takes only what came after."""
    imap_server.append(folder, message(1, subject="Printer broken"), message(2, subject="Refund"))
    box = mailbox_on(imap_server, folder)
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.ok and report.taken == 2 and report.counts == {"new": 2}
    assert subjects(store) == ["Printer broken", "Refund"]
    flags = imap_server.flags(folder)
    assert all(b"\\Flagged" in f for f in flags.values())  # pymap allows no keyword of ours
    assert not any(b"\\Seen" in f for f in flags.values())  # BODY.PEEK: nobody read them
    position = read_position(store, "support", folder)
    assert position is not None and position.last_uid == max(flags)

    again = fetch_mailbox(store, box, mail=settings(box))
    assert again.ok and again.taken == 0 and count(store, "ticket") == 2
    imap_server.append(folder, message(3, subject="Login fails"))
    third = fetch_mailbox(store, box, mail=settings(box))
    assert third.counts == {"new": 1} and subjects(store)[-1] == "Login fails"


def test_a_message_read_by_another_client_is_still_fetched(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    imap_server.append(folder, message(1, subject="Already read"), flags=[b"\\Seen"])
    with imap_server.client() as other:  # and one read by another client after it arrived
        imap_server.append(folder, message(2, subject="Read later"))
        other.select_folder(folder)
        other.fetch(other.search(["ALL"]), ["BODY[]"])  # sets \Seen on both
    assert all(b"\\Seen" in f for f in imap_server.flags(folder).values())
    box = mailbox_on(imap_server, folder)
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.counts == {"new": 2}
    assert subjects(store) == ["Already read", "Read later"]


def test_move_to_moves_processed_mail(store: Store, imap_server: ImapServer, folder: str) -> None:
    done = f"{folder}-done"
    imap_server.append(folder, message(1), message(2))
    box = mailbox_on(imap_server, folder, move_to=done)
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.ok and report.taken == 2
    assert imap_server.uids(folder) == []
    moved = imap_server.flags(done)
    assert len(moved) == 2 and all(b"\\Flagged" in f for f in moved.values())
    assert count(store, "ticket") == 2


def test_move_without_move_or_uidplus_copies_and_marks_deleted(
    store: Store, tmp_path: Path, imap_password: str
) -> None:
    """A server that announces neither MOVE nor UIDPLUS (pymap behind a proxy that withholds
    them): COPY, then `\\Deleted` on the original, and no EXPUNGE (a plain one would also
    remove what another client marked deleted)."""
    with ImapServer(tmp_path, tls="imaps", withhold=("MOVE", "UIDPLUS")) as server:
        with server.client() as probe:
            assert not {b"MOVE", b"UIDPLUS"} & set(probe.capabilities())
        folder = server.new_folder()
        done = f"{folder}-done"
        server.append(folder, message(1), message(2))
        box = mailbox_on(server, folder, move_to=done)
        report = fetch_mailbox(store, box, mail=settings(box))
        assert report.ok and report.taken == 2, report
        left = server.flags(folder)
        assert len(left) == 2 and all(b"\\Deleted" in f for f in left.values())
        moved = server.flags(done)
        assert len(moved) == 2 and all(b"\\Flagged" in f for f in moved.values())
        again = fetch_mailbox(store, box, mail=settings(box))
        assert again.ok and again.taken == 0
    assert count(store, "ticket") == 2


def test_uidvalidity_change_rescans_without_duplicates(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    """A recreated folder (new UIDVALIDITY, UIDs from the start again) is read from the start:
    what was taken in before is a duplicate, what is new is stored."""
    first, second = message(1, subject="Before"), message(2, subject="Also before")
    imap_server.append(folder, first, second)
    box = mailbox_on(imap_server, folder)
    assert fetch_mailbox(store, box, mail=settings(box)).taken == 2
    before = read_position(store, "support", folder)

    imap_server.recreate(folder)
    imap_server.append(folder, first, second, message(3, subject="After"))
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.rescanned and any("UIDVALIDITY" in n for n in report.notes)
    assert report.counts == {"duplicate": 2, "new": 1}
    assert subjects(store) == ["Before", "Also before", "After"]
    after = read_position(store, "support", folder)
    assert before is not None and after is not None
    assert after.uidvalidity != before.uidvalidity


def test_a_crash_between_storing_and_flagging_never_duplicates(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    """The intake stored the message, then the fetcher died before flagging it: the message is
    unflagged, `last_uid` is behind it, and the next round finds it a duplicate."""
    imap_server.append(folder, message(1, subject="Stored then crashed"), message(2))
    box = mailbox_on(imap_server, folder)

    class Crash(BaseException):
        pass

    def store_then_crash(store: Store, raw: bytes, **options: Any) -> Intake:
        take_in(store, raw, **options)
        raise Crash  # like a kill: nothing after the intake runs

    with pytest.raises(Crash):
        fetch_mailbox(store, box, mail=settings(box), take_in=store_then_crash)
    assert count(store, "ticket") == 1
    assert not any(imap_server.flags(folder).values())
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.counts == {"duplicate": 1, "new": 1}
    assert count(store, "ticket") == 2 and count(store, "mail_receipt") == 2


def test_store_unavailable_stops_the_round_and_the_next_retries(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    imap_server.append(folder, message(1), message(2), message(3))
    box = mailbox_on(imap_server, folder)
    locked = Recorder([], fail_at=2)
    report = fetch_mailbox(store, box, mail=settings(box), take_in=locked)
    assert report.store_unavailable and "locked" in (report.error or "")
    assert report.taken == 1 and len(locked.raws) == 1
    flags = imap_server.flags(folder)
    uids = sorted(flags)
    assert b"\\Flagged" in flags[uids[0]] and not flags[uids[1]] and not flags[uids[2]]
    position = read_position(store, "support", folder)
    assert position is not None and position.last_uid == uids[0]

    retry = Recorder([])
    again = fetch_mailbox(store, box, mail=settings(box), take_in=retry)
    assert again.ok and again.taken == 2
    assert [b"message 2." in r for r in retry.raws] == [True, False]  # from where it stopped


def test_too_large_mail_is_quarantined_from_its_header_alone(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    big = message(1, subject="Huge scan", body="x" * 40_000)
    imap_server.append(folder, big, message(2, subject="Small"))
    box = mailbox_on(imap_server, folder)
    mail = replace(settings(box), max_message=20_000)
    intake = Recorder([])
    report = fetch_mailbox(store, box, mail=mail, take_in=intake)
    assert report.counts == {"quarantined": 1, "new": 1}
    assert len(intake.raws) == 1 and b"Small" in intake.raws[0]  # the big one never reached it
    with store.engine.connect() as conn:
        reason, raw, size = conn.execute(text("SELECT reason, raw, size FROM quarantine")).one()
    assert "too large" in reason and "max_mail_size" in reason
    assert b"Huge scan" in bytes(raw) and b"xxxx" not in bytes(raw) and size >= 40_000
    # the same message again (a rescan) is a duplicate, not a second quarantine
    imap_server.recreate(folder)
    imap_server.append(folder, big)
    again = fetch_mailbox(store, box, mail=mail, take_in=intake)
    assert again.counts == {"duplicate": 1} and count(store, "quarantine") == 1


def test_stop_ends_the_round_between_messages(
    store: Store, imap_server: ImapServer, folder: str
) -> None:
    imap_server.append(folder, message(1), message(2), message(3))
    box = mailbox_on(imap_server, folder)
    stop = threading.Event()

    def take_one_then_stop(store: Store, raw: bytes, **options: Any) -> Intake:
        stop.set()
        return Intake(outcome=Outcome.NEW)

    report = fetch_mailbox(store, box, mail=settings(box), take_in=take_one_then_stop, stop=stop)
    assert report.taken == 1 and report.ok
    assert sum(1 for f in imap_server.flags(folder).values() if f) == 1


def test_fetch_over_imaps(store: Store, imaps_server: ImapServer, imap_password: str) -> None:
    """TLS from the first byte (the certificate checked against the test CA)."""
    folder = imaps_server.new_folder()
    imaps_server.append(folder, message(1, subject="Over imaps"))
    box = mailbox_on(imaps_server, folder)
    assert box.imap_url is not None and box.imap_url.startswith("imaps://")
    report = fetch_mailbox(store, box, mail=settings(box))
    assert report.ok and subjects(store) == ["Over imaps"]


def test_the_password_never_reaches_the_logs(
    store: Store,
    imap_server: ImapServer,
    folder: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """imapclient logs every command at DEBUG level: the LOGIN it logs has no password, nor
    does a refused login's error or its traceback."""
    import logging
    import traceback

    from csm_console.errors import MailServerError
    from csm_console.services.mail_fetch import open_session
    from tests.mailservers import PASSWORD

    imap_server.append(folder, message(1))
    box = mailbox_on(imap_server, folder)
    # whatever an earlier test of this process did to logging (a global `logging.disable`, a
    # config that disabled existing loggers), imapclient's loggers speak to caplog here
    saved = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    for name in ["imapclient", *logging.root.manager.loggerDict]:
        if name.startswith("imapclient"):
            found = logging.getLogger(name)
            monkeypatch.setattr(found, "disabled", False)
            monkeypatch.setattr(found, "propagate", True)
            monkeypatch.setattr(found, "level", logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG):
            assert fetch_mailbox(store, box, mail=settings(box)).taken == 1
    finally:
        logging.disable(saved)
    assert caplog.records and "LOGIN" in caplog.text.upper()  # it did log the commands
    assert PASSWORD not in caplog.text

    wrong = "N0t-The-Password"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSM_TEST_IMAP_PASSWORD", wrong)
        with pytest.raises(MailServerError) as caught:
            open_session(box)
    shown = "".join(traceback.format_exception(caught.value)) + caplog.text
    assert "login refused" in caught.value.message and wrong not in shown


def test_many_messages_in_small_batches(
    store: Store, imap_server: ImapServer, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sizes and bodies are fetched in chunks (here of 2): every message, in UID order."""
    from csm_console.channels import imap
    from csm_console.services import mail_fetch

    monkeypatch.setattr(imap, "SIZES_CHUNK", 2)
    monkeypatch.setattr(mail_fetch, "BATCH_COUNT", 2)
    imap_server.append(folder, *(message(n, subject=f"Batch {n}") for n in range(1, 6)))
    box = mailbox_on(imap_server, folder)
    intake = Recorder([])
    report = fetch_mailbox(store, box, mail=settings(box), take_in=intake)
    assert report.taken == 5 and report.waiting == 5
    assert [f"Batch {n}".encode() in raw for n, raw in enumerate(intake.raws, 1)] == [True] * 5
