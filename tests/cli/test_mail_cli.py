"""`csm mail receive`, `csm mail import` and `csm mail quarantine ...`: output (one line, JSON),
exit codes, limits, files in date order, re-runs, sanitised customer text."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from csm_console.store.models import Message, Quarantine, Ticket
from tests.conftest import Cli, Desk
from tests.mail_support import message

CONFIG = """
max_mail_size = {limit}

[[mailboxes]]
name = "support"
addresses = ["support@desk.example"]
team = "Frontline South"
priority = "high"

[[mailboxes]]
name = "sales"
addresses = ["sales@desk.example"]
"""


@pytest.fixture
def mail_cli(cli: Cli, desk: Desk, tmp_path: Path) -> Cli:
    """`csm` on the desk's store, with two mailboxes configured."""
    config = tmp_path / "csm.toml"
    config.write_text(CONFIG.format(limit=8192), "utf-8")
    return Cli(db=None, env={**cli.env, "CSM_CONFIG_FILE": str(config)})


def _subjects(desk: Desk) -> list[str]:
    with desk.store.read() as session:
        return list(session.execute(select(Ticket.subject).order_by(Ticket.id)).scalars())


def test_receive_prints_one_line_and_a_duplicate_is_safe(mail_cli: Cli, desk: Desk) -> None:
    result = mail_cli("mail", "receive", db=desk.store, stdin=message())
    assert (result.exit_code, result.stdout) == (0, "#1 new\n"), result.output
    again = mail_cli("mail", "receive", "--format", "json", db=desk.store, stdin=message())
    assert again.exit_code == 0
    payload = json.loads(again.stdout)
    assert payload["outcome"] == "duplicate" and payload["ticket_id"] == 1
    assert payload["line"] == "duplicate of #1" and payload["first_outcome"] == "new"
    with desk.store.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None and ticket.mailbox == "support"  # by its To address


def test_receive_into_a_named_mailbox(mail_cli: Cli, desk: Desk) -> None:
    result = mail_cli("mail", "receive", "--mailbox", "sales", db=desk.store, stdin=message())
    assert result.exit_code == 0, result.output
    with desk.store.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None and ticket.mailbox == "sales"


def test_receive_an_unknown_mailbox_is_a_temporary_failure(mail_cli: Cli, desk: Desk) -> None:
    result = mail_cli("mail", "receive", "--mailbox", "nope", db=desk.store, stdin=message())
    assert result.exit_code == 75
    assert "no mailbox named 'nope'" in result.stderr and "support, sales" in result.stderr
    assert _subjects(desk) == []


def test_receive_quarantines_too_large_and_refuses_empty_input(mail_cli: Cli, desk: Desk) -> None:
    big = message(body="z" * 300_000)  # past the limit and the header-sized head read with it
    result = mail_cli("mail", "receive", db=desk.store, stdin=big)
    assert result.exit_code == 0, result.output  # kept: the mail server does not bounce it
    assert result.stdout.startswith(f"quarantined Q1: too large: {len(big)} bytes")
    assert "the body was not kept" in result.stdout and "still on the server" not in result.stdout
    with desk.store.read() as session:
        row = session.get(Quarantine, 1)
        assert row is not None and row.size == len(big)  # counted to the end
        assert b"zzz" not in row.raw and row.raw.startswith(b"From:")  # the header alone
        assert row.subject
    again = mail_cli("mail", "receive", db=desk.store, stdin=big)  # delivered twice: once held
    assert again.exit_code == 0 and again.stdout == "duplicate of Q1 (quarantined)\n", again.output
    empty = mail_cli("mail", "receive", db=desk.store, stdin=b"")
    assert empty.exit_code == 2 and "stdin is empty" in empty.stderr
    assert _subjects(desk) == []


def _configured(cli: Cli, tmp_path: Path, settings: str) -> Cli:
    """`csm` with a config file of `settings` and the support mailbox."""
    config = tmp_path / "configured.toml"
    config.write_text(settings + "\n" + CONFIG.format(limit=1_000_000), "utf-8")
    return Cli(db=None, env={**cli.env, "CSM_CONFIG_FILE": str(config)})


def test_a_custom_mail_tag_prefix_threads_incoming_mail(
    cli: Cli, desk: Desk, tmp_path: Path
) -> None:
    """`mail_tag_prefix` from the config file: a follow-up with no In-Reply-To or References
    is found by `[ACME-1]` in its subject; the default `[#1]` is no tag here."""
    csm = _configured(cli, tmp_path, 'mail_tag_prefix = "ACME-"')
    first = csm("mail", "receive", db=desk.store, stdin=message())
    assert first.stdout == "#1 new\n", first.output
    tagged = message(subject="Re: [ACME-1] Router broken", message_id="<m2@cust.example>")
    again = csm("mail", "receive", db=desk.store, stdin=tagged)
    assert again.stdout == "#1 follow-up\n", again.output
    default = message(subject="Re: [#1] Router broken", message_id="<m3@cust.example>")
    other = csm("mail", "receive", db=desk.store, stdin=default)
    assert other.stdout == "#2 new\n", other.output


def _plain(body: bytes, message_id: str) -> bytes:
    """A message whose 8-bit body declares no charset."""
    return (
        b"From: Anna <anna@cust.example>\r\nTo: support@desk.example\r\nSubject: Help\r\n"
        b"Message-ID: " + message_id.encode() + b"\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


def _first_body(desk: Desk, ticket_id: int) -> str:
    with desk.store.read() as session:
        return (
            session.execute(
                select(Message.body).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
            .scalars()
            .first()
            or ""
        )


@pytest.mark.parametrize(
    ("charsets", "text", "codec"),
    [
        ('["windows-1257"]', "Labdien! Maršrutētājs nedarbojas, lūdzu palīdziet.", "cp1257"),
        ('["koi8-r"]', "Здравствуйте! Роутер не работает, помогите пожалуйста.", "koi8-r"),
    ],
)
def test_mail_charsets_from_the_config_file_decode_a_body_without_charset(
    cli: Cli, desk: Desk, tmp_path: Path, charsets: str, text: str, codec: str
) -> None:
    """The decoder tries the configured list (`mail_charsets`) for 8-bit text that declares no
    charset; a list without the sender's charset does not read the same text."""
    raw = text.encode(codec)
    right = _configured(cli, tmp_path, f"mail_charsets = {charsets}")
    got = right("mail", "receive", db=desk.store, stdin=_plain(raw, "<c1@cust.example>"))
    assert got.stdout == "#1 new\n", got.output
    assert _first_body(desk, 1).strip() == text
    wrong = _configured(cli, tmp_path, 'mail_charsets = ["iso-8859-5"]')
    other = wrong("mail", "receive", db=desk.store, stdin=_plain(raw, "<c2@cust.example>"))
    assert other.exit_code == 0, other.output
    assert text not in _first_body(desk, int(other.stdout.split()[0].lstrip("#")))


def test_receive_quarantines_and_prints_sanitised(mail_cli: Cli, desk: Desk) -> None:
    raw = b"Subject: \x1b]0;owned\x07[red]hi\r\n\r\nbody"
    result = mail_cli("mail", "receive", db=desk.store, stdin=raw)
    assert result.exit_code == 0
    assert result.stdout == "quarantined Q1: no usable sender (From)\n"
    listed = mail_cli("mail", "quarantine", "list", db=desk.store)
    assert listed.exit_code == 0 and "Q1" in listed.stdout and "\x1b" not in listed.stdout
    assert "[red]hi" in listed.stdout  # shown as text, never as markup
    shown = mail_cli("mail", "quarantine", "show", "Q1", db=desk.store)
    assert shown.exit_code == 0
    assert "reason: no usable sender (From)" in shown.stdout and "\x1b" not in shown.stdout
    assert "\x07" not in shown.stdout
    as_json = json.loads(mail_cli("mail", "quarantine", "show", "1", "--format", "json",
                                  db=desk.store).stdout)  # fmt: skip
    assert as_json["id"] == 1 and as_json["size"] == len(raw)
    [subject] = [value for name, value in as_json["headers"] if name == "Subject"]
    assert "[red]hi" in subject and "\x1b" not in subject and "\x07" not in subject
    raw_out = mail_cli("mail", "quarantine", "show", "Q1", "--raw", db=desk.store)
    assert raw_out.exit_code == 0 and raw_out.stdout_bytes == raw  # to a pipe: the bytes
    assert mail_cli("mail", "quarantine", "show", "Q9", db=desk.store).exit_code == 3


def test_quarantine_retry_and_drop(mail_cli: Cli, desk: Desk, tmp_path: Path) -> None:
    big = message(body="q" * 5000)  # over 4096, under the configured 8192
    # a message over the limit reaches the quarantine from a source that does not cap it
    from csm_console.domain.mail import MailSettings
    from csm_console.services.mail_intake import take_in

    held = take_in(desk.store, big, mail=MailSettings(max_message=4096), mailbox=None)
    assert held.quarantine_id == 1
    junk = mail_cli("mail", "receive", db=desk.store, stdin=b"no headers at all")
    assert junk.stdout.startswith("quarantined Q2")
    ids = mail_cli("mail", "quarantine", "list", "--format", "ids", db=desk.store)
    assert ids.stdout == "Q2\nQ1\n"
    refused = mail_cli("mail", "quarantine", "retry", "Q1", db=desk.store, agent="anna")
    assert refused.exit_code == 5 and "needs: admin" in refused.stderr
    retried = mail_cli("mail", "quarantine", "retry", "--all", db=desk.store, agent="root")
    assert retried.exit_code == 0, retried.output
    assert retried.stdout.splitlines() == [
        "Q1: #1 new",
        "Q2: quarantined Q2: no usable sender (From)",
    ]
    dropped = mail_cli("mail", "quarantine", "drop", "Q2", db=desk.store, agent="root")
    assert (dropped.exit_code, dropped.stdout) == (0, "Q2 dropped\n")
    assert mail_cli("mail", "quarantine", "list", db=desk.store).stdout.startswith(
        "the quarantine holds nothing"
    )
    every = mail_cli("mail", "quarantine", "list", "--state", "all", "--format", "json",
                     db=desk.store)  # fmt: skip
    assert [(r["id"], r["state"]) for r in json.loads(every.stdout)] == [
        (2, "dropped"),
        (1, "released"),
    ]
    again = mail_cli("mail", "quarantine", "drop", "Q2", db=desk.store, agent="root")
    assert again.exit_code == 2 and "only held messages" in again.stderr
    nothing = mail_cli("mail", "quarantine", "retry", "--all", db=desk.store, agent="root")
    assert nothing.exit_code == 0 and "no message to retry" in nothing.stderr
    bad = mail_cli("mail", "quarantine", "retry", "X1", db=desk.store, agent="root")
    assert bad.exit_code == 2 and "bad quarantine id" in bad.stderr


T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _write_sources(tmp_path: Path) -> list[str]:
    """A Maildir, an mbox and an .eml, whose messages' dates interleave."""
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(
        message(subject="day 3", message_id="<d3@x>", date=T0 + timedelta(days=3))
    )
    (maildir / "cur" / "2.eml:2,S").write_bytes(
        message(subject="day 0", message_id="<d0@x>", date=T0)
    )
    (maildir / "tmp" / "partial").write_bytes(b"From: half a delivery")
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for day in (4, 1):
        box.add(message(subject=f"day {day}", message_id=f"<d{day}@x>",
                        date=T0 + timedelta(days=day)))  # fmt: skip
    box.close()
    eml = tmp_path / "one.eml"
    eml.write_bytes(message(subject="day 2", message_id="<d2@x>", date=T0 + timedelta(days=2)))
    return [str(maildir), str(tmp_path / "archive.mbox"), str(eml)]


def test_import_takes_files_in_date_order_and_a_rerun_adds_nothing(
    mail_cli: Cli, desk: Desk, tmp_path: Path
) -> None:
    paths = _write_sources(tmp_path)
    result = mail_cli("mail", "import", *paths, db=desk.store)
    assert result.exit_code == 0, result.output
    assert result.stdout == "5 messages: 5 new\n"
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert _subjects(desk) == ["day 0", "day 1", "day 2", "day 3", "day 4"]
    again = mail_cli("mail", "import", *paths, "--format", "json", db=desk.store)
    assert again.exit_code == 0
    summary = json.loads(again.stdout)
    assert (summary["total"], summary["outcomes"]) == (5, {"duplicate": 5})
    assert len(_subjects(desk)) == 5


def test_import_skips_what_is_too_large_names_it_and_takes_the_rest(
    mail_cli: Cli, desk: Desk, tmp_path: Path
) -> None:
    (tmp_path / "big.eml").write_bytes(message(body="b" * 9000, message_id="<big@x>"))
    (tmp_path / "bad.eml").write_bytes(b"not a mail at all")
    (tmp_path / "ok.eml").write_bytes(message(message_id="<ok@x>"))
    (tmp_path / "empty.eml").write_bytes(b"")
    paths = [str(tmp_path / n) for n in ("big.eml", "bad.eml", "ok.eml", "empty.eml")]
    result = mail_cli("mail", "import", *paths, db=desk.store)
    assert result.exit_code == 2
    assert result.stdout == "4 messages: 1 new, 1 quarantined, 2 skipped\n"
    assert "empty.eml: skipped: an empty file" in result.stderr
    assert "big.eml: skipped: too large: " in result.stderr
    assert "bad.eml: quarantined Q1: no usable sender (From)" in result.stderr
    assert "2 of 4 messages were skipped" in result.stderr


def test_import_refuses_what_is_not_mail(mail_cli: Cli, desk: Desk, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    for args, expected in (
        ([str(tmp_path / "missing")], "no such file or folder"),
        ([str(tmp_path / "folder")], "not a Maildir"),
        (["/dev/null"], "not a regular file"),
    ):
        result = mail_cli("mail", "import", *args, db=desk.store)
        assert result.exit_code == 2 and expected in result.stderr, result.output
    empty = tmp_path / "empty"
    for part in ("cur", "new"):
        (empty / part).mkdir(parents=True)
    nothing = mail_cli("mail", "import", str(empty), db=desk.store)
    assert nothing.exit_code == 0 and "no messages in" in nothing.stderr


def test_receive_and_import_need_a_store_and_say_so(mail_cli: Cli, tmp_path: Path) -> None:
    missing = str(tmp_path / "none.db")
    result = mail_cli("mail", "receive", db=missing, stdin=message())
    assert result.exit_code == 75 and "nothing was written" in result.stderr
    assert not Path(missing).exists()
    imported = mail_cli("mail", "import", str(tmp_path), db=missing)
    assert imported.exit_code == 6


def test_a_quarantined_message_is_kept_whole(mail_cli: Cli, desk: Desk) -> None:
    raw = b"From: <>\r\nSubject: x\r\n\r\n" + bytes(range(256)) * 4
    assert mail_cli("mail", "receive", db=desk.store, stdin=raw).exit_code == 0
    with desk.store.read() as session:
        [row] = session.execute(select(Quarantine)).scalars()
        assert row.raw == raw
