"""`services.mail_import` takes messages in by batches, several messages a transaction with a
savepoint each (on both stores): one that cannot be stored is rolled back alone and
quarantined, the messages before and after it in the same batch stand; a re-run adds nothing;
a batch holds at most `BATCH_MESSAGES`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from csm_console.channels.mail_files import find_messages
from csm_console.domain.mail import Outcome
from csm_console.services import audit, mail_import, mail_intake, mail_thread
from csm_console.services.mail_import import import_messages
from csm_console.store.models import (
    Attachment,
    AuditEvent,
    Customer,
    MailReceipt,
    Message,
    Quarantine,
    Ticket,
)
from tests.conftest import NOW, Desk
from tests.mail_support import MAIL, SUPPORT, message

POISON = "poison.bin"  # the attachment whose storing trips a foreign key


def _maildir(tmp: Path, raws: list[bytes]) -> Path:
    folder = tmp / "Maildir"
    for part in ("cur", "new", "tmp"):
        (folder / part).mkdir(parents=True)
    for number, raw in enumerate(raws):
        (folder / "new" / f"{number:04d}.eml").write_bytes(raw)
    return folder


def _count(desk: Desk, table: Any, *where: Any) -> int:
    with desk.store.read() as session:
        statement = select(func.count()).select_from(table)
        for condition in where:
            statement = statement.where(condition)
        return int(session.execute(statement).scalar_one())


def _poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing the attachment `POISON` writes a row the store refuses (a foreign key to no
    message): a real constraint failure in the middle of the message's writes."""
    original = mail_thread._store_attachments

    def store_attachments(session: Any, msg: Message, parsed: Any) -> None:
        original(session, msg, parsed)
        if any(item.filename == POISON for item in parsed.attachments):
            session.add(
                Attachment(
                    message_id=10**9,
                    position=99,
                    filename=POISON,
                    content_type="application/octet-stream",
                    size=1,
                    sha256="0" * 64,
                    inline=False,
                )
            )
            session.flush()

    monkeypatch.setattr(mail_thread, "_store_attachments", store_attachments)


def _messages(count: int, bad: int) -> list[bytes]:
    raws = []
    for number in range(count):
        attachments = ((POISON, b"x"),) if number == bad else (("ok.txt", b"fine"),)
        raws.append(
            message(
                sender=f"Customer {number} <c{number}@cust.example>",
                subject=f"question {number}",
                message_id=f"<batch{number}@cust.example>",
                attachments=attachments,
            )
        )
    return raws


def test_a_message_that_cannot_be_stored_is_quarantined_alone_in_its_batch(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_import, "BATCH_SECONDS", 3600.0)  # all nine in one transaction
    _poisoned(monkeypatch)
    found = find_messages([_maildir(tmp_path, _messages(9, bad=4))])
    summary = import_messages(desk.store, found, mail=MAIL, mailbox=SUPPORT, now=NOW)
    assert summary.outcomes == {"new": 8, "quarantined": 1}
    [problem] = summary.quarantined
    assert problem.source.endswith("0004.eml")
    assert problem.reason.startswith("the store refused it:")
    # the bad one left nothing behind but the quarantine and its receipt
    assert _count(desk, Customer, Customer.email == "c4@cust.example") == 0
    assert _count(desk, Ticket) == 8
    assert _count(desk, Message, Message.mail_id == "batch4@cust.example") == 0
    assert _count(desk, Attachment, Attachment.filename == POISON) == 0
    with desk.store.read() as session:
        held = session.execute(select(Quarantine)).scalar_one()
        assert held.state == "held" and held.sender == "c4@cust.example"
        receipts = {r.mail_key: r.outcome for r in session.execute(select(MailReceipt)).scalars()}
    stored = {f"batch{n}@cust.example" for n in range(9) if n != 4}
    assert {k for k, v in receipts.items() if v == "new"} == stored
    assert [v for k, v in receipts.items() if k.startswith("sha256:")] == ["quarantined"]
    # before and after the bad one, each message whole: its ticket, attachment and audit
    for number in (0, 3, 5, 8):
        with desk.store.read() as session:
            msg = session.execute(
                select(Message).where(Message.mail_id == f"batch{number}@cust.example")
            ).scalar_one()
            assert session.execute(
                select(Attachment.filename).where(Attachment.message_id == msg.id)
            ).scalars().all() == ["ok.txt"]
            assert (
                session.execute(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.ticket_id == msg.ticket_id, AuditEvent.action == "create")
                ).scalar_one()
                == 1
            )
    assert not audit.verify(desk.store, actor=None).broken
    # a re-run adds nothing, the quarantined one included; fixed, the quarantine lets it go
    again = import_messages(desk.store, found, mail=MAIL, mailbox=SUPPORT, now=NOW)
    assert again.outcomes == {"duplicate": 9}
    assert _count(desk, Ticket) == 8


def test_a_message_the_parser_fails_on_is_quarantined_between_stored_ones(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = mail_intake.parse_message

    def parse(raw: bytes, **options: Any) -> Any:
        if b"question 2" in raw:
            raise RecursionError("maximum recursion depth exceeded")
        return original(raw, **options)

    monkeypatch.setattr(mail_intake, "parse_message", parse)
    found = find_messages([_maildir(tmp_path, _messages(5, bad=-1))])
    summary = import_messages(desk.store, found, mail=MAIL, mailbox=SUPPORT, now=NOW)
    assert summary.outcomes == {"new": 4, "quarantined": 1}
    assert summary.quarantined[0].reason == (
        "the parser failed: RecursionError: maximum recursion depth exceeded"
    )
    assert _count(desk, Ticket) == 4 and _count(desk, Quarantine) == 1


def _counting_writes(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one with each write transaction the store opens."""
    writes: list[None] = []
    original = desk.store.write

    def counted() -> Any:
        writes.append(None)
        return original()

    monkeypatch.setattr(desk.store, "write", counted)
    return writes


def test_batches_hold_at_most_batch_messages_each(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_import, "BATCH_MESSAGES", 3)
    monkeypatch.setattr(mail_import, "BATCH_SECONDS", 3600.0)
    writes = _counting_writes(desk, monkeypatch)
    seen: list[tuple[int, int]] = []
    found = find_messages([_maildir(tmp_path, _messages(7, bad=-1))])
    summary = import_messages(
        desk.store,
        found,
        mail=MAIL,
        mailbox=SUPPORT,
        now=NOW,
        progress=lambda _what, done, total: seen.append((done, total)),
    )
    assert summary.outcomes == {"new": 7}
    assert len(writes) == 3  # 3 + 3 + 1
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]


def test_messages_read_ahead_are_bounded_by_their_bytes(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch reads ahead at most `BATCH_BYTES` of messages (each may be up to max_mail_size,
    25 MB by default: a hundred of them would not fit in memory), and always one."""
    monkeypatch.setattr(mail_import, "BATCH_SECONDS", 3600.0)
    monkeypatch.setattr(mail_import, "BATCH_BYTES", 1)  # every message is over it alone
    writes = _counting_writes(desk, monkeypatch)
    found = find_messages([_maildir(tmp_path, _messages(4, bad=-1))])
    summary = import_messages(desk.store, found, mail=MAIL, mailbox=SUPPORT, now=NOW)
    assert summary.outcomes == {"new": 4}
    assert len(writes) == 4  # one message a batch


def test_a_duplicate_within_one_batch_is_a_duplicate(desk: Desk, tmp_path: Path) -> None:
    raws = _messages(3, bad=-1)
    found = find_messages([_maildir(tmp_path, [*raws, raws[1]])])
    summary = import_messages(desk.store, found, mail=MAIL, mailbox=SUPPORT, now=NOW)
    assert summary.outcomes == {Outcome.NEW.value: 3, Outcome.DUPLICATE.value: 1}
    assert _count(desk, Ticket) == 3
