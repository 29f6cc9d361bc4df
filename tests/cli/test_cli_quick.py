"""cli/quick.py: the plain `csm tickets list` runs without Typer and ends exactly as Typer's
command does (stdout, stderr, exit code), on the same command lines; anything it does not read
as Click would is left to Typer.  Both run here in this process, through their real entry
points (`cli.main.run`, `cli.app.run_app`), on the sample store, at one fixed `now`."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from csm_console.cli import app as app_module
from csm_console.cli import listing, main, quick
from tests.conftest import own_process_env, sample_url

NOW = datetime.now(UTC)


class _FixedNow(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return NOW


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("quick")
    environ = own_process_env(home, sample_url(home / "sample.db"))
    config = home / "views.toml"
    config.write_text('[[views]]\nname = "Open"\nquery = "status:open"\nsort = "-updated"\n')
    yield {**environ, "COLUMNS": "120", "VIEWS_FILE": str(config)}


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both paths list at the same `now` (the table's `3d ago` and SLA badges move with it)."""
    monkeypatch.setattr(listing, "datetime", _FixedNow)


def ended(entry: Any, args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `csm ARGS` run by `entry`, as a process would end."""
    with CliRunner().isolation(env=env) as (out, err, _):
        argv, sys.argv = sys.argv, ["csm", *args]
        code: Any = 0
        try:
            entry()
        except SystemExit as exit_:
            code = exit_.code
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        return code or 0, out.getvalue().decode(), err.getvalue().decode()


def assert_same(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """`csm ARGS` is a plain list, and ends as Typer's command ends."""
    assert quick.plain_list(args, env) is not None, args
    plain = ended(main.run, args, env)
    typers = ended(app_module.run_app, args, env)
    assert plain == typers, args
    return plain


PLAIN = [
    ["tickets", "list"],
    ["tickets", "list", "--limit", "20"],
    ["tickets", "list", "--limit=3", "--format", "json"],
    ["tickets", "list", "--limit", "5", "--format", "ndjson", "--fields", "id,tags,sla_state"],
    ["tickets", "list", "-q", "status:open,pending tag:billing", "--format", "csv"],
    ["tickets", "list", "--query", "-status:closed", "--sort", "-updated", "--limit", "4"],
    ["tickets", "list", "--query=priority:>=high sla:breached", "--format=ids"],
    ["tickets", "list", "--view", "Breaching SLA", "--limit", "3"],
    ["tickets", "list", "--view", "Unassigned", "--sort", "id", "--format", "ids"],
    ["tickets", "list", "--limit", "2", "--limit", "3", "--format", "ids"],  # the last wins
    ["tickets", "list", "--fields", "help"],
    ["tickets", "list", "--fields", "id,subject", "--limit", "3"],
    ["tickets", "list", "--query", "--help", "--limit", "3"],  # a value, as Click reads it
    ["tickets", "list", "--query="],
    ["--as", "olga", "tickets", "list", "--query", "assignee:me", "--format", "ids"],
    ["--theme", "csm-light", "--db=", "tickets", "list", "--limit", "1"],
    # errors: the message and the exit code of each
    ["tickets", "list", "--format", "bogus"],
    ["tickets", "list", "--fields", "id,nope"],
    ["tickets", "list", "--query", "status:bogus"],
    ["tickets", "list", "--query", '"unclosed'],
    ["tickets", "list", "--sort", "nope"],
    ["tickets", "list", "--view", "No such view"],
    ["--as", "nobody", "tickets", "list"],
    ["--db", "/nonexistent/dir/store.db", "tickets", "list"],
    ["--db", "mysql://x/y", "tickets", "list"],
    ["--config", "/nonexistent/config.toml", "tickets", "list"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_list_ends_as_typers_command_does(env: dict[str, str], args: list[str]) -> None:
    assert_same(args, env)


def test_the_plain_list_lists(env: dict[str, str]) -> None:
    code, out, err = assert_same(["tickets", "list", "--limit", "3", "--format", "ids"], env)
    assert (code, err) == (0, "") and len(out.split()) == 3
    code, out, err = assert_same(["tickets", "list", "--format", "bogus"], env)
    assert (code, out) == (2, "") and "unknown format 'bogus'" in err


def test_a_view_from_the_config_file(env: dict[str, str]) -> None:
    args = ["--config", env["VIEWS_FILE"], "tickets", "list", "--view", "Open"]
    code, out, _ = assert_same([*args, "--format", "ids"], env)
    assert code == 0 and out


TYPERS = [
    [],
    ["--version"],
    ["--help"],
    ["tickets"],
    ["tickets", "list", "--help"],
    ["tickets", "list", "-h"],
    ["tickets", "--help", "list"],
    ["tickets", "show", "1050"],
    ["tickets", "list", "extra"],
    ["tickets", "list", "--"],
    ["tickets", "list", "--limit"],
    ["tickets", "list", "--limit", "0"],
    ["tickets", "list", "--limit", "05"],
    ["tickets", "list", "--limit", "+5"],
    ["tickets", "list", "--limit", "1" * 19],
    ["tickets", "list", "-qstatus:open"],
    ["tickets", "list", "-q=status:open"],
    ["tickets", "list", "--nope", "x"],
    ["tickets", "list", "--version"],
    ["tickets", "list", "--db", "x"],
    ["--db", "tickets", "list"],
    ["--version", "tickets", "list"],
    ["--install-completion", "tickets", "list"],
    ["tickets", "lst"],
    ["tickets", "list", "b\udcffad"],
    ["-", "tickets", "list"],
]


@pytest.mark.parametrize("args", TYPERS, ids=" ".join)
def test_everything_else_is_typers(args: list[str]) -> None:
    assert quick.plain_list(args, {}) is None


def test_shell_completion_is_typers() -> None:
    assert quick.plain_list(["tickets", "list"], {}) is not None
    assert quick.plain_list(["tickets", "list"], {"_CSM_COMPLETE": "bash_complete"}) is None


def test_the_plain_options_are_the_commands_own() -> None:
    """quick.py's options are those of `csm` and `csm tickets list` that take one value, each
    with the command's default: a new option, or a changed default, fails here until quick.py
    learns it."""
    root = typer.main.get_command(app_module.app)
    group = app_module.load_command("tickets")
    command = group.get_command(typer.Context(group), "list")

    def valued(params: list[Any]) -> dict[str, Any]:
        found = {}
        for param in params:
            assert not param.envvar and not param.secondary_opts, param.name
            if not param.is_flag:
                assert param.nargs == 1 and not param.multiple, param.name
                found.update(dict.fromkeys(param.opts, param))
        return found

    roots = valued(root.params)
    assert set(roots) == set(quick.ROOT_OPTIONS)
    # each is handed to CliState as cli.app's callback hands it
    assert {name: roots[name].name for name in roots} == {
        "--db": "db",
        "--as": "as_agent",
        "--config": "config",
        "--theme": "theme",
    }
    assert {name: quick.ROOT_OPTIONS[name] for name in roots} == {
        "--db": "database_url",
        "--as": "agent",
        "--config": "config_file",
        "--theme": "theme",
    }
    assert all(param.default is None for param in roots.values())
    options = valued(command.params)
    assert set(options) == set(quick.LIST_OPTIONS)
    assert {name: param.name for name, param in options.items()} == quick.LIST_OPTIONS
    assert {p.name: p.default for p in options.values()} == quick.LIST_DEFAULTS
    limit = options["--limit"].type_descriptor.parameter_info
    assert (limit.min, limit.max) == (quick.LIMIT_MIN, None)
    # and each is a keyword of the list's body, which both run
    assert set(inspect.signature(listing.list_tickets).parameters) == {"st", *quick.LIST_DEFAULTS}


def test_the_plain_list_imports_no_typer(env: dict[str, str], tmp_path: Path) -> None:
    """What the plain list is for: it never imports Typer or Click (run in a fresh process)."""
    code = (
        "import sys\n"
        "sys.argv = ['csm', 'tickets', 'list', '--limit', '3']\n"
        "from csm_console.cli.main import run\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        "    print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    checkout = str(Path(__file__).resolve().parents[2])  # this checkout's csm_console
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": checkout},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    modules = set(done.stderr.split())
    assert "csm_console.services.ticket_list" in modules
    assert not {m for m in modules if m.split(".")[0] in {"typer", "click", "rich", "pydantic"}}
    assert len(done.stdout.splitlines()) == 4  # the header and three tickets


# Command lines made of the plain options (and some that are not), in every order.
VALUES = {
    "--db": ["", "/nonexistent/store.db"],
    "--as": ["olga", "nobody", ""],
    "--config": ["", "/nonexistent/config.toml"],
    "--theme": ["csm-light", ""],
    "--query": ["", "status:open", "-status:closed", "tag:vip priority:>=high", "((", "--limit"],
    "-q": ["assignee:none", "sla:breached status:bogus", "customer:olga"],
    "--view": ["", "All", "My tickets", "Unassigned", "Nope"],
    "--sort": ["", "-updated", "priority", "created", "nope"],
    "--limit": ["1", "3", "0", "-1", "05", "+2", " 3", "abc", "10"],
    "--format": ["table", "json", "ndjson", "csv", "ids", "bogus", ""],
    "--fields": ["", "help", "id,subject", "id,nope", "tags,sla_state,updated_at"],
}
OTHERS = ["--help", "-h", "--", "extra", "--version", "--nope", "-qopen", "-"]


def _option(name: str) -> st.SearchStrategy[list[str]]:
    def written(value: str, joined: bool) -> list[str]:
        return [f"{name}={value}"] if joined and name.startswith("--") else [name, value]

    return st.builds(written, st.sampled_from(VALUES[name]), st.booleans())


def _part(names: list[str]) -> st.SearchStrategy[list[str]]:
    option = st.sampled_from(names).flatmap(_option)
    one = st.one_of(option, option, option, st.sampled_from(OTHERS).map(lambda o: [o]))
    return st.lists(one, max_size=4).map(lambda parts: [arg for part in parts for arg in part])


command_lines = st.builds(
    lambda root, rest: [*root, "tickets", "list", *rest],
    _part(list(quick.ROOT_OPTIONS)),
    _part(list(quick.LIST_OPTIONS)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=command_lines)
def test_any_plain_list_ends_as_typers_command_does(env: dict[str, str], args: list[str]) -> None:
    if quick.plain_list(args, env) is not None:
        assert_same(args, env)
