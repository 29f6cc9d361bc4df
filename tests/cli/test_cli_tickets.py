"""`csm tickets list|show|next` on the sample store: formats, fields, streaming, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from csm_console.services import setup
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Team
from tests.conftest import Cli, sample_url


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return sample_url(tmp_path_factory.mktemp("cli") / "sample.db")


csm = Cli(agent="demo").on


def test_list_formats_agree(db: str) -> None:
    ids = csm(db, "tickets", "list", "--query", "status:open", "--format", "ids")
    assert ids.exit_code == 0, ids.output
    id_list = [int(x) for x in ids.stdout.split()]
    assert id_list
    as_json = json.loads(
        csm(db, "tickets", "list", "--query", "status:open", "--format", "json").stdout
    )
    assert [t["id"] for t in as_json] == id_list
    assert all(t["status"] == "open" for t in as_json)
    assert {"id", "subject", "sla_due", "sla_state", "tags", "version"} <= set(as_json[0])
    lines = csm(db, "tickets", "list", "--query", "status:open", "--format", "ndjson").stdout
    assert [json.loads(x)["id"] for x in lines.splitlines()] == id_list
    table = csv.reader(
        io.StringIO(
            csm(
                db,
                "tickets",
                "list",
                "--query",
                "status:open",
                "--format",
                "csv",
                "--fields",
                "id,tags",
            ).stdout
        )
    )
    rows = list(table)
    assert rows[0] == ["id", "tags"] and [int(r[0]) for r in rows[1:]] == id_list


def test_list_limit_sort_view_fields(db: str) -> None:
    two = csm(db, "tickets", "list", "--sort", "-id", "--limit", "2", "--format", "ids")
    assert [int(x) for x in two.stdout.split()] == sorted(
        (int(x) for x in two.stdout.split()), reverse=True
    )
    mine = json.loads(
        csm(
            db,
            "tickets",
            "list",
            "--view",
            "my tickets",
            "--format",
            "json",
            "--fields",
            "assignee",
        ).stdout
    )
    assert mine and {t["assignee"] for t in mine} == {"demo"}
    bad = csm(db, "tickets", "list", "--fields", "id,nope")
    assert bad.exit_code == 2 and "valid fields: id, subject" in bad.stderr
    bad_query = csm(db, "tickets", "list", "--query", "stat:x")
    assert bad_query.exit_code == 2 and "unknown field 'stat'" in bad_query.stderr
    bad_view = csm(db, "tickets", "list", "--view", "nope")
    assert bad_view.exit_code == 2 and "views: My tickets" in bad_view.stderr
    table = csm(db, "tickets", "list", "--limit", "3")
    assert table.exit_code == 0 and table.stdout.splitlines()[0].lstrip().startswith("id")
    assert len(table.stdout.splitlines()) == 4


def test_show_has_thread_and_audit(db: str) -> None:
    shown = csm(db, "tickets", "show", "#1001")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("#1001") and "--- audit" in shown.stdout
    data = json.loads(csm(db, "tickets", "show", "1001", "--format", "json").stdout)
    assert data["ticket"]["id"] == 1001 and data["messages"] and data["audit"]
    missing = csm(db, "tickets", "show", "999999")
    assert missing.exit_code == 3 and "not found" in missing.stderr
    bad = csm(db, "tickets", "show", "abc")
    assert bad.exit_code == 2


def test_next_claims_then_exit_3_when_empty(db: str, tmp_path: Path) -> None:
    claimed = json.loads(csm(db, "tickets", "next", "--format", "json", agent="svetlana").stdout)
    assert claimed["assignee"] == "svetlana"
    shown = csm(db, "tickets", "show", str(claimed["id"]))
    assert "claim" in shown.stdout  # the change is in the audit
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    setup.initialize(store)
    with store.write() as session:
        team = Team(name="Solo", tier="L1")
        session.add(team)
        session.flush()
        session.add(
            Agent(
                handle="solo",
                name="Solo",
                email="solo@x.example",
                role="operator",
                tier="L1",
                team_id=team.id,
            )
        )
    store.dispose()
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    nobody = csm(empty, "tickets", "next", agent="ghost")
    assert nobody.exit_code == 3 and "no agent" in nobody.stderr
    result = csm(empty, "tickets", "next", agent="solo")
    assert result.exit_code == 3 and "queue is empty" in result.stderr
