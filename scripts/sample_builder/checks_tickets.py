"""Validate tickets.json: each ticket on its own, then the mix the sample promises."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks_mail import MAIL_KEYS, check_message, mail_summary
from .rules import (
    CATEGORIES,
    CHANNELS,
    CYRILLIC,
    LV_CHARS,
    PRIORITIES,
    STATUSES,
    TIERS,
    Report,
    read_json,
)
from .words import parse_offset

TICKET_KEYS = {"subject", "customer", "channel", "status", "priority", "category", "tier", "team",
               "assignee", "tags", "created", "first_response", "solved", "closed", "reopen_count",
               "csat", "escalation", "messages"}  # fmt: skip
HOSTILE_NEEDLES = ("[bold]URGENT[/bold] invoice", "[@click=app.quit]click me[/]", "🔥", "\u202e",
                   "\\u001b[31mred\\u001b[0m")  # fmt: skip
BACKLOG = ("new", "open", "pending", "on_hold")


@dataclass
class TicketStats:
    n: int = 0
    cnt: dict[str, Counter[str]] = field(
        default_factory=lambda: {
            k: Counter() for k in ("channel", "status", "priority", "tier", "category")
        }
    )
    subj: Counter[str] = field(default_factory=Counter)
    owner_open: Counter[str] = field(default_factory=Counter)
    scores: Counter[int] = field(default_factory=Counter)
    backlog: int = 0
    escalated: int = 0
    reopened: int = 0
    rated: int = 0
    unassigned_l1: int = 0
    breach_urgent: int = 0
    breach_normal: int = 0
    fresh: int = 0
    messages: int = 0
    ages_done: list[int] = field(default_factory=list)
    mail: str = ""

    def summary(self, inactive: list[str]) -> list[str]:
        lines = [f"tickets: {self.n}"]
        lines += [f"  {k:9} {dict(sorted(c.items()))}" for k, c in self.cnt.items()]
        lines.append(
            f"  backlog (new/open/pending/on_hold): {self.backlog}   escalated: {self.escalated}   "
            f"reopened: {self.reopened}   rated: {self.rated} {dict(sorted(self.scores.items()))}"
        )
        lines.append(
            f"  open owned by demo: {self.owner_open['demo']}   by inactive {inactive}: "
            f"{[self.owner_open[h] for h in inactive]}   "
            f"unassigned new/open L1: {self.unassigned_l1}"
        )
        lines.append(
            f"  breaching: urgent w/o response >=5h: {self.breach_urgent}, normal w/o response "
            f">=3d: {self.breach_normal}; fresh (<1h): {self.fresh}"
        )
        lines.append(
            f"  distinct subjects: {len(self.subj)} (max repeat {max(self.subj.values())});  "
            f"messages: {self.messages}"
        )
        lines.append(self.mail)
        return lines


def _check_messages(
    tid: str, t: dict[str, Any], ats: list[int], created: int, ag: dict[str, Any], rep: Report
) -> None:
    msgs = t["messages"]
    if not 1 <= len(msgs) <= 8:
        rep.err(f"{tid}: {len(msgs)} messages")
    if msgs[0]["author"] not in ("customer", "system") or (
        msgs[0]["author"] == "system" and t["channel"] != "phone"
    ):
        rep.err(f"{tid}: first message by {msgs[0]['author']}")
    if ats[0] > created or any(b > a for a, b in itertools.pairwise(ats)):
        rep.err(f"{tid}: messages not chronological")
    for m in msgs:
        a = m["author"]
        if (
            set(m) - MAIL_KEYS != {"author", "internal", "body", "at"}
            or not isinstance(m["internal"], bool)
            or not m["body"]
        ):
            rep.err(f"{tid}: malformed message")
        if a.startswith("agent:"):
            h = a[6:]
            allowed = {t["team"]} | (
                {ag[t["escalation"]["by"]]["team"]} if t["escalation"] else set()
            )
            if h not in ag or ag[h]["team"] not in allowed:
                rep.err(f"{tid}: message author {a} not on the ticket's team(s)")
        elif a not in ("customer", "system"):
            rep.err(f"{tid}: bad author {a}")
        if m["internal"] and not a.startswith("agent:"):
            rep.err(f"{tid}: internal message by {a}")
        if "�" in m["body"] or "⟨" in m["body"] or "{" in m["body"]:
            rep.err(f"{tid}: unrendered text in message")


def _check_escalation(
    tid: str, t: dict[str, Any], ats: list[int], ag: dict[str, Any], rep: Report
) -> None:
    e = t["escalation"]
    by = e.get("by")
    if t["tier"] == "L1" or e.get("from_tier") != "L1" or by not in ag or ag[by]["tier"] != "L1":
        rep.err(f"{tid}: bad escalation {e}")
    at = parse_offset(e["at"])
    if not any(
        m["internal"] and m["author"] == f"agent:{e['by']}" and e["reason"] in m["body"] and x == at
        for m, x in zip(t["messages"], ats, strict=False)
    ):
        rep.err(f"{tid}: escalation has no matching internal note")


def _check_language(tid: str, t: dict[str, Any], lang: str, rep: Report) -> None:
    msgs = t["messages"]
    cust_text = " ".join(m["body"] for m in msgs if m["author"] == "customer") + " " + t["subject"]
    if lang == "ru" and not CYRILLIC.search(cust_text):
        rep.err(f"{tid}: Russian customer but no Cyrillic text")
    if lang == "en" and CYRILLIC.search(cust_text):
        rep.err(f"{tid}: English ticket with Cyrillic text")
    if lang == "lv" and not LV_CHARS.search(cust_text):
        rep.warnings.append(f"{tid}: Latvian ticket without Latvian diacritics")


def _check_ticket(
    i: int,
    t: dict[str, Any],
    team_tier: dict[str, str],
    ag: dict[str, Any],
    cust: dict[str, Any],
    st: TicketStats,
    rep: Report,
) -> None:
    tid = f"ticket #{i + 1} ({t.get('subject', '')[:40]!r})"
    if set(t) - {"mailbox"} != TICKET_KEYS:
        rep.err(f"{tid}: keys differ: {sorted((set(t) - {'mailbox'}) ^ TICKET_KEYS)}")
        return
    if "mailbox" in t and (t["channel"] != "email" or not t["mailbox"]):
        rep.err(f"{tid}: a mailbox on a ticket that did not come by e-mail")
    for k in st.cnt:
        st.cnt[k][t[k]] += 1
    st.subj[t["subject"]] += 1
    if t["customer"] not in cust:
        rep.err(f"{tid}: unknown customer {t['customer']}")
        return
    lang = cust[t["customer"]]["language"]
    if (
        t["channel"] not in CHANNELS
        or t["status"] not in STATUSES
        or t["priority"] not in PRIORITIES
        or t["tier"] not in TIERS
        or t["category"] not in CATEGORIES
    ):
        rep.err(f"{tid}: bad enum value")
    if team_tier.get(t["team"]) != t["tier"]:
        rep.err(f"{tid}: team {t['team']} does not serve {t['tier']}")
    if t["assignee"] is not None and (
        t["assignee"] not in ag or ag[t["assignee"]]["team"] != t["team"]
    ):
        rep.err(f"{tid}: assignee {t['assignee']} not in team {t['team']}")
    if not all(re.fullmatch(r"[a-z]+", x) for x in t["tags"]):
        rep.err(f"{tid}: bad tags {t['tags']}")
    if not isinstance(t["reopen_count"], int) or t["reopen_count"] < 0:
        rep.err(f"{tid}: bad reopen_count")
    try:
        created = parse_offset(t["created"])
        fr = parse_offset(t["first_response"]) if t["first_response"] else None
        solved = parse_offset(t["solved"]) if t["solved"] else None
        closed = parse_offset(t["closed"]) if t["closed"] else None
        ats = [parse_offset(m["at"]) for m in t["messages"]]
    except ValueError as ex:
        rep.err(f"{tid}: {ex}")
        return
    msgs = t["messages"]
    _check_messages(tid, t, ats, created, ag, rep)
    first_public = next(
        (
            x
            for m, x in zip(msgs, ats, strict=False)
            if m["author"].startswith("agent:") and not m["internal"]
        ),
        None,
    )
    if fr != first_public:
        rep.err(f"{tid}: first_response does not match first public agent message")
    done = t["status"] in ("solved", "closed")
    if (solved is not None) != done or (closed is not None) != (t["status"] == "closed"):
        rep.err(f"{tid}: solved/closed do not match status {t['status']}")
    if solved is not None and (fr is None or solved > fr):
        rep.err(f"{tid}: solved before first response")
    if closed is not None and solved is not None and closed >= solved:
        rep.err(f"{tid}: closed not after solved")
    if t["csat"] is not None:
        if (
            not done
            or set(t["csat"]) != {"score", "comment"}
            or t["csat"]["score"] not in (1, 2, 3, 4, 5)
        ):
            rep.err(f"{tid}: bad csat")
        st.rated += 1
        st.scores[t["csat"]["score"]] += 1
    if t["escalation"] is not None:
        st.escalated += 1
        _check_escalation(tid, t, ats, ag, rep)
    elif t["tier"] != "L1":
        rep.err(f"{tid}: {t['tier']} ticket without escalation")
    if t["reopen_count"]:
        st.reopened += 1
        pub = [m["author"] for m in msgs if not m["internal"] and m["author"] != "system"]
        if not any(x.startswith("agent:") and y == "customer" for x, y in itertools.pairwise(pub)):
            rep.err(f"{tid}: reopened without a customer message after an agent reply")
    _check_language(tid, t, lang, rep)
    if t["status"] in BACKLOG:
        st.backlog += 1
        if t["assignee"]:
            st.owner_open[t["assignee"]] += 1
        elif t["tier"] == "L1" and t["status"] in ("new", "open"):
            st.unassigned_l1 += 1
        if first_public is None and t["priority"] == "urgent" and created >= 5 * 60:
            st.breach_urgent += 1
        if first_public is None and t["priority"] == "normal" and created >= 3 * 1440:
            st.breach_normal += 1
        if created <= 60:
            st.fresh += 1
    else:
        st.ages_done.append(created)


def _check_mix(
    tickets: list[dict[str, Any]], inactive: list[str], st: TicketStats, rep: Report
) -> None:
    need = rep.need
    need(st.n >= 320, f"only {st.n} tickets")
    for k, vals in (
        ("channel", CHANNELS),
        ("status", STATUSES),
        ("priority", PRIORITIES),
        ("tier", TIERS),
    ):
        need(
            all(st.cnt[k][v] >= 10 for v in vals),
            f"{k}: every value must appear often: {dict(st.cnt[k])}",
        )
    need(70 <= st.backlog <= 110, f"open backlog {st.backlog}")
    need(st.escalated >= 25, f"escalated {st.escalated}")
    need(st.reopened >= 10, f"reopened {st.reopened}")
    need(st.rated >= 60 and len(st.scores) == 5, f"rated {st.rated} {dict(st.scores)}")
    for h in inactive:
        need(3 <= st.owner_open[h] <= 6, f"inactive agent {h} owns {st.owner_open[h]} open tickets")
    need(5 <= st.owner_open["demo"] <= 8, f"demo owns {st.owner_open['demo']} open tickets")
    need(12 <= st.unassigned_l1 <= 18, f"unassigned new/open L1 tickets: {st.unassigned_l1}")
    need(
        st.breach_urgent >= 1 and st.breach_normal >= 1 and st.fresh >= 3,
        "SLA breach / fresh examples missing",
    )
    need(max(st.subj.values()) <= 3, f"subject repeated: {st.subj.most_common(3)}")
    alltext = json.dumps(tickets, ensure_ascii=False)
    for needle in HOSTILE_NEEDLES:
        need(needle in alltext, f"hostile sample {needle!r} missing")
    need(any(len(t["subject"]) >= 200 for t in tickets), "no 200+ char subject")
    old_done = sum(1 for a in st.ages_done if a > 35 * 1440)
    need(
        old_done <= len(st.ages_done) * 0.1,
        f"{old_done} solved/closed tickets older than 35 days",
    )


def check_tickets(
    out: Path,
    team_tier: dict[str, str],
    ag: dict[str, dict[str, Any]],
    cust: dict[str, Any],
    rep: Report,
) -> TicketStats:
    tickets = read_json(out / "tickets.json")
    st = TicketStats(n=len(tickets), messages=sum(len(t["messages"]) for t in tickets))
    for i, t in enumerate(tickets):
        _check_ticket(i, t, team_tier, ag, cust, st, rep)
        for m in t.get("messages", []):
            check_message(f"ticket #{i + 1}", t, m, out, rep)
    st.mail = mail_summary(tickets, out, rep)
    inactive = [h for h, a in ag.items() if not a["active"]]
    _check_mix(tickets, inactive, st, rep)
    return st
