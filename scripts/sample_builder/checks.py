"""Validate sample_data/ as it is on disk, so hand edits are checked too.

`validate(out)` prints a summary and every warning and error, and says whether all is well.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .checks_texts import check_articles, check_templates
from .checks_tickets import check_tickets
from .people import CSV_HEADER
from .rules import CHANNELS, CYRILLIC, LANGUAGES, PRIORITIES, TIERS, Report, read_json
from .words import DURATION_RE, read_text


def check_teams(out: Path, rep: Report) -> tuple[list[dict[str, Any]], dict[str, str]]:
    teams = read_json(out / "teams.json")
    calendars_file = out / "calendars.json"
    calendars = {c["name"] for c in read_json(calendars_file)} if calendars_file.exists() else set()
    team_tier = {}
    for t in teams:
        if set(t) - {"calendar"} != {"name", "tier", "description"} or t["tier"] not in TIERS:
            rep.err(f"team {t} malformed")
        if "calendar" in t and t["calendar"] not in calendars:
            rep.err(f"team {t['name']}: calendar {t['calendar']!r} is not in calendars.json")
        team_tier[t["name"]] = t["tier"]
    if len(team_tier) != len(teams) or len(teams) < 4 or set(team_tier.values()) != set(TIERS):
        rep.err("teams: need >= 4 unique teams covering L1, L2, L3")
    return teams, team_tier


def _check_agent(
    a: dict[str, Any], ag: dict[str, Any], team_tier: dict[str, str], rep: Report
) -> None:
    keys = {"handle", "name", "email", "role", "tier", "team", "active", "signature"}
    if set(a) != keys:
        rep.err(f"agent {a.get('handle')}: keys {sorted(a)}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", a["handle"]) or a["handle"] in ag:
        rep.err(f"agent handle {a['handle']!r} invalid or duplicate")
    if a["team"] not in team_tier or team_tier[a["team"]] != a["tier"]:
        rep.err(f"agent {a['handle']}: tier/team mismatch")
    if a["role"] not in ("operator", "lead", "admin") or not isinstance(a["active"], bool):
        rep.err(f"agent {a['handle']}: bad role/active")


def check_agents(
    out: Path, teams: list[dict[str, Any]], team_tier: dict[str, str], rep: Report
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    agents = read_json(out / "agents.json")
    ag: dict[str, dict[str, Any]] = {}
    for a in agents:
        _check_agent(a, ag, team_tier, rep)
        ag[a["handle"]] = a
    if len(agents) < 14:
        rep.err("fewer than 14 agents")
    for team in team_tier:
        roles = [a["role"] for a in agents if a["team"] == team]
        if "lead" not in roles or "operator" not in roles:
            rep.err(f"team {team} needs a lead and operators")
    if not 1 <= sum(a["role"] == "admin" for a in agents) <= 2:
        rep.err("need one or two admins")
    if not any(not a["active"] for a in agents):
        rep.err("need an inactive agent")
    first_l1 = next(t["name"] for t in teams if t["tier"] == "L1")
    d = ag.get("demo")
    if (
        not d
        or d["name"] != "Demo Operator"
        or d["role"] != "operator"
        or d["tier"] != "L1"
        or d["team"] != first_l1
        or not d["active"]
    ):
        rep.err(
            "demo agent must be an active L1 operator named 'Demo Operator' on the first L1 team"
        )
    for h, role, tier in (
        ("olga", "operator", "L1"),
        ("ivan", "operator", "L1"),
        ("anna", "lead", "L1"),
        ("admin", "admin", None),
    ):
        if h not in ag or ag[h]["role"] != role or (tier and ag[h]["tier"] != tier):
            rep.err(f"required agent {h} ({role}) missing or wrong")
    return agents, ag


def _check_customer(r: dict[str, str], cust: dict[str, Any], rep: Report) -> None:
    e = r["email"]
    if e != e.lower() or e in cust or "@" not in e:
        rep.err(f"customer email {e!r} invalid or duplicate")
    if (
        r["language"] not in LANGUAGES
        or r["preferred_channel"] not in CHANNELS
        or r["segment"] not in ("standard", "vip", "business")
    ):
        rep.err(f"customer {e}: bad enum value")
    if not re.fullmatch(r"\+371 2\d{7}", r["phone"]):
        rep.err(f"customer {e}: bad phone {r['phone']}")
    if r["language"] == "ru" and not CYRILLIC.search(r["name"]):
        rep.err(f"customer {e}: Russian customer without Cyrillic name")


def check_customers(out: Path, rep: Report) -> tuple[list[dict[str, str]], dict[str, Any]]:
    reader = csv.reader(io.StringIO(read_text(out / "customers.csv"), newline=""))
    header = next(reader)
    rows = [dict(zip(header, r, strict=False)) for r in reader]
    if header != CSV_HEADER:
        rep.err(f"customers.csv header is {header}")
    cust: dict[str, Any] = {}
    for r in rows:
        _check_customer(r, cust, rep)
        cust[r["email"]] = r
    langs = Counter(r["language"] for r in rows)
    segs = Counter(r["segment"] for r in rows)
    if len(rows) < 70 or min(langs[lang] for lang in LANGUAGES) < len(rows) * 0.25:
        rep.err(f"customers: need >= 70 spread over en/ru/lv, got {dict(langs)}")
    if not 0.05 <= segs["vip"] / len(rows) <= 0.15:
        rep.err(f"customers: vip share {segs['vip']}/{len(rows)}")
    return rows, cust


def check_sla(out: Path, rep: Report) -> list[dict[str, Any]]:
    sla = read_json(out / "sla_policies.json")
    base = [p["priority"] for p in sla if "segment" not in p]
    if sorted(base) != sorted(PRIORITIES):
        rep.err("sla: need exactly one base entry per priority")
    if not 1 <= sum(1 for p in sla if p.get("segment") == "vip") <= 2:
        rep.err("sla: need 1 or 2 vip entries")
    for p in sla:
        for k in ("first_response", "resolution"):
            if not p.get(k) or not DURATION_RE.fullmatch(p[k]):
                rep.err(f"sla: bad duration {p.get(k)!r}")
    return sla


def validate(out: Path) -> bool:
    rep = Report()
    teams, team_tier = check_teams(out, rep)
    agents, ag = check_agents(out, teams, team_tier, rep)
    rows, cust = check_customers(out, rep)
    sla = check_sla(out, rep)
    stats = check_tickets(out, team_tier, ag, cust, rep)
    tpl_files, tpl_lang = check_templates(out, rep)
    kb_files, kb_lang = check_articles(out, rep)

    inactive = [a["handle"] for a in agents if not a["active"]]
    langs = Counter(r["language"] for r in rows)
    segs = Counter(r["segment"] for r in rows)
    print(
        f"teams: {len(teams)}   agents: {len(agents)} (inactive: {', '.join(inactive)})   "
        f"customers: {len(rows)} {dict(langs)} {dict(segs)}"
    )
    print(
        f"sla policies: {len(sla)}   templates: {len(tpl_files)} {dict(tpl_lang)}   "
        f"kb articles: {len(kb_files)} {dict(kb_lang)}"
    )
    for line in stats.summary(inactive):
        print(line)
    for w in rep.warnings:
        print("warning:", w)
    for e in rep.errors:
        print("ERROR:", e)
    print("OK" if not rep.errors else f"FAILED ({len(rep.errors)} errors)")
    return not rep.errors
