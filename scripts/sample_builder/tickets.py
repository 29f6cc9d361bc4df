"""One ticket's conversation: messages, times, tags and rating, from its resolved spec."""

from __future__ import annotations

import re

from .people import make_slots
from .planner import ELINA_GONE, Planner, pick, plan_specs, resolve_spec, rint
from .words import fmt_offset, gendered, lv_vocative


def g_first(rng, prio, breach):
    lo, hi = {"urgent": (2, 25), "high": (8, 55), "normal": (15, 210), "low": (40, 1100)}[prio]
    v = rint(rng, lo, hi)
    return v * rint(rng, 3, 7) + rint(rng, 30, 240) if breach else v


def g_agent(rng, prio):
    lo, hi = {"urgent": (5, 60), "high": (15, 180), "normal": (30, 600), "low": (60, 1440)}[prio]
    return rint(rng, lo, hi)


def g_l2(rng, prio):
    lo, hi = {"urgent": (10, 90), "high": (30, 300), "normal": (60, 1440), "low": (180, 2880)}[prio]
    return rint(rng, lo, hi)


def banded(rng, r, bands, last):
    """rint over the first band whose upper bound r is under, else over `last`."""
    for bound, (lo, hi) in bands:
        if r < bound:
            return rint(rng, lo, hi)
    return rint(rng, *last)


def g_cust(rng):
    return banded(rng, rng.random(), [(0.35, (3, 40)), (0.7, (40, 300))], (300, 1500))


def pick_E(rng, status):
    r = rng.random()
    if status == "open":
        return banded(rng, r, [(0.45, (5, 360)), (0.8, (360, 2880))], (2880, 6500))
    if status == "pending":
        return banded(rng, r, [(0.4, (60, 720))], (720, 8640))
    if status == "on_hold":
        return rint(rng, 180, 10080)
    if status == "solved":
        return rint(rng, 15, 4320)
    # closed: age of the closing moment
    return banded(rng, r, [(0.35, (400, 5760)), (0.75, (5760, 20160))], (20160, 33000))


AUTO_CLOSED = (
    "Ticket closed automatically: no reply from the customer for 4 days after it was solved."
)
LEAD_GREETING = re.compile(r"^(Hello|Hi|Здравствуйте|Добрый день|Labdien|Sveiki)[,!]\s*")
LEAD_THANKS = re.compile(r"^(Thanks|Thank you|Спасибо|Paldies)[^.!]*[.!]\s+")


def strip_lead(regex, text: str) -> str:
    out = regex.sub("", text, count=1)
    return out[:1].upper() + out[1:] if out != text else text


def strip_greeting(body: str) -> str:
    parts = body.split("\n\n", 1)
    if len(parts) == 2 and len(parts[0]) <= 22 and parts[0].rstrip().endswith((",", "!")):
        return parts[1]
    return body


def build_ticket(rng, spec, meta, pl: Planner):
    src = pl.src
    c, lang = spec["customer"], spec["lang"]
    cg, G, sc, th = c["_gender"], src.phrases[lang], src.scenarios[spec["scenario"]], spec["thread"]
    status, prio, channel = spec["status"], spec["priority"], spec["channel"]
    esc, A1, A = spec["escalated"], spec["l1"], spec["assignee"]
    A2 = A if esc else A1
    hd = spec["hostile_def"] or {}
    group = sc["group"]
    slots = make_slots(rng, lang, c, src)
    greet_name = lv_vocative(c["_first"], cg) if lang == "lv" else c["_first"]
    breach = rng.random() < 0.1
    evs = []

    def R(text, gender):
        return gendered(pick(rng, text), gender).format_map(slots)

    def ev(author, body, gap, internal=False, opt=0, kind="msg"):
        evs.append(
            {
                "author": author,
                "internal": internal,
                "body": body,
                "gap": int(gap),
                "opt": opt,
                "kind": kind,
            }
        )

    def cust(text, gap, first=False, opt=0):
        body = R(text, cg)
        if channel in ("phone", "chat"):
            body = strip_greeting(body)
        elif rng.random() < (0.55 if first else 0.25):
            body += rng.choice(G["cust_sign"]).format(first=c["_first"], full=c["name"])
        ev("customer", body, gap, opt=opt)

    def agent(h, text, gap, internal=False, opt=0, kind="msg", prefix=None):
        m = meta[h]
        body = R(text, m["gender"])
        if not internal:
            if prefix:
                if prefix is phone_prefix:
                    body = strip_lead(LEAD_THANKS, body)
                body = R(prefix, m["gender"]) + "\n\n" + body
            if channel != "chat":
                body = strip_lead(LEAD_GREETING, body)
                body = (
                    rng.choice(G["greet"]).format(first=greet_name)
                    + "\n\n"
                    + body
                    + "\n\n"
                    + rng.choice(G["signoff"]).format(agent=m["sign"][lang])
                )
        ev(f"agent:{h}", body, gap, internal=internal, opt=opt, kind=kind)

    def note_text(h, pool_en, pool_ru):
        if meta[h]["team"] == "Frontline RU" and pool_ru and rng.random() < 0.5:
            return rng.choice(pool_ru)
        return rng.choice(pool_en)

    def marker(kind, gap):
        evs.append(
            {"author": None, "internal": False, "body": "", "gap": int(gap), "opt": 0, "kind": kind}
        )

    # ---- opening
    open_text = hd.get("open") or th["o"]
    phone_prefix = None
    if channel == "phone":
        if status == "new":
            ev("system", f"Missed call from {c['phone']}. Voicemail transcribed automatically.", 0)
        else:
            mm, ss = rint(rng, 2, 14), rint(rng, 0, 59)
            ev(
                "system",
                f"Inbound call from {c['phone']}, {mm} min {ss} s. Answered by {meta[A1]['name']}.",
                0,
            )
        cust(open_text, 1, first=True)
        if status != "new":
            if meta[A1]["team"] == "Frontline RU" and rng.random() < 0.5:
                summary = f"Итоги звонка: {sc['brief_ru']}. " + rng.choice(src.call_extra["ru"])
            else:
                summary = f"Call summary: {sc['brief']}. " + rng.choice(src.call_extra["en"])
            agent(A1, summary, mm + 1, internal=True, opt=2)
            phone_prefix = G["phone_followup"]
    else:
        cust(open_text, 0, first=True)

    reopen = spec["reopen"]
    reason = None

    def solve_tail(fix_author):
        texts = rng.sample(G["reopen"][group], reopen)
        prefixes = rng.sample(G["reopen_fix"], reopen)
        for k in range(reopen):
            cust(texts[k], rint(rng, 90, 2880))
            agent(
                fix_author, src.reopen_done[lang][group][k], g_agent(rng, prio), prefix=prefixes[k]
            )
        if rng.random() < 0.45:
            cust(th.get("t") or G["thanks"], rint(rng, 3, 360), opt=4)
            if rng.random() < 0.5:
                agent(fix_author, G["close_ok"], rint(rng, 5, 180), opt=3)
        marker("solved", rint(rng, 1, 20))
        if status == "closed":
            if rng.random() < 0.65:
                gap = 4 * 1440 + rint(rng, 0, 45)
                if rng.random() < 0.5 and sum(1 for e in evs if e["author"]) <= 7:
                    ev(
                        "system",
                        AUTO_CLOSED,
                        gap,
                        kind="closed",
                    )
                    return
                marker("closed", gap)
            else:
                marker("closed", rint(rng, 30, 1440))

    if status == "new":
        if spec["created"] >= 5 * 60:
            cust(G["bump"], int(spec["created"] * rng.uniform(0.35, 0.8)))
    else:
        agent(A1, hd.get("reply") or th["r"], g_first(rng, prio, breach), prefix=phone_prefix)
        if hd.get("note"):
            agent(A1, hd["note"], rint(rng, 2, 10), internal=True)
        elif rng.random() < 0.3:
            agent(
                A1,
                note_text(A1, sc["notes"], sc["notes_ru"]),
                rint(rng, 2, 20),
                internal=True,
                opt=1,
            )
        follow = hd.get("follow") or th["f"]
        if esc:
            team, tier = spec["team"], spec["tier"]
            cust(follow, g_cust(rng))
            reason = rng.choice(sc["esc_reasons"])
            agent(
                A1,
                f"Escalating to {team} ({tier}): {reason}",
                rint(rng, 5, 120),
                internal=True,
                kind="esc",
            )
            ev("system", f"Escalated from L1 ({spec['l1team']}) to {tier} ({team}).", 1, opt=2)
            if rng.random() < 0.6:
                agent(
                    A1,
                    G["esc_public"].replace("{team}", src.team_words[lang][team]),
                    rint(rng, 2, 10),
                    opt=1,
                )
            agent(A2, th["sp"], g_l2(rng, prio))
            if status == "open":
                cust(G["cust_ack"], g_cust(rng))
            elif status == "on_hold":
                agent(A2, G["hold_public"][group], g_agent(rng, prio))
                agent(A2, rng.choice(src.hold_notes[group]), rint(rng, 1, 5), internal=True)
            elif status in ("solved", "closed"):
                if rng.random() < 0.35:
                    cust(G["cust_ack"], g_cust(rng), opt=1)
                agent(A2, th.get("xe") or th["x"], g_l2(rng, prio))
                solve_tail(A2)
        elif status == "open":
            if A1 == "elina":
                cust(follow, g_cust(rng))
                cust(G["bump"], rint(rng, 10 * 1440, 12 * 1440))
            elif reopen:
                cust(follow, g_cust(rng))
                agent(A1, th["x"], g_agent(rng, prio))
                cust(G["reopen"][group], rint(rng, 90, 2880))
            else:
                cust(follow, g_cust(rng))
        elif status == "pending":
            if A1 != "elina" and not hd and rng.random() < 0.45:
                cust(follow, g_cust(rng))
                agent(A1, G["ask_more"][group], g_agent(rng, prio))
        elif status == "on_hold":
            if rng.random() < 0.6:
                cust(follow, g_cust(rng))
            agent(A1, G["hold_public"][group], g_agent(rng, prio))
            agent(A1, rng.choice(src.hold_notes[group]), rint(rng, 1, 5), internal=True)
        else:
            cust(follow, g_cust(rng))
            agent(A1, th["x"], g_agent(rng, prio))
            solve_tail(A1)

    # ---- at most 8 messages: drop optional events, least important first
    def n_msgs():
        return sum(1 for e in evs if e["kind"] not in ("solved", "closed") or e["author"])

    for level in (1, 2, 3, 4):
        while n_msgs() > 8 and any(e["opt"] == level for e in evs):
            idx = max(i for i, e in enumerate(evs) if e["opt"] == level)
            evs.pop(idx)
    if n_msgs() > 8:
        return None

    # ---- timing (minutes before "now")
    gaps = [0] + [max(1, e["gap"]) for e in evs[1:]]
    span = sum(gaps)
    if status == "new":
        C = spec["created"]
        if span > C - 1:
            raise AssertionError("new ticket does not fit")
    else:
        E = pick_E(rng, status)
        if A1 == "elina" and status == "pending":
            E = rint(rng, ELINA_GONE + 60, ELINA_GONE + 5 * 1440)
        elif A1 == "elina" and status == "open":
            E = rint(rng, 180, 2880)
        elif A1 == "elina" and status == "closed":
            E = max(E, ELINA_GONE + rint(rng, 60, 2000))
        C = E + span
    times, t = [], C
    for g in gaps:
        t -= g
        times.append(t)
    el = [times[i] for i, e in enumerate(evs) if e["author"] == "agent:elina"]
    if el and min(el) < ELINA_GONE:
        delta = ELINA_GONE - min(el) + rint(rng, 60, 2880)
        C += delta
        times = [x + delta for x in times]
    assert times[-1] >= 1, (status, times)

    # ---- assemble
    messages, first_response, solved, closed, esc_at = [], None, None, None, None
    for e, tm in zip(evs, times, strict=False):
        if e["kind"] == "solved":
            solved = tm
            continue
        if e["kind"] == "closed":
            closed = tm
            if e["author"] is None:
                continue
        if e["kind"] == "esc":
            esc_at = tm
        if (
            e["author"]
            and e["author"].startswith("agent:")
            and not e["internal"]
            and first_response is None
        ):
            first_response = tm
        messages.append(
            {
                "author": e["author"],
                "internal": e["internal"],
                "body": e["body"],
                "at": fmt_offset(tm),
            }
        )

    subject = hd.get("subject") or pl.subject([gendered(s, cg).format_map(slots) for s in th["s"]])
    tags = [sc["tags"][0], *rng.sample(sc["tags"][1:], k=min(len(sc["tags"]) - 1, rint(rng, 1, 2)))]
    if c["segment"] in ("vip", "business"):
        tags.append(c["segment"])
    if reopen:
        tags.append("reopened")
    if esc:
        tags.append("escalated")
    tags += hd.get("tags", [])
    tags = list(dict.fromkeys(tags))

    csat = None
    if spec.get("csat"):
        bad = reopen > 0 or breach
        score = rng.choices([1, 2, 3, 4, 5], [20, 20, 25, 20, 15] if bad else [8, 8, 12, 25, 47])[0]
        comment = "" if rng.random() < 0.1 else gendered(rng.choice(G["csat"][score]), cg)
        csat = {"score": score, "comment": comment}

    return {
        "subject": subject,
        "customer": c["email"],
        "channel": channel,
        "status": status,
        "priority": prio,
        "category": sc["category"],
        "tier": spec["tier"],
        "team": spec["team"],
        "assignee": A,
        "tags": tags,
        "created": fmt_offset(C),
        "first_response": fmt_offset(first_response) if first_response else None,
        "solved": fmt_offset(solved) if solved else None,
        "closed": fmt_offset(closed) if closed else None,
        "reopen_count": reopen,
        "csat": csat,
        "escalation": (
            {"from_tier": "L1", "reason": reason, "by": A1, "at": fmt_offset(esc_at)}
            if esc
            else None
        ),
        "messages": messages,
        "_created_min": C,
    }


def build_tickets(rng, customers, meta, src):
    pl = Planner(rng, customers, meta, src)
    specs = plan_specs(rng)
    for s in specs:
        if s["status"] == "solved":
            s["csat"] = rng.random() < 0.32
        elif s["status"] == "closed":
            s["csat"] = rng.random() < 0.45
    tickets = []
    for spec in specs:
        resolve_spec(pl, spec)
        t = build_ticket(rng, spec, meta, pl)
        if t is None:  # too many messages — retry as a plain e-mail ticket
            spec["channel"] = "email"
            t = build_ticket(rng, spec, meta, pl)
        assert t is not None
        tickets.append(t)
    tickets.sort(key=lambda t: -t["_created_min"])
    for t in tickets:
        del t["_created_min"]
    return tickets


# --------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------
