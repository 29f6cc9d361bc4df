"""The e-mail channel end to end, through a real SMTP server process (aiosmtpd): a customer's
mail opens a ticket and is acknowledged; the operator's reply leaves by SMTP; the customer's
mail client answers that reply, and the answer lands on the same ticket.  Both stores."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from csm_console.domain.mail import Outcome
from csm_console.domain.model import Status
from csm_console.services import mail_send, ticket_reads, tickets
from csm_console.services.mail_intake import take_in
from csm_console.services.mail_watch import periodic_jobs
from csm_console.services.tickets import assign_ticket
from csm_console.store.models import OutgoingMail
from tests.conftest import NOW, Desk
from tests.mail_support import message
from tests.smtp_support import SUPPORT, smtp_server, with_mail

pytestmark = pytest.mark.slow


def _answer(reply: EmailMessage, text: str) -> bytes:
    """What a customer's mail client sends when they answer `reply` (RFC 5322 threading)."""
    answer = EmailMessage()
    answer["From"] = "Anna Bērziņa <anna@cust.example>"
    answer["To"] = str(reply["From"])
    answer["Subject"] = f"Re: {reply['Subject']}"
    answer["Message-ID"] = "<answer-1@cust.example>"
    answer["In-Reply-To"] = str(reply["Message-ID"])
    answer["References"] = f"{reply.get('References', '')} {reply['Message-ID']}".strip()
    quoted = "\n".join(f"> {line}" for line in reply.get_content().splitlines())
    answer.set_content(f"{text}\n\nOn Friday, support wrote:\n{quoted}\n")
    return answer.as_bytes()


def test_customer_mail_reply_and_answer_share_one_ticket(desk: Desk, tmp_path: Path) -> None:
    with smtp_server(tmp_path / "mx") as server:
        store = with_mail(desk.store, server.url)
        first = take_in(store, message(to="support@desk.example"), mail=store.mail,
                        mailbox=SUPPORT, now=NOW)  # fmt: skip
        assert first.outcome is Outcome.NEW and first.ticket_id is not None
        ticket_id = first.ticket_id
        assign_ticket(store, actor=desk.root, ticket_id=ticket_id, to="olga", now=NOW)
        tickets.reply(store, actor=desk.olga, ticket_id=ticket_id, status=Status.PENDING,
                      body="Please restart the router and tell us what the lights show.",
                      now=NOW)  # fmt: skip
        report = mail_send.deliver(store, mail=store.mail, clock=lambda: NOW)
        assert (report.sent, report.failed, report.retrying) == (2, 0, 0), report.lines
        acknowledgement, reply = server.messages()
        assert acknowledgement["Auto-Submitted"] == "auto-replied"
        assert f"[#{ticket_id}]" in str(acknowledgement["Subject"])
        assert reply["Auto-Submitted"] is None and reply["To"] == "anna@cust.example"
        assert reply["In-Reply-To"] == "<m1@cust.example>"
        assert str(reply["Subject"]) == f"Re: [#{ticket_id}] Router broken"

        answer = take_in(store, _answer(reply, "The lights are all green now."),
                         mail=store.mail, mailbox=SUPPORT, now=NOW)  # fmt: skip
        assert (answer.outcome, answer.ticket_id) == (Outcome.FOLLOW_UP, ticket_id)
        shown = ticket_reads.get_ticket(store, ticket_id=ticket_id)
        assert (
            shown.ticket.status == Status.OPEN.value
        )  # the customer answered: the clock runs again
        last = shown.messages[-1]
        assert last.author_kind == "customer" and last.body.startswith("The lights are all green")
        # the same answer fetched again (another client, a retried pipe) is stored once
        again = take_in(store, _answer(reply, "The lights are all green now."),
                        mail=store.mail, mailbox=SUPPORT, now=NOW)  # fmt: skip
        assert again.outcome is Outcome.DUPLICATE
        assert len(ticket_reads.get_ticket(store, ticket_id=ticket_id).messages) == len(
            shown.messages
        )


def test_no_acknowledgement_when_the_sender_asks_for_none(desk: Desk) -> None:
    store = with_mail(desk.store, "smtp://127.0.0.1:1")
    quiet = message(headers={"X-Auto-Response-Suppress": "All"}, message_id="<q@cust.example>")
    taken = take_in(store, quiet, mail=store.mail, mailbox=SUPPORT, now=NOW)
    loud = take_in(store, message(message_id="<l@cust.example>", sender="bob@cust.example"),
                   mail=store.mail, mailbox=SUPPORT, now=NOW)  # fmt: skip
    assert taken.outcome is Outcome.NEW and loud.outcome is Outcome.NEW
    with store.read() as session:
        queued = session.execute(select(OutgoingMail.ticket_id, OutgoingMail.kind)).all()
    assert [tuple(row) for row in queued] == [(loud.ticket_id, "ack")]


def test_the_watch_sends_the_outbox_every_round(desk: Desk, tmp_path: Path) -> None:
    said: list[str] = []
    assert periodic_jobs(with_mail(desk.store), desk.store.mail, said.append) == []
    assert said == ["no smtp_url (config file or CSM_SMTP_URL): watching without sending"]
    with smtp_server(tmp_path / "mx") as server:
        store = with_mail(desk.store, server.url)
        (send_due,) = periodic_jobs(store, store.mail, said.append)
        take_in(store, message(), mail=store.mail, mailbox=SUPPORT, now=NOW)
        send_due()
        assert [m["Auto-Submitted"] for m in server.messages()] == ["auto-replied"]
        assert said[-1] == "outbox: 1 sent"
        send_due()  # nothing due: nothing said
        assert said[-1] == "outbox: 1 sent" and len(server.messages()) == 1
