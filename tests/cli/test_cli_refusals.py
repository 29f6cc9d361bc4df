"""Refusals a new user met: each with its documented exit code and one line, on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services.test_transfer import csm, export
from tests.services.test_transfer import url as url  # the sample-store fixture


def test_undo_puts_back_assignments_only(url: str) -> None:
    tagged = csm(url, "tickets", "tag", "1331", "--add", "zzz", agent="admin")
    assert tagged.exit_code == 0, tagged.output
    batch = tagged.stderr.split("(batch ")[1].split(")")[0]
    refused = csm(url, "tickets", "undo", batch)
    assert refused.exit_code == 2
    assert "changed tags; undo puts back assignments only" in refused.stderr
    moved = csm(url, "tickets", "assign", "1331", "--to", "laura", agent="admin")
    batch = moved.stderr.split("(batch ")[1].split(")")[0]
    assert csm(url, "tickets", "undo", batch).exit_code == 0
    again = csm(url, "tickets", "undo", batch)
    assert again.exit_code == 0 and "nothing to undo" in again.stderr


def test_an_import_follows_the_status_workflow(url: str) -> None:
    record = json.loads(
        export(url, "--query", "status:closed", "--limit", "1", "--format", "ndjson")
    )
    record.update(status="open", solved_at=None)
    result = csm(url, "import", "tickets", "-", stdin=json.dumps(record))
    assert result.exit_code == 2
    assert "status: cannot change status closed → open; a closed ticket is final" in result.stderr


def test_a_list_csv_is_refused_once_for_its_header(url: str) -> None:
    listed = csm(url, "tickets", "list", "--format", "csv", "--limit", "5")
    result = csm(url, "import", "tickets", "-", "--format", "csv", stdin=listed.stdout)
    assert result.exit_code == 2
    assert result.stderr.count("unknown column") == 1
    assert "csm export tickets" in result.stderr


def test_small_refusals(url: str, tmp_path: Path) -> None:
    empty = csm(url, "tickets", "assign", "-", "--to", "ivan", stdin="")
    assert (empty.exit_code, empty.stderr.strip()) == (0, "nothing to do: no ticket ids on stdin")
    lead = csm(url, "agents", "deactivate", "ivan", agent="anna")
    assert lead.exit_code == 5 and "needs: admin" in lead.stderr
    operator = csm(url, "agents", "deactivate", "ivan", "--reassign-to", "janis", agent="demo")
    assert operator.exit_code == 5 and "needs: admin" in operator.stderr
    placeholder = csm(url, "tickets", "reply", "1331", "--body", "Hi {{ customer.first_name }}")
    assert placeholder.exit_code == 2 and "still has placeholders" in placeholder.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not a database, just text\n" * 100)
    broken = csm(f"sqlite:///{junk}", "tickets", "list")
    assert broken.exit_code == 6 and "file is not a database" in broken.stderr


@pytest.mark.parametrize("columns", ["40", "80"])
def test_a_narrow_table_keeps_whole_ids(
    url: str, columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = csm(url, "tickets", "list", "--limit", "5", "--format", "ids").stdout.split()
    from csm_console.cli import output

    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr(output, "out", output.LazyConsole()) if hasattr(
        output, "LazyConsole"
    ) else None
    table = csm(url, "tickets", "list", "--limit", "5")
    assert [line.split()[0] for line in table.stdout.splitlines()[1:]] == ids
