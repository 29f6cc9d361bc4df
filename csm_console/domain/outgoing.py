"""Outgoing e-mail as plain data: the subject of a reply, its threading headers, the bytes of
the MIME message, the rules of the automatic mails (acknowledgement rate limits), the retry
schedule, and the `smtp_url`.

Nothing here touches the store or the network: `services.outbox` queues, `services.mail_send`
claims and delivers through `channels.smtp`.  Every header value is made single-line here, so
no customer text (a subject, a file name) can add a header of its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from csm_console.domain.mail import LOOP_HEADER, MessageFlag, subject_tag

# in domain.model, with the other column values, so that the query language does not import this
from csm_console.domain.model import OutState as OutState
from csm_console.domain.text import sanitize


class OutKind(StrEnum):
    """What an outgoing mail is (`outgoing_mail.kind`)."""

    REPLY = "reply"  # an agent's public reply
    PROACTIVE = "proactive"  # an agent opened the ticket by writing to the customer
    ACK = "ack"  # the automatic acknowledgement of a new e-mail ticket
    SURVEY = "survey"  # the automatic CSAT survey when a ticket is solved

    @property
    def automatic(self) -> bool:
        return self in (OutKind.ACK, OutKind.SURVEY)


# the template names of the automatic mails (`reply_template.name`, one variant per language)
ACK_TEMPLATE = "auto-acknowledgement"
SURVEY_TEMPLATE = "auto-csat-survey"
AUTO_TEMPLATES = frozenset({ACK_TEMPLATE, SURVEY_TEMPLATE})  # never offered for a reply

# acknowledgements: at most one per sender in this window, and this many a day
ACK_WINDOW = timedelta(minutes=10)
ACK_DAY = timedelta(days=1)
ACK_PER_DAY = 20

# retries: 1, 2, 4 ... minutes, at most an hour apart; given up after this many attempts
# (about a day: 1+2+4+8+16+32 minutes, then 23 hourly attempts)
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 30

MAX_REFERENCES = 20  # Message-IDs in a References header (the first one and the latest)
MAX_ATTACHMENTS = 20  # files on one reply

_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|atb|ответ|отв|пересл)\s*(?:\[\d{1,3}\])?\s*:\s*)+",
    re.IGNORECASE,
)
_ROBOT_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}
)


def one_line(text: str, limit: int = 500) -> str:
    """A header value: sanitised, every line break and tab a space, at most `limit` characters.

    An RFC 2047 encoded word in the text (`=?utf-8?b?...?=`) would be decoded by the mail
    library on the way out, past the sanitiser: it is decoded here first and the result
    sanitised, and whatever still looks like one is broken with a word joiner."""
    line = _flat(text)
    for _ in range(3):  # an encoded word may decode to another
        if "=?" not in line:
            break
        decoded = _flat(_decoded_words(line))
        if decoded == line:
            break
        line = decoded
    return line.replace("=?", "=\u2060?")[:limit]


def _flat(text: str) -> str:
    return sanitize(text, single_line=True).replace("\r", " ").replace("\n", " ")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _decoded_words(text: str) -> str:
    """Each well-formed encoded word replaced by its text (one that cannot be decoded, an
    unknown charset, stays); the white space between two words goes, as RFC 2047 says."""
    from email.header import decode_header

    def word(match: re.Match[str]) -> str:
        try:
            (data, charset), *_ = decode_header(match.group())
            return data.decode(charset or "ascii", "replace") if isinstance(data, bytes) else data
        except (LookupError, ValueError, UnicodeError):
            return match.group()

    joined = re.sub(r"(\?=)\s+(?==\?)", r"\1", text)
    return _ENCODED_WORD.sub(word, joined)


def reply_subject(subject: str, ticket_id: int, prefix: str, *, reply: bool = True) -> str:
    """`Re: [#1234] <the customer's subject>`: our tag once, `Re:` once, whatever the customer's
    client piled up (`RE: Re: AW: [#1234] ...`).  A proactive first mail has no `Re:`."""
    tag = subject_tag(ticket_id, prefix)
    bare = one_line(subject)
    for _ in range(5):  # `Re: [#12] Re: x`: prefixes on both sides of an old tag
        stripped = _PREFIX.sub("", bare.replace(tag, " ")).strip()
        stripped = " ".join(stripped.split())
        if stripped == bare:
            break
        bare = stripped
    text = f"{tag} {bare}".strip()
    return one_line(f"Re: {text}" if reply else text)


def mail_domain(address: str) -> str:
    """The domain of our mailbox address: the right-hand side of our Message-IDs."""
    return address.rpartition("@")[2].strip().lower() or "localhost"


def make_mail_id(token: str, address: str) -> str:
    """A Message-ID (without angle brackets) for a mail from `address`; `token` is random (the
    service draws it), so two stores never make the same one."""
    return f"csm.{token}@{mail_domain(address)}"


@dataclass(frozen=True)
class Thread:
    in_reply_to: str | None
    references: tuple[str, ...]


def thread_headers(earlier: Iterable[tuple[str, bool]]) -> Thread:
    """In-Reply-To and References of a new mail on a ticket from the Message-IDs already on it,
    oldest first, each with whether the customer sent it.  In-Reply-To names the customer's
    latest mail (else our latest); References keeps the first and the latest ids."""
    ids: dict[str, bool] = {}
    for mail_id, from_customer in earlier:
        if mail_id:
            ids.setdefault(mail_id, from_customer)
    ordered = list(ids)
    customers = [m for m in ordered if ids[m]]
    in_reply_to = customers[-1] if customers else (ordered[-1] if ordered else None)
    if len(ordered) > MAX_REFERENCES:
        ordered = [ordered[0], *ordered[-(MAX_REFERENCES - 1) :]]
    return Thread(in_reply_to=in_reply_to, references=tuple(ordered))


@dataclass(frozen=True)
class OutFile:
    filename: str  # sanitised already
    content_type: str
    data: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """Everything that goes into the bytes of one mail.  Built from the outbox row, its
    message and the mailbox: the same row always gives the same bytes."""

    mail_id: str
    sender: str  # the mailbox address: From, Reply-To, and the SMTP envelope sender
    recipient: str
    subject: str
    date: datetime  # fixed when queued
    body: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automatic: bool = False
    loop_key: str = ""
    attachments: tuple[OutFile, ...] = ()


def _address(text: str) -> str:
    value = one_line(text, 254)
    if value.count("@") != 1 or any(c in value for c in " <>,;\"'()[]\\"):
        raise ValueError(f"not a plain e-mail address: {value!r}")
    return value


def build_message(mail: OutgoingMessage) -> bytes:
    """The RFC 5322 bytes of `mail` (CRLF line ends, ready for SMTP DATA)."""
    from email import policy  # here: the query language imports this module's states
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage(policy=policy.SMTP)
    sender = _address(mail.sender)
    msg["From"] = sender
    msg["Reply-To"] = sender
    msg["To"] = _address(mail.recipient)
    msg["Subject"] = one_line(mail.subject)
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = f"<{one_line(mail.mail_id, 250)}>"
    if mail.in_reply_to:
        msg["In-Reply-To"] = f"<{one_line(mail.in_reply_to, 250)}>"
    if mail.references:
        msg["References"] = " ".join(f"<{one_line(r, 250)}>" for r in mail.references)
    if mail.automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back to us
    msg[LOOP_HEADER] = one_line(mail.loop_key, 100) or "csm"
    msg.set_content(sanitize(mail.body), charset="utf-8", cte="quoted-printable")
    for item in mail.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        if not maintype or not subtype or not re.fullmatch(r"[\w.+-]+", maintype + subtype):
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=one_line(item.filename, 200)
        )
    if mail.attachments:  # the same boundary on every attempt: a retry sends the same bytes
        msg.set_boundary("=_csm_" + hashlib.sha256(mail.mail_id.encode()).hexdigest()[:32])
    return msg.as_bytes()


def should_acknowledge(
    *,
    sender: str,
    flags: Iterable[MessageFlag] = (),
    loop_marker: str | None = None,
    our_addresses: Iterable[str] = (),
) -> str | None:
    """Why a new ticket from this mail gets no acknowledgement (None: it may get one).  Never
    to auto-generated mail, bounces, loops, our own addresses or robots' addresses."""
    address = sender.strip().lower()
    flagged = set(flags)
    if MessageFlag.AUTO_REPLY in flagged:
        return "the mail is auto-generated"
    if MessageFlag.BOUNCE in flagged:
        return "the mail is a bounce"
    if loop_marker:
        return "the mail carries our loop header"
    if address.count("@") != 1:
        return "no usable sender"
    if address in {a.lower() for a in our_addresses}:
        return "the sender is one of our mailboxes"
    local = address.partition("@")[0]
    if local in _ROBOT_LOCALS or local.startswith("bounce"):
        return "the sender is a robot address"
    return None


def ack_rate_limited(earlier: Sequence[datetime], now: datetime) -> str | None:
    """Why another acknowledgement to a sender who had acknowledgements at `earlier` must not
    go (None: it may): one per 10 minutes, 20 a day, so two robots never talk forever."""
    if any(now - when < ACK_WINDOW for when in earlier):
        return "an acknowledgement went to this sender less than 10 minutes ago"
    if sum(1 for when in earlier if now - when < ACK_DAY) >= ACK_PER_DAY:
        return f"{ACK_PER_DAY} acknowledgements went to this sender in the last day"
    return None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most
    an hour."""
    exponent = max(0, min(attempts - 1, 20))
    return min(FIRST_DELAY * (1 << exponent), MAX_DELAY)


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP (a local relay)
    TLS = "tls"  # smtps://: TLS from the first byte
    STARTTLS = "starttls"  # smtp://...?starttls=1


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: SmtpSecurity
    user: str | None = None
    timeout: float = 30.0

    def describe(self) -> str:
        """For messages: never a password (the URL cannot hold one)."""
        who = f"{self.user}@" if self.user else ""
        scheme = "smtps" if self.security is SmtpSecurity.TLS else "smtp"
        extra = "?starttls=1" if self.security is SmtpSecurity.STARTTLS else ""
        return f"{scheme}://{who}{self.host}:{self.port}{extra}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://[user@]host[:port][?starttls=1&timeout=S]` or `smtps://[user@]host[:port]`.  A
    password in the URL is refused: it comes from `smtp_password_env` or
    `smtp_password_command`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("smtp_url: smtp://host[:port] or smtps://host[:port]")
    if parts.password is not None:
        raise ValueError(
            "smtp_url: no password in the URL; use smtp_password_env or smtp_password_command"
        )
    if not parts.hostname:
        raise ValueError("smtp_url: no host")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    try:
        timeout = float(query.get("timeout", ["30"])[-1])
        port = parts.port
    except ValueError:
        raise ValueError("smtp_url: a bad port or timeout") from None
    if parts.scheme == "smtps":
        security = SmtpSecurity.TLS
    else:
        security = SmtpSecurity.STARTTLS if starttls else SmtpSecurity.NONE
    default_port = {SmtpSecurity.TLS: 465, SmtpSecurity.STARTTLS: 587, SmtpSecurity.NONE: 25}
    return SmtpTarget(
        host=parts.hostname,
        port=port or default_port[security],
        security=security,
        user=unquote(parts.username) if parts.username else None,
        timeout=max(1.0, min(timeout, 600.0)),
    )
