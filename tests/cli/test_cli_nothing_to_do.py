"""'Nothing to do' is a normal end (exit 0, a line on stderr), never an error exit; a second undo
of a batch undoes nothing and makes no new batch id.  Both stores, through the CLI."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from csm_console.store.engine import Store
from csm_console.store.models import AuditEvent
from tests.services.test_transfer import csm
from tests.services.test_transfer import url as url  # the sample-store fixture


def _batch(stderr: str) -> str:
    return stderr.split("(batch ")[1].split(")")[0]


def _audit_rows(url: str) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
    finally:
        store.dispose()


def test_a_second_undo_is_nothing_to_do(url: str) -> None:
    moved = csm(url, "tickets", "assign", "1331", "--to", "laura")
    assert moved.exit_code == 0, moved.output
    batch = _batch(moved.stderr)
    first = csm(url, "tickets", "undo", batch)
    assert first.exit_code == 0, first.output
    assert first.stdout == "1331\n" and "(batch undo-" in first.stderr
    audit = _audit_rows(url)
    again = csm(url, "tickets", "undo", batch)
    assert (again.exit_code, again.stdout) == (0, "")
    assert again.stderr == f"nothing to undo: batch {batch} was already undone (1 ticket)\n"
    assert "undo-" not in again.output  # no new batch id
    assert _audit_rows(url) == audit


def test_an_undo_of_a_batch_partly_undone_and_partly_changed(url: str) -> None:
    moved = csm(url, "tickets", "assign", "1331", "1332", "--to", "laura")
    batch = _batch(moved.stderr)
    assert csm(url, "tickets", "undo", batch).exit_code == 0
    # one ticket moves on after the undo: a later undo leaves it and says so (exit 4)
    assert csm(url, "tickets", "assign", "1332", "--to", "janis").exit_code == 0
    again = csm(url, "tickets", "undo", batch)
    assert again.exit_code == 0 and again.stdout == ""
    assert "nothing to undo" in again.stderr and "undo-" not in again.output


def test_nothing_on_stdin_is_nothing_to_do(url: str) -> None:
    for args in (
        ("tickets", "assign", "-", "--to", "ivan"),
        ("tickets", "status", "-", "--set", "solved"),
        ("tickets", "tag", "-", "--add", "x"),
    ):
        result = csm(url, *args, stdin="")
        assert (result.exit_code, result.stdout) == (0, ""), (args, result.output)
        assert result.stderr == "nothing to do: no ticket ids on stdin\n", args


def test_a_bulk_change_with_everything_already_so_names_no_batch(url: str) -> None:
    assert csm(url, "tickets", "assign", "1331", "--to", "laura").exit_code == 0
    again = csm(url, "tickets", "assign", "1331", "--to", "laura")
    assert (again.exit_code, again.stdout) == (0, "")
    assert again.stderr == "assign to laura: 0 changed, 1 already so; nothing to do\n"


def test_an_empty_import_is_nothing_to_do(url: str, tmp_path: Path) -> None:
    empty = csm(url, "import", "tickets", "-", "--format", "ndjson", stdin="")
    assert (empty.exit_code, empty.stdout) == (0, ""), empty.output
    assert empty.stderr.startswith("nothing to do: no ticket records in ")
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "notes.txt").write_text("not markdown")
    articles = csm(url, "kb", "import", str(folder))
    assert (articles.exit_code, articles.stdout) == (0, ""), articles.output
    assert articles.stderr == "nothing to do: no Markdown files (*.md) to import\n"
