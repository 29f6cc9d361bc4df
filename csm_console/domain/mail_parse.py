"""Raw RFC 5322 bytes → `ParsedMail` (domain.mail), never an exception but `Unstorable`.

The stdlib `email` package with `policy.default` is the base.  This first version covers the
common case: text/plain or HTML bodies, attachments, threading headers, auto-generated mail and
loop markers.  (Charset repair, DSN details and quoted-history folding are refined in their own
modules.)
"""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from csm_console.domain.mail import (
    DEFAULT_CHARSETS,
    DEFAULT_MAX_MESSAGE,
    LOOP_HEADER,
    MailAttachment,
    MessageFlag,
    ParsedMail,
    Unstorable,
)
from csm_console.domain.text import sanitize

MAX_BODY = 200_000  # characters of a message's text kept in the store
_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_FILENAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\]+")


def message_ids(value: str | None) -> tuple[str, ...]:
    """The Message-IDs named in a header (angle brackets removed), in order, no repeats."""
    if not value:
        return ()
    seen: dict[str, None] = {}
    for found in _MSGID.findall(str(value)):
        seen.setdefault(found, None)
    return tuple(seen)


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A file name safe to save anywhere: no directories, no control characters, not hidden."""
    cleaned = sanitize(name or "", single_line=True)
    cleaned = _FILENAME_BAD.sub("_", cleaned).strip(" .")
    cleaned = cleaned.replace("..", "_")
    return (cleaned or fallback)[:200]


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the policy cannot parse
        raw = msg.get_all(name, failobj=[])
        value = raw[0] if raw else None
    return sanitize(str(value), single_line=True) if value is not None else ""


def _decode_part(part: EmailMessage, charsets: tuple[str, ...]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    for charset in ((declared,) if declared else ()) + charsets:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def _html_text(html: str) -> str:
    from inscriptis import get_text

    return str(get_text(html))


def _is_auto(msg: EmailMessage) -> bool:
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if _header(msg, "Precedence").lower() in {"bulk", "junk", "list"}:
        return True
    return bool(_header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"))


def parse_message(
    raw: bytes,
    *,
    charsets: tuple[str, ...] = DEFAULT_CHARSETS,
    max_message: int = DEFAULT_MAX_MESSAGE,
) -> ParsedMail:
    """Parse one message.  Raises `Unstorable` (with the reason) for what must be quarantined."""
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > max_message:
        raise Unstorable(f"too large: {len(raw)} bytes, the limit is {max_message}")
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = parseaddr(_header(msg, "From"))
    address = address.strip().lower()
    if address.count("@") != 1:
        raise Unstorable("no usable sender (From)")
    ids = message_ids(_header(msg, "Message-ID"))
    body_plain: list[str] = []
    body_html: list[str] = []
    attachments: list[MailAttachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        if disposition is None and ctype == "text/plain":
            body_plain.append(_decode_part(part, charsets))
        elif disposition is None and ctype == "text/html":
            body_html.append(_decode_part(part, charsets))
        else:
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                attachments.append(
                    MailAttachment(
                        filename=safe_filename(part.get_filename()),
                        content_type=ctype[:127],
                        data=data,
                        inline=disposition == "inline",
                    )
                )
    flags: set[MessageFlag] = set()
    if body_plain:
        body = "\n".join(body_plain)
    elif body_html:
        body = "\n".join(_html_text(h) for h in body_html)
        flags.add(MessageFlag.HTML_ONLY)
    else:
        body = ""
    body = sanitize(body).strip()
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY]
        flags.add(MessageFlag.TRUNCATED)
    if _is_auto(msg):
        flags.add(MessageFlag.AUTO_REPLY)
    date = None
    try:
        when = parsedate_to_datetime(_header(msg, "Date"))
        if when.tzinfo is not None:
            date = when.isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    recipients = tuple(
        a.lower() for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if "@" in a
    )
    return ParsedMail(
        mail_key=ids[0] if ids else f"sha256:{digest}",
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        sender=address,
        sender_name=sanitize(name, single_line=True),
        recipients=recipients,
        subject=_header(msg, "Subject")[:500],
        date=date,
        body=body,
        attachments=tuple(attachments),
        flags=frozenset(flags),
        loop_marker=_header(msg, LOOP_HEADER) or None,
        raw_sha256=digest,
        raw_size=len(raw),
    )
