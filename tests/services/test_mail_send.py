"""Delivering the outbox to a real SMTP server (tests.smtp_server, aiosmtpd in its own process):
sent with the server's answer, 451 retried later with the same bytes, 550 failed at once, a
server that is down leaves every mail queued, a store outage loses nothing."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from csm_console.domain.model import Status
from csm_console.domain.outgoing import MAX_ATTEMPTS
from csm_console.errors import StoreUnavailable
from csm_console.services import mail_send, tickets
from csm_console.store.models import OutgoingMail
from tests.conftest import NOW, Desk
from tests.smtp_support import free_port, read_folder, smtp_server, thread_server, with_mail

pytestmark = pytest.mark.slow


def _queue(desk: Desk, emails: list[str]) -> list[int]:
    ids = []
    for email in emails:
        row = tickets.create_ticket(
            desk.store,
            actor=desk.olga,
            customer_email=email,
            subject="Question",
            body="Hello",
            now=NOW,
        )
        tickets.reply(desk.store, actor=desk.olga, ticket_id=row.id, body="Answer", now=NOW)
        ids.append(row.id)
    return ids


def _rows(desk: Desk) -> list[OutgoingMail]:
    with desk.store.read() as session:
        return list(session.execute(select(OutgoingMail).order_by(col(OutgoingMail.id))).scalars())


def test_delivery_sorts_sent_retried_and_failed(desk: Desk, tmp_path: Path) -> None:
    with smtp_server(tmp_path / "mx") as server:
        with_mail(desk.store, server.url)
        _queue(desk, ["a@example.com", "tempfail@example.com", "reject@example.com"])
        report = mail_send.deliver(desk.store, mail=desk.store.mail, clock=lambda: NOW)
        assert (report.sent, report.retrying, report.failed) == (1, 1, 1)
        sent, later, refused = _rows(desk)
        assert sent.state == "sent" and sent.server_reply.startswith("250 2.0.0 Ok")
        assert sent.sent_at is not None and sent.claimed_by is None
        assert later.state == "queued" and later.server_reply.startswith("451")
        assert later.attempts == 1 and later.next_attempt_at == NOW + timedelta(minutes=1)
        assert refused.state == "failed" and refused.server_reply.startswith("550")
        (received,) = server.messages()
        assert received["Message-ID"] == f"<{sent.mail_id}>"
        # nothing is due before the next attempt; after it, the same mail again
        assert mail_send.deliver(desk.store, mail=desk.store.mail, clock=lambda: NOW).sent == 0
        again = mail_send.deliver(
            desk.store, mail=desk.store.mail, clock=lambda: NOW + timedelta(minutes=2)
        )
        assert again.retrying == 1
        assert _rows(desk)[1].next_attempt_at == NOW + timedelta(minutes=4)  # 2 min after


def test_a_retry_sends_the_same_bytes(desk: Desk, tmp_path: Path) -> None:
    """The bytes a first claim built (its sender then died) and the bytes a later attempt
    delivers are byte for byte the same: Message-ID, Date, boundary and all."""
    with_mail(desk.store, "smtp://127.0.0.1:1")
    _queue(desk, ["a@example.com"])
    tickets.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=1,
        body="with a file",
        attachments=[("a.txt", "text/plain", b"abc")],
        now=NOW,
    )
    first, second = mail_send.claim(desk.store, mail=desk.store.mail, worker="w1", now=NOW)
    with desk.store.write() as session:
        session.execute(update(OutgoingMail).values(state="queued", claimed_by=None))
    with thread_server(tmp_path / "mx") as port:
        with_mail(desk.store, f"smtp://127.0.0.1:{port}")
        report = mail_send.deliver(
            desk.store, mail=desk.store.mail, clock=lambda: NOW + timedelta(hours=1)
        )
    assert report.sent == 2
    raws = [p.read_bytes().split(b"\r\n", 1)[1] for p in sorted((tmp_path / "mx").glob("*.eml"))]
    assert raws == [first.data, second.data]
    assert second.data is not None and b"multipart/mixed" in second.data


def test_a_server_that_is_down_leaves_every_mail_queued(desk: Desk) -> None:
    with_mail(desk.store, f"smtp://127.0.0.1:{free_port()}")
    _queue(desk, ["a@example.com", "b@example.com"])
    report = mail_send.deliver(desk.store, mail=desk.store.mail, clock=lambda: NOW)
    assert report.server_down and "refused" in report.server_down
    assert report.sent == 0 and report.retrying == 2
    rows = _rows(desk)
    assert {r.state for r in rows} == {"queued"} and {r.attempts for r in rows} == {1}
    assert all(r.next_attempt_at > NOW for r in rows)
    assert "the mails wait" in report.summary()


def test_a_mail_is_given_up_after_the_last_attempt(desk: Desk, tmp_path: Path) -> None:
    with smtp_server(tmp_path / "mx", mode="451") as server:
        with_mail(desk.store, server.url)
        _queue(desk, ["a@example.com"])
        with desk.store.write() as session:
            session.execute(update(OutgoingMail).values(attempts=MAX_ATTEMPTS - 1))
        mail_send.deliver(desk.store, mail=desk.store.mail, clock=lambda: NOW)
    (row,) = _rows(desk)
    assert row.state == "failed"
    assert row.server_reply.startswith(f"gave up after {MAX_ATTEMPTS} attempts: 451")


def test_a_killed_senders_claims_come_back_after_the_lease(desk: Desk, tmp_path: Path) -> None:
    with_mail(desk.store, "smtp://127.0.0.1:1")
    _queue(desk, ["a@example.com", "b@example.com"])
    claimed = mail_send.claim(desk.store, mail=desk.store.mail, worker="dead", now=NOW)
    assert len(claimed) == 2
    # within the lease no other sender takes them
    assert mail_send.claim(desk.store, mail=desk.store.mail, worker="w2", now=NOW) == []
    with smtp_server(tmp_path / "mx") as server:
        with_mail(desk.store, server.url)
        report = mail_send.deliver(
            desk.store,
            mail=desk.store.mail,
            clock=lambda: NOW + mail_send.DEFAULT_LEASE + timedelta(seconds=1),
        )
        assert report.sent == 2
        assert sorted(server.message_ids()) == sorted(c.mail_id for c in claimed)


def test_a_store_outage_while_sending_loses_nothing(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store locks up right after the server took the first mail: the sender stops with
    the store error, the mails stay claimed, and after the lease every one is delivered (the
    one in flight again, with the same Message-ID)."""
    import csm_console.store.engine as engine

    if not desk.store.is_sqlite:
        pytest.skip("the outage is a SQLite lock held by another connection")
    with_mail(desk.store)
    _queue(desk, ["a@example.com", "b@example.com", "c@example.com"])
    path = Path(str(desk.store.url.database))
    locker = sqlite3.connect(path, timeout=0.1, isolation_level=None, check_same_thread=False)

    def lock(number: int) -> None:
        if number == 1:
            locker.execute("BEGIN EXCLUSIVE")

    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 300)  # the outage shows at once
    with thread_server(tmp_path / "mx", on_message=lock) as port:
        mail = with_mail(desk.store, f"smtp://127.0.0.1:{port}").mail
        sender = engine.Store(desk.store.url)
        try:
            with pytest.raises(StoreUnavailable):
                mail_send.deliver(sender, mail=mail, clock=lambda: NOW)
        finally:
            sender.dispose()
            if locker.in_transaction:
                locker.execute("ROLLBACK")
            locker.close()
        assert {r.state for r in _rows(desk)} == {"sending"}  # claimed, none recorded
        report = mail_send.deliver(
            desk.store,
            mail=mail,
            clock=lambda: NOW + mail_send.DEFAULT_LEASE + timedelta(seconds=1),
        )
    assert report.sent == 3 and {r.state for r in _rows(desk)} == {"sent"}
    ids = [str(m["Message-ID"]).strip("<>") for m in read_folder(tmp_path / "mx")]
    assert len(ids) == 4 and len(set(ids)) == 3  # the one in flight came twice, the same


def test_surveys_and_acknowledgements_go_out_marked_automatic(desk: Desk, tmp_path: Path) -> None:
    from csm_console.services import outbox

    with smtp_server(tmp_path / "mx") as server:
        with_mail(desk.store, server.url)
        (ticket_id,) = _queue(desk, ["a@example.com"])
        with desk.store.write() as session:
            outbox.acknowledge(
                session, mail=desk.store.mail, ticket_id=ticket_id, sender="a@example.com", now=NOW
            )
        tickets.change_status(
            desk.store, actor=desk.olga, ticket_id=ticket_id, status=Status.SOLVED, now=NOW
        )
        assert mail_send.deliver(desk.store, mail=desk.store.mail, clock=lambda: NOW).sent == 3
        by_kind = {row.kind: row.mail_id for row in _rows(desk)}
        auto = {str(m["Message-ID"]).strip("<>"): m["Auto-Submitted"] for m in server.messages()}
    assert auto[by_kind["reply"]] is None
    assert auto[by_kind["ack"]] == auto[by_kind["survey"]] == "auto-replied"
