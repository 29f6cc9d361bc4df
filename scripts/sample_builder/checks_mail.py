"""Validate the e-mail side of tickets.json and the hand-written files of sample_data/mail/: each
e-mail message's Message-ID and sender, flags, files and delivery, and the quarantine."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from .rules import Report, read_json
from .words import parse_offset

MAIL_KEYS = {"mail_id", "sender", "flags", "attachments", "delivery"}
FLAGS = {"auto-reply", "bounce", "html-only", "truncated"}
STATES = {"queued", "sending", "sent", "failed", "cancelled"}
MAIL_ID = re.compile(r"[^<>\s@]{1,200}@[a-z0-9.-]{1,50}")
MAX_FILE = 64 * 1024  # a sample file is small: the sample ships inside the package


def check_message(tid: str, t: dict[str, Any], m: dict[str, Any], out: Path, rep: Report) -> None:
    """The mail facts of one message (none unless the ticket came by e-mail)."""
    mail = set(m) & MAIL_KEYS
    if not mail:
        return
    if t["channel"] != "email" or t.get("mailbox") is None:
        rep.err(f"{tid}: mail facts on a ticket that did not come by e-mail")
        return
    if not MAIL_ID.fullmatch(m.get("mail_id", "")) or "@" not in m.get("sender", ""):
        rep.err(f"{tid}: message without a good mail_id and sender: {m.get('mail_id')!r}")
    if m["author"] == "customer" and not m.get("flags") and m["sender"] != t["customer"]:
        rep.err(f"{tid}: a customer's mail from {m['sender']}")
    if not set(m.get("flags", [])) <= FLAGS or ("flags" in m and not m["flags"]):
        rep.err(f"{tid}: bad flags {m.get('flags')}")
    for f in m.get("attachments", []):
        path = out / "mail" / "files" / f.get("file", "")
        if set(f) - {"inline"} != {"name", "file", "type"} or "/" not in f["type"]:
            rep.err(f"{tid}: malformed attachment {f}")
        elif not path.is_file() or path.stat().st_size > MAX_FILE:
            rep.err(f"{tid}: attachment {f['file']!r} missing from mail/files (or too large)")
    d = m.get("delivery")
    if d is not None and (
        not m["author"].startswith("agent:")
        or set(d) != {"state", "attempts", "server_reply"}
        or d["state"] not in STATES
        or not isinstance(d["attempts"], int)
    ):
        rep.err(f"{tid}: bad delivery {d}")


def check_quarantine(out: Path, rep: Report) -> int:
    """sample_data/mail/quarantine.json: messages kept raw with the reason they were not stored."""
    path = out / "mail" / "quarantine.json"
    if not path.exists():
        rep.err("mail/quarantine.json missing")
        return 0
    held = read_json(path)
    for q in held:
        raw = out / "mail" / "quarantine" / q.get("file", "")
        if set(q) != {"file", "mailbox", "received", "reason", "sender", "subject"}:
            rep.err(f"quarantine {q.get('file')}: keys {sorted(q)}")
        elif not raw.is_file() or raw.stat().st_size > MAX_FILE or not q["reason"]:
            rep.err(f"quarantine {q['file']}: file missing or too large, or no reason")
        else:
            parse_offset(q["received"])
    return len(held)


def mail_summary(tickets: list[dict[str, Any]], out: Path, rep: Report) -> str:
    """One line for the report, and what the sample must show of the channel."""
    messages = [m for t in tickets for m in t["messages"] if "mail_id" in m]
    flags = Counter(f for m in messages for f in m.get("flags", []))
    states = Counter(m["delivery"]["state"] for m in messages if "delivery" in m)
    files = sum(len(m.get("attachments", [])) for m in messages)
    quoted = sum("\n> " in m["body"] for m in messages)
    held = check_quarantine(out, rep)
    need = rep.need
    need(files >= 2 and flags["auto-reply"] and flags["bounce"], f"mail: {files} files, {flags}")
    need(states["failed"] and states["queued"] and states["sent"], f"mail deliveries {states}")
    need(quoted >= 10 and held >= 1, f"mail: {quoted} quoting messages, {held} quarantined")
    return (
        f"  e-mail messages: {len(messages)}; files {files}; flags {dict(sorted(flags.items()))}; "
        f"deliveries {dict(sorted(states.items()))}; quoting {quoted}; quarantined {held}"
    )
