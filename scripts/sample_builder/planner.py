"""The ticket mix (how many tickets of each status and kind) and, per ticket, who, what and when."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from .source import Source

ELINA_GONE = 11 * 1440 + 300  # Elīna left ~11 days ago: none of her messages is newer than this
SEG_WEIGHT = {"vip": 3.0, "business": 2.0, "standard": 1.0}


def pick(rng: random.Random, v: Any) -> Any:
    return rng.choice(v) if isinstance(v, list) else v


def rint(rng: random.Random, a: float, b: float) -> int:
    return rng.randint(int(a), int(b))


class Planner:
    def __init__(
        self,
        rng: random.Random,
        customers: list[dict[str, Any]],
        meta: dict[str, dict[str, Any]],
        src: Source,
    ) -> None:
        self.rng, self.customers, self.meta, self.src = rng, customers, meta, src
        self.used: Counter[str] = Counter()
        self.subjects: Counter[str] = Counter()

    def customer(self, langs: Collection[str]) -> dict[str, Any]:
        pool = [c for c in self.customers if c["language"] in langs]
        w = [SEG_WEIGHT[c["segment"]] / (1 + 0.7 * self.used[c["email"]]) for c in pool]
        c = self.rng.choices(pool, w)[0]
        self.used[c["email"]] += 1
        return c

    def agent(
        self, team: str, lang: str, exclude: Collection[str] = (), demo_weight: float = 0.0
    ) -> str:
        cands, w = [], []
        for h, m in self.meta.items():
            if m["team"] != team or not m["active"] or m["role"] == "admin" or h in exclude:
                continue
            if lang not in m["langs"]:
                continue
            weight = 0.3 if m["role"] == "lead" else 1.0
            if h == "demo":
                weight = demo_weight
            if weight > 0:
                cands.append(h)
                w.append(weight)
        return self.rng.choices(cands, w)[0]

    def scenario(self, lang: str, need_esc: bool) -> str:
        scenarios = self.src.scenarios
        keys = [k for k, s in scenarios.items() if not need_esc or any("sp" in t for t in s[lang])]
        return self.rng.choices(keys, [scenarios[k]["weight"] for k in keys])[0]

    def subject(self, choices: Sequence[str]) -> str:
        best = min(self.subjects[c] for c in choices)
        s = self.rng.choice([c for c in choices if self.subjects[c] == best])
        self.subjects[s] += 1
        return s


def plan_specs(rng: random.Random) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []

    def add(status: str, n: int = 1, **kw: Any) -> None:
        for _ in range(n):
            specs.append(dict(status=status, **kw))

    # --- new (18): 15 unassigned, 3 assigned; some clearly breaching SLA, some fresh
    for base, lo, hi, priority, scenario in (
        (6 * 60, 3, 25, "urgent", "no_internet"),
        (3 * 1440, 20, 200, "normal", "invoice_high"),
        (1440, 90, 200, "high", "payment_missing"),
        (4 * 1440, 200, 400, "low", "general"),
    ):
        add(
            "new",
            created=base + rint(rng, lo, hi),
            priority=priority,
            scenario=scenario,
            unassigned=True,
        )
    for age in (4, 13, 27, 41, 58):
        add("new", created=age + rint(rng, 0, 1), unassigned=True)
    add("new", created=rint(rng, 100, 160), unassigned=True, hostile=1)
    for _ in range(5):
        add("new", created=rint(rng, 70, 1100), unassigned=True)
    add("new", created=rint(rng, 30, 200), agent="demo")
    add("new", created=rint(rng, 40, 600))
    add("new", created=rint(rng, 90, 900))
    # --- open (34)
    add("open", 2, agent="demo")
    add("open", 2, agent="elina")
    add("open", 4, reopen=1)
    add("open", 8, escalated=True)
    add("open", hostile=0)
    add("open", hostile=3)
    add("open", 16)
    # --- pending (22)
    add("pending", 2, agent="demo")
    add("pending", 2, agent="elina")
    add("pending", 4, escalated=True)
    add("pending", hostile=5)
    add("pending", 13)
    # --- on hold (14)
    add("on_hold", agent="demo")
    add("on_hold", 8, escalated=True)
    add("on_hold", 5)
    # --- solved (82)
    add("solved", 8, escalated=True)
    add("solved", 4, reopen=1)
    add("solved", hostile=2)
    add("solved", 2, agent="demo")
    add("solved", 67)
    # --- closed (172)
    add("closed", 16, escalated=True)
    add("closed", 7, reopen=1)
    add("closed", 2, reopen=2)
    add("closed", 8, agent="elina")
    add("closed", 3, agent="demo")
    add("closed", hostile=4)
    add("closed", 135)
    return specs


def _priority(rng: random.Random, scenario: dict[str, Any], segment: str) -> str:
    prio: str = rng.choices(list(scenario["prio"]), list(scenario["prio"].values()))[0]
    if segment == "vip" and prio in ("low", "normal") and rng.random() < 0.5:
        prio = "high" if prio == "normal" else "normal"
    elif segment == "business" and prio == "low" and rng.random() < 0.5:
        prio = "normal"
    return prio


def _channel(
    rng: random.Random, spec: dict[str, Any], cust: dict[str, Any], hostile: dict[str, Any] | None
) -> str:
    if hostile:
        channel: str = hostile["channel"]
    elif rng.random() < 0.55:
        channel = cust["preferred_channel"]
    else:
        channel = rng.choices(["email", "chat", "phone", "web"], [40, 25, 20, 15])[0]
    if spec.get("reopen", 0) >= 2 and channel == "phone":
        channel = "email"
    return channel


def resolve_spec(pl: Planner, spec: dict[str, Any]) -> dict[str, Any]:
    """Fill in customer, scenario, thread, priority, channel, team and agents."""
    rng, src = pl.rng, pl.src
    hostile = src.hostile[spec["hostile"]] if "hostile" in spec else None
    esc = spec.get("escalated", False)
    if hostile:
        langs: tuple[str, ...] = (hostile["lang"],)
    elif spec.get("agent") in ("demo", "elina"):
        langs = ("en", "lv")
    else:
        langs = ("en", "ru", "lv")
    cust = pl.customer(langs)
    lang = cust["language"]
    key = hostile["scenario"] if hostile else spec.get("scenario") or pl.scenario(lang, esc)
    sc = src.scenarios[key]
    threads = sc[lang]
    if hostile:
        th = threads[hostile["thread"]]
    else:
        th = rng.choice([t for t in threads if "sp" in t] if esc else threads)
    prio = spec.get("priority") or _priority(rng, sc, cust["segment"])
    channel = _channel(rng, spec, cust, hostile)
    status = spec["status"]
    l1team = src.frontline[lang]
    if esc:
        tier, team = th.get("esc") or sc["esc"]
        l1 = pl.agent(l1team, lang, exclude={"elina"}, demo_weight=0.4)
        assignee = pl.agent(team, lang)
    else:
        tier, team = "L1", l1team
        if spec.get("agent"):
            assignee = spec["agent"]
        elif spec.get("unassigned"):
            assignee = None
        else:
            open_like = status in ("new", "open", "pending", "on_hold")
            assignee = pl.agent(
                team, lang, exclude={"elina"}, demo_weight=0.0 if open_like else 0.5
            )
        l1 = assignee
    spec.update(
        customer=cust,
        lang=lang,
        scenario=key,
        thread=th,
        priority=prio,
        channel=channel,
        tier=tier,
        team=team,
        l1team=l1team,
        l1=l1,
        assignee=assignee,
        escalated=esc,
        reopen=spec.get("reopen", 0),
        hostile_def=hostile,
    )
    return spec
