"""`csm automations list|add|remove|enable|disable|test|run` on the sample store (its five
automations), on SQLite and PostgreSQL: each subcommand, bad input (exit 2, a clear message,
nothing saved), refusals, and hostile names sanitised in every output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STORE_KINDS, Cli, sample_url

SAMPLE_NAMES = [
    "remind after 3 days pending",
    "solve after 7 days pending",
    "close 7 days after solving",
    "escalate high priority at 80% of first response",
    "unassign tickets of deactivated agents",
]


@pytest.fixture(params=STORE_KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sample_url(tmp_path / "a.db", request.param, request, "cliauto")


csm = Cli(agent="admin").on  # leads: test_a_lead_automates_only_their_own_team


def listed(url: str) -> list[dict[str, Any]]:
    result = csm(url, "automations", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_list_shows_the_sample_automations(url: str) -> None:
    data = listed(url)
    assert [a["name"] for a in data] == SAMPLE_NAMES
    first = data[0]
    assert first["enabled"] and first["max"] == 500 and first["last_run"] is None
    assert first["condition"] == "status:pending updated:>3d -tag:reminded"
    assert first["actions"] == ["reply=pending-reminder", "tag+=reminded"]
    table = csm(url, "automations", "list")
    assert table.exit_code == 0
    assert "1. remind after 3 days pending [on, max 500]: when status:pending" in table.stdout


def test_add_enable_disable_remove(url: str) -> None:
    added = csm(
        url, "automations", "add", "tag vip", "--when", "segment:vip -status:closed",
        "--do", "tag+=vip-care", "--do", "priority=high", "--max", "50", "--position", "1",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added at position 1" in added.stderr
    data = listed(url)
    assert data[0]["name"] == "tag vip" and data[0]["max"] == 50
    assert data[0]["actions"] == ["tag+=vip-care", "priority=high"]
    off = csm(url, "automations", "disable", "tag vip")
    assert off.exit_code == 0 and "disabled" in off.stderr
    assert not listed(url)[0]["enabled"]
    again = csm(url, "automations", "disable", "tag vip")
    assert again.exit_code == 0 and "already" in again.stderr
    on = csm(url, "automations", "enable", "tag vip")
    assert on.exit_code == 0 and listed(url)[0]["enabled"]
    gone = csm(url, "automations", "remove", "tag vip")
    assert gone.exit_code == 0 and [a["name"] for a in listed(url)] == SAMPLE_NAMES
    missing = csm(url, "automations", "remove", "tag vip")
    assert missing.exit_code == 3 and "no automation named" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--when", "status:bogus", "--do", "tag+=x"], "unknown status"),
        (["--when", "priority:high", "--do", "explode=1"], "bad action"),
        (["--when", "priority:high"], "give at least one --do"),
        (["--when", "priority:high", "--do", "team=Nowhere"], "no team named"),
        (["--when", "priority:high", "--do", "reply=nope"], "no reply template"),
        (["--when", "priority:high", "--do", "assignee=@elina"], "no active agent"),
        (["--when", "priority:high", "--do", "tag+=x", "--max", "0"], "--max"),
        (["--when", "priority:high", "--do", "tag+=x", "--position", "0"], "--position"),
        (["--when", "x" * 3000, "--do", "tag+=x"], "at most 2000"),
        (["--when", "priority:high", "--do", "note=" + "y" * 5000], "too long"),
    ],
)
def test_bad_input_is_exit_2_and_saves_nothing(url: str, args: list[str], message: str) -> None:
    result = csm(url, "automations", "add", "bad one", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert [a["name"] for a in listed(url)] == SAMPLE_NAMES


def test_an_operator_may_not_edit_automations(url: str) -> None:
    result = csm(url, "automations", "add", "mine", "--when", "priority:high", "--do", "tag+=x",
                 agent="demo")  # fmt: skip
    assert result.exit_code == 5 and "needs: lead or admin" in result.stderr
    for command in ("disable", "remove"):
        refused = csm(url, "automations", command, SAMPLE_NAMES[0], agent="demo")
        assert refused.exit_code == 5
    assert len(listed(url)) == len(SAMPLE_NAMES) and listed(url)[0]["enabled"]


def test_test_shows_what_would_change_and_run_acts_once(url: str) -> None:
    name = "unassign tickets of deactivated agents"
    tried = csm(url, "automations", "test", name, "--format", "json")
    assert tried.exit_code == 0, tried.output
    report = json.loads(tried.stdout)
    assert report["matched"] >= 1 and not report["stopped"]
    first = report["tickets"][0]
    assert {"field": "assignee", "old": "elina", "new": None} in first["changes"]
    table = csm(url, "automations", "test", name)
    assert f"{report['matched']} ticket(s) would be acted on" in table.stdout
    adhoc = csm(url, "automations", "test", "--when", "status:closed", "--do", "status=open")
    assert adhoc.exit_code == 0 and "skipped" in adhoc.stdout  # closed is final
    ran = csm(url, "automations", "run", name, "--format", "json")
    assert ran.exit_code == 0, ran.output
    [outcome] = json.loads(ran.stdout)
    assert len(outcome["acted"]) == report["matched"] and outcome["stopped"] is None
    again = csm(url, "automations", "run", name)
    assert again.exit_code == 0 and "0 ticket(s) acted on" in again.stderr
    shown = next(a for a in listed(url) if a["name"] == name)
    assert shown["last_run"] == f"acted on {report['matched']}" and shown["last_run_at"]
    unknown = csm(url, "automations", "run", "no such one")
    assert unknown.exit_code == 3
    nothing = csm(url, "automations", "test")
    assert nothing.exit_code == 2 and "name or a condition" in nothing.stderr


def test_the_max_stop_is_said_and_shown(url: str) -> None:
    added = csm(url, "automations", "add", "too many", "--when", "status:closed",
                "--do", "tag+=old", "--max", "3")  # fmt: skip
    assert added.exit_code == 0
    tried = csm(url, "automations", "test", "too many")
    assert "a run would act on none" in tried.stdout
    ran = csm(url, "automations", "run", "too many")
    assert (
        ran.exit_code == 0 and "stopped:" in ran.stdout and "more than its max of 3" in ran.stdout
    )
    shown = next(a for a in listed(url) if a["name"] == "too many")
    assert shown["last_run"].startswith("stopped:")


def test_hostile_names_and_texts_are_sanitised(url: str) -> None:
    name = "evil \x1b]0;pwned\x07 [red]x[/red]"
    added = csm(url, "automations", "add", name, "--when", "priority:urgent",
                "--do", "note=\x1b[2Jboom")  # fmt: skip
    assert added.exit_code == 0, added.output
    for args in (("list",), ("list", "--format", "json"), ("test", name), ("run", name)):
        result = csm(url, "automations", *args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_a_lead_automates_only_their_own_team(url: str) -> None:
    wide = csm(url, "automations", "add", "wide", "--when", "priority:high", "--do", "tag+=x",
               agent="anna")  # fmt: skip
    assert wide.exit_code == 5 and "add team:Frontline" in wide.stderr
    own = csm(url, "automations", "add", "own", "--when", "team:Frontline priority:high",
              "--do", "tag+=x", agent="anna")  # fmt: skip
    assert own.exit_code == 0, own.output
    assert [a["name"] for a in listed(url)] == [*SAMPLE_NAMES, "own"]
