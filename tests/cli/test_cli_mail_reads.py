"""`csm tickets show` (json and text), `tickets attachments` and `tickets attachment save` on an
e-mail ticket, both stores: what each message is, hostile file names, `-o`, `--force`."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from csm_console.domain.mail_words import save_name
from tests.conftest import NOW, Cli, Desk
from tests.hostile import hostile_cases
from tests.mail_tickets import PDF, PNG, File, Outgoing, add_mail, mail_ticket

CUSTOMER = "liga@example.lv"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE_NAMES = [
    "../../outside.txt",
    "/etc/passwd",
    "..",
    "-rf",
    ".bashrc",
    "invoice\u202efdp.exe",
    "report\x1b]52;c;cm0gLXJmIH4=\x07.pdf",
    "a\x01b\x07c.txt",  # (PostgreSQL refuses NUL in text: no store can hold one)
    "ж" * 250 + ".pdf",  # 254 characters (the column's 255), 504 bytes
    *(case["text"].replace("\x00", "")[:200] for case in hostile_cases()),
]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory of its own (the store lives beside it)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def mail(desk: Desk) -> tuple[Cli, Desk, int]:
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    return (
        Cli(agent="olga", db=desk.store.url.render_as_string(hide_password=False)),
        desk,
        ticket_id,
    )


def test_show_json_lists_what_each_message_is(mail: tuple[Cli, Desk, int]) -> None:
    csm, _, ticket_id = mail
    result = csm("tickets", "show", str(ticket_id), "--format", "json")
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)["messages"]
    first, failed, bounce, sent, auto, answer = messages
    assert first["message_id"] == f"first.{ticket_id}@example.lv"
    assert (first["sender"], first["flags"], first["attachments"], first["delivery"]) == (
        CUSTOMER,
        [],
        [],
        None,
    )
    assert {"id", "author_kind", "author", "internal", "body", "created_at"} <= set(first)
    assert failed["delivery"]["state"] == "failed" and failed["delivery"]["attempts"] == 3
    assert failed["delivery"]["server_reply"].startswith("550 5.1.1")
    assert sent["delivery"]["state"] == "sent" and sent["delivery"]["sent_at"]
    assert bounce["flags"] == ["bounce"] and auto["flags"] == ["auto-reply"]
    assert answer["attachments"][0] == {
        "number": 1,
        "name": "statement.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "sha256": answer["attachments"][0]["sha256"],
        "inline": False,
    }
    assert len(answer["attachments"][0]["sha256"]) == 64
    assert answer["attachments"][1]["inline"] is True


def test_show_text_says_it_readably(mail: tuple[Cli, Desk, int]) -> None:
    csm, _, ticket_id = mail
    result = csm("tickets", "show", str(ticket_id))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"from {CUSTOMER} · Message-ID <answer.{ticket_id}@example.lv>" in text
    assert "delivery ✗ failed after 3 attempts: 550 5.1.1" in text
    assert "delivery ✓ sent after 1 attempt: 250 2.0.0 Ok" in text
    assert "↺ auto-reply" in text and "↯ bounce" in text
    assert f"attachment [1] statement.pdf ({len(PDF)} B, application/pdf)" in text
    assert "attachment [2] screen.png" in text and "image/png, inline)" in text


def test_attachments_lists_them_numbered(mail: tuple[Cli, Desk, int]) -> None:
    csm, desk, ticket_id = mail
    table = csm("tickets", "attachments", f"#{ticket_id}")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["N", "message", "from", "name", "size", "type"]
    assert (
        lines[1].split()[0] == "1" and "statement.pdf" in lines[1] and "application/pdf" in lines[1]
    )
    assert lines[2].split()[0] == "2" and "screen.png" in lines[2]
    records = json.loads(csm("tickets", "attachments", str(ticket_id), "--format", "json").stdout)
    assert [(r["number"], r["name"], r["size"]) for r in records] == [
        (1, "statement.pdf", len(PDF)),
        (2, "screen.png", len(PNG)),
    ]
    assert records[0]["from"] == CUSTOMER and records[0]["message"] > 0
    csv_out = csm("tickets", "attachments", str(ticket_id), "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "number,message,from,name,size,content_type,sha256"
    other = Cli(agent="olga").on(desk.store, "tickets", "create", "--customer", "x@example.lv",
                                 "--subject", "s", "--body", "b")  # fmt: skip
    none = csm("tickets", "attachments", other.stdout.strip())
    assert none.exit_code == 0 and "has no attachments" in none.stdout
    missing = csm("tickets", "attachments", "999999")
    assert missing.exit_code == 3 and "not found" in missing.stderr


def test_save_writes_the_bytes_under_the_name_here(mail: tuple[Cli, Desk, int], here: Path) -> None:
    csm, _, ticket_id = mail
    tmp_path = here
    saved = csm("tickets", "attachment", "save", str(ticket_id), "1")
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "statement.pdf\n"
    assert (tmp_path / "statement.pdf").read_bytes() == PDF
    assert os.stat(tmp_path / "statement.pdf").st_mode & 0o777 == 0o600
    assert "saved attachment 1 of" in saved.stderr
    again = csm("tickets", "attachment", "save", str(ticket_id), "1")
    assert again.exit_code == 2 and "exists; add --force" in again.stderr
    (tmp_path / "statement.pdf").write_bytes(b"mine")
    forced = csm("tickets", "attachment", "save", str(ticket_id), "1", "--force")
    assert forced.exit_code == 0 and (tmp_path / "statement.pdf").read_bytes() == PDF
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statement.pdf"]  # no partial left


def test_save_to_a_path_or_stdout(mail: tuple[Cli, Desk, int], here: Path) -> None:
    csm, _, ticket_id = mail
    tmp_path = here
    (tmp_path / "sub").mkdir()
    saved = csm("tickets", "attachment", "save", str(ticket_id), "2", "-o", "sub/shot.png")
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == "sub/shot.png\n" and (tmp_path / "sub/shot.png").read_bytes() == PNG
    into_dir = csm("tickets", "attachment", "save", str(ticket_id), "2", "-o", "sub")
    assert into_dir.exit_code == 2 and "is a directory" in into_dir.stderr
    nowhere = csm("tickets", "attachment", "save", str(ticket_id), "2", "-o", "nope/x.png")
    assert nowhere.exit_code == 2 and "cannot write nope/x.png" in nowhere.stderr
    piped = csm("tickets", "attachment", "save", str(ticket_id), "1", "-o", "-")
    assert piped.exit_code == 0 and piped.stdout_bytes == PDF
    bad = csm("tickets", "attachment", "save", str(ticket_id), "3")
    assert bad.exit_code == 2 and "N is 1 to 2" in bad.stderr
    zero = csm("tickets", "attachment", "save", str(ticket_id), "0")
    assert zero.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_save_never_follows_a_symlink_at_the_name(
    mail: tuple[Cli, Desk, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csm, _, ticket_id = mail
    work = tmp_path / "work"
    work.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (work / "statement.pdf").symlink_to(victim)
    monkeypatch.chdir(work)
    refused = csm("tickets", "attachment", "save", str(ticket_id), "1")
    assert refused.exit_code == 2 and "exists" in refused.stderr
    forced = csm("tickets", "attachment", "save", str(ticket_id), "1", "--force")
    assert forced.exit_code == 0, forced.output
    assert victim.read_text() == "precious"  # the link was replaced, not written through
    assert not (work / "statement.pdf").is_symlink()
    assert (work / "statement.pdf").read_bytes() == PDF


def test_hostile_file_names_are_shown_sanitised_and_saved_here(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names as another client of the database could have stored them: every output is free of
    control and bidi characters, and every save lands in the current directory."""
    ticket_id = mail_ticket(desk.store, actor=desk.olga, now=NOW, customer=CUSTOMER)
    add_mail(
        desk.store,
        ticket_id,
        body="files",
        at=NOW + timedelta(hours=1),
        sender=CUSTOMER,
        files=tuple(
            File(name, "application/octet-stream", bytes([i]) * (i + 1))
            for i, name in enumerate(HOSTILE_NAMES)
        ),
    )
    for number, case in enumerate(HOSTILE_NAMES[9:]):  # the shared cases: address, id, answer
        add_mail(
            desk.store,
            ticket_id,
            body=case,
            at=NOW + timedelta(hours=2, minutes=number),
            author_kind="agent",
            agent="olga",
            mail_id=f"{case[:100]}.{number}@x",
            sender=case[:250],
            flags=f"auto-reply {case[:40]}",
            outgoing=Outgoing("failed", 1, case),
        )
    csm = Cli(agent="olga", db=desk.store.url.render_as_string(hide_password=False))
    for args in (
        ("tickets", "attachments", str(ticket_id)),
        ("tickets", "attachments", str(ticket_id), "--format", "csv"),
        ("tickets", "show", str(ticket_id)),
    ):
        result = csm(*args)
        assert result.exit_code == 0, result.output
        assert not UNSAFE.search(result.stdout), args
    show = csm("tickets", "show", str(ticket_id)).stdout
    assert "from [@click=app.quit]Click to see your refund[/]" in show  # shown, literally
    assert "delivery ✗ failed after 1 attempt: [@click=app.quit]Click" in show
    for args in (
        ("tickets", "attachments", str(ticket_id), "--format", "json"),
        ("tickets", "show", str(ticket_id), "--format", "json"),
    ):
        result = csm(*args)
        assert result.exit_code == 0 and not UNSAFE.search(result.stdout), args
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = {p.name for p in tmp_path.iterdir()}
    for i, name in enumerate(HOSTILE_NAMES):
        number = str(i + 3)  # after the thread's two
        saved = csm("tickets", "attachment", "save", str(ticket_id), number)
        if saved.exit_code == 2 and "exists" in saved.stderr:
            continue  # two names that sanitise alike: the second is refused, not merged
        assert saved.exit_code == 0, (name, saved.output)
        written = saved.stdout.rstrip("\n")
        assert written == save_name(name) and "/" not in written
        assert not UNSAFE.search(written) and not UNSAFE.search(saved.stderr)
        assert len(written.encode()) <= 200 and not written.startswith((".", "-"))
        assert (work / written).read_bytes() == bytes([i]) * (i + 1)
    assert {p.name for p in tmp_path.iterdir()} == before  # nothing outside
    assert all(p.is_file() and p.parent == work for p in work.iterdir())
