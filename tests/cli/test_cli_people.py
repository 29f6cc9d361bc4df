"""`csm agents|teams|customers` and `tickets create`, including the bootstrap of a new store."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

csm = Cli().on


def test_bootstrap_a_new_store_then_work_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.db'}"
    assert csm(db, "init").exit_code == 0
    first = csm(
        db,
        "agents",
        "add",
        "olga",
        "--name",
        "Olga",
        "--email",
        "o@x.lv",
        "--role",
        "operator",
        "--tier",
        "L1",
    )
    assert first.exit_code == 2 and "must be an admin" in first.stderr
    boss = csm(
        db,
        "agents",
        "add",
        "boss",
        "--name",
        "Boss",
        "--email",
        "b@x.lv",
        "--role",
        "admin",
        "--tier",
        "L3",
    )
    assert boss.exit_code == 0, boss.output
    nobody = csm(db, "teams", "add", "Frontline", "--tier", "L1")
    assert nobody.exit_code == 2 and "act as an admin" in nobody.stderr
    assert csm(db, "teams", "add", "Frontline", "--tier", "L1", agent="boss").exit_code == 0
    dup = csm(db, "teams", "add", "frontline", "--tier", "L1", agent="boss")
    assert dup.exit_code == 2 and "already exists" in dup.stderr
    no_team = csm(
        db,
        "agents",
        "add",
        "olga",
        "--name",
        "Olga",
        "--email",
        "o@x.lv",
        "--role",
        "operator",
        "--tier",
        "L1",
        agent="boss",
    )
    assert no_team.exit_code == 2 and "need a --team" in no_team.stderr
    ok = csm(
        db,
        "agents",
        "add",
        "olga",
        "--name",
        "Olga",
        "--email",
        "o@x.lv",
        "--role",
        "operator",
        "--tier",
        "L1",
        "--team",
        "Frontline",
        agent="boss",
    )
    assert ok.exit_code == 0, ok.output
    refused = csm(
        db,
        "agents",
        "add",
        "ivan",
        "--name",
        "Ivan",
        "--email",
        "i@x.lv",
        "--role",
        "operator",
        "--tier",
        "L1",
        "--team",
        "Frontline",
        agent="olga",
    )
    assert refused.exit_code == 5 and "needs: admin" in refused.stderr
    agents = json.loads(csm(db, "agents", "list", "--format", "json").stdout)
    assert [a["handle"] for a in agents] == ["boss", "olga"]
    teams = csm(db, "teams", "list").stdout
    assert "Frontline" in teams and "L1" in teams

    made = csm(
        db,
        "tickets",
        "create",
        "--customer",
        "Liga@Example.lv",
        "--customer-name",
        "Līga Bērziņa",
        "--subject",
        "Rēķins nav pareizs",
        "--body",
        "-",
        "--priority",
        "high",
        "--tag",
        "billing",
        agent="olga",
        stdin="Lūdzu pārbaudiet.\n",
    )
    assert made.exit_code == 0, made.output
    ticket_id = int(made.stdout)
    shown = json.loads(csm(db, "tickets", "show", str(ticket_id), "--format", "json").stdout)
    assert shown["ticket"]["priority"] == "high" and shown["ticket"]["tags"] == ["billing"]
    assert shown["customer"]["language"] == "lv"
    bad = csm(
        db, "tickets", "create", "--customer", "nope", "--subject", "x", "--body", "y", agent="olga"
    )
    assert bad.exit_code == 2 and "e-mail" in bad.stderr

    customers = json.loads(csm(db, "customers", "list", "--format", "json").stdout)
    assert customers[0]["email"] == "liga@example.lv" and customers[0]["tickets"] == 1
    assert csm(db, "customers", "list", "--search", "berzina").stdout.count("liga@") == 1
    card = csm(db, "customers", "show", "liga@example.lv")
    assert card.exit_code == 0 and f"#{ticket_id}" in card.stdout
    assert csm(db, "customers", "show", "x@y.z").exit_code == 3

    assert csm(db, "tickets", "assign", str(ticket_id), "--to", "olga", agent="olga").exit_code == 0
    held = csm(db, "agents", "deactivate", "olga", agent="boss")
    assert held.exit_code == 2 and "still holds 1 open ticket" in held.stderr
    assert (
        csm(
            db,
            "agents",
            "add",
            "ivan",
            "--name",
            "Ivan",
            "--email",
            "i@x.lv",
            "--role",
            "operator",
            "--tier",
            "L1",
            "--team",
            "Frontline",
            agent="boss",
        ).exit_code
        == 0
    )
    gone = csm(db, "agents", "deactivate", "olga", "--reassign-to", "ivan", agent="boss")
    assert gone.exit_code == 0, gone.output
    assert "moved 1 open tickets to ivan" in gone.stderr
    agents = {
        a["handle"]: a for a in json.loads(csm(db, "agents", "list", "--format", "json").stdout)
    }
    assert agents["olga"]["active"] is False
    shown = json.loads(csm(db, "tickets", "show", str(ticket_id), "--format", "json").stdout)
    assert shown["ticket"]["assignee"] == "ivan"
