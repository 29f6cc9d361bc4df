"""Store URLs: a plain file path for --db, relative SQLite paths named as the file they mean,
and a password never printed, whatever form it takes (`config show`, connection errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csm_console.store.engine import mask_url, parse_store_url
from tests.conftest import Cli


def test_a_plain_file_path_is_a_sqlite_store(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "desk files" / "desk.db"  # a space, and a folder not there yet
    made = cli("--db", str(store), "init")
    assert made.exit_code == 0, made.output
    assert store.is_file()
    shown = cli("--db", str(store), "db", "current")
    assert shown.exit_code == 0, shown.output
    assert f"sqlite:///{store}" in shown.stdout


def test_a_relative_path_means_the_current_directory(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("--db", "here.db", "init").exit_code == 0
    assert (tmp_path / "here.db").is_file()
    shown = cli("--db", "here.db", "config", "show", "--format", "json")
    assert json.loads(shown.stdout)["database_url"]["value"] == f"sqlite:///{tmp_path}/here.db"


def test_a_missing_store_names_the_file_meant(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # three slashes: a path relative to the current directory, which is rarely what was meant
    result = cli("--db", "sqlite:///home/me/desk.db", "tickets", "list")
    assert result.exit_code == 6
    message = result.stderr
    assert f"there is no store at {tmp_path}/home/me/desk.db" in message
    assert "relative" in message and "sqlite:////home/me/desk.db" in message
    plain = cli("--db", str(tmp_path / "nope.db"), "tickets", "list")
    assert plain.exit_code == 6
    assert f"there is no store at {tmp_path}/nope.db" in plain.stderr
    assert "relative" not in plain.stderr
    current = cli("--db", "nope.db", "db", "current")  # reads: makes no store either
    assert current.exit_code == 6 and "there is no store at" in current.stderr
    assert not (tmp_path / "home").exists() and not (tmp_path / "nope.db").exists()


SECRET_URLS = [
    "postgresql://olga@127.0.0.1:1/csm?password=s3cretpw",
    "postgresql://olga@127.0.0.1:1/csm?sslmode=prefer&sslpassword=s3cretpw",
    "postgresql://olga:s3cr@tpw@127.0.0.1:1/csm",  # an unescaped @ in the password
    "postgresql://olga:p@ss:s3cretpw@127.0.0.1:1/csm",
    "postgres://olga:s3cretpw@127.0.0.1:1/csm",
    "postgresql+psycopg://olga:s3cretpw@127.0.0.1:1/csm",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_config_show_masks_every_form_of_password(cli: Cli, url: str) -> None:
    for fmt in ("table", "json"):
        shown = cli("--db", url, "config", "show", "--format", fmt)
        assert shown.exit_code == 0, shown.output
        assert "s3cr" not in shown.output and "tpw" not in shown.output, shown.output
        assert "***" in shown.output


@pytest.mark.parametrize("url", SECRET_URLS)
def test_connection_errors_mask_every_form_of_password(cli: Cli, url: str) -> None:
    result = cli("--db", url, "db", "current")
    assert result.exit_code == 6, result.output
    assert "s3cr" not in result.output and "tpw" not in result.output, result.output
    assert "127.0.0.1" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://olga:s3cretpw@127.0.0.1:notaport/csm", "port"),
        ("postgresql://olga:s3cretpw@127.0.0.1:99999/csm", "port"),
        ("postgresql://olga:s3cretpw@127.0.0.1:1/csm?bogus=1&password=s3cretpw", "bogus"),
        ("mysql://root:s3cretpw@localhost/x", "unsupported store"),
        ("postgresql+asyncpg://olga:s3cretpw@h/x", "driver"),
        ("sqlite+foo:///x.db", "driver"),
        ("   ", "empty"),
        ("postgresql://olga:s3cretpw@/csm\x00x", "URL"),
    ],
)
def test_bad_urls_are_usage_errors_without_the_password(cli: Cli, url: str, says: str) -> None:
    result = cli("--db", url, "db", "current")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("csm: ") and says in result.stderr, result.stderr
    assert "s3cr" not in result.output and "Traceback" not in result.output


def test_mask_url_forms() -> None:
    assert mask_url("postgresql://u:p@ss@h:5432/db?Password=x&a=1") == (
        "postgresql://u:***@h:5432/db?Password=***&a=1"
    )
    assert mask_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert mask_url("not a url :// u:pw@x@y") == "not a url :// u:***@y"
    parsed = parse_store_url("postgresql://u:p@ss:w@rd@h:5/db")
    assert (parsed.username, parsed.password, parsed.host, parsed.port) == (
        "u",
        "p@ss:w@rd",
        "h",
        5,
    )


def test_a_tilde_of_no_user_is_a_path_as_written(cli: Cli) -> None:
    for args in (["--db", "~nobody-here/x.db"], ["--config", "~nobody-here/c.toml"]):
        result = cli(*args, "config", "show")
        assert result.exit_code in (0, 2), result.output
        assert "unexpected error" not in result.output
