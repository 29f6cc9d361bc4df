"""Agents, customers, and the slot values ({month}, {amount}, ...) a ticket's texts use."""

from __future__ import annotations

import random
import re
from typing import Any

from .source import Source
from .words import ascii_fold, money, translit

CSV_HEADER = ["name", "email", "phone", "company", "language", "preferred_channel", "segment"]
CHANNEL_WEIGHTS = (["email", "phone", "chat", "web"], [40, 25, 20, 15])


def build_agents(src: Source) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The agents.json rows, and per handle what the builder needs to write as that agent."""
    team_tier = src.team_tier
    agents, meta = [], {}
    for row in src.agents:
        handle, name, team = row["handle"], row["name"], row["team"]
        if handle in ("demo", "admin"):
            email = f"{handle}@balticnet.example"
        else:
            email = ".".join(ascii_fold(p).lower() for p in name.split()) + "@balticnet.example"
        agents.append(
            {
                "handle": handle,
                "name": name,
                "email": email,
                "role": row["role"],
                "tier": team_tier[team],
                "team": team,
                "active": row["active"],
                "signature": row["signature"],
            }
        )
        first = name.split()[0] if handle != "demo" else "Demo Operator"
        meta[handle] = {
            "handle": handle,
            "name": name,
            "team": team,
            "role": row["role"],
            "active": row["active"],
            "gender": row["gender"],
            "langs": row["languages"].split(),
            "sign": {"en": first, "lv": first, "ru": row["sign_ru"] or first},
        }
    return agents, meta


def _email_parts(name: str, lang: str) -> tuple[str, str, str]:
    first, last = name.split(" ", 1)
    if lang == "ru":
        return first, translit(first), translit(last)
    f, la = (re.sub(r"[^a-z]", "", ascii_fold(x).lower()) for x in (first, last))
    return first, f, la


def build_customers(rng: random.Random, src: Source) -> list[dict[str, Any]]:
    customers: list[dict[str, Any]] = []
    seen_emails: set[str] = set()
    seen_phones: set[str] = set()
    for row in src.customers:
        name, lang, company = row["name"], row["language"], row["company"]
        first, f, la = _email_parts(name, lang)
        if company:
            slug = re.sub(r"\b(sia)\b", "", ascii_fold(company).lower())
            slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")
            slug = "-".join(slug.split("-")[:3])
            domain = f"{slug}.example"
            patterns = [f"{f}", f"{f}.{la}", f"{f[0]}.{la}"]
        else:
            domain = rng.choice(src.personal_domains[lang])
            patterns = [f"{f}.{la}", f"{f[0]}{la}", f"{f}_{la}", f"{f}{la}{rng.randint(70, 99)}"]
            patterns.append(f"{la}.{f}")
        email = None
        for p in rng.sample(patterns, len(patterns)):
            if f"{p}@{domain}" not in seen_emails:
                email = f"{p}@{domain}"
                break
        assert email, name
        seen_emails.add(email)
        while True:
            phone = "+371 2" + "".join(str(rng.randint(0, 9)) for _ in range(7))
            if phone not in seen_phones:
                seen_phones.add(phone)
                break
        pref = rng.choices(*CHANNEL_WEIGHTS)[0]
        customers.append(
            {
                "name": name,
                "email": email,
                "phone": phone,
                "company": company,
                "language": lang,
                "preferred_channel": pref,
                "segment": row["segment"],
                # internal only (not written to the CSV)
                "_gender": row["gender"],
                "_first": first,
                "_address": rng.choice(src.addresses),
            }
        )
    return customers


def make_slots(
    rng: random.Random, lang: str, customer: dict[str, Any], src: Source
) -> dict[str, str]:
    slots = src.slots
    mo = rng.choice(slots["months"])
    dist = rng.choice(slots["districts"])
    price = rng.choice(slots["prices"])
    speed = rng.choice(slots["speeds"])
    addr2 = rng.choice([a for a in src.addresses if a != customer["_address"]])
    return {
        "month": {"en": mo["en"], "ru": mo["ru"], "lv": mo["lv_gen"]}[lang],
        "month_loc": {"en": mo["en"], "ru": mo["ru_loc"], "lv": mo["lv_loc"]}[lang],
        "month_gen": mo["lv_gen"],
        "month_acc": mo["lv_acc"],
        "amount": money(price, lang),
        "amount2": money(round(price * 2, 2), lang),
        "acct": f"BN-{rng.randint(100000, 999999)}",
        "address": customer["_address"],
        "address2": addr2,
        "plan": rng.choice(slots["plans"]),
        "speed": f"{speed} Мбит/с" if lang == "ru" else f"{speed} Mbit/s",
        "day": rng.choice(slots["days"][lang]),
        "district": dist["ru"] if lang == "ru" else dist["en"],
        "district_loc": dist["lv_loc"],
        "inc": str(rng.randint(20000, 29999)),
    }
