"""Hostile values a tester fed the CLI: each is a usage error (exit 2) with a message, or the
documented code, never exit 1 "unexpected error".  Both stores, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services.test_transfer import csm
from tests.services.test_transfer import url as url  # the sample-store fixture

RECORD = {"subject": "Router", "body": "It blinks", "customer_email": "a@b.example"}


def _refused(result: object, *needles: str, code: int = 2) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == code, output  # type: ignore[attr-defined]
    assert output.startswith(("csm: ", "Usage: ")), output  # a line, or click's usage error
    assert "unexpected error" not in output and "Traceback" not in output, output
    for needle in needles:
        assert needle in output, output


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (json.dumps([{**RECORD, "priority": 1}])[:-2] + ', "tier": ' + "9" * 5000 + "}]", "digits"),
        (json.dumps([{**RECORD, "subject": "x\ud800"}]), "lone surrogate"),
        (json.dumps([{**RECORD, "created_at": "9999-12-31T00:00:00Z"}]), "out of range"),
    ],
    ids=["deep", "5000-digit", "surrogate", "year-9999"],
)
def test_hostile_imports_are_refused(url: str, text: str, says: str) -> None:
    _refused(csm(url, "import", "tickets", "-", "--format", "json", stdin=text), says)


def test_a_nul_is_stored_where_the_store_can_and_refused_where_it_cannot(url: str) -> None:
    """SQLite keeps a NUL (every output drops it: the sanitiser); PostgreSQL cannot store
    one, and says so (exit 2), for a note and for an import alike."""
    note = csm(url, "tickets", "note", "1331", "--body", "-", stdin="a\x00b")
    imported = csm(url, "import", "tickets", "-", stdin=json.dumps([{**RECORD, "body": "a\x00b"}]))
    if url.startswith("sqlite"):
        assert (note.exit_code, imported.exit_code) == (0, 0), note.output + imported.output
    else:
        _refused(note, "NUL")
        _refused(imported, "NUL")


def test_a_surrogate_is_refused(url: str) -> None:
    _refused(csm(url, "tickets", "note", "1331", "--body", "x\udcff"), "not valid UTF-8")
    _refused(csm(url, "tickets", "show", "\ud800"), "not valid UTF-8")


@pytest.mark.parametrize(
    "ticket_id", ["2147483648", "99999999999999999999999", "9" * 5000, "²", "#-1"]
)
def test_ids_out_of_range_are_bad_ids(url: str, ticket_id: str) -> None:
    _refused(csm(url, "tickets", "show", ticket_id), "bad ticket id", "2147483647")
    _refused(csm(url, "tickets", "assign", ticket_id, "--to", "laura"), "bad ticket id")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("id:99999999999999999999999", "bad ticket id"),
        ("id:2147483648", "bad ticket id"),
        ("created:>99999999d", "too long"),
        ("created:<9999999999999999999w", "too long"),
        ("created:>9999-12-31", "created"),
        ("sla:due<99999999d", "too long"),
        (" ".join("ab"[i % 2] for i in range(999)), "too complex"),
    ],
    ids=["huge-id", "id-2^31", "99999999d", "huge-weeks", "year-9999", "sla-due", "999-words"],
)
def test_queries_out_of_range_are_usage_errors(url: str, query: str, says: str) -> None:
    result = csm(url, "tickets", "list", "--query", query)
    if says == "too complex" and result.exit_code == 0:
        return  # a store that can run it (PostgreSQL) may
    _refused(result, says)


def test_other_values_out_of_range(url: str, tmp_path: Path) -> None:
    _refused(csm(url, "report", "--until", "9999-12-31"), "out of range")
    _refused(csm(url, "report", "--since", "0001-01-01"), "out of range")
    _refused(
        csm(url, "sla", "set", "high", "--first-response", "142857143w", "--resolution", "8h"),
        "too long",
    )
    _refused(csm(url, "tickets", "list", "--limit", "9" * 5000))
    _refused(csm(url, "kb", "show", "9223372036854775808"), code=3)
    big = csm(url, "tickets", "note", "1331", "--body", "x", "--if-version", "9" * 30)
    _refused(big, code=big.exit_code if big.exit_code in (2, 4) else 2)
