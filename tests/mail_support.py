"""Small builders of raw e-mail for the intake's tests (bytes as a mail server delivers them),
and the mailbox settings they are taken in with."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from csm_console.domain.mail import Mailbox, MailSettings

SUPPORT = Mailbox(
    name="support",
    addresses=("support@desk.example", "help@desk.example"),
    team="Frontline South",
    category="billing",
    priority="high",
    acknowledge=False,  # the intake's own rules, without acknowledgements in each thread
)
SALES = Mailbox(name="sales", addresses=("sales@desk.example",), acknowledge=False)
MAIL = MailSettings(mailboxes=(SUPPORT, SALES))


def message(
    *,
    sender: str = "Anna Bērziņa <anna@cust.example>",
    to: str = "support@desk.example",
    subject: str = "Router broken",
    body: str = "My router is broken since Monday.",
    message_id: str | None = "<m1@cust.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> bytes:
    """One message; `attachments` are (file name, bytes)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    if date:
        msg["Date"] = format_datetime(date)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return msg.as_bytes()
