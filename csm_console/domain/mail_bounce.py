"""Delivery status notifications ("bounces"): which of our mails they report on, and why.

Standard ones (RFC 3464) are `multipart/report; report-type=delivery-status` with a
`message/delivery-status` part (per recipient: Action, Status, Diagnostic-Code) and the returned
message (`message/rfc822`) or its headers (`text/rfc822-headers`).  Common non-standard ones come
from a mailer daemon as plain text: qmail ("Hi. This is the qmail-send program"), Exim ("This
message was created automatically by mail delivery software", `X-Failed-Recipients`), Postfix
("This is the mail system at host"), with the returned message pasted below.

`find_bounce` decides from plain strings gathered by the parser, so it is testable on its own.
A report whose recipients were all delayed, delivered or relayed is not a failure
(`Bounce.failed` is False): the parser flags it as automatic mail, not as a bounce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csm_console.domain.mail_headers import message_ids
from csm_console.domain.text import sanitize

MAX_REASON = 300

_DAEMONS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon", "mailer_daemon"}
)
_DAEMON_NAMES = re.compile(
    r"mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|"
    r"система доставки почты|почтовая служба",
    re.IGNORECASE,
)
_BOUNCE_TEXT = re.compile(
    r"this is the qmail-send program|i'm afraid i wasn't able to deliver|"
    r"this message was created automatically by mail delivery software|"
    r"this is the mail system at host|i'm sorry to have to inform you that your message|"
    r"delivery to the following recipients? failed|"
    r"your message (?:could not|cannot|wasn't|was not) (?:be )?delivered|"
    r"message could not be delivered|undeliverable|delivery has failed|"
    r"the following addresses? (?:had permanent fatal errors|failed)|"
    r"delivery status notification|returned mail|mail delivery failed|"
    r"не удалось доставить|не может быть доставлено|недоставленное сообщение|"
    r"neizdevās piegādāt",
    re.IGNORECASE,
)
_DELAY_TEXT = re.compile(
    r"\bdelayed\b|has not yet been delivered|will (?:continue|keep) trying|"
    r"delivery status notification \(delay\)|warning: message|задерж",
    re.IGNORECASE,
)
_FIELD = re.compile(r"^([A-Za-z-]{2,40})[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)", re.MULTILINE)
_MESSAGE_ID_LINE = re.compile(r"^message-id[ \t]*:[ \t]*(.*(?:\r?\n[ \t]+.*)*)", re.I | re.M)
_SMTP_REPLY = re.compile(
    r"\b[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3}\b)?.{4,}|\b[45]\.\d{1,3}\.\d{1,3}\b.{4,}"
)
_RECIPIENT_LINE = re.compile(r"^\s*<?[^\s<>@]+@[^\s<>@]+>?:?\s*$")


@dataclass(frozen=True)
class Bounce:
    failed: bool  # False for a report of delay or delivery
    ids: tuple[str, ...]  # Message-IDs of the returned mail(s)
    reason: str  # "rcpt@example.com: 5.1.1 550 ... User unknown", sanitised, short


def is_daemon(sender: str, sender_name: str) -> bool:
    local = sender.partition("@")[0]
    return local in _DAEMONS or bool(sender_name and _DAEMON_NAMES.search(sender_name))


def find_bounce(
    *,
    content_type: str,
    report_type: str,
    sender: str,
    sender_name: str,
    subject: str,
    headers: dict[str, str],
    body: str,
    status_texts: list[str],
    returned_ids: list[str],
    returned_headers: list[str],
) -> Bounce | None:
    """The bounce a message is, or None.  `status_texts` are the `message/delivery-status`
    parts as text, `returned_ids` the Message-IDs of returned `message/*` parts, and
    `returned_headers` the `text/rfc822-headers` parts."""
    standard = bool(status_texts) or (
        content_type == "multipart/report"
        and report_type in ("delivery-status", "global-delivery-status")
    )
    daemon = (
        is_daemon(sender, sender_name)
        or bool(headers.get("x-failed-recipients"))
        or headers.get("return-path", "").strip() == "<>"
    )
    sample = body[:20_000]
    if not standard:
        if not daemon:
            return None
        looks = bool(_BOUNCE_TEXT.search(sample) or _BOUNCE_TEXT.search(subject))
        if not (looks or returned_ids or returned_headers):
            return None
    ids: dict[str, None] = {}
    for found in returned_ids:
        for mid in message_ids(found):
            ids.setdefault(mid, None)
    for text in returned_headers:
        for line in _MESSAGE_ID_LINE.findall(text):
            for mid in message_ids(line):
                ids.setdefault(mid, None)
    if not ids:  # the returned message pasted into the text (qmail, Exim)
        for line in _MESSAGE_ID_LINE.findall(sample):
            for mid in message_ids(line):
                ids.setdefault(mid, None)
    failed, reason = _status(status_texts)
    if failed is None:  # no usable report: judge by the words
        failed = not (_DELAY_TEXT.search(subject) or _DELAY_TEXT.search(sample[:3000]))
    if not reason:
        reason = _reason_from_text(sample)
    if not reason and headers.get("x-failed-recipients"):
        reason = f"failed: {headers['x-failed-recipients']}"
    reason = sanitize(reason, single_line=True)[:MAX_REASON]
    return Bounce(failed=failed, ids=tuple(ids)[:20], reason=reason)


def _fields(block: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in _FIELD.findall(block):
        found.setdefault(name.lower(), " ".join(value.split()))
    return found


def _status(status_texts: list[str]) -> tuple[bool | None, str]:
    """(whether a recipient failed, the reason) from delivery-status parts; (None, "") when
    they say nothing usable."""
    actions: list[str] = []
    reasons: list[tuple[bool, str]] = []
    for text in status_texts:
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
            fields = _fields(block)
            action = fields.get("action", "").lower()
            status = fields.get("status", "")
            if not (action or status):
                continue
            actions.append(action)
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            recipient = recipient.split(";", 1)[-1].strip()
            diagnostic = fields.get("diagnostic-code", "")
            diagnostic = diagnostic.split(";", 1)[-1].strip() if ";" in diagnostic else diagnostic
            words = " ".join(w for w in (status, diagnostic) if w)
            if action:
                words = words or action
            reason = f"{recipient}: {words}" if recipient else words
            failing = action == "failed" or (not action and status.startswith("5"))
            reasons.append((failing, reason))
    if not actions:
        return None, ""
    failed = any(f for f, _ in reasons)
    if failed:
        return True, next(r for f, r in reasons if f)
    if all(a in ("", "failed") for a in actions):
        return None, reasons[0][1] if reasons else ""
    return False, reasons[0][1] if reasons else ""


def _reason_from_text(text: str) -> str:
    """A non-standard bounce's reason: the first SMTP reply in it (with the recipient named
    before it, if any), else the first line after a recipient line; only from the text above
    the returned copy of the message."""
    recipient = after_recipient = ""
    for line in (line.strip() for line in text.splitlines()[:300]):
        if _RETURNED_COPY.match(line):
            break
        if _RECIPIENT_LINE.match(line):
            recipient = recipient or line.strip("<>: ")
            continue
        match = _SMTP_REPLY.search(line)
        if match:
            found = line if len(line) <= MAX_REASON else match.group(0).strip()
            return f"{recipient}: {found}" if recipient and recipient not in found else found
        if recipient and not after_recipient and len(line) > 8:
            after_recipient = line
    return f"{recipient}: {after_recipient}" if recipient and after_recipient else ""


_RETURNED_COPY = re.compile(
    r"^(?:-+ ?this is a copy|--- below this line|-+ ?original message|return-path:|received:|"
    r"-+ ?the header of the original|-+ ?undelivered message)",
    re.IGNORECASE,
)
