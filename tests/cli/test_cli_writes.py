"""`csm tickets assign|status|priority|tag|escalate|reply|note|csat`: CliRunner for each
command, and real processes for the stdin pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, STORE_KINDS, Cli, run_csm, sample_url, start_csm


@pytest.fixture(params=STORE_KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sample_url(tmp_path / "w.db", request.param, request, "cliwrite")


csm = Cli(agent="admin").on


def ticket(url: str, ticket_id: int) -> dict[str, Any]:
    result = csm(url, "tickets", "show", str(ticket_id), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def ids_of(url: str, query: str, agent: str = "admin") -> list[int]:
    result = csm(url, "tickets", "list", "--query", query, "--format", "ids", agent=agent)
    assert result.exit_code == 0, result.output
    return [int(x) for x in result.stdout.split()]


@pytest.mark.slow  # starts processes
def test_pipeline_list_ids_into_assign_as_real_processes(url: str) -> None:
    """The README's pipeline: a departed agent's open tickets go to a colleague."""
    departed = ids_of(url, "assignee:elina status:open,pending,on_hold,new")
    assert departed
    env = {"CSM_DATABASE_URL": url, "CSM_AGENT": "anna"}
    lister = start_csm(
        *("tickets", "list", "--query", "assignee:elina -status:solved,closed", "--format", "ids"),
        stderr=None,
        text=False,
        add_env=env,
        cwd=ROOT,
    )
    assigner = run_csm(
        *("tickets", "assign", "-", "--to", "janis"),
        stdin=lister.stdout,
        add_env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert lister.wait(timeout=60) == 0
    assert assigner.returncode == 0, assigner.stderr
    assert sorted(int(x) for x in assigner.stdout.split()) == sorted(departed)
    assert f"{len(departed)} changed" in assigner.stderr and "batch bulk-" in assigner.stderr
    assert ids_of(url, "assignee:elina -status:solved,closed") == []
    audit = ticket(url, departed[0])["audit"]
    assert any(
        a["field"] == "assignee" and a["new_value"] == "janis" and a["batch_id"] for a in audit
    )


def test_assign_refusals_set_the_exit_code(url: str) -> None:
    unassigned = ids_of(url, "assignee:none team:Frontline status:new")[:2]
    other_team = ids_of(url, 'team:"Frontline RU" assignee:none status:new')[:1]
    result = csm(
        url, "tickets", "assign", *map(str, unassigned + other_team), "--to", "janis", agent="anna"
    )
    assert result.exit_code == 5
    assert sorted(int(x) for x in result.stdout.split()) == sorted(unassigned)
    assert "refused" in result.stderr and "needs: lead of team Frontline RU or admin" in (
        result.stderr
    )
    again = csm(url, "tickets", "assign", *map(str, unassigned), "--to", "janis", agent="anna")
    assert again.exit_code == 0 and "2 already so" in again.stderr and again.stdout == ""
    unknown = csm(url, "tickets", "assign", "1001", "--to", "nobody-here")
    assert unknown.exit_code == 3 and "no agent" in unknown.stderr


def test_status_priority_tag(url: str) -> None:
    target = ids_of(url, "assignee:none status:new")[0]
    assert csm(url, "tickets", "status", str(target), "--set", "open").exit_code == 0
    assert ticket(url, target)["ticket"]["status"] == "open"
    bad = csm(url, "tickets", "status", str(target), "--set", "closed")
    assert bad.exit_code == 2 and "cannot change status open → closed" in bad.stderr
    assert csm(url, "tickets", "priority", str(target), "--set", "urgent").exit_code == 0
    assert ticket(url, target)["ticket"]["priority"] == "urgent"
    assert csm(url, "tickets", "tag", str(target), "--add", "Refund", "--add", "vip").exit_code == 0
    assert {"refund", "vip"} <= set(ticket(url, target)["ticket"]["tags"])
    assert csm(url, "tickets", "tag", str(target), "--remove", "vip").exit_code == 0
    assert "vip" not in ticket(url, target)["ticket"]["tags"]
    assert csm(url, "tickets", "priority", str(target), "--set", "huge").exit_code == 2


def test_escalate_reply_note_csat(url: str) -> None:
    target = ids_of(url, "assignee:none status:new tier:L1")[0]
    up = csm(
        url,
        "tickets",
        "escalate",
        str(target),
        "--to",
        "L3",
        "--reason",
        "billing bug",
        "--team",
        "Billing Experts",
    )
    assert up.exit_code == 0, up.output
    data = ticket(url, target)
    assert data["ticket"]["tier"] == "L3" and data["ticket"]["team"] == "Billing Experts"
    assert "billing bug" in data["messages"][-1]["body"]
    no_reason = csm(url, "tickets", "escalate", str(target), "--to", "L3", "--reason", " ")
    assert no_reason.exit_code == 2

    other = ids_of(url, "assignee:none status:new tier:L1")[0]
    sent = csm(
        url,
        "tickets",
        "reply",
        str(other),
        "--body",
        "-",
        "--status",
        "pending",
        stdin="Paldies, skatāmies!\n",
    )
    assert sent.exit_code == 0, sent.output
    data = ticket(url, other)
    assert data["ticket"]["status"] == "pending" and data["ticket"]["first_response_at"]
    assert data["messages"][-1]["body"].startswith("Paldies")
    both = csm(url, "tickets", "reply", str(other), "--body", "x", "--template", "y")
    assert both.exit_code == 2
    neither = csm(url, "tickets", "reply", str(other))
    assert neither.exit_code == 2 and "exactly one of" in neither.stderr
    templated = csm(url, "tickets", "reply", str(other), "--template", "general-greeting-en")
    assert templated.exit_code == 0, templated.output
    blocked = csm(url, "tickets", "reply", str(other), "--template", "hardware-router-restart-en")
    assert blocked.exit_code == 2 and "article.link" in blocked.stderr
    assert csm(url, "tickets", "note", str(other), "--body", "called back").exit_code == 0
    assert ticket(url, other)["messages"][-1]["internal"] is True

    assert csm(url, "tickets", "csat", str(other), "--score", "5").exit_code == 2  # not solved
    assert csm(url, "tickets", "status", str(other), "--set", "solved").exit_code == 0
    assert csm(url, "tickets", "csat", str(other), "--score", "4", "--comment", "ok").exit_code == 0
    assert ticket(url, other)["ticket"]["csat_score"] == 4


def test_if_version_refuses_every_write_on_a_changed_ticket(url: str) -> None:
    """A script read the ticket at version N; someone changed it since: every kind of write
    with --if-version N exits 4, says who changed what, and writes nothing."""
    number = ids_of(url, "status:new,open assignee:none team:Frontline")[0]
    read = ticket(url, number)
    stale = str(read["ticket"]["version"])
    changed = csm(url, "tickets", "priority", str(number), "--set", "urgent", agent="anna")
    assert changed.exit_code == 0, changed.output
    after = ticket(url, number)
    writes = [
        ("reply", str(number), "--body", "Hello"),
        ("note", str(number), "--body", "Checked"),
        ("tag", str(number), "--add", "late"),
        ("status", str(number), "--set", "pending"),
        ("priority", str(number), "--set", "low"),
        ("assign", str(number), "--to", "admin"),
        ("escalate", str(number), "--to", "L2", "--reason", "needs a technician"),
    ]
    for command, *args in writes:
        refused = csm(url, "tickets", command, *args, "--if-version", stale)
        assert refused.exit_code == 4, (command, refused.output)
        assert "anna" in refused.stderr and "priority" in refused.stderr, (command, refused.stderr)
    assert ticket(url, number) == after  # nothing was written
    fresh = csm(url, "tickets", "note", str(number), "--body", "ok", "--if-version",
                str(after["ticket"]["version"]))  # fmt: skip
    assert fresh.exit_code == 0, fresh.output
    two = csm(
        url, "tickets", "tag", str(number), str(number + 1), "--add", "x", "--if-version", "1"
    )
    assert two.exit_code == 2 and "exactly one ticket" in two.stderr
