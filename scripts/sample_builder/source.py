"""The hand-written sample source: YAML files under scripts/sample_source/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .words import read_text

SOURCE = Path(__file__).resolve().parent.parent / "sample_source"
MAX_SOURCE_BYTES = 1_000_000  # one source file; the largest is about 20 KB

# scenario thread fields: the readable name in the YAML files -> the short name the builder uses
THREAD_FIELDS = {
    "subjects": "s",
    "opening": "o",
    "reply": "r",
    "follow_up": "f",
    "fix": "x",
    "thanks": "t",
    "specialist": "sp",
    "fix_after_escalation": "xe",
    "escalate_to": "esc",
}
LANGUAGES = ("en", "ru", "lv")


@dataclass(frozen=True)
class Source:
    teams: list[dict[str, Any]]
    sla_policies: list[dict[str, Any]]
    frontline: dict[str, str]
    agents: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    personal_domains: dict[str, list[str]]
    addresses: list[str]
    slots: dict[str, Any]
    team_words: dict[str, dict[str, str]]
    phrases: dict[str, dict[str, Any]]
    call_extra: dict[str, list[str]]
    hold_notes: dict[str, list[str]]
    reopen_done: dict[str, dict[str, list[str]]]
    scenarios: dict[str, dict[str, Any]]
    hostile: list[dict[str, Any]]
    first_contact: list[int]
    mail: dict[str, Any]

    @property
    def team_tier(self) -> dict[str, str]:
        return {t["name"]: t["tier"] for t in self.teams}


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(read_text(path, MAX_SOURCE_BYTES))


def _escalation(value: dict[str, str] | None) -> tuple[str, str] | None:
    return None if value is None else (value["tier"], value["team"])


def _thread(raw: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(raw) - set(THREAD_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown thread fields {sorted(unknown)}")
    thread = {THREAD_FIELDS[k]: v for k, v in raw.items()}
    if "esc" in thread:
        thread["esc"] = _escalation(thread["esc"])
    return thread


def _scenario(path: Path) -> tuple[str, dict[str, Any]]:
    """`NN-key.yaml`: NN orders the scenarios (the random draws depend on the order)."""
    order, dash, key = path.stem.partition("-")
    if not (order.isdigit() and dash and key):
        raise ValueError(f"{path.name}: a scenario file is named NN-key.yaml")
    raw = read_yaml(path)
    scenario = {k: v for k, v in raw.items() if k not in LANGUAGES and k != "escalate_to"}
    scenario["esc"] = _escalation(raw.get("escalate_to"))
    for lang in LANGUAGES:
        scenario[lang] = [_thread(t, f"{path.name} {lang}[{i}]") for i, t in enumerate(raw[lang])]
    return key, scenario


def load(root: Path = SOURCE) -> Source:
    org = read_yaml(root / "organisation.yaml")
    people = read_yaml(root / "customers.yaml")
    phrases = read_yaml(root / "phrases.yaml")
    scenarios = dict(_scenario(p) for p in sorted((root / "scenarios").glob("*.yaml")))
    return Source(
        teams=org["teams"],
        sla_policies=org["sla_policies"],
        frontline=org["frontline_team"],
        agents=read_yaml(root / "agents.yaml")["agents"],
        customers=people["customers"],
        personal_domains=people["personal_domains"],
        addresses=people["addresses"],
        slots=read_yaml(root / "slots.yaml"),
        team_words=phrases["team_words"],
        phrases=phrases["phrases"],
        call_extra=phrases["call_extra"],
        hold_notes=phrases["hold_notes"],
        reopen_done=phrases["reopen_done"],
        scenarios=scenarios,
        hostile=read_yaml(root / "hostile.yaml")["hostile"],
        first_contact=read_yaml(root / "first_contact.yaml")["solved_at_first_contact"],
        mail=read_yaml(root / "mail.yaml"),
    )
