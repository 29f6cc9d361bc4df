"""What an incoming e-mail becomes (issue 14), on both stores: new tickets with the mailbox's
defaults, routing and clocks; follow-ups by threading headers and subject tags; reopen and
linked tickets; duplicates; auto-replies, bounces, loops; survey ratings; the quarantine; and
one transaction per message."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from csm_console.domain.mail import MailSettings, MessageFlag, Outcome
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.model import Priority, Status
from csm_console.domain.routing import RoutingRule, RuleActions
from csm_console.errors import PermissionDenied
from csm_console.services import mail_intake, mail_thread, quarantine, routing, tickets
from csm_console.services.mail_intake import take_in, take_in_parsed
from csm_console.services.ticket_reads import audit_views, describe_change
from csm_console.store.engine import Store
from csm_console.store.models import (
    Attachment,
    AuditEvent,
    Blob,
    Customer,
    MailReceipt,
    Message,
    OutgoingMail,
    Quarantine,
    StoreInfo,
    Team,
    Ticket,
    TicketTag,
)
from tests.conftest import NOW, Desk
from tests.hostile import hostile_cases
from tests.mail_support import MAIL, SUPPORT, message


def _in(
    desk: Desk, raw: bytes, *, mailbox: Any = SUPPORT, mail: MailSettings = MAIL, at: Any = NOW
):
    return take_in(desk.store, raw, mail=mail, mailbox=mailbox, now=at)


def _ticket(store: Store, ticket_id: int) -> Ticket:
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def _messages(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        return list(
            session.execute(
                select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
            ).scalars()
        )


def _events(store: Store, ticket_id: int) -> list[tuple[str, str | None, int | None]]:
    with store.read() as session:
        return [
            (e.action, e.field, e.actor_id)
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
            ).scalars()
        ]


def _count(store: Store, table: Any) -> int:
    with store.read() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _receipt(store: Store, key: str) -> MailReceipt:
    with store.read() as session:
        statement = select(MailReceipt).where(MailReceipt.mail_key == key)
        return session.execute(statement).scalar_one()


def _outgoing(store: Store, ticket_id: int, mail_id: str, kind: str = "reply") -> None:
    """A mail we sent on the ticket (as the outbox writes it)."""
    with store.write() as session:
        sent = Message(
            ticket_id=ticket_id,
            author_kind="agent",
            internal=False,
            body="Our answer",
            created_at=NOW,
            mail_id=mail_id,
        )
        session.add(sent)
        session.flush()
        assert sent.id is not None
        session.add(
            OutgoingMail(
                ticket_id=ticket_id,
                message_id=sent.id,
                kind=kind,
                mailbox="support",
                mail_id=mail_id,
                recipient="anna@cust.example",
                subject="Re: Router broken",
                state="sent",
                next_attempt_at=NOW,
                created_at=NOW,
                sent_at=NOW,
            )
        )


# ---- a new ticket ------------------------------------------------------------------------


def test_a_new_message_opens_a_ticket_with_the_mailbox_defaults_and_clocks(desk: Desk) -> None:
    result = _in(desk, message())
    assert result.outcome is Outcome.NEW and result.line() == f"#{result.ticket_id} new"
    assert result.ticket_id is not None
    ticket = _ticket(desk.store, result.ticket_id)
    assert (ticket.channel, ticket.mailbox, ticket.status) == ("email", "support", "new")
    assert (ticket.subject, ticket.category, ticket.priority) == (
        "Router broken",
        "billing",
        int(Priority.HIGH),
    )
    with desk.store.read() as session:
        team = session.get(Team, ticket.team_id)
        customer = session.get(Customer, ticket.customer_id)
    assert team is not None and team.name == "Frontline South"
    assert customer is not None
    assert (customer.email, customer.name, customer.preferred_channel) == (
        "anna@cust.example",
        "Anna Bērziņa",
        "email",
    )
    assert customer.language == "en"  # guessed from the text
    # the SLA policy for high priority: first response in 60 minutes (no calendar)
    assert ticket.first_response_due == NOW + timedelta(minutes=60)
    [first] = _messages(desk.store, result.ticket_id)
    assert (first.author_kind, first.mail_id, first.sender, first.flags) == (
        "customer",
        "m1@cust.example",
        "anna@cust.example",
        "",
    )
    assert first.body == "My router is broken since Monday."
    assert result.message_id == first.id
    assert _events(desk.store, result.ticket_id) == [("create", None, None)]  # by the system
    receipt = _receipt(desk.store, "m1@cust.example")
    assert (receipt.outcome, receipt.ticket_id, receipt.message_id, receipt.mailbox) == (
        "new",
        result.ticket_id,
        first.id,
        "support",
    )


def test_a_mailbox_language_yields_to_plainly_other_text(desk: Desk) -> None:
    latvian = dataclasses.replace(SUPPORT, language="lv")
    mail = MailSettings(mailboxes=(latvian,))
    _in(desk, message(sender="a@x.example", body="Hello"), mailbox=latvian, mail=mail)
    raw = message(sender="b@x.example", body="Привет, не работает", message_id="<r@x>")
    _in(desk, raw, mailbox=latvian, mail=mail)
    with desk.store.read() as session:
        languages = dict(session.execute(select(Customer.email, Customer.language)).all())
    assert languages == {"a@x.example": "lv", "b@x.example": "ru"}


def test_a_known_customer_is_reused_and_russian_text_is_guessed(desk: Desk) -> None:
    raw = message(sender="Иван <ivan@cust.example>", body="Не работает интернет", subject="Сеть")
    first = _in(desk, raw)
    again = _in(desk, message(sender="ivan@cust.example", message_id="<m2@cust.example>"))
    assert first.ticket_id != again.ticket_id
    with desk.store.read() as session:
        [customer] = session.execute(
            select(Customer).where(Customer.email == "ivan@cust.example")
        ).scalars()
    assert (customer.name, customer.language) == ("Иван", "ru")


def test_no_mailbox_given_means_the_one_it_was_sent_to(desk: Desk) -> None:
    raw = message(to="Sales <sales@desk.example>", message_id="<s1@x.example>")
    result = _in(desk, raw, mailbox=None)
    assert result.ticket_id is not None
    assert _ticket(desk.store, result.ticket_id).mailbox == "sales"
    stranger = _in(desk, message(to="x@elsewhere.example", message_id="<s2@x>"), mailbox=None)
    assert stranger.ticket_id is not None
    assert _ticket(desk.store, stranger.ticket_id).mailbox is None


def test_routing_rules_see_the_mail_and_are_audited(desk: Desk) -> None:
    routing.add_rule(
        desk.store,
        actor=desk.root,
        rule=RoutingRule(
            name="refunds",
            condition="channel:email text:refund",
            actions=RuleActions(priority=Priority.URGENT, add_tags=("refund",)),
        ),
    )
    result = _in(desk, message(body="I want a refund, please."))
    assert result.ticket_id is not None
    ticket = _ticket(desk.store, result.ticket_id)
    assert ticket.priority == int(Priority.URGENT)
    with desk.store.read() as session:
        assert session.get(TicketTag, (result.ticket_id, "refund")) is not None
    assert ("route", "rule", None) in _events(desk.store, result.ticket_id)
    plain = _in(desk, message(message_id="<m9@cust.example>", body="no money talk"))
    assert plain.ticket_id is not None
    assert _ticket(desk.store, plain.ticket_id).priority == int(Priority.HIGH)


def test_attachments_are_stored_once_by_hash(desk: Desk) -> None:
    pdf = b"%PDF-1.4 invoice " * 100
    first = _in(desk, message(attachments=(("invoice.pdf", pdf), ("../../etc/passwd", b"x"))))
    second = _in(desk, message(message_id="<m2@cust.example>", attachments=(("copy.pdf", pdf),)))
    assert first.outcome is Outcome.NEW and second.outcome is Outcome.NEW
    with desk.store.read() as session:
        rows = list(session.execute(select(Attachment).order_by(Attachment.id)).scalars())
        blobs = list(session.execute(select(Blob)).scalars())
    assert [(a.filename, a.size, a.position) for a in rows] == [
        ("invoice.pdf", len(pdf), 0),
        (rows[1].filename, 1, 1),
        ("copy.pdf", len(pdf), 0),
    ]
    assert "/" not in rows[1].filename and not rows[1].filename.startswith(".")
    assert rows[0].sha256 == rows[2].sha256
    assert len(blobs) == 2  # the PDF once, however many messages carry it
    assert {b.sha256: b.data for b in blobs}[rows[0].sha256] == pdf


def test_an_empty_subject_and_body_are_stored_readably(desk: Desk) -> None:
    raw = message(subject="", body="", attachments=(("a.txt", b"hi"),))
    result = _in(desk, raw)
    assert result.outcome is Outcome.NEW and result.ticket_id is not None
    assert _ticket(desk.store, result.ticket_id).subject == "(no subject)"
    assert _messages(desk.store, result.ticket_id)[0].body == "(no text)"


# ---- duplicates --------------------------------------------------------------------------


def test_the_same_message_twice_is_a_duplicate(desk: Desk) -> None:
    first = _in(desk, message())
    again = _in(desk, message(), at=NOW + timedelta(minutes=5))
    assert again.outcome is Outcome.DUPLICATE
    assert again.ticket_id == first.ticket_id
    assert again.line() == f"duplicate of #{first.ticket_id}"
    assert again.first_outcome is Outcome.NEW
    assert _count(desk.store, Ticket) == 1 and _count(desk.store, Message) == 1
    assert _count(desk.store, MailReceipt) == 1


def test_without_a_message_id_the_raw_bytes_decide(desk: Desk) -> None:
    raw = message(message_id=None)
    first = _in(desk, raw)
    assert first.mail_key.startswith("sha256:")
    assert _in(desk, raw).outcome is Outcome.DUPLICATE
    other = _in(desk, message(message_id=None, body="another text"))
    assert other.outcome is Outcome.NEW
    assert _count(desk.store, Ticket) == 2


# ---- follow-ups --------------------------------------------------------------------------


def test_a_reply_to_a_customer_message_is_a_follow_up(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    before = _ticket(desk.store, first.ticket_id).version
    reply = message(
        subject="Re: Router broken",
        body="Still broken.\n\nOn Monday Anna wrote:\n> My router is broken",
        message_id="<m2@cust.example>",
        in_reply_to="<m1@cust.example>",
    )
    result = _in(desk, reply, at=NOW + timedelta(hours=1))
    assert result.outcome is Outcome.FOLLOW_UP and result.ticket_id == first.ticket_id
    assert result.line() == f"#{first.ticket_id} follow-up"
    ticket = _ticket(desk.store, first.ticket_id)
    assert ticket.status == "new" and ticket.version > before
    assert "still broken" in ticket.search_text
    assert [m.mail_id for m in _messages(desk.store, first.ticket_id)] == [
        "m1@cust.example",
        "m2@cust.example",
    ]
    assert ("mail", "mail", None) in _events(desk.store, first.ticket_id)
    with desk.store.read() as session:
        said = [describe_change(c) for c in audit_views(session, first.ticket_id)]
    assert said[-1].startswith("system took in an e-mail from anna@cust.example at ")


def test_a_reply_to_our_mail_reopens_pending_and_by_references(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    tickets.assign_ticket(desk.store, actor=desk.root, ticket_id=first.ticket_id, to="rita")
    tickets.reply(
        desk.store,
        actor=desk.rita,
        ticket_id=first.ticket_id,
        body="Please restart it.",
        status=Status.PENDING,
        now=NOW + timedelta(minutes=10),
    )
    _outgoing(desk.store, first.ticket_id, "reply-1@desk.example")
    ticket = _ticket(desk.store, first.ticket_id)
    assert ticket.status == "pending" and ticket.paused_since is not None
    answer = message(
        subject="Re: Router broken",
        body="Restarted, still broken",
        message_id="<m3@cust.example>",
        references="<unknown@x> <reply-1@desk.example> <other@x>",
    )
    result = _in(desk, answer, at=NOW + timedelta(hours=2))
    assert result.outcome is Outcome.FOLLOW_UP and result.ticket_id == first.ticket_id
    ticket = _ticket(desk.store, first.ticket_id)
    assert ticket.status == "open" and ticket.paused_since is None  # the clock runs again
    assert ticket.paused_seconds > 0
    assert ("status", "status", None) in _events(desk.store, first.ticket_id)


def test_a_tagged_subject_from_the_customer_reopens_a_solved_ticket(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    tickets.change_status(
        desk.store, actor=desk.root, ticket_id=first.ticket_id, status=Status.SOLVED, now=NOW
    )
    tagged = message(
        subject=f"Re: [#{first.ticket_id}] Router broken",
        body="It broke again",
        message_id="<m4@cust.example>",
        sender="ANNA@cust.example",
    )
    result = _in(desk, tagged, at=NOW + timedelta(days=1))
    assert result.outcome is Outcome.REOPENED and result.ticket_id == first.ticket_id
    ticket = _ticket(desk.store, first.ticket_id)
    assert (ticket.status, ticket.reopen_count, ticket.solved_at) == ("open", 1, None)
    assert ("reopen", "status", None) in _events(desk.store, first.ticket_id)


def test_a_strangers_tag_opens_a_new_ticket_that_mentions_the_old(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    raw = message(
        sender="mallory@evil.example",
        subject=f"[#{first.ticket_id}] give me the data",
        message_id="<x1@evil.example>",
    )
    result = _in(desk, raw)
    assert result.outcome is Outcome.LINKED and result.ticket_id != first.ticket_id
    assert result.ticket_id is not None
    assert result.line() == f"#{result.ticket_id} new, linked to #{first.ticket_id}"
    assert len(_messages(desk.store, first.ticket_id)) == 1  # nothing added to the old one
    customer_msg, note = _messages(desk.store, result.ticket_id)
    assert customer_msg.sender == "mallory@evil.example"
    assert (note.author_kind, note.internal) == ("system", True)
    assert f"#{first.ticket_id}" in note.body and "not its customer" in note.body
    assert ("link", "linked", None) in _events(desk.store, result.ticket_id)


def test_a_follow_up_to_a_closed_ticket_opens_a_linked_one(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    for status in (Status.SOLVED, Status.CLOSED):
        tickets.change_status(
            desk.store, actor=desk.root, ticket_id=first.ticket_id, status=status, now=NOW
        )
    reply = message(
        subject="Re: Router broken",
        message_id="<m5@cust.example>",
        in_reply_to="<m1@cust.example>",
        body="Hello again",
    )
    result = _in(desk, reply, at=NOW + timedelta(days=30))
    assert result.outcome is Outcome.LINKED and result.ticket_id != first.ticket_id
    assert result.ticket_id is not None
    assert _ticket(desk.store, first.ticket_id).status == "closed"
    new = _ticket(desk.store, result.ticket_id)
    assert (new.status, new.mailbox, new.subject) == ("new", "support", "Re: Router broken")
    note = _messages(desk.store, result.ticket_id)[1]
    assert note.body == f"Follow-up to #{first.ticket_id}, which is closed."


# ---- auto-replies, bounces, loops --------------------------------------------------------


AUTO = {"Auto-Submitted": "auto-replied"}


def test_an_auto_reply_is_stored_flagged_and_changes_no_status(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    tickets.change_status(
        desk.store, actor=desk.root, ticket_id=first.ticket_id, status=Status.SOLVED, now=NOW
    )
    ooo = message(
        subject="Out of office",
        body="I am away until Friday",
        message_id="<ooo@cust.example>",
        in_reply_to="<m1@cust.example>",
        headers=AUTO,
    )
    result = _in(desk, ooo)
    assert result.outcome is Outcome.AUTO_REPLY and result.ticket_id == first.ticket_id
    ticket = _ticket(desk.store, first.ticket_id)
    assert (ticket.status, ticket.reopen_count) == ("solved", 0)
    assert _messages(desk.store, first.ticket_id)[-1].flags == "auto-reply"


def test_an_auto_reply_threading_nowhere_is_dropped_with_the_reason(desk: Desk) -> None:
    result = _in(desk, message(subject="Out of office", headers=AUTO))
    assert result.outcome is Outcome.DROPPED
    assert result.line() == "dropped: auto-reply to no ticket of ours"
    assert _count(desk.store, Ticket) == 0 and _count(desk.store, Customer) == 0
    receipt = _receipt(desk.store, "m1@cust.example")
    assert (receipt.outcome, receipt.detail) == ("dropped", "auto-reply to no ticket of ours")
    assert _in(desk, message(subject="Out of office", headers=AUTO)).outcome is Outcome.DUPLICATE


def _bounce(desk: Desk, *, ids: tuple[str, ...], reason: str) -> Any:
    raw = message(
        sender="MAILER-DAEMON@mx.cust.example",
        subject="Undelivered Mail Returned to Sender",
        body="This is the mail system. Your message could not be delivered.",
        message_id="<bounce1@mx.cust.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    parsed = parse_message(raw)
    # the DSN details come from the parser's own DSN reading (another module): given here
    parsed = dataclasses.replace(
        parsed,
        flags=parsed.flags | {MessageFlag.BOUNCE},
        bounced_ids=ids,
        bounce_reason=reason,
    )
    return take_in_parsed(desk.store, parsed, raw=raw, mail=MAIL, mailbox=SUPPORT, now=NOW)


def test_a_bounce_fails_its_outgoing_mail_and_is_stored_on_the_ticket(desk: Desk) -> None:
    first = _in(desk, message())
    assert first.ticket_id is not None
    tickets.change_status(
        desk.store, actor=desk.root, ticket_id=first.ticket_id, status=Status.SOLVED, now=NOW
    )
    _outgoing(desk.store, first.ticket_id, "reply-7@desk.example")
    result = _bounce(desk, ids=("reply-7@desk.example",), reason="550 5.1.1 no such user")
    assert result.outcome is Outcome.BOUNCE and result.ticket_id == first.ticket_id
    with desk.store.read() as session:
        out = session.execute(select(OutgoingMail)).scalar_one()
    assert (out.state, out.server_reply) == ("failed", "550 5.1.1 no such user")
    stored = _messages(desk.store, first.ticket_id)[-1]
    assert (stored.author_kind, stored.internal) == ("system", True)
    assert set(stored.flags.split()) == {"bounce", "auto-reply"}
    assert _ticket(desk.store, first.ticket_id).status == "solved"
    assert ("bounce", "outgoing_mail", None) in _events(desk.store, first.ticket_id)


def test_an_unmatched_bounce_is_dropped(desk: Desk) -> None:
    result = _bounce(desk, ids=("never-sent@desk.example",), reason="550 no such user")
    assert result.outcome is Outcome.DROPPED
    assert result.detail == "bounce of no mail we sent"
    assert _count(desk.store, Ticket) == 0


def test_mail_from_our_own_address_is_a_loop(desk: Desk) -> None:
    result = _in(desk, message(sender="Help <HELP@desk.example>"))
    assert result.outcome is Outcome.DROPPED
    assert result.line() == "dropped: loop: from our own address help@desk.example"
    assert _count(desk.store, Ticket) == 0
    assert _receipt(desk.store, "m1@cust.example").outcome == "dropped"


def test_our_loop_header_naming_this_store_is_a_loop(desk: Desk) -> None:
    with desk.store.read() as session:
        info = session.get(StoreInfo, "store_key")
        assert info is not None
        key = info.value
    ours = _in(desk, message(headers={"X-CSM-Loop": key}))
    assert ours.outcome is Outcome.DROPPED and "X-CSM-Loop" in ours.detail
    other = _in(desk, message(message_id="<m2@x>", headers={"X-CSM-Loop": "another-store"}))
    assert other.outcome is Outcome.NEW  # another csm's mail is a customer's like any


# ---- surveys -----------------------------------------------------------------------------


def _solved_with_survey(desk: Desk) -> int:
    first = _in(desk, message())
    assert first.ticket_id is not None
    tickets.change_status(
        desk.store, actor=desk.root, ticket_id=first.ticket_id, status=Status.SOLVED, now=NOW
    )
    _outgoing(desk.store, first.ticket_id, "survey-1@desk.example", kind="survey")
    return first.ticket_id


def test_a_survey_answer_with_a_score_records_csat_without_reopening(desk: Desk) -> None:
    ticket_id = _solved_with_survey(desk)
    answer = message(
        subject="Re: How did we do?",
        body="4 - quick, but the first answer was wrong\n\nOn Tue, Support wrote:\n> 1 to 5?",
        message_id="<a1@cust.example>",
        in_reply_to="<survey-1@desk.example>",
    )
    result = _in(desk, answer)
    assert result.outcome is Outcome.RATING and result.ticket_id == ticket_id
    ticket = _ticket(desk.store, ticket_id)
    assert (ticket.status, ticket.csat_score, ticket.reopen_count) == ("solved", 4, 0)
    assert ticket.csat_comment == "quick, but the first answer was wrong"
    assert ("csat", "csat_score", None) in _events(desk.store, ticket_id)


def test_a_survey_answer_without_a_score_reopens(desk: Desk) -> None:
    ticket_id = _solved_with_survey(desk)
    answer = message(
        subject="Re: How did we do?",
        body="It is broken again! 5 times this week.",
        message_id="<a2@cust.example>",
        in_reply_to="<survey-1@desk.example>",
    )
    result = _in(desk, answer)
    assert result.outcome is Outcome.REOPENED
    ticket = _ticket(desk.store, ticket_id)
    assert (ticket.status, ticket.csat_score) == ("open", None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("5", (5, "")),
        ("  3. ok I guess\n> quoted 1", (3, "ok I guess")),
        ("1\n\nNever again.", (1, "Never again.")),
        ("10 out of 10", None),
        ("0", None),
        ("> 5\n4", None),
        ("Great!", None),
        ("5/5 thanks", (5, "5 thanks")),
    ],
)
def test_survey_rating(body: str, expected: tuple[int, str] | None) -> None:
    assert mail_thread.survey_rating(body) == expected


# ---- quarantine --------------------------------------------------------------------------


def test_an_unstorable_message_is_quarantined_raw_once(desk: Desk) -> None:
    raw = b"Subject: no sender at all\r\n\r\nhello\r\n"
    result = _in(desk, raw)
    assert result.outcome is Outcome.QUARANTINED and result.quarantine_id is not None
    assert result.line() == f"quarantined Q{result.quarantine_id}: no usable sender (From)"
    with desk.store.read() as session:
        held = session.get(Quarantine, result.quarantine_id)
        assert held is not None
        assert (held.raw, held.state, held.subject, held.size) == (
            raw,
            "held",
            "no sender at all",
            len(raw),
        )
    again = _in(desk, raw)
    assert again.outcome is Outcome.DUPLICATE and again.quarantine_id == result.quarantine_id
    assert _count(desk.store, Quarantine) == 1
    nothing_else = _in(desk, message())  # one bad message never blocks the next
    assert nothing_else.outcome is Outcome.NEW


def test_too_large_is_quarantined_and_a_retry_after_raising_the_limit_stores_it(
    desk: Desk,
) -> None:
    small = MailSettings(mailboxes=MAIL.mailboxes, max_message=2048)
    raw = message(body="x" * 3000)
    result = _in(desk, raw, mail=small)
    assert result.outcome is Outcome.QUARANTINED and "too large" in result.detail
    assert result.quarantine_id is not None
    still = quarantine.retry(
        desk.store, actor=desk.root, quarantine_id=result.quarantine_id, mail=small
    )
    assert still.outcome is Outcome.QUARANTINED and still.quarantine_id == result.quarantine_id
    stored = quarantine.retry(
        desk.store, actor=desk.root, quarantine_id=result.quarantine_id, mail=MAIL
    )
    assert stored.outcome is Outcome.NEW and stored.ticket_id is not None
    assert _ticket(desk.store, stored.ticket_id).mailbox == "support"
    [view] = quarantine.list_held(desk.store, state="released")
    assert view.id == result.quarantine_id
    assert quarantine.list_held(desk.store) == []
    # the message, fetched again, is a duplicate of the ticket now
    assert _in(desk, raw).ticket_id == stored.ticket_id
    assert _in(desk, raw, mail=small).outcome is Outcome.DUPLICATE


def test_the_same_bytes_parsing_later_release_the_quarantine(desk: Desk) -> None:
    small = MailSettings(mailboxes=MAIL.mailboxes, max_message=2048)
    raw = message(body="y" * 3000)
    held = _in(desk, raw, mail=small)
    stored = _in(desk, raw)  # the limit was raised; the server delivers it again
    assert stored.outcome is Outcome.NEW
    with desk.store.read() as session:
        row = session.get(Quarantine, held.quarantine_id)
        assert row is not None and row.state == "released"
        assert session.execute(select(func.count()).select_from(MailReceipt)).scalar_one() == 1


def test_drop_keeps_the_row_without_its_bytes_and_copies_stay_duplicates(desk: Desk) -> None:
    raw = b"From: nobody\r\n\r\nspam"
    held = _in(desk, raw)
    assert held.quarantine_id is not None
    with pytest.raises(PermissionDenied, match="needs: admin"):
        quarantine.drop(desk.store, actor=desk.anna, quarantine_id=held.quarantine_id)
    view = quarantine.drop(desk.store, actor=desk.root, quarantine_id=held.quarantine_id)
    assert view.state == "dropped"
    assert quarantine.raw_of(desk.store, held.quarantine_id) == b""
    again = _in(desk, raw)
    assert again.outcome is Outcome.DUPLICATE and again.first_outcome is Outcome.DROPPED
    with desk.store.read() as session:
        audit = session.execute(
            select(AuditEvent).where(AuditEvent.action == "quarantine")
        ).scalar_one()
    assert (audit.field, audit.old_value, audit.actor_id) == (
        "drop",
        f"Q{held.quarantine_id}",
        desk.root.id,
    )


def test_a_parser_failure_is_quarantined(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes, **_: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(mail_intake, "parse_message", broken)
    result = _in(desk, message())
    assert result.outcome is Outcome.QUARANTINED
    assert result.detail == "the parser failed: RecursionError: maximum recursion depth exceeded"


def test_a_failure_halfway_leaves_nothing_half_stored(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mail_thread, "_store_attachments", fail)
    result = _in(desk, message(attachments=(("a.bin", b"123"),)))
    assert result.outcome is Outcome.QUARANTINED
    assert "RuntimeError: disk on fire" in result.detail
    for table in (Ticket, Customer, Message, Attachment, Blob, AuditEvent):
        assert _count(desk.store, table) == 0, table
    assert _count(desk.store, Quarantine) == 1
    monkeypatch.undo()
    retried = quarantine.retry(
        desk.store, actor=desk.root, quarantine_id=result.quarantine_id or 0, mail=MAIL
    )
    assert retried.outcome is Outcome.NEW
    assert _count(desk.store, Attachment) == 1


def test_the_quarantine_keeps_hostile_text_off_the_screen(desk: Desk) -> None:
    for number, case in enumerate(hostile_cases()[:25]):
        text = case["text"].replace("\r", " ").replace("\n", " ")
        raw = (
            b"From: bad\r\nSubject: "
            + text.encode("utf-8", "surrogateescape")
            + b"\r\n\r\nx"
            + str(number).encode()
        )
        result = _in(desk, raw)
        assert result.outcome is Outcome.QUARANTINED
        assert "\x1b" not in result.line()
    for view in quarantine.list_held(desk.store):
        assert "\x1b" not in view.subject and "\x1b" not in view.sender
        detail = quarantine.show(desk.store, view.id)
        assert all("\x1b" not in v and "\n" not in v for _, v in detail.headers)


def _when_another_waits(store: Store, real: Any, first: Any) -> Any:
    """`real`, which, called the first time, holds its transaction open (after running) until
    another transaction waits on a lock (PostgreSQL)."""
    from sqlalchemy import text

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if not first.is_set():
            first.set()
            with store.engine.connect() as probe:
                for _ in range(3000):
                    waiting = probe.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                            "'Lock' AND datname = current_database()"
                        )
                    ).scalar_one()
                    probe.commit()  # pg_stat_activity is a snapshot per transaction
                    if waiting:
                        break
                    probe.execute(text("SELECT pg_sleep(0.01)"))
                else:
                    raise AssertionError("the second intake never waited on the first")
        return result

    return wrapped


@pytest.mark.parametrize(
    ("patched", "second_id", "outcomes"),
    [
        # the same message: the second waits on the receipt's key, then is a duplicate
        ("decide", "<m1@cust.example>", ["duplicate", "new"]),
        # two messages of one new customer: the second waits on the customer's e-mail, fails,
        # and its second try finds the customer
        ("find_or_add_customer", "<m2@cust.example>", ["new", "new"]),
    ],
)
def test_two_intakes_at_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, patched: str, second_id: str, outcomes: list[str]
) -> None:
    """PostgreSQL: transactions that meet at a unique key; SQLite serialises the writers
    instead (BEGIN IMMEDIATE; the processes test pipes at once on both)."""
    if not desk.store.is_postgres:
        pytest.skip("SQLite writers never overlap (BEGIN IMMEDIATE); see tests/processes")
    import threading

    first = threading.Event()
    target = mail_intake if patched == "decide" else mail_thread
    held = _when_another_waits(desk.store, getattr(target, patched), first)
    monkeypatch.setattr(target, patched, held)
    results: list[mail_intake.Intake] = []

    def run(message_id: str) -> None:
        results.append(_in(desk, message(message_id=message_id)))

    one = threading.Thread(target=run, args=("<m1@cust.example>",))
    one.start()
    assert first.wait(timeout=30)
    two = threading.Thread(target=run, args=(second_id,))
    two.start()
    one.join(timeout=90)
    two.join(timeout=90)
    assert sorted(r.outcome.value for r in results) == outcomes, results
    assert _count(desk.store, Customer) == 1
    assert _count(desk.store, Ticket) == outcomes.count("new")


def test_a_mailbox_default_that_cannot_be_used_is_named_and_the_ticket_made(desk: Desk) -> None:
    odd = dataclasses.replace(SUPPORT, team="Nonexistent", category="c" * 80)
    result = _in(desk, message(), mailbox=odd, mail=MailSettings(mailboxes=(odd,)))
    assert result.outcome is Outcome.NEW and result.ticket_id is not None
    assert "no team named 'Nonexistent'" in result.detail and "category" in result.detail
    ticket = _ticket(desk.store, result.ticket_id)
    with desk.store.read() as session:
        team = session.get(Team, ticket.team_id)
    assert team is not None and team.name == "Frontline"  # the first L1 team
    assert ticket.category is None
