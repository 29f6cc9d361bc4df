"""`csm mail send`, `csm mail outbox list|retry|cancel`, `tickets reply --attach`,
`tickets create --send` and `customers set --no-surveys`, with a config file naming the
mailboxes and a real SMTP server process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, build_desk, make_sqlite_store
from tests.mail_support import message
from tests.smtp_support import free_port, smtp_server


def _setup(tmp_path: Path, smtp_url: str, extra: str = "") -> tuple[Cli, str]:
    store = make_sqlite_store(tmp_path / "desk.db")
    build_desk(store)
    store.dispose()
    config = tmp_path / "config.toml"
    config.write_text(
        f'smtp_url = "{smtp_url}"\n{extra}\n'
        '[[mailboxes]]\nname = "support"\naddresses = ["support@desk.example"]\n',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    cli = Cli(db=url, agent="olga", env={"CSM_CONFIG_FILE": str(config), "CSM_AGENT": ""})
    return cli, url


def _ticket(cli: Cli, email: str = "mara@example.lv") -> str:
    made = cli("tickets", "create", "--customer", email, "--subject", "Invoice", "--body", "Hi")
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


@pytest.mark.slow
def test_reply_with_files_then_send(tmp_path: Path) -> None:
    with smtp_server(tmp_path / "mx") as server:
        csm, _ = _setup(tmp_path, server.url)
        ticket = _ticket(csm)
        (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 report")
        (tmp_path / "notes.txt").write_text("notes", encoding="utf-8")
        done = csm(
            "tickets", "reply", ticket, "--body", "See the files",
            "--attach", str(tmp_path / "report.pdf"), "--attach", str(tmp_path / "notes.txt"),
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        listed = json.loads(csm("mail", "outbox", "list", "--format", "json").stdout)
        assert [(r["state"], r["kind"], r["attempts"]) for r in listed] == [("queued", "reply", 0)]
        sent = csm("mail", "send")
        assert sent.exit_code == 0, sent.output
        assert "1 sent" in sent.stderr
        (mail,) = server.messages()
        names = [p.get_filename() for p in mail.iter_attachments()]
        assert names == ["report.pdf", "notes.txt"]
        assert mail["Subject"] == f"Re: [#{ticket}] Invoice"
        again = csm("mail", "send")
        assert again.exit_code == 0 and "nothing to send" in again.stderr
        table = csm("mail", "outbox", "list")
        assert "sent" in table.stdout and "250 2.0.0 Ok" in table.stdout


def test_attachments_are_checked(tmp_path: Path) -> None:
    csm, _ = _setup(tmp_path, "smtp://127.0.0.1:1", extra="max_mail_size = 2048")
    ticket = _ticket(csm)
    (tmp_path / "big.bin").write_bytes(b"x" * 4096)
    big = csm("tickets", "reply", ticket, "--body", "x", "--attach", str(tmp_path / "big.bin"))
    assert big.exit_code == 2 and "max_mail_size" in big.stderr
    folder = csm("tickets", "reply", ticket, "--body", "x", "--attach", str(tmp_path))
    assert folder.exit_code == 2 and "directory" in folder.stderr
    assert csm("mail", "outbox", "list", "--format", "ids").stdout == ""


def test_a_server_that_is_down_exits_75_and_keeps_the_mail(tmp_path: Path) -> None:
    csm, _ = _setup(tmp_path, f"smtp://127.0.0.1:{free_port()}")
    ticket = _ticket(csm)
    assert csm("tickets", "reply", ticket, "--body", "Answer").exit_code == 0
    down = csm("mail", "send")
    assert down.exit_code == 75 and "connection refused" in down.stderr
    (row,) = json.loads(csm("mail", "outbox", "list", "--format", "json").stdout)
    assert row["state"] == "queued" and row["attempts"] == 1
    assert "connection refused" in row["server_reply"]


def test_no_smtp_url_is_a_clear_error(tmp_path: Path) -> None:
    _csm, url = _setup(tmp_path, "smtp://127.0.0.1:1")
    bare = Cli(db=url, agent="olga")
    assert bare("mail", "send").exit_code == 2
    assert "smtp_url" in bare("mail", "send").stderr
    bad, _ = _setup(tmp_path, "smtp://user:secret@127.0.0.1:1")
    refused = bad("mail", "send")
    assert refused.exit_code == 2 and "no password in the URL" in refused.stderr
    assert "secret" not in refused.output


def test_outbox_retry_and_cancel(tmp_path: Path) -> None:
    csm, _ = _setup(tmp_path, "smtp://127.0.0.1:1")
    ticket = _ticket(csm)
    csm("tickets", "reply", ticket, "--body", "one")
    csm("tickets", "reply", ticket, "--body", "two")
    ids = csm("mail", "outbox", "list", "--format", "ids").stdout.split()
    operator = csm("mail", "outbox", "cancel", ids[0])
    assert operator.exit_code == 5 and "lead or admin" in operator.stderr
    lead = Cli(db=csm.db, agent="anna", env=csm.env)
    cancelled = lead("mail", "outbox", "cancel", "-", stdin="\n".join(ids) + "\n")
    assert cancelled.exit_code == 0 and cancelled.stderr.count("cancelled") == 2
    twice = lead("mail", "outbox", "cancel", ids[0])
    assert twice.exit_code == 2 and "is cancelled" in twice.stderr
    assert lead("mail", "outbox", "retry", ids[0]).exit_code == 0
    states = csm("mail", "outbox", "list", "--state", "queued", "--format", "ids").stdout.split()
    assert states == [ids[0]]
    assert lead("mail", "outbox", "retry", "x1").exit_code == 2
    assert csm("mail", "outbox", "list", "--state", "lost").exit_code == 2


def test_proactive_create_and_survey_opt_out(tmp_path: Path) -> None:
    csm, _ = _setup(tmp_path, "smtp://127.0.0.1:1")
    made = csm(
        "tickets", "create", "--customer", "new@example.com", "--subject", "Your router",
        "--body", "We noticed a fault", "--send",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    (row,) = json.loads(csm("mail", "outbox", "list", "--format", "json").stdout)
    assert row["kind"] == "proactive" and row["subject"] == f"[#{made.stdout.strip()}] Your router"
    phone = csm(
        "tickets", "create", "--customer", "new@example.com", "--subject", "x", "--body", "y",
        "--channel", "phone", "--send",
    )  # fmt: skip
    assert phone.exit_code == 2
    opt = csm("customers", "set", "new@example.com", "--no-surveys")
    assert opt.exit_code == 0 and "no surveys" in opt.stderr
    card = json.loads(csm("customers", "show", "new@example.com", "--format", "json").stdout)
    assert card["no_surveys"] is True
    solved = csm("tickets", "status", made.stdout.strip(), "--set", "solved")
    assert solved.exit_code == 0, solved.output
    kinds = [
        r["kind"] for r in json.loads(csm("mail", "outbox", "list", "--format", "json").stdout)
    ]
    assert kinds == ["proactive"]
    assert csm("customers", "set", "new@example.com").exit_code == 2
    assert csm("customers", "set", "nobody@example.com", "--surveys").exit_code == 3


@pytest.mark.slow
def test_csm_smtp_url_overrides_the_file_and_the_answer_to_a_proactive_mail_threads_back(
    tmp_path: Path,
) -> None:
    """The config file names a port where nothing listens; CSM_SMTP_URL names the real server,
    so the mail goes out only if the environment wins.  The customer's answer (In-Reply-To
    the proactive mail, a subject without our tag) is a follow-up on the same ticket."""
    with smtp_server(tmp_path / "mx") as server:
        csm, _ = _setup(tmp_path, f"smtp://127.0.0.1:{free_port()}")
        csm = Cli(db=csm.db, agent="olga", env={**csm.env, "CSM_SMTP_URL": server.url})
        made = csm(
            "tickets", "create", "--customer", "new@example.com", "--subject", "Your router",
            "--body", "We noticed a fault", "--channel", "email", "--send",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        ticket = made.stdout.strip()
        sent = csm("mail", "send")
        assert sent.exit_code == 0 and "1 sent" in sent.stderr, sent.output
        (proactive,) = server.messages()
    assert proactive["To"] == "new@example.com" and proactive["Message-ID"]
    answer = message(
        sender="new@example.com",
        subject="Re: Your router",
        body="Thanks, it works again.",
        message_id="<answer-1@example.com>",
        in_reply_to=proactive["Message-ID"],
    )
    got = csm("mail", "receive", stdin=answer)
    assert (got.exit_code, got.stdout) == (0, f"#{ticket} follow-up\n"), got.output
    shown = json.loads(csm("tickets", "show", ticket, "--format", "json").stdout)
    assert shown["messages"][-1]["body"].startswith("Thanks, it works again.")


def test_the_outbox_list_is_safe_on_a_terminal(tmp_path: Path) -> None:
    """A server's answer and a recipient are outside text: no escape reaches the terminal."""
    from sqlalchemy import update

    from csm_console.store.engine import Store
    from csm_console.store.models import OutgoingMail

    csm, url = _setup(tmp_path, "smtp://127.0.0.1:1")
    ticket = _ticket(csm)
    assert csm("tickets", "reply", ticket, "--body", "x").exit_code == 0
    store = Store(url)
    with store.write() as session:
        session.execute(
            update(OutgoingMail).values(
                state="failed", server_reply="550 \x1b]52;c;ZXZpbA==\x07no \x1b[31mred\u202e"
            )
        )
    store.dispose()
    for fmt in ("table", "json", "ndjson", "csv"):
        shown = csm("mail", "outbox", "list", "--format", fmt)
        assert shown.exit_code == 0
        assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout
        assert "550" in shown.stdout
