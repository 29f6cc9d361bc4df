"""The `csm` command line through Typer's runner, and as a real process where streams matter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csm_console.store import migrate
from tests.conftest import Cli, run_csm


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("csm ")


def test_init_then_generate_then_summary(cli: Cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    result = cli("--db", db, "init")
    assert result.exit_code == 0, result.output
    assert f"schema empty → {migrate.HEAD}" in result.stderr
    result = cli("--db", db, "dev", "generate", "--tickets", "300", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "generated 300 tickets" in result.stdout
    result = cli("--db", db, "init", "--format", "json")
    summary = json.loads(result.stdout)
    assert summary["tickets"] == 300 and summary["messages"] >= 300
    assert sum(summary["by_status"].values()) == 300
    assert f"schema already at {migrate.HEAD}" in result.stderr


def test_store_without_schema_says_run_init(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = cli("--db", f"sqlite:///{missing}", "dev", "generate", "--tickets", "1")
    assert result.exit_code == 6
    assert "there is no store at" in result.stderr and "run `csm init`" in result.stderr
    assert not missing.exists()  # reading never creates a store
    empty = tmp_path / "empty.db"
    empty.touch()
    result = cli("--db", f"sqlite:///{empty}", "dev", "generate", "--tickets", "1")
    assert result.exit_code == 6
    assert result.stderr.strip().endswith("run `csm init` to create it")
    assert "Traceback" not in result.output


def test_unreachable_server_exit_6_without_password(cli: Cli) -> None:
    result = cli("--db", "postgresql://olga:s3cret@127.0.0.1:1/csm", "db", "current")
    assert result.exit_code == 6
    assert "s3cret" not in result.output and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_url_exit_2(cli: Cli) -> None:
    result = cli("--db", "mysql://root:pw@localhost/x", "db", "current")
    assert result.exit_code == 2
    assert "unsupported store" in result.stderr and ":pw@" not in result.stderr


def test_config_layers_and_sources(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "csm.toml"
    config.write_text(
        'database_url = "postgresql://lead:hunter2@db.example/csm"\nagent = "anna"\n'
        '[keymap]\nqueue_next = "n"\n[[views]]\nname = "VIP"\nquery = "segment:vip"\n',
        encoding="utf-8",
    )
    result = cli("--config", str(config), "config", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["database_url"]["value"] == "postgresql://lead:***@db.example/csm"
    assert shown["database_url"]["source"] == f"config file {config}"
    assert shown["agent"] == {"value": "anna", "source": f"config file {config}"}
    assert shown["views"]["value"] == "VIP"
    assert "hunter2" not in result.output
    olga = {"CSM_AGENT": "olga"}
    shown = json.loads(
        cli("--config", str(config), "config", "show", "--format", "json", env=olga).stdout
    )
    assert shown["agent"] == {"value": "olga", "source": "environment CSM_AGENT"}
    shown = json.loads(
        cli(
            "--config", str(config), "--as", "ivan", "config", "show", "--format", "json", env=olga
        ).stdout
    )
    assert shown["agent"] == {"value": "ivan", "source": "flag --as"}
    from_env = {"CSM_CONFIG_FILE": str(config)}
    shown = json.loads(cli("config", "show", "--format", "json", env=from_env).stdout)
    assert shown["agent"]["value"] == "anna"


def test_defaults_come_from_the_user_dirs(cli: Cli, tmp_path: Path) -> None:
    result = cli("config", "show")
    assert result.exit_code == 0
    assert f"sqlite:///{tmp_path / 'data' / 'csm.db'}" in result.stdout
    assert "(default)" in result.stdout
    paths = cli("config", "path").stdout
    assert "demo store" in paths and str(tmp_path / "data" / "demo.db") in paths


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("database_url = [", "not valid TOML"),
        ('databse_url = "x"', "databse_url: Extra inputs are not permitted"),
        ("[[views]]\nquery = 'x'", "views.0.name"),
    ],
)
def test_bad_config_is_one_clear_line(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content, encoding="utf-8")
    result = cli("--config", str(config), "config", "show")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_missing_explicit_config_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("--config", str(tmp_path / "nope.toml"), "config", "show")
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.slow  # starts processes
def test_real_process_streams_and_exit_code(cli: Cli, tmp_path: Path) -> None:
    """Diagnostics go to stderr, data to stdout, and a user error has no traceback."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    ok = run_csm("init", db=db, add_env=cli.env, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("store ") and "schema empty" in ok.stderr
    bad = run_csm(
        *("dev", "generate", "--tickets", "1"),
        db=f"sqlite:///{tmp_path / 'none.db'}",
        add_env=cli.env,
        timeout=60,
    )
    assert bad.returncode == 6 and bad.stdout == ""
    assert bad.stderr.startswith("csm: ") and "Traceback" not in bad.stderr


def test_demo_creates_its_own_sample_store_once(cli: Cli, tmp_path: Path) -> None:
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "data" / "demo.db").exists()
    assert "creating the demo store" in first.stderr
    assert "tickets 342" in first.stdout
    again = cli("demo")
    assert again.exit_code == 0 and "creating" not in again.stderr
    assert "tickets 342" in again.stdout
    assert not (tmp_path / "data" / "csm.db").exists()  # never mixes with the real store
