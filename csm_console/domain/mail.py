"""The vocabulary of the e-mail channel, shared by the parser, the intake, the outbox and the
faces: mailboxes as configured, a parsed message, its flags, and what became of it.

Plain data only: `domain.mail_parse` turns raw bytes into a `ParsedMail`, `services.mail_intake`
stores it, `services.outbox` sends replies.  Nothing here touches the store or the network.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_MAX_MESSAGE = 25 * 1024 * 1024  # bytes a message may have (`max_mail_size`)
# tried in order on bytes that declare no charset (or a wrong one): the first that decodes the
# whole text cleanly wins (`mail_charsets` in the config file)
DEFAULT_CHARSETS = ("utf-8", "windows-1251", "koi8-r", "windows-1257", "iso-8859-13", "latin-1")
DEFAULT_TAG_PREFIX = "#"  # the ticket tag in subjects: `[#1234]`
LOOP_HEADER = "X-CSM-Loop"  # on every mail we send; its value names the store (store_key)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")


class MessageFlag(StrEnum):
    """What a stored message is, beyond its author (`message.flags`, space-separated)."""

    AUTO_REPLY = "auto-reply"  # Auto-Submitted, Precedence bulk/junk/list, X-Autoreply, OOO
    BOUNCE = "bounce"  # a delivery status notification about one of our mails (+ AUTO_REPLY)
    HTML_ONLY = "html-only"  # the text was made from HTML (which is never rendered)
    TRUNCATED = "truncated"  # the body was cut to the store's limit


def flags_text(flags: frozenset[MessageFlag] | set[MessageFlag]) -> str:
    return " ".join(sorted(f.value for f in flags))


def parse_flags(text: str) -> frozenset[MessageFlag]:
    known = {f.value: f for f in MessageFlag}
    return frozenset(known[word] for word in text.split() if word in known)


class Outcome(StrEnum):
    """What became of one message taken in (`mail_receipt.outcome`, and the one line that
    `csm mail receive` prints)."""

    NEW = "new"  # a new ticket
    FOLLOW_UP = "follow-up"  # added to an open ticket
    REOPENED = "reopened"  # added to a solved ticket, which reopened
    LINKED = "linked"  # a new ticket linked to a closed one, or to a stranger's tagged one
    RATING = "rating"  # a reply to a survey: the CSAT score was recorded
    AUTO_REPLY = "auto-reply"  # stored on its ticket, flagged, changed nothing
    BOUNCE = "bounce"  # matched to the outgoing mail it reports on
    DUPLICATE = "duplicate"  # seen before (by Message-ID, or the raw bytes' hash)
    DROPPED = "dropped"  # deliberately not stored (a loop ...), with the reason
    QUARANTINED = "quarantined"  # kept raw with the reason


@dataclass(frozen=True)
class Mailbox:
    """One `[[mailboxes]]` entry of the config file."""

    name: str
    addresses: tuple[str, ...]  # the first is the From of every mail we send from it
    imap_url: str | None = None  # imaps://user@host[:993] or imap://user@host[:143][?starttls=1]
    folder: str = "INBOX"
    move_to: str | None = None  # IMAP folder that processed messages move to
    password_env: str | None = None  # the environment variable holding the IMAP password
    password_command: str | None = None  # or a command that prints it
    team: str | None = None  # defaults of a new ticket from this mailbox
    category: str | None = None
    language: str | None = None
    priority: str | None = None
    acknowledge: bool = True  # automatic mails, each can be switched off
    survey: bool = True

    @property
    def address(self) -> str:
        return self.addresses[0]


@dataclass(frozen=True)
class MailSettings:
    mailboxes: tuple[Mailbox, ...] = ()
    smtp_url: str | None = None  # smtp://user@host:587?starttls=1, smtps://..., smtp://host:25
    smtp_password_env: str | None = None
    smtp_password_command: str | None = None
    tag_prefix: str = DEFAULT_TAG_PREFIX
    charsets: tuple[str, ...] = DEFAULT_CHARSETS
    max_message: int = DEFAULT_MAX_MESSAGE

    def mailbox(self, name: str | None) -> Mailbox | None:
        """The named mailbox; with no name, the only (or first) one; None if there is none."""
        if name is None:
            return self.mailboxes[0] if self.mailboxes else None
        return next((m for m in self.mailboxes if m.name == name), None)

    def our_addresses(self) -> frozenset[str]:
        return frozenset(a.lower() for m in self.mailboxes for a in m.addresses)


def check_mailbox_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"bad mailbox name {name!r}: lower-case letters, digits, '.', '_' and '-', "
            "at most 80, starting with a letter or digit"
        )
    return name


def subject_tag(ticket_id: int, prefix: str = DEFAULT_TAG_PREFIX) -> str:
    return f"[{prefix}{ticket_id}]"


def find_subject_tag(subject: str, prefix: str = DEFAULT_TAG_PREFIX) -> int | None:
    """The ticket id of the first `[<prefix>1234]` tag in a subject, if any."""
    match = re.search(r"\[" + re.escape(prefix) + r"(\d{1,10})\]", subject)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number <= 2**31 - 1 else None


@dataclass(frozen=True)
class MailAttachment:
    filename: str  # sanitised: no path, no control characters, never empty
    content_type: str
    data: bytes
    inline: bool = False  # shown in the text (an inline image), not attached by the sender
    content_id: str | None = None  # without angle brackets: what `cid:` URLs in the HTML name

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedMail:
    """One message as the intake needs it.  Every text field is decoded, and passed through
    `domain.text.sanitize` (single-line for headers): safe to store and to show."""

    mail_key: str  # the Message-ID, or `sha256:<hex>` of the raw bytes when there is none
    message_id: str | None  # without angle brackets
    in_reply_to: tuple[str, ...]  # Message-IDs, without angle brackets
    references: tuple[str, ...]
    sender: str  # the From address, lower-cased ('' when there is no usable one)
    sender_name: str
    recipients: tuple[str, ...]  # To and Cc addresses, lower-cased
    subject: str
    date: str | None  # the Date header as an ISO 8601 UTC timestamp, when it parses
    body: str  # text/plain, or text made from the HTML; quoted history included
    attachments: tuple[MailAttachment, ...] = ()
    flags: frozenset[MessageFlag] = frozenset()
    loop_marker: str | None = None  # the value of our own LOOP_HEADER, if present
    # for a bounce: the Message-IDs of the mail(s) it reports on, and the reason it gives
    bounced_ids: tuple[str, ...] = ()
    bounce_reason: str = ""
    raw_sha256: str = ""
    raw_size: int = 0
    problems: tuple[str, ...] = field(default=())  # recovered defects, for the record
    # the sender asked for no automatic answer (`X-Auto-Response-Suppress: All` or `AutoReply`):
    # send no acknowledgement, although the message itself is not automatic
    auto_response_suppressed: bool = False


class Unstorable(Exception):
    """The message cannot be stored (too large, undecodable, no usable sender): quarantine it
    with this reason."""


def mail_settings(raw: Mapping[str, Any]) -> MailSettings:
    """`MailSettings` from the config file's keys (validated by pydantic already, except what
    only makes sense together: unique names and addresses, known charsets)."""
    boxes: list[Mailbox] = []
    for entry in raw.get("mailboxes") or ():
        values = dict(entry)
        values["name"] = check_mailbox_name(values["name"])
        values["addresses"] = tuple(values["addresses"])
        boxes.append(Mailbox(**values))
    names = [m.name for m in boxes]
    if len(set(names)) != len(names):
        raise ValueError("mailboxes: two mailboxes have the same name")
    addresses = [a for m in boxes for a in m.addresses]
    if len(set(addresses)) != len(addresses):
        raise ValueError("mailboxes: an address belongs to two mailboxes")
    charsets = tuple(raw.get("mail_charsets") or DEFAULT_CHARSETS)
    for name in charsets:
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"mail_charsets: unknown charset {name!r}") from None
    return MailSettings(
        mailboxes=tuple(boxes),
        smtp_url=raw.get("smtp_url") or None,
        smtp_password_env=raw.get("smtp_password_env") or None,
        smtp_password_command=raw.get("smtp_password_command") or None,
        tag_prefix=raw.get("mail_tag_prefix") or DEFAULT_TAG_PREFIX,
        charsets=charsets,
        max_message=raw.get("max_mail_size") or DEFAULT_MAX_MESSAGE,
    )
