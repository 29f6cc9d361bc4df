"""`csm report` on the hand-made desk of test_metrics (both stores): the table, JSON that carries
the same numbers as the service, CSV with one row per group and one column per metric, and
usage errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from csm_console.cli.report_cmd import CSV_FIELDS
from csm_console.domain.metrics import GroupBy
from csm_console.services import metrics
from tests.conftest import Cli, Desk
from tests.services.test_metrics import NOW, PERIOD, Built, build


@pytest.fixture
def built(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Built]:
    """The desk, with the CLI's clock at the report's "now"."""
    monkeypatch.setattr("csm_console.services.clock.utcnow", lambda: NOW)
    yield build(desk)


def csm(built: Built, *args: str) -> tuple[int, str, str]:
    result = Cli().on(built.desk.store, "report", *args)
    return result.exit_code, result.stdout, result.stderr


def test_json_carries_the_services_numbers(built: Built) -> None:
    code, stdout, _ = csm(
        built, "--since", "2026-11-16", "--until", "2026-11-20", "--by", "team", "--format", "json"
    )
    assert code == 0
    data = json.loads(stdout)
    assert (data["since"], data["until"], data["by"]) == ("2026-11-16", "2026-11-20", "team")
    assert data["repeat_window_seconds"] == 7 * 86400
    frontline = data["rows"][0]
    assert frontline["key"] == "Frontline"
    assert frontline["first_response"] == {"count": 9, "median_seconds": 1200, "p90_seconds": 7200}
    assert (frontline["fcr"], frontline["solved"], frontline["fcr_rate"]) == (5, 7, 0.7143)
    total = data["total"]
    assert total["resolution"] == {"count": 9, "median_seconds": 10800, "p90_seconds": 18000}
    assert (total["csat_mean"], total["csat_rate"], total["repeat"]) == (3.4, 0.6, 4)
    assert (total["missed"], total["breaching"], total["backlog"]) == (4, 2, 4)
    service = metrics.report(built.desk.store, period=PERIOD, by=GroupBy.TEAM, now=NOW)
    assert [r["created"] for r in data["rows"]] == [r.created for r in service.rows]


def test_csv_has_a_row_per_group_and_a_column_per_metric(built: Built) -> None:
    code, stdout, _ = csm(
        built,
        "--since=2026-11-16",
        "--until=2026-11-20",
        "--by=day",
        "--format=csv",
        "--repeat-window=1d",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [r["key"] for r in rows] == [f"2026-11-{d}" for d in range(16, 21)]
    assert [int(r["created"]) for r in rows] == [5, 3, 2, 2, 0]
    monday = rows[0]
    assert (monday["frt_median_seconds"], monday["repeat"]) == ("1800", "2")
    assert monday["breaching"] == monday["backlog"] == ""  # a day has no "now"
    friday = rows[-1]  # nothing came in on Friday, but #9 was answered and solved
    assert (friday["created"], friday["frt_median_seconds"], friday["solved"]) == ("0", "7200", "1")
    # without --by: the total alone
    code, stdout, _ = csm(built, "--since=2026-11-16", "--until=2026-11-20", "--format=csv")
    (total,) = list(csv.DictReader(io.StringIO(stdout)))
    assert (total["key"], total["fcr"], total["fcr_rate"], total["backlog"]) == (
        "all",
        "7",
        "0.7778",
        "4",
    )


def test_the_table_and_the_summary(built: Built) -> None:
    code, stdout, _ = csm(built, "--since", "2026-11-16", "--until", "2026-11-20", "--by", "agent")
    assert code == 0
    assert "Service metrics 2026-11-16 .. 2026-11-20 (UTC)" in stdout
    lines = {line.split()[0]: line.split() for line in stdout.splitlines()[2:]}
    assert set(lines) == {"ivan", "olga", "petr", "(none)", "all"}
    assert lines["(none)"][1:3] == ["2", "0"]  # created, solved
    code, stdout, _ = csm(
        built, "--since", "2026-11-16", "--until", "2026-11-20", "--agent", "olga"
    )
    assert code == 0
    assert "agent olga" in stdout
    assert "FCR                 67% (2 of 3 solved)" in stdout
    assert "first response      median 30m, p90 2h (5 answered)" in stdout


def test_the_default_period_is_the_last_thirty_days(built: Built) -> None:
    code, stdout, _ = csm(built, "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert (data["since"], data["until"]) == ("2026-10-22", "2026-11-20")
    assert data["total"]["created"] == 13


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "week"], "--by: unknown group 'week'; valid: day, agent, team"),
        (["--since", "yesterday"], "--since: a date like 2026-11-01"),
        (["--since", "2026-11-20", "--until", "2026-11-01"], "ends (2026-11-01) before"),
        (["--format", "xml"], "unknown format 'xml'; valid: table, json, csv"),
        (["--team", "Nowhere"], "no team named 'Nowhere'"),
        (["--repeat-window", "0m"], "repeat-contact window"),
    ],
)
def test_usage_errors(built: Built, args: list[str], message: str) -> None:
    code, stdout, stderr = csm(built, *args)
    assert code in (2, 3) and stdout == ""
    assert message in stderr


def test_repeat_window_option_reaches_the_service(built: Built) -> None:
    code, stdout, _ = csm(
        built, "--since=2026-11-16", "--until=2026-11-20", "--repeat-window=22h", "--format=json"
    )
    assert code == 0
    assert json.loads(stdout)["total"]["repeat"] == 1
    assert timedelta(hours=22).total_seconds() == json.loads(stdout)["repeat_window_seconds"]
