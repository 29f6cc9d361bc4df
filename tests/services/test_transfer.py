"""`csm import tickets` and `csm export tickets`: the record format, all-or-nothing imports,
upserts by external id, and exports that re-import as they are, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from csm_console.domain.model import Priority, Status
from csm_console.domain.ticket_record import (
    EXPORT_FIELDS,
    READ_ONLY,
    WRITABLE,
    RawRecord,
    RecordProblem,
    check_records,
    detect_format,
    read_records,
    validate,
)
from csm_console.store.engine import Store
from csm_console.store.models import metadata
from tests.conftest import ROOT, STORE_KINDS, Cli, run_csm, sample_url, start_csm

# --- the record format (pure) ---------------------------------------------------------------------


def _raw(**data: Any) -> RawRecord:
    base = {"subject": "Router", "body": "It blinks", "customer_email": "a@b.example"}
    return RawRecord("line 1", {**base, **data})


def test_export_fields_are_the_writable_and_read_only_ones() -> None:
    assert set(EXPORT_FIELDS) == set(WRITABLE) | set(READ_ONLY)
    assert len(EXPORT_FIELDS) == len(set(EXPORT_FIELDS))


def test_a_record_is_checked_field_by_field() -> None:
    record = validate(
        _raw(
            priority="High",
            status="solved",
            tier="2",
            tags="Billing Issue; vip",
            created_at="2026-11-01T09:00:00",
            solved_at="2026-11-01T10:00:00Z",
            customer_email=" Ann@Example.COM ",
            channel="phone",
        )
    )
    assert record.priority is Priority.HIGH
    assert record.status is Status.SOLVED
    assert record.tags == ("billing-issue", "vip")
    assert record.created_at == datetime(2026, 11, 1, 9, tzinfo=UTC)  # no offset: UTC
    assert record.customer_email == "ann@example.com"
    assert record.tier is not None and record.tier.value == "L2"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"subjet": "typo"}, "subjet", "unknown field; valid: external_id, subject"),
        ({"body": None}, "body", "required"),
        ({"body": "   "}, "body", "the message body is empty"),
        ({"priority": "hgh"}, "priority", "unknown priority 'hgh'; valid: low, normal"),
        ({"status": "done"}, "status", "unknown status 'done'"),
        ({"customer_email": "nobody"}, "customer_email", "bad e-mail 'nobody'"),
        ({"created_at": "yesterday"}, "created_at", "not an ISO 8601 time"),
        ({"tags": {"a": 1}}, "tags", "expected a list of tags"),
        ({"subject": ["a"]}, "subject", "expected text, got a list"),
        ({"subject": "x" * 501}, "subject", "too long (501 characters; at most 500)"),
        ({"external_id": "a\x00b"}, "external_id", "printable"),
        (
            {"created_at": "2026-11-02T00:00:00Z", "solved_at": "2026-11-01T00:00:00Z"},
            "solved_at",
            "earlier than created_at",
        ),
        ({"status": "open", "solved_at": "2026-11-01T00:00:00Z"}, "solved_at", "status open"),
    ],
)
def test_bad_fields_are_named(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(RecordProblem) as caught:
        validate(_raw(**data))
    assert caught.value.where == "line 1"
    assert caught.value.field == field
    assert message in caught.value.message


def test_read_only_export_fields_are_accepted_and_ignored() -> None:
    record = validate(_raw(id=5, version=9, updated_at="garbage"))
    assert record.subject == "Router"


def test_csv_lines_count_quoted_newlines_and_empty_cells_mean_not_given() -> None:
    data = (
        b"subject,body,customer_email,priority\r\n"
        b'One,"two\nlines",a@b.example,\r\n'
        b"Two,body,a@b.example,urgentish\r\n"
    )
    records, problems = check_records(read_records(data, "csv"))
    assert [r.priority for r in records] == [None]
    assert [str(p) for p in problems] == [
        "line 4: priority: unknown priority 'urgentish'; valid: low, normal, high, urgent"
    ]


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"subject,body\nA,B,C\n", "csv", "line 2: 3 cells where the header has 2 columns"),
        (b"subject,subject\n1,2\n", "csv", "line 1: repeated column subject"),
        (b"subjet,body\n1,2\n", "csv", "line 1: unknown column subjet; valid: external_id"),
        (b'{"subject": "x"}\n{oops\n', "ndjson", "line 2: not valid JSON"),
        (b"[1]", "json", "record [0]: not an object"),
        (b'{"a": 1}', "json", "line 1: a .json file holds an array"),
        (b'ok\n"\xc3\x28"\n', "csv", "line 2: not valid UTF-8 (byte 0xc3 at column 2)"),
        (b'[{"a":\n 1,\n "b": }]', "json", "line 3: not valid JSON"),
    ],
)
def test_malformed_files_name_the_line(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(RecordProblem) as caught:
        list(read_records(data, fmt))
    assert str(caught.value).startswith(message)


def test_an_external_id_given_twice_is_refused_with_both_places() -> None:
    lines = [
        json.dumps({"subject": "s", "body": "b", "customer_email": "a@b.example", "external_id": e})
        for e in ("X-1", "X-2", "X-1")
    ]
    _, problems = check_records(read_records("\n".join(lines).encode(), "ndjson"))
    assert [str(p) for p in problems] == ["line 3: external_id: 'X-1' repeats line 1"]


def test_format_from_name_then_content_and_bom_is_dropped() -> None:
    assert detect_format("x.JSONL", b"") == "ndjson"
    assert detect_format("x.csv", b"[") == "csv"
    assert detect_format(None, b"\xef\xbb\xbf  [{") == "json"
    assert detect_format("-", b'{"a": 1}') == "ndjson"
    assert detect_format(None, b"subject,body") == "csv"
    bom = "\ufeffsubject,body,customer_email\nS,B,a@b.example\n".encode()
    assert [r.data["subject"] for r in read_records(bom, "csv")] == ["S"]


# --- on a store, through the CLI ----------------------------------------------------------------


@pytest.fixture(params=STORE_KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sample_url(tmp_path / "a.db", request.param, request, "transfera")


csm = Cli(agent="admin").on


def export(url: str, *args: str) -> str:
    result = csm(url, "export", "tickets", *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: 'exactly as it was' means exactly."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables
            }
    finally:
        store.dispose()


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv --raw"])
def test_an_export_reimported_into_its_own_store_changes_nothing(url: str, fmt: str) -> None:
    before = snapshot(url)
    fmt, *raw = fmt.split()
    text = export(url, "--format", fmt, *raw)
    result = csm(url, "import", "tickets", "-", "--format", fmt, *raw, stdin=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # nothing created or updated
    assert "342 records: 0 created, 0 updated, 342 unchanged" in result.stderr
    assert snapshot(url) == before


def test_a_default_csv_export_reimports_with_control_characters_dropped(url: str) -> None:
    """The default CSV is sanitised (for spreadsheets and terminals): importing it back changes
    only the tickets whose text carried control characters (an escape sequence, a bidi
    override), and the import undoes the formula defusing."""
    text = export(url, "--format", "csv")
    assert "\x1b" not in text and "\u202e" not in text
    result = csm(url, "import", "tickets", "-", "--format", "csv", stdin=text)
    assert result.exit_code == 0, result.output
    assert "342 records: 0 created, 2 updated, 340 unchanged" in result.stderr
    assert result.stdout.split() == ["1026", "1312"]  # the ESC[31m log and the RLO file name


def test_an_edited_export_updates_only_what_changed(url: str) -> None:
    rows = list(csv.DictReader(io.StringIO(export(url, "--format", "csv", "--sort", "id"))))
    edited = rows[:3]
    edited[0]["priority"] = "low" if edited[0]["priority"] != "low" else "high"
    edited[1]["tags"] = "moved;reviewed"
    edited[1]["subject"] = "Новая тема: счёт"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(edited)
    result = csm(url, "import", "tickets", "-", "--json", stdin=out.getvalue())
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 1)
    assert [r["changed"] for r in report["records"]] == [["priority"], ["subject", "tags"], []]
    first = _show(url, int(edited[0]["id"]))
    assert first["ticket"]["priority"] == edited[0]["priority"]
    assert first["ticket"]["version"] == int(edited[0]["version"]) + 1
    audit = first["audit"][-1]
    assert (audit["action"], audit["field"], audit["batch_id"]) == (
        "import",
        "priority",
        report["batch_id"],
    )
    second = _show(url, int(edited[1]["id"]))
    assert second["ticket"]["tags"] == ["moved", "reviewed"]
    search = csm(url, "tickets", "list", "--query", "счет", "--format", "ids")
    assert edited[1]["id"] in search.stdout.split()  # the search text follows the subject
    again = csm(url, "import", "tickets", "-", "--json", stdin=out.getvalue())
    assert json.loads(again.stdout)["unchanged"] == 3


def _show(url: str, ticket_id: int) -> dict[str, Any]:
    result = csm(url, "tickets", "show", str(ticket_id), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_an_export_moves_to_another_store_and_keeps_its_identity(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Export history from store A, import into store B (same teams and agents): B's tickets
    match A's field for field, carry A's names as external ids, and a second import into B
    updates nothing."""
    a = sample_url(tmp_path / "a.db", kind, request, "transfera")
    b = sample_url(tmp_path / "b.db", kind, request, "transferb")
    text = export(a, "--query", "status:solved,closed", "--format", "ndjson")
    original = [json.loads(line) for line in text.splitlines()]
    assert len(original) > 200
    result = csm(b, "import", "tickets", "-", stdin=text)
    assert result.exit_code == 0, result.output
    new_ids = [int(x) for x in result.stdout.split()]
    assert len(new_ids) == len(original)
    copied = {
        r["external_id"]: r
        for r in map(json.loads, export(b, "--format", "ndjson").splitlines())
        if r["id"] in set(new_ids)
    }
    for record in original:
        copy = copied[record["external_id"]]
        for field in EXPORT_FIELDS:
            if field not in ("id", "version", "updated_at"):
                assert copy[field] == record[field], (field, record["id"])
    again = csm(b, "import", "tickets", "-", stdin=text)
    assert f"0 created, 0 updated, {len(original)} unchanged" in again.stderr


def test_one_bad_record_leaves_the_store_exactly_as_it_was(url: str) -> None:
    good = [
        {
            "subject": f"Imported {n}",
            "body": "Body",
            "customer_email": f"new{n}@example.com",
            "external_id": f"ZD-{n}",
            "tags": ["import"],
        }
        for n in range(300)
    ]
    before = snapshot(url)
    for bad, message in [
        ({"priority": "hgh"}, "record [299]: priority: unknown priority 'hgh'"),
        ({"team": "Nobody"}, "record [299]: team: no team named 'Nobody'"),
        ({"assignee": "elina"}, "record [299]: assignee: elina is inactive"),
        ({"assignee": "sergey", "tier": "L1"}, "record [299]: assignee: sergey works L2"),
    ]:
        records = [*good[:-1], {**good[-1], **bad}]
        result = csm(url, "import", "tickets", "-", "--format", "json", stdin=json.dumps(records))
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert "nothing was imported" in result.stderr
        assert result.stdout == ""
        assert snapshot(url) == before


def test_many_problems_are_all_listed_up_to_a_cap(url: str) -> None:
    lines = ["subject,body,customer_email"] + [f"S{n},,c{n}@x.example" for n in range(25)]
    result = csm(url, "import", "tickets", "-", "--format", "csv", stdin="\n".join(lines))
    assert result.exit_code == 2
    listed = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert listed[:2] == ["line 2: body: required", "line 3: body: required"]
    assert len(listed) == 20
    assert "... and 5 more" in result.stderr
    assert "csm: 25 problems in stdin; nothing was imported" in result.stderr


def test_new_records_create_tickets_and_customers_and_upsert_by_external_id(url: str) -> None:
    record = {
        "external_id": "FORM-77",
        "subject": "Rēķins par novembri",
        "body": "Labdien, kur ir mans rēķins?",
        "customer_email": "Ilze@Example.LV",
        "customer_name": "Ilze Ozola",
        "channel": "web",
        "priority": "high",
        "tags": "Billing;Invoice",
        "team": "Frontline",
        "assignee": "janis",
        "created_at": "2026-11-20T08:00:00+02:00",
    }
    result = csm(url, "import", "tickets", "-", "--format", "ndjson", stdin=json.dumps(record))
    assert result.exit_code == 0, result.output
    (ticket_id,) = map(int, result.stdout.split())
    shown = _show(url, ticket_id)
    t = shown["ticket"]
    assert (t["external_id"], t["status"], t["assignee"], t["team"], t["tier"]) == (
        "FORM-77",
        "open",  # assigned on arrival, as `tickets assign` would leave it
        "janis",
        "Frontline",
        "L1",
    )
    assert t["created_at"] == "2026-11-20T06:00:00+00:00"
    assert t["tags"] == ["billing", "invoice"]
    assert shown["customer"]["email"] == "ilze@example.lv"
    assert shown["customer"]["language"] == "lv"
    assert shown["messages"][0]["body"] == record["body"]
    assert shown["audit"][0]["action"] == "create"
    again = csm(url, "import", "tickets", "-", stdin=json.dumps({**record, "status": "solved"}))
    assert again.exit_code == 0, again.output
    assert again.stdout.split() == [str(ticket_id)]
    solved = _show(url, ticket_id)["ticket"]
    assert (solved["status"], solved["version"]) == ("solved", t["version"] + 1)
    assert solved["solved_at"] is not None


def test_dry_run_reports_and_writes_nothing(url: str) -> None:
    text = export(url, "--format", "ndjson", "--limit", "5")
    lines = [json.loads(line) for line in text.splitlines()]
    lines[0]["priority"] = "low" if lines[0]["priority"] != "low" else "urgent"
    lines.append({"subject": "New", "body": "B", "customer_email": "dry@run.example"})
    payload = "\n".join(json.dumps(line) for line in lines)
    before = snapshot(url)
    result = csm(url, "import", "tickets", "-", "--dry-run", "--json", stdin=payload)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 4)
    assert report["dry_run"] is True and report["batch_id"] is None
    assert report["records"][-1]["ticket_id"] is None
    assert "would import 6 records" in result.stderr and "nothing was written" in result.stderr
    assert snapshot(url) == before


def test_import_rights(url: str) -> None:
    record = {"subject": "S", "body": "B", "customer_email": "r@x.example"}
    refused = csm(url, "import", "tickets", "-", agent="demo", stdin=json.dumps(record))
    assert refused.exit_code == 5
    assert "demo (operator, L1, Frontline) may not make bulk changes" in refused.stderr
    elsewhere = {**record, "team": "Technical"}
    refused = csm(url, "import", "tickets", "-", agent="anna", stdin=json.dumps(elsewhere))
    assert refused.exit_code == 5
    assert "may import only into team Frontline, not Technical" in refused.stderr
    own = csm(url, "import", "tickets", "-", agent="anna", stdin=json.dumps(record))
    assert own.exit_code == 0, own.output
    assert _show(url, int(own.stdout))["ticket"]["team"] == "Frontline"


def test_import_errors_and_exit_codes(url: str, tmp_path: Path) -> None:
    missing = csm(url, "import", "tickets", str(tmp_path / "nope.csv"))
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        f"csm: no such file: {tmp_path}/nope.csv",
    )
    empty = csm(url, "import", "tickets", "-", "--format", "csv", stdin="subject,body\n")
    assert (empty.exit_code, empty.stderr.strip()) == (
        0,
        "nothing to do: no ticket records in stdin",
    )
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("subject,body,customer_email\nCaf\xe9,b,a@b.example\n".encode("latin-1"))
    bad = csm(url, "import", "tickets", str(binary))
    assert bad.exit_code == 2
    assert "line 2: not valid UTF-8 (byte 0xe9 at column 4)" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    wrong = csm(url, "import", "tickets", "-", "--format", "xml", stdin="")
    assert wrong.exit_code == 2 and "unknown format 'xml'" in wrong.stderr


def test_export_to_a_file_picks_the_format_from_the_name(url: str, tmp_path: Path) -> None:
    target = tmp_path / "open.csv"
    result = csm(url, "export", "tickets", "--query", "status:open", "-o", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows and all(r["status"] == "open" for r in rows)
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert f"exported {len(rows)} tickets to {target}" in result.stderr
    assert not list(tmp_path.glob(".*partial"))
    unwritable = csm(url, "export", "tickets", "-o", str(tmp_path / "no" / "dir.json"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr


def test_export_pages_keep_order_and_count(url: str) -> None:
    from csm_console.domain.query import Sort, parse_query
    from csm_console.services.transfer import iter_export

    store = Store(url)
    try:
        paged = [
            r["id"]
            for r in iter_export(
                store, actor=None, query=parse_query(""), sort=Sort.parse("id"), page_size=7
            )
        ]
    finally:
        store.dispose()
    assert paged == sorted(paged) and len(paged) == len(set(paged)) == 342


@pytest.mark.slow  # starts processes
def test_export_into_import_as_real_processes(url: str) -> None:
    """`csm export tickets | csm import tickets -`: two processes, a pipe, on both stores."""
    env = {"CSM_DATABASE_URL": url, "CSM_AGENT": "admin"}
    exporter = start_csm(
        "export", "tickets", "--format", "csv", "--raw", add_env=env, cwd=ROOT, text=False
    )
    importer = run_csm(
        *("import", "tickets", "-", "--raw"),
        stdin=exporter.stdout,
        add_env=env,
        cwd=ROOT,
        timeout=120,
        text=False,
    )
    assert exporter.stdout is not None
    exporter.stdout.close()
    assert exporter.wait(timeout=60) == 0
    assert importer.returncode == 0, importer.stderr
    assert b"0 created, 0 updated, 342 unchanged" in importer.stderr
