"""`csm mail fetch` against a real IMAP server: the summary, the formats, the exit codes, and a
password that never shows up anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, Desk
from tests.mailservers import PASSWORD, ImapServer, free_port, message

pytestmark = pytest.mark.slow


def config(tmp_path: Path, *entries: str) -> str:
    path = tmp_path / "csm.toml"
    path.write_text("".join(entries))
    return str(path)


def fetch(cli: Cli, desk: Desk, cfg: str, *args: str, password: str = PASSWORD) -> object:
    return cli(
        "--config", cfg, "mail", "fetch", *args, db=desk.store,
        env={"CSM_TEST_IMAP_PASSWORD": password},
    )  # fmt: skip


def test_fetch_prints_a_summary_by_outcome(
    cli: Cli, desk: Desk, imap_server: ImapServer, tmp_path: Path
) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1), message(2))
    cfg = config(tmp_path, imap_server.mailbox_toml("support", folder))
    result = fetch(cli, desk, cfg)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert result.stdout == f"support ({folder}): 2 taken in: 2 new\n"  # type: ignore[attr-defined]
    again = fetch(cli, desk, cfg, "--format", "json")
    assert again.exit_code == 0  # type: ignore[attr-defined]
    assert json.loads(again.stdout) == [  # type: ignore[attr-defined]
        {
            "mailbox": "support",
            "folder": folder,
            "taken": 0,
            "waiting": 0,
            "counts": {},
            "rescanned": False,
            "notes": [],
            "error": None,
        }
    ]
    shown = cli("--config", cfg, "config", "show", env={"CSM_TEST_IMAP_PASSWORD": PASSWORD})
    assert f"support {imap_server.url()} {folder}" in shown.stdout
    for output in (result.output, again.output, shown.output):  # type: ignore[attr-defined]
        assert PASSWORD not in output


def test_only_the_named_mailbox(
    cli: Cli, desk: Desk, imap_server: ImapServer, tmp_path: Path
) -> None:
    one, two = imap_server.new_folder(), imap_server.new_folder()
    imap_server.append(one, message(1))
    imap_server.append(two, message(2))
    cfg = config(
        tmp_path,
        imap_server.mailbox_toml("one", one),
        imap_server.mailbox_toml("two", two),
        '[[mailboxes]]\nname = "paper"\naddresses = ["paper@desk.test"]\n',  # no imap_url
    )
    result = fetch(cli, desk, cfg, "--mailbox", "two")
    assert result.exit_code == 0 and result.stdout == f"two ({two}): 1 taken in: 1 new\n"  # type: ignore[attr-defined]
    both = fetch(cli, desk, cfg)
    assert both.stdout.splitlines() == [
        f"one ({one}): 1 taken in: 1 new",
        f"two ({two}): nothing new",
    ]  # type: ignore[attr-defined]
    unknown = fetch(cli, desk, cfg, "--mailbox", "nope")
    assert unknown.exit_code == 2 and "no mailbox named 'nope'" in unknown.stderr  # type: ignore[attr-defined]
    paper = fetch(cli, desk, cfg, "--mailbox", "paper")
    assert paper.exit_code == 2 and "no imap_url" in paper.stderr  # type: ignore[attr-defined]


def test_a_wrong_password_is_a_clear_error_without_the_password(
    cli: Cli, desk: Desk, imap_server: ImapServer, tmp_path: Path
) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1))
    cfg = config(tmp_path, imap_server.mailbox_toml("support", folder))
    wrong = "Wr0ng-Secret-Pw"
    result = fetch(cli, desk, cfg, password=wrong)
    assert result.exit_code == 8  # type: ignore[attr-defined]
    assert "mailbox support" in result.stderr and "login refused" in result.stderr  # type: ignore[attr-defined]
    assert wrong not in result.output and PASSWORD not in result.output  # type: ignore[attr-defined]
    assert imap_server.flags(folder) and not any(imap_server.flags(folder).values())
    missing = cli(
        "--config", cfg, "mail", "fetch", db=desk.store, env={"CSM_TEST_IMAP_PASSWORD": ""}
    )
    assert missing.exit_code == 2 and "CSM_TEST_IMAP_PASSWORD" in missing.stderr


def test_a_server_that_is_down(cli: Cli, desk: Desk, tmp_path: Path) -> None:
    port = free_port()  # nobody listens there
    cfg = config(
        tmp_path,
        '[[mailboxes]]\nname = "support"\naddresses = ["support@desk.test"]\n'
        f'imap_url = "imap://support@127.0.0.1:{port}"\npassword_env = "CSM_TEST_IMAP_PASSWORD"\n',
    )
    result = fetch(cli, desk, cfg)
    assert result.exit_code == 8, result.output  # type: ignore[attr-defined]
    assert "cannot connect: connection refused" in result.stderr  # type: ignore[attr-defined]
    assert result.stdout.startswith("support (INBOX): failed")  # type: ignore[attr-defined]


def test_an_untrusted_certificate_is_refused(
    cli: Cli, desk: Desk, imap_server: ImapServer, tmp_path: Path
) -> None:
    """Certificate checks are on: without the test CA the self-signed server is refused."""
    folder = imap_server.new_folder()
    url = imap_server.url().split("&cafile=")[0]
    cfg = config(
        tmp_path,
        f'[[mailboxes]]\nname = "support"\naddresses = ["support@desk.test"]\nimap_url = "{url}"\n'
        f'folder = "{folder}"\npassword_env = "CSM_TEST_IMAP_PASSWORD"\n',
    )
    result = fetch(cli, desk, cfg)
    assert result.exit_code == 8  # type: ignore[attr-defined]
    assert "certificate" in result.stderr  # type: ignore[attr-defined]


def test_no_mailbox_with_imap(cli: Cli, desk: Desk, tmp_path: Path) -> None:
    cfg = config(tmp_path, '[[mailboxes]]\nname = "paper"\naddresses = ["paper@desk.test"]\n')
    result = fetch(cli, desk, cfg)
    assert result.exit_code == 2 and "no mailbox has an imap_url" in result.stderr  # type: ignore[attr-defined]


def test_a_locked_store_stops_the_fetch_and_the_next_one_takes_the_mail(
    cli: Cli, imap_server: ImapServer, tmp_path: Path
) -> None:
    """Another process holds the SQLite write lock past the busy timeout: exit 6, the message
    stays unflagged on the server and `last_uid` unmoved; the next fetch takes it in."""
    import sqlite3

    from tests.conftest import build_desk, make_sqlite_store

    store = make_sqlite_store(tmp_path / "locked.db")
    build_desk(store)
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1, subject="While locked"))
    cfg = config(tmp_path, imap_server.mailbox_toml("support", folder))
    env = {"CSM_TEST_IMAP_PASSWORD": PASSWORD}
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        result = cli("--config", cfg, "mail", "fetch", db=store, env=env)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert result.exit_code == 6, result.output
    assert "locked" in result.stderr and "the next fetch takes the rest" in result.stderr
    assert not any(imap_server.flags(folder).values())
    again = cli("--config", cfg, "mail", "fetch", db=store, env=env)
    assert again.exit_code == 0 and again.stdout == f"support ({folder}): 1 taken in: 1 new\n"
    store.dispose()


def test_a_bad_setting_in_any_mailbox_stops_before_fetching(
    cli: Cli, desk: Desk, imap_server: ImapServer, tmp_path: Path
) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1))
    cfg = config(
        tmp_path,
        imap_server.mailbox_toml("first", folder),
        imap_server.mailbox_toml("second", folder, password_env="CSM_TEST_UNSET_PASSWORD"),
    )
    result = fetch(cli, desk, cfg)
    assert result.exit_code == 2 and "CSM_TEST_UNSET_PASSWORD" in result.stderr  # type: ignore[attr-defined]
    assert not any(imap_server.flags(folder).values())  # the first one was not fetched either
