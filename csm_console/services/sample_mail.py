"""The e-mail side of the sample operation (`sample_data/mail/`, and the mail facts of
`tickets.json`): the files messages carry, stored once by hash; the outbox rows of our replies;
the quarantined messages.  Part of `setup.load_sample`, in its transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from csm_console.domain.durations import parse_duration
from csm_console.domain.mail import subject_tag
from csm_console.errors import UsageError
from csm_console.store.models import Attachment, Blob, OutgoingMail, Quarantine

MAX_SAMPLE_FILE = 1024 * 1024  # a sample attachment or quarantined message
EXTRAS = ("_attachments", "_delivery")


def message_columns(m: dict[str, Any]) -> dict[str, Any]:
    """The mail columns of a `tickets.json` message, and its extras for `load` (popped before
    the message rows are inserted)."""
    return {
        "mail_id": m.get("mail_id"),
        "sender": m.get("sender"),
        "flags": " ".join(m.get("flags", ())),
        "_attachments": m.get("attachments", []),
        "_delivery": m.get("delivery"),
    }


def _read_bytes(path: Traversable | Path, what: str) -> bytes:
    if not path.is_file():
        raise UsageError(f"sample file {what} is missing")
    data = path.read_bytes()
    if len(data) > MAX_SAMPLE_FILE:
        raise UsageError(f"sample file {what} is larger than {MAX_SAMPLE_FILE} bytes")
    return data


def prepare(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number the message rows (the store is empty: ids 1, 2, ...) and take their extras off:
    the rows are then ready to insert; the extras (with the message ids) go to `write`."""
    extras = []
    for number, row in enumerate(messages, start=1):
        row["id"] = number
        extra = {key: row.pop(key, None) for key in EXTRAS}
        if extra["_attachments"] or extra["_delivery"]:
            extras.append({**extra, "message": row})
    return extras


def write(
    session: Session,
    root: Traversable | Path,
    extras: list[dict[str, Any]],
    tickets: dict[int, dict[str, Any]],
    customer_emails: dict[int, str],
    now: datetime,
) -> None:
    """The files, outbox rows and quarantine of the sample (after the messages are in)."""
    blobs: dict[str, bytes] = {}
    attachments: list[dict[str, Any]] = []
    outgoing: list[dict[str, Any]] = []
    for extra in extras:
        message = extra["message"]
        for position, f in enumerate(extra["_attachments"] or ()):
            data = _read_bytes(root / "mail" / "files" / f["file"], f"mail/files/{f['file']}")
            digest = hashlib.sha256(data).hexdigest()
            blobs[digest] = data
            attachments.append(
                {
                    "message_id": message["id"],
                    "position": position,
                    "filename": f["name"],
                    "content_type": f["type"],
                    "size": len(data),
                    "sha256": digest,
                    "inline": bool(f.get("inline", False)),
                }
            )
        delivery = extra["_delivery"]
        if delivery:
            ticket = tickets[message["ticket_id"]]
            at = message["created_at"]
            state = delivery["state"]
            outgoing.append(
                {
                    "ticket_id": message["ticket_id"],
                    "message_id": message["id"],
                    "kind": "reply",
                    "mailbox": ticket["mailbox"],
                    "mail_id": message["mail_id"],
                    "recipient": customer_emails[ticket["customer_id"]],
                    "subject": f"Re: {subject_tag(ticket['id'])} {ticket['subject']}"[:500],
                    "state": state,
                    "attempts": int(delivery["attempts"]),
                    "next_attempt_at": now + timedelta(minutes=5) if state == "queued" else at,
                    "created_at": at,
                    "sent_at": at + timedelta(seconds=2) if state == "sent" else None,
                    "server_reply": delivery["server_reply"],
                }
            )
    if blobs:
        session.execute(
            insert(Blob),
            [{"sha256": d, "size": len(b), "data": b} for d, b in sorted(blobs.items())],
        )
    for table, rows in ((Attachment, attachments), (OutgoingMail, outgoing)):
        if rows:
            session.execute(insert(table), rows)
    _quarantine(session, root, now)


def _quarantine(session: Session, root: Traversable | Path, now: datetime) -> None:
    listing = root / "mail" / "quarantine.json"
    if not listing.is_file():
        return
    try:
        held = json.loads(listing.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"sample file mail/quarantine.json: bad JSON: {exc}") from None
    for q in held:
        raw = _read_bytes(root / "mail" / "quarantine" / q["file"], f"mail/quarantine/{q['file']}")
        session.add(
            Quarantine(
                mailbox=q.get("mailbox"),
                received_at=now - parse_duration(q["received"]),
                reason=q["reason"],
                sender=q.get("sender", ""),
                subject=q.get("subject", ""),
                size=len(raw),
                raw_sha256=hashlib.sha256(raw).hexdigest(),
                raw=raw,
                state="held",
            )
        )
