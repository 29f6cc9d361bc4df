"""The e-mail side of the sample (scripts/sample_source/mail.yaml): Message-IDs, addresses, the
outbox state of our replies, quoted history in the customers' answers, and the showcase tickets
(files, a bounce on a failed reply, a reply still queued, an out-of-office).

Runs after the tickets are drawn and draws nothing: every Message-ID is a hash of the ticket's
position and the message, so the rest of the sample is what it was.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .words import fmt_offset, parse_offset

MAIL_KEYS = ("mail_id", "sender", "flags", "attachments", "delivery")


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _public(m: dict[str, Any]) -> bool:
    return not m["internal"] and m["author"] != "system"


def _quote(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))


def _mail_message(
    position: int, index: int, m: dict[str, Any], t: dict[str, Any], src: dict[str, Any]
) -> None:
    digest = _digest(position, index, m["at"], m["author"], m["body"][:200])
    if m["author"] == "customer":
        m["mail_id"] = f"{digest[:24]}@{t['customer'].split('@', 1)[1]}"
        m["sender"] = t["customer"]
    else:
        m["mail_id"] = f"csm.{digest[:24]}@{src['address'].split('@', 1)[1]}"
        m["sender"] = src["address"]
        m["delivery"] = {
            "state": "sent",
            "attempts": 1,
            "server_reply": src["sent_reply"].format(queue_id=digest[:10].upper()),
        }


def add_mail(tickets: list[dict[str, Any]], languages: dict[str, str], src: dict[str, Any]) -> None:
    """Give every e-mail ticket its mail facts, then apply the showcase."""
    for position, t in enumerate(tickets, start=1):
        if t["channel"] != "email":
            continue
        t["mailbox"] = src["mailbox"]
        previous: dict[str, Any] | None = None
        for index, m in enumerate(t["messages"]):
            if not _public(m):
                continue
            answers = previous is not None and previous["author"].startswith("agent:")
            if m["author"] == "customer" and previous is not None and answers:
                line = src["quote_from"][languages[t["customer"]]]
                m["body"] = f"{m['body']}\n\n{line}\n{_quote(previous['body'])}"
            previous = dict(m)
            _mail_message(position, index, m, t, src)
    for show in src["showcase"]:
        _showcase(tickets, show)


def _showcase(tickets: list[dict[str, Any]], show: dict[str, Any]) -> None:
    n = show["ticket"]
    if not 1 <= n <= len(tickets):
        raise ValueError(f"mail.yaml: there is no ticket {n}")
    t = tickets[n - 1]
    if t["subject"] != show["subject"] or t["channel"] != "email":
        raise ValueError(
            f"mail.yaml: ticket {n} is {t['subject']!r} by {t['channel']}, not the e-mail "
            f"{show['subject']!r}: the draws changed; choose the showcase tickets again"
        )
    messages = t["messages"]

    def message(number: int, author: str) -> dict[str, Any]:
        if not 1 <= number <= len(messages) or not messages[number - 1]["author"].startswith(
            author
        ):
            raise ValueError(f"mail.yaml: ticket {n} message {number} is not by {author}")
        found: dict[str, Any] = messages[number - 1]
        return found

    if "attach" in show:
        m = message(show["attach"]["message"], "customer")
        m["attachments"] = [
            {
                "name": f["name"],
                "file": f.get("file", f["name"]),
                "type": f["type"],
                **({"inline": True} if f.get("inline") else {}),
            }
            for f in show["attach"]["files"]
        ]
    if "delivery" in show:
        d = show["delivery"]
        m = message(d["message"], "agent:")
        m["delivery"] = {
            "state": d["state"],
            "attempts": d["attempts"],
            "server_reply": d["server_reply"].format(customer=t["customer"]),
        }
    inserted = (("bounce", "system", "bounce"), ("auto_reply", "customer", "auto-reply"))
    for key, author, flag in inserted:
        if key not in show:
            continue
        spec = show[key]
        after = messages[spec["after"] - 1]
        at = fmt_offset(parse_offset(after["at"]) - spec["minutes"])
        sender = spec.get("sender", t["customer"])
        body = spec["body"].format(customer=t["customer"])
        messages.insert(
            spec["after"],
            {
                "author": author,
                "internal": False,
                "body": body,
                "at": at,
                "mail_id": f"{_digest(n, key, at)[:24]}@{sender.split('@', 1)[1]}",
                "sender": sender,
                "flags": [flag],
            },
        )
