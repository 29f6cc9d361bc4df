"""Write the generated files of sample_data/ from the YAML source (seeded, so always the same)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from .first_contact import solve_at_first_contact
from .mail import add_mail
from .people import CSV_HEADER, build_agents, build_customers
from .source import Source
from .tickets import build_tickets
from .words import dump_json

SEED = 20261123


def generate(src: Source, out: Path) -> None:
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    agents, meta = build_agents(src)
    customers = build_customers(rng, src)
    tickets = build_tickets(rng, customers, meta, src)
    solve_at_first_contact(tickets, src.first_contact)
    add_mail(tickets, {c["email"]: c["language"] for c in customers}, src.mail)
    dump_json(out / "teams.json", src.teams)
    dump_json(out / "agents.json", agents)
    dump_json(out / "sla_policies.json", src.sla_policies)
    with open(out / "customers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CSV_HEADER)
        for c in customers:
            w.writerow([c[k] for k in CSV_HEADER])
    dump_json(out / "tickets.json", tickets)
