"""The outbox: replies on e-mail tickets queue a mail in their own transaction, threaded, with
files; the acknowledgement and the survey by their rules; list, retry and cancel."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy import text as sql
from sqlmodel import col

from csm_console.domain.mail import MessageFlag
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.model import AuthorKind, Channel, Status
from csm_console.domain.outgoing import ACK_PER_DAY, OutState
from csm_console.errors import PermissionDenied, UsageError
from csm_console.services import bulk, customers, outbox, tickets
from csm_console.services.ticket_reads import get_ticket
from csm_console.store.models import Attachment, Blob, Customer, Message, OutgoingMail, Ticket
from tests.conftest import NOW, Desk, copy_sqlite_template
from tests.services.test_db_rules import Logins, logins  # noqa: F401  (a fixture)
from tests.smtp_support import with_mail


def _new(desk: Desk, email: str = "mara@example.lv", subject: str = "Invoice", **kw: object) -> int:
    row = tickets.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email=email,
        subject=subject,
        body="Hello, my invoice is wrong.",
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    return row.id


def _customer_mail(desk: Desk, ticket_id: int, mail_id: str) -> None:
    """As the intake stores it: the customer's message carries its Message-ID."""
    with desk.store.write() as session:
        session.execute(
            update(Message)
            .where(col(Message.ticket_id) == ticket_id)
            .values(mail_id=mail_id, sender="mara@example.lv")
        )


def _outbox(desk: Desk) -> list[OutgoingMail]:
    with desk.store.read() as session:
        return list(session.execute(select(OutgoingMail).order_by(col(OutgoingMail.id))).scalars())


def test_a_reply_on_an_email_ticket_queues_a_threaded_mail(desk: Desk) -> None:
    with_mail(desk.store)
    ticket_id = _new(desk, subject="RE: Re: Invoice [#9] wrong")
    _customer_mail(desk, ticket_id, "cust-1@example.lv")
    tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="We fixed it.", now=NOW)
    tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="And more.", now=NOW)
    first, second = _outbox(desk)
    assert first.state == "queued" and first.kind == "reply" and first.attempts == 0
    assert first.recipient == "mara@example.lv" and first.mailbox == "support"
    assert first.subject == f"Re: [#{ticket_id}] Invoice [#9] wrong"
    assert first.in_reply_to == "cust-1@example.lv"
    assert first.references == "cust-1@example.lv"
    assert first.mail_id.endswith("@desk.example")
    # the second names the customer's mail and our first one
    assert second.in_reply_to == "cust-1@example.lv"
    assert second.references.split() == ["cust-1@example.lv", first.mail_id]
    with desk.store.read() as session:
        reply = session.get(Message, first.message_id)
        assert reply is not None
        assert reply.mail_id == first.mail_id and reply.sender == "support@desk.example"


def test_a_ticket_keeps_its_own_mailbox(desk: Desk) -> None:
    with_mail(desk.store)
    ticket_id = _new(desk)
    with desk.store.write() as session:
        session.execute(update(Ticket).where(col(Ticket.id) == ticket_id).values(mailbox="sales"))
    tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="Hi", now=NOW)
    assert _outbox(desk)[0].mailbox == "sales"


def test_nothing_is_queued_without_a_mailbox_or_off_email(desk: Desk) -> None:
    ticket_id = _new(desk)
    tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="Hi", now=NOW)
    with_mail(desk.store)
    phone = _new(desk, channel=Channel.PHONE)
    tickets.reply(desk.store, actor=desk.olga, ticket_id=phone, body="Hi", now=NOW)
    tickets.add_note(desk.store, actor=desk.olga, ticket_id=ticket_id, body="internal", now=NOW)
    assert _outbox(desk) == []


def test_a_reply_that_fails_after_queueing_queues_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_mail(desk.store)
    ticket_id = _new(desk)
    real = tickets.write_audit

    def failing(*args: object, **kwargs: object) -> None:
        assert _outbox_in_session(args[0]) == 1  # the mail was queued in this transaction
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(tickets, "write_audit", failing)
    with pytest.raises(RuntimeError):
        tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="Fixed", now=NOW)
    monkeypatch.setattr(tickets, "write_audit", real)
    assert _outbox(desk) == []
    detail = get_ticket(desk.store, ticket_id=ticket_id)
    assert [m.author_kind for m in detail.messages] == [AuthorKind.CUSTOMER.value]


def _outbox_in_session(session: object) -> int:
    from sqlmodel import Session

    assert isinstance(session, Session)
    return int(session.execute(select(func.count()).select_from(OutgoingMail)).scalar_one())


def test_files_on_a_reply_are_stored_once_and_checked(desk: Desk) -> None:
    with_mail(desk.store, max_message=10_000)
    ticket_id = _new(desk)
    files = [("../../etc/passwd\x1b[31m", "text/plain", b"same"), ("b.pdf", "bogus", b"same")]
    tickets.reply(
        desk.store, actor=desk.olga, ticket_id=ticket_id, body="See", attachments=files, now=NOW
    )
    with desk.store.read() as session:
        rows = list(
            session.execute(select(Attachment).order_by(col(Attachment.position))).scalars()
        )
        assert session.execute(select(func.count()).select_from(Blob)).scalar_one() == 1
    assert [r.filename for r in rows] == ["passwd", "b.pdf"]  # the last part only, no escape
    assert [r.content_type for r in rows] == ["text/plain", "application/octet-stream"]
    with pytest.raises(UsageError, match="max_mail_size"):
        tickets.reply(
            desk.store,
            actor=desk.olga,
            ticket_id=ticket_id,
            body="big",
            attachments=[("big.bin", "application/octet-stream", b"x" * 10_001)],
            now=NOW,
        )
    assert len(_outbox(desk)) == 1


def test_proactive_contact_opens_a_ticket_with_our_mail(desk: Desk) -> None:
    with_mail(desk.store)
    with pytest.raises(UsageError, match="mailbox"):
        _new(desk, send=True, mailbox="nope")
    with pytest.raises(UsageError, match="e-mail"):
        _new(desk, send=True, channel=Channel.PHONE)
    ticket_id = _new(desk, email="new@example.com", subject="Your router", send=True)
    (mail,) = _outbox(desk)
    assert mail.kind == "proactive" and mail.subject == f"[#{ticket_id}] Your router"
    assert mail.in_reply_to is None and mail.recipient == "new@example.com"
    detail = get_ticket(desk.store, ticket_id=ticket_id)
    assert detail.ticket.status is Status.PENDING
    assert detail.ticket.first_response_at is not None
    assert [m.author_kind for m in detail.messages] == ["agent"]


def test_the_acknowledgement_and_its_rules(desk: Desk) -> None:
    with_mail(desk.store)
    mail = desk.store.mail
    first = _new(desk)
    with desk.store.write() as session:
        done = outbox.acknowledge(
            session, mail=mail, ticket_id=first, sender="Mara@example.lv", now=NOW
        )
        assert done.queued
        for flags, loop, why in (
            ({MessageFlag.AUTO_REPLY}, None, "auto-generated"),
            ({MessageFlag.BOUNCE}, None, "bounce"),
            (set(), "abc", "loop"),
        ):
            refused = outbox.acknowledge(
                session, mail=mail, ticket_id=first, sender="x@example.lv", flags=flags,
                loop_marker=loop, now=NOW,
            )  # fmt: skip
            assert not refused.queued and why in refused.reason
        ours = outbox.acknowledge(
            session, mail=mail, ticket_id=first, sender="help@desk.example", now=NOW
        )
        assert "our mailboxes" in ours.reason
        robot = outbox.acknowledge(
            session, mail=mail, ticket_id=first, sender="mailer-daemon@example.lv", now=NOW
        )
        assert "robot" in robot.reason
        again = outbox.acknowledge(
            session, mail=mail, ticket_id=first, sender="mara@example.lv", now=NOW
        )
        assert "10 minutes" in again.reason
    (ack,) = _outbox(desk)
    assert ack.kind == "ack" and ack.subject == f"Re: [#{first}] Invoice"
    detail = get_ticket(desk.store, ticket_id=first)
    assert detail.messages[-1].author_kind == "system"
    assert f"#{first}" in detail.messages[-1].body  # the built-in English text, with its number
    # one every 10 minutes, then 20 a day at most
    for n in range(1, ACK_PER_DAY + 3):
        ticket_id = _new(desk)
        with desk.store.write() as session:
            outbox.acknowledge(
                session,
                mail=mail,
                ticket_id=ticket_id,
                sender="mara@example.lv",
                now=NOW + timedelta(minutes=11 * n),
            )
    sent = [m for m in _outbox(desk) if m.kind == "ack"]
    assert len(sent) == ACK_PER_DAY
    # the next day it may go again
    later = _new(desk)
    with desk.store.write() as session:
        tomorrow = outbox.acknowledge(
            session,
            mail=mail,
            ticket_id=later,
            sender="mara@example.lv",
            now=NOW + timedelta(days=2),
        )
    assert tomorrow.queued


def _lock_waiters(desk: Desk) -> int:
    """Transactions of this database waiting on a lock now (PostgreSQL)."""
    with desk.store.engine.connect() as probe:
        return int(
            probe.execute(
                sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
        )


def test_two_acknowledgements_for_one_sender_at_once_send_one(desk: Desk) -> None:
    """PostgreSQL: the second intake's acknowledgement waits on the first's (a lock per
    sender) and then sees it, so the rate limit holds; before the lock both went out.  SQLite
    serialises writers already (BEGIN IMMEDIATE)."""
    if not desk.store.is_postgres:
        pytest.skip("SQLite writers never overlap (BEGIN IMMEDIATE)")
    with_mail(desk.store)
    mail = desk.store.mail
    first, second = _new(desk), _new(desk, subject="Invoice again")
    acknowledged, release = threading.Event(), threading.Event()
    results: dict[int, outbox.AutoMail] = {}

    def ack(ticket_id: int, hold: bool) -> None:
        with desk.store.write() as session:
            results[ticket_id] = outbox.acknowledge(
                session, mail=mail, ticket_id=ticket_id, sender="mara@example.lv", now=NOW
            )
            if hold:  # the transaction stays open, its acknowledgement not yet committed
                acknowledged.set()
                assert release.wait(timeout=60)

    one = threading.Thread(target=ack, args=(first, True))
    one.start()
    assert acknowledged.wait(timeout=60)
    two = threading.Thread(target=ack, args=(second, False))
    two.start()
    for _ in range(3000):  # until the second waits on a lock, or is done without waiting
        if not two.is_alive() or _lock_waiters(desk):
            break
        two.join(timeout=0.01)
    release.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert results[first].queued, results
    assert not results[second].queued and "10 minutes" in results[second].reason, results
    assert [m.ticket_id for m in _outbox(desk) if m.kind == "ack"] == [first]


def test_acknowledgements_can_be_switched_off_per_mailbox(desk: Desk) -> None:
    from dataclasses import replace

    with_mail(desk.store)
    mail = desk.store.mail
    quiet = replace(mail, mailboxes=tuple(replace(b, acknowledge=False) for b in mail.mailboxes))
    ticket_id = _new(desk)
    with desk.store.write() as session:
        result = outbox.acknowledge(
            session, mail=quiet, ticket_id=ticket_id, sender="mara@example.lv", now=NOW
        )
    assert "no acknowledgements" in result.reason and _outbox(desk) == []


def test_the_acknowledgement_speaks_the_customers_language_and_a_template_overrides(
    desk: Desk,
) -> None:
    from csm_console.domain.templates import TemplateDraft
    from csm_console.services import replies

    with_mail(desk.store)
    ticket_id = _new(desk, email="ivan@example.ru", subject="Счёт")
    with desk.store.write() as session:
        session.execute(update(Customer).values(language="ru"))
        outbox.acknowledge(
            session, mail=desk.store.mail, ticket_id=ticket_id, sender="ivan@example.ru", now=NOW
        )
    assert "Здравствуйте" in get_ticket(desk.store, ticket_id=ticket_id).messages[-1].body
    replies.save_template(
        desk.store,
        actor=desk.anna,
        draft=TemplateDraft(
            name="auto-acknowledgement", language="ru", body="Принято: #{{ ticket.id }}"
        ),
    )
    other = _new(desk, email="ivan@example.ru", subject="Ещё")
    with desk.store.write() as session:
        outbox.acknowledge(
            session,
            mail=desk.store.mail,
            ticket_id=other,
            sender="ivan@example.ru",
            now=NOW + timedelta(hours=1),
        )
    assert get_ticket(desk.store, ticket_id=other).messages[-1].body == f"Принято: #{other}"


def test_solving_sends_one_survey_whatever_the_path(desk: Desk) -> None:
    with_mail(desk.store)
    a, b, c = _new(desk), _new(desk, email="b@example.com"), _new(desk, email="c@example.com")
    tickets.change_status(desk.store, actor=desk.olga, ticket_id=a, status=Status.SOLVED, now=NOW)
    tickets.change_status(desk.store, actor=desk.olga, ticket_id=a, status=Status.OPEN, now=NOW)
    tickets.change_status(desk.store, actor=desk.olga, ticket_id=a, status=Status.SOLVED, now=NOW)
    tickets.reply(
        desk.store, actor=desk.olga, ticket_id=b, body="Done", status=Status.SOLVED, now=NOW
    )
    bulk.set_status_many(desk.store, actor=desk.olga, ticket_ids=[c], status=Status.SOLVED)
    surveys = [m for m in _outbox(desk) if m.kind == "survey"]
    assert sorted(m.ticket_id for m in surveys) == [a, b, c]
    reply_b = next(m for m in _outbox(desk) if m.kind == "reply")
    survey_b = next(m for m in surveys if m.ticket_id == b)
    assert survey_b.references.split() == [reply_b.mail_id]


def test_no_survey_for_an_opted_out_customer_or_a_quiet_mailbox(desk: Desk) -> None:
    from dataclasses import replace

    with_mail(desk.store)
    ticket_id = _new(desk)
    view, changed = customers.set_surveys(
        desk.store, actor=desk.olga, email="MARA@example.lv", allowed=False
    )
    assert view.no_surveys and changed
    assert not customers.set_surveys(
        desk.store, actor=desk.olga, email="mara@example.lv", allowed=False
    )[1]
    tickets.change_status(
        desk.store, actor=desk.olga, ticket_id=ticket_id, status=Status.SOLVED, now=NOW
    )
    assert _outbox(desk) == []
    mail = desk.store.mail
    desk.store.mail = replace(
        mail, mailboxes=tuple(replace(b, survey=False) for b in mail.mailboxes)
    )
    other = _new(desk, email="x@example.com")
    tickets.change_status(desk.store, actor=desk.olga, ticket_id=other, status=Status.SOLVED)
    assert _outbox(desk) == []


def test_outbox_list_retry_and_cancel(desk: Desk) -> None:
    with_mail(desk.store)
    ticket_id = _new(desk)
    for text in ("one", "two"):
        tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body=text, now=NOW)
    one, two = _outbox(desk)
    with pytest.raises(PermissionDenied, match="lead or admin"):
        outbox.cancel(desk.store, actor=desk.olga, ids=[one.id])
    changed, refused = outbox.cancel(desk.store, actor=desk.anna, ids=[one.id, 999])
    assert [c.state for c in changed] == ["cancelled"] and refused == [
        (999, "no outgoing mail 999")
    ]
    with desk.store.write() as session:
        session.execute(
            update(OutgoingMail)
            .where(col(OutgoingMail.id) == two.id)
            .values(state="failed", attempts=3, server_reply="550 no")
        )
    assert [v.id for v in outbox.list_outbox(desk.store, states=["failed"])] == [two.id]
    with pytest.raises(UsageError, match="unknown state"):
        outbox.list_outbox(desk.store, states=["lost"])
    changed, _ = outbox.retry(desk.store, actor=desk.anna, ids=[one.id, two.id], now=NOW)
    assert {c.state for c in changed} == {OutState.QUEUED.value}
    assert all(c.attempts == 0 for c in changed)
    _, refused = outbox.cancel(desk.store, actor=desk.anna, ids=[one.id])
    assert refused == []
    states = {
        m.message_id: m.state for m in outbox.for_ticket(desk.store, ticket_id=ticket_id).values()
    }
    assert sorted(states.values()) == ["cancelled", "queued"]


def test_the_mail_sent_threads_back(desk: Desk) -> None:
    """Operator reply out → its bytes parsed as the intake parses them: In-Reply-To names the
    customer's mail, and the customer's answer to it names a Message-ID stored on the ticket."""
    from csm_console.services.mail_send import claim

    with_mail(desk.store)
    ticket_id = _new(desk)
    _customer_mail(desk, ticket_id, "cust-7@example.lv")
    tickets.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="Привет, Mara!\nsecond line",
        attachments=[("счёт.pdf", "application/pdf", b"%PDF-1.4 fake")],
        now=NOW,
    )
    (item,) = claim(desk.store, mail=desk.store.mail, worker="t", now=NOW)
    assert item.data is not None
    parsed = parse_message(item.data)
    assert parsed.in_reply_to == ("cust-7@example.lv",)
    assert parsed.sender == "support@desk.example"
    assert parsed.subject == f"Re: [#{ticket_id}] Invoice"
    assert parsed.body.startswith("Привет, Mara!")
    assert [a.filename for a in parsed.attachments] == ["счёт.pdf"]
    assert parsed.attachments[0].data == b"%PDF-1.4 fake"
    assert parsed.loop_marker  # our store key: the intake drops our own mail
    headers = BytesParser(policy=policy.default).parsebytes(item.data)
    assert headers["Reply-To"] == "support@desk.example"
    assert "Auto-Submitted" not in headers
    # the customer answers our mail: its In-Reply-To is a Message-ID stored on this ticket
    with desk.store.read() as session:
        found = session.execute(
            select(col(Message.ticket_id)).where(col(Message.mail_id) == parsed.message_id)
        ).scalar_one()
    assert found == ticket_id


def test_the_queue_finds_tickets_whose_latest_mail_failed(desk: Desk) -> None:
    from csm_console.domain.query import Sort, parse_query
    from csm_console.services.ticket_reads import iter_tickets

    with_mail(desk.store)
    a, b, c = _new(desk), _new(desk, email="b@example.com"), _new(desk, email="c@example.com")
    for ticket_id in (a, a, b):
        tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="x", now=NOW)
    first_a, _second_a, only_b = _outbox(desk)
    with desk.store.write() as session:
        for row_id in (first_a.id, only_b.id):  # a's earlier mail failed, its latest did not
            session.execute(
                update(OutgoingMail).where(col(OutgoingMail.id) == row_id).values(state="failed")
            )

    def found(text: str) -> list[int]:
        rows = iter_tickets(
            desk.store, actor=desk.olga, query=parse_query(text), sort=Sort(), now=NOW
        )
        return sorted(r.id for r in rows)

    assert found("mail:failed") == [b]
    assert found("mail:queued") == [a]
    assert found("-mail:failed") == [a, c]
    with pytest.raises(Exception, match="unknown mail state"):
        parse_query("mail:lost")


def test_the_sample_ships_the_built_in_texts_and_the_picker_hides_them(tmp_path: Path) -> None:
    """The sample's `auto-*` templates are the built-in texts (one source), and a reply's
    template picker does not offer them."""
    from csm_console.domain import auto_templates
    from csm_console.domain.templates import parse_template
    from csm_console.services import replies

    folder = Path(__file__).resolve().parents[2] / "sample_data" / "templates"
    for name, variants in auto_templates.TEXTS.items():
        for language, text in variants.items():
            path = folder / f"{name}-{language}.md"
            draft = parse_template(path.read_text(encoding="utf-8"), source=path.name)
            assert (draft.name, draft.language, draft.body.strip()) == (
                name, language, text.strip(),
            )  # fmt: skip
    store = copy_sqlite_template(tmp_path / "sample.db", sample_now=NOW)
    try:
        names = {t.name for t in replies.templates_for(store, language="ru")}
        listed = {t.name for t in replies.list_templates(store, language="ru")}
    finally:
        store.dispose()
    assert "billing-refund" in names and not names & {"auto-acknowledgement", "auto-csat-survey"}
    assert {"auto-acknowledgement", "auto-csat-survey"} <= listed


@pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_an_operators_own_login_queues_mail_and_a_leads_retries(logins: Logins) -> None:  # noqa: F811
    """On PostgreSQL each agent is a login with only the rights `csm db grants` gives: an
    operator inserts the reply, its files and its mail (never updating a message), a
    proactive ticket and a survey; a lead may cancel and retry."""
    desk = logins.desk
    olga = with_mail(logins.stores["olga"])
    ticket_id = _new(desk)
    tickets.assign_ticket(desk.store, actor=desk.root, ticket_id=ticket_id, to="olga")
    _customer_mail(desk, ticket_id, "cust-9@example.lv")
    tickets.reply(
        olga,
        actor=desk.olga,
        ticket_id=ticket_id,
        body="See the file",
        attachments=[("a.txt", "text/plain", b"abc")],
        status=Status.SOLVED,
    )
    tickets.create_ticket(
        olga, actor=desk.olga, customer_email="new@example.com", subject="Hi", body="x", send=True
    )
    assert sorted(m.kind for m in _outbox(desk)) == ["proactive", "reply", "survey"]
    anna = with_mail(logins.stores["anna"])
    ids = [m.id for m in _outbox(desk)]
    assert len(outbox.cancel(anna, actor=desk.anna, ids=ids)[0]) == 3
    assert len(outbox.retry(anna, actor=desk.anna, ids=ids)[0]) == 3


def test_the_intake_finds_the_mail_a_customer_answers(desk: Desk) -> None:
    with_mail(desk.store)
    ticket_id = _new(desk)
    tickets.reply(desk.store, actor=desk.olga, ticket_id=ticket_id, body="x", now=NOW)
    tickets.change_status(
        desk.store, actor=desk.olga, ticket_id=ticket_id, status=Status.SOLVED, now=NOW
    )
    reply, survey = _outbox(desk)
    with desk.store.read() as session:
        found = outbox.answered_mail(session, [reply.mail_id, survey.mail_id, "x@y"])
        assert found is not None and found.kind == "survey" and found.ticket_id == ticket_id
        assert outbox.answered_mail(session, ["x@y"]) is None
        assert outbox.answered_mail(session, []) is None
