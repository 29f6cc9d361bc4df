"""`csm dev mail-corpus`: the same seed writes the same files, and every message it writes is
taken in by `csm mail import`, its answers threaded to the tickets they answer."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from csm_console.store.models import MailReceipt, Message, OutgoingMail, Ticket
from tests.conftest import Cli, Desk

CONFIG = """
[[mailboxes]]
name = "support"
addresses = ["support@example.com"]
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "new").iterdir())}


def test_the_same_seed_writes_the_same_files(cli: Cli, tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = cli("dev", "mail-corpus", str(tmp_path / name), "--messages", "60")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("wrote 60 messages to ")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    other = cli("dev", "mail-corpus", str(tmp_path / "c"), "--messages", "60", "--seed", "2")
    assert other.exit_code == 0 and _files(tmp_path / "c") != _files(tmp_path / "a")


def test_a_file_in_the_way_is_refused(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    result = cli("dev", "mail-corpus", str(tmp_path / "taken"), "--messages", "5")
    assert result.exit_code == 2 and "not a folder" in result.stderr


def test_every_message_is_taken_in_and_answers_thread(cli: Cli, desk: Desk, tmp_path: Path) -> None:
    config = tmp_path / "csm.toml"
    config.write_text(CONFIG, "utf-8")
    mail_cli = Cli(db=None, env={**cli.env, "CSM_CONFIG_FILE": str(config)})
    written = cli("dev", "mail-corpus", str(tmp_path / "Maildir"), "--messages", "90")
    follow_ups = int(written.stdout.split(": ")[1].split(" follow-ups")[0])
    assert follow_ups > 10
    with desk.store.read() as session:
        before = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    result = mail_cli("mail", "import", str(tmp_path / "Maildir"), "--format", "json",
                      db=desk.store)  # fmt: skip
    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout)["outcomes"]
    assert outcomes == {"new": 90 - follow_ups, "follow-up": follow_ups}
    with desk.store.read() as session:
        tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        receipts = session.execute(select(func.count()).select_from(MailReceipt)).scalar_one()
        threaded = session.execute(
            select(func.count()).select_from(Message).where(Message.mail_id.is_not(None))
        ).scalar_one()
    assert (tickets - before, receipts, threaded) == (90 - follow_ups, 90, 90)


def test_an_import_acknowledges_only_when_asked(cli: Cli, desk: Desk, tmp_path: Path) -> None:
    config = tmp_path / "csm.toml"
    config.write_text(CONFIG, "utf-8")
    mail_cli = Cli(db=None, env={**cli.env, "CSM_CONFIG_FILE": str(config)})
    for name, seed in (("old", "1"), ("new", "2")):
        cli("dev", "mail-corpus", str(tmp_path / name), "--messages", "8", "--seed", seed)
    assert mail_cli("mail", "import", str(tmp_path / "old"), db=desk.store).exit_code == 0
    with desk.store.read() as session:
        assert session.execute(select(func.count()).select_from(OutgoingMail)).scalar_one() == 0
    asked = mail_cli("mail", "import", "--acknowledge", str(tmp_path / "new"), db=desk.store)
    assert asked.exit_code == 0, asked.output
    with desk.store.read() as session:
        kinds = set(session.execute(select(OutgoingMail.kind)).scalars())
        tickets = session.execute(
            select(func.count()).select_from(MailReceipt).where(MailReceipt.outcome == "new")
        ).scalar_one()
    assert kinds == {"ack"} and tickets > 8  # the second import's new tickets
