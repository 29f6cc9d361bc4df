"""The read side of the e-mail channel on both stores: each message's Message-ID, sender, flags,
files and delivery state; numbered attachments and their bytes; `has:attachment`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from csm_console.domain.model import Channel
from csm_console.domain.query import Sort, parse_query
from csm_console.errors import NotFound, UsageError
from csm_console.services import mail_reads, ticket_reads
from csm_console.services import tickets as svc
from csm_console.store.engine import Store
from tests.conftest import NOW, Desk
from tests.mail_tickets import PDF, PNG, File, add_mail, mail_ticket

CUSTOMER = "liga@example.lv"


def test_each_message_says_what_mail_it_is(desk: Desk) -> None:
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    detail = ticket_reads.get_ticket(desk.store, ticket_id=ticket_id)
    first, failed, bounce, sent, auto, answer = detail.messages
    assert (first.mail_id, first.sender, first.flags) == (
        f"first.{ticket_id}@example.lv",
        CUSTOMER,
        (),
    )
    assert first.attachments == () and first.delivery is None
    assert failed.delivery is not None and sent.delivery is not None
    assert (failed.delivery.state, failed.delivery.attempts) == ("failed", 3)
    assert failed.delivery.server_reply.startswith("550 5.1.1")
    assert failed.delivery.recipient == CUSTOMER and failed.delivery.sent_at is None
    assert (sent.delivery.state, sent.delivery.server_reply) == (
        "sent",
        "250 2.0.0 Ok: queued as 4F2A",
    )
    assert sent.delivery.sent_at is not None
    assert bounce.flags == ("bounce",) and bounce.author == "system" and bounce.delivery is None
    assert auto.flags == ("auto-reply",)
    pdf, png = answer.attachments
    assert (pdf.number, pdf.name, pdf.size, pdf.content_type) == (
        1,
        "statement.pdf",
        len(PDF),
        "application/pdf",
    )
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest() and not pdf.inline
    assert (png.number, png.name, png.inline, png.message_id) == (2, "screen.png", True, answer.id)


def test_a_ticket_without_mail_reads_as_before(desk: Desk) -> None:
    row = svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email=CUSTOMER,
        subject="Call me",
        body="Please.",
        now=NOW,
    )
    (message,) = ticket_reads.get_ticket(desk.store, ticket_id=row.id).messages
    assert (message.mail_id, message.sender, message.flags) == (None, None, ())
    assert (message.attachments, message.delivery) == ((), None)


@contextmanager
def counted_queries(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)


def test_the_thread_costs_the_same_queries_however_long(desk: Desk) -> None:
    """Attachments and outbox states are read by message ids, one query each, not one per
    message: a thread of 6 and one of 46 messages cost the same number of queries."""
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    with counted_queries(desk.store) as short:
        ticket_reads.get_ticket(desk.store, ticket_id=ticket_id)
    for n in range(40):
        add_mail(
            desk.store,
            ticket_id,
            body=f"message {n}",
            at=NOW + timedelta(hours=1, minutes=n),
            mail_id=f"more.{n}@example.lv",
            sender=CUSTOMER,
            files=(File(f"photo-{n}.png", "image/png", PNG + bytes([n])),),
        )
    with counted_queries(desk.store) as long:
        detail = ticket_reads.get_ticket(desk.store, ticket_id=ticket_id)
    assert len(detail.messages) == 46
    assert [a.number for m in detail.messages for a in m.attachments] == list(range(1, 43))
    assert len(long) == len(short)
    assert sum("attachment" in s and "FROM attachment" in s for s in long) == 1
    assert sum("FROM outgoing_mail" in s for s in long) == 1


def test_attachment_bytes_by_number(desk: Desk) -> None:
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    view, data = mail_reads.attachment_content(desk.store, ticket_id=ticket_id, number=1)
    assert (view.name, data) == ("statement.pdf", PDF)
    view, data = mail_reads.attachment_content(desk.store, ticket_id=ticket_id, number=2)
    assert (view.name, data) == ("screen.png", PNG)
    with pytest.raises(UsageError, match="has 2 attachments; N is 1 to 2"):
        mail_reads.attachment_content(desk.store, ticket_id=ticket_id, number=3)
    with pytest.raises(NotFound, match="#999999 not found"):
        mail_reads.attachment_content(desk.store, ticket_id=999999, number=1)
    plain = svc.create_ticket(
        desk.store, actor=desk.olga, customer_email=CUSTOMER, subject="x", body="y", now=NOW
    )
    with pytest.raises(NotFound, match="no attachments"):
        mail_reads.attachment_content(desk.store, ticket_id=plain.id, number=1)
    listed = mail_reads.ticket_attachments(desk.store, ticket_id=ticket_id)
    assert [(a.number, a.name) for a in listed] == [(1, "statement.pdf"), (2, "screen.png")]


def test_the_same_bytes_are_one_blob_for_two_files(desk: Desk) -> None:
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    add_mail(
        desk.store,
        ticket_id,
        body="again",
        at=NOW + timedelta(hours=2),
        files=(File("copy.pdf", "application/pdf", PDF),),
    )
    third, data = mail_reads.attachment_content(desk.store, ticket_id=ticket_id, number=3)
    assert (third.name, data) == ("copy.pdf", PDF)


def ids(desk: Desk, query: str) -> set[int]:
    page = ticket_reads.list_tickets(
        desk.store, actor=desk.olga, query=parse_query(query), sort=Sort(), limit=100, now=NOW
    )
    return {row.id for row in page.items}


def test_has_attachment_finds_tickets_whose_mail_carries_a_file(desk: Desk) -> None:
    with_files = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    plain_mail = svc.create_ticket(
        desk.store, actor=desk.olga, customer_email=CUSTOMER, subject="No file", body="x", now=NOW
    ).id
    phone = svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email="juris@example.lv",
        subject="Phone",
        body="x",
        channel=Channel.PHONE,
        now=NOW,
    ).id
    assert ids(desk, "has:attachment") == {with_files}
    assert ids(desk, "-has:attachment") == {plain_mail, phone}
    assert ids(desk, "channel:email") == {with_files, plain_mail}
    assert ids(desk, "channel:email -has:attachment") == {plain_mail}
    assert (
        ticket_reads.count_tickets(
            desk.store, actor=desk.olga, query=parse_query("has:attachment"), now=NOW
        )
        == 1
    )


def test_the_sample_shows_the_mail_channel(store: Store) -> None:
    """`csm demo` has e-mail tickets with files, a bounce on a failed reply, a queued reply, an
    out-of-office and a quarantined message (scripts/sample_source/mail.yaml)."""
    from sqlalchemy import func, select

    from csm_console.services import setup
    from csm_console.store.models import OutgoingMail, Quarantine, Ticket

    setup.load_sample(store, now=NOW)
    with_file = ticket_reads.get_ticket(store, ticket_id=1223)
    assert with_file.ticket.channel == "email"
    (pdf,) = [a for m in with_file.messages for a in m.attachments]
    assert (pdf.number, pdf.name, pdf.content_type) == (
        1,
        "payment-confirmation.pdf",
        "application/pdf",
    )
    view, data = mail_reads.attachment_content(store, ticket_id=1223, number=1)
    assert data.startswith(b"%PDF-") and len(data) == view.size == pdf.size
    assert "\n> " in with_file.messages[3].body  # a customer's answer quotes our reply
    failed = ticket_reads.get_ticket(store, ticket_id=1305)
    reply, bounce = failed.messages[1], failed.messages[2]
    assert reply.delivery is not None and reply.delivery.state == "failed"
    assert reply.delivery.recipient == failed.customer.email
    assert bounce.flags == ("bounce",) and bounce.author_kind == "system"
    queued = ticket_reads.get_ticket(store, ticket_id=1329).messages[1].delivery
    assert queued is not None and (queued.state, queued.attempts) == ("queued", 2)
    auto = ticket_reads.get_ticket(store, ticket_id=1136)
    assert [m.flags for m in auto.messages if m.flags] == [("auto-reply",)]
    assert ids_in(store, "has:attachment") == {1223, 1296, 1341}
    with store.read() as session:
        mailboxes = set(session.execute(select(Ticket.channel, Ticket.mailbox).distinct()).all())
        assert ("email", "support") in mailboxes and ("email", None) not in mailboxes
        assert all(mailbox is None for channel, mailbox in mailboxes if channel != "email")
        assert session.execute(select(func.count()).select_from(OutgoingMail)).scalar_one() > 200
        (held,) = session.execute(select(Quarantine)).scalars()
        assert (held.reason, held.state) == ("no usable sender (From)", "held")
        assert held.raw.startswith(b"To: support@balticnet.example")


def ids_in(store: Store, query: str) -> set[int]:
    page = ticket_reads.list_tickets(
        store, actor=None, query=parse_query(query), sort=Sort(), limit=100, now=NOW
    )
    return {row.id for row in page.items}
