"""Commands that do not open the console never import Textual (and stay light to start).

Each command runs in a fresh interpreter, as `csm` does, and reports the modules it imported on
exit.  These are correctness checks, not timings: `benchmarks/bench_cli.py` measures the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import own_process_env, sample_url

pytestmark = pytest.mark.slow  # starts processes

# Runs `csm ARGS...` and writes the names of the modules it imported to stderr at exit.
RUN_CSM = """\
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv[0] = "csm"
from csm_console.cli.main import run
run()
"""


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("startup")
    yield own_process_env(home, sample_url(home / "sample.db"))


def imported_by(env: dict[str, str], *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_CSM, *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the command printed nothing"
    line = done.stderr.rsplit("\nMODULES ", 1)[1]
    return set(line.split())


def textual_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m == "textual" or m.startswith("textual."))


@pytest.mark.parametrize(
    "args",
    [
        ["tickets", "list", "--limit", "20"],
        ["tickets", "list", "--limit", "20", "--format", "json"],
        ["tickets", "list", "--query", "status:open", "--format", "ids"],
        ["tickets", "show", "1050"],
        ["config", "show"],
        ["mail", "quarantine", "list"],
        ["mail", "outbox", "list"],
        ["--version"],
    ],
    ids=" ".join,
)
def test_commands_without_the_console_never_import_textual(
    sample_env: dict[str, str], args: list[str]
) -> None:
    modules = imported_by(sample_env, *args)
    assert not textual_modules(modules), textual_modules(modules)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "ids"])
def test_machine_formats_do_not_import_rich(sample_env: dict[str, str], fmt: str) -> None:
    """Rich is for tables: data formats are written without it (it is built on first use)."""
    modules = imported_by(sample_env, "tickets", "list", "--limit", "5", "--format", fmt)
    assert "rich" not in modules


# What listing tickets never loads (package names; their submodules too): the console, the
# migrations, the ORM and the SQLModel classes (the list reads in SQLAlchemy Core through
# services.ticket_list, store.tables), the ticket reads and writes that do, the agents' reads
# (no agent is named here), the mail services and channels, the template engine, Rich's
# progress bars, test-only packages, and the PostgreSQL driver on a SQLite store; pydantic
# (Typer's option adapters: cli/params.py coerces csm's plain options), the modules of the
# other `csm tickets` commands (cli.app's _LazyGroup builds only the one used), and Rich
# (not on a terminal, the table of narrow text is written by cli/plain_table.py); and, these
# being plain forms of the list, Typer and its Click, the Typer app and the command modules
# (cli/quick.py); the records other than the queue's row (services.ticket_row), the views
# (no --view here), the business-hours calendars (the list counts no clock) and the
# quoted-history parser (domain.text's language guess).
NOT_FOR_A_LIST = (
    "csm_console.domain.calendar",
    "csm_console.domain.quoted",
    "typer",
    "click",
    "csm_console.cli.app",
    "csm_console.cli.tickets_cmd",
    "csm_console.services.records",
    "csm_console.services.views",
    "pydantic",
    "pydantic_core",
    "rich",
    "csm_console.cli.ticket_mail",
    "csm_console.cli.ticket_macro",
    "csm_console.config_file",
    "textual",
    "alembic",
    "sqlmodel",
    "sqlalchemy.orm",
    "csm_console.store.models",
    "csm_console.services.ticket_reads",
    "csm_console.services.tickets",
    "csm_console.services.ticket_core",
    "csm_console.services.agents",
    "csm_console.services.mail_reads",
    "csm_console.services.mail_intake",
    "csm_console.services.mail_send",
    "csm_console.services.outbox",
    "csm_console.channels",
    "jinja2",
    "rich.progress",
    "hypothesis",
    "psycopg",
)


def loaded_of(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize(
    "args",
    [
        ["tickets", "list", "--limit", "20"],
        ["tickets", "list", "--limit", "20", "--format", "json"],
        [
            "tickets",
            "list",
            "--query",
            "status:open,pending tag:billing sla:breached",
            "--format",
            "csv",
        ],
        [
            "tickets",
            "list",
            "--query",
            "mail:failed has:attachment -customer:olga",
            "--sort",
            "-updated",
        ],
    ],
    ids=" ".join,
)
def test_listing_tickets_loads_neither_the_orm_nor_what_it_does_not_need(
    sample_env: dict[str, str], args: list[str]
) -> None:
    """The start-up of the scripted hot path (issue 18): checked by what it imports, not by
    timing it (benchmarks/bench_cli.py times it)."""
    modules = imported_by(sample_env, *args)
    assert loaded_of(modules, NOT_FOR_A_LIST) == []
    assert "csm_console.services.ticket_list" in modules  # it did list through the Core path


def _list_olgas_tickets(env: dict[str, str]) -> set[str]:
    """`csm tickets list --query assignee:me` as olga: it lists her tickets alone; the modules
    it imported."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CSM, "tickets", "list", "--query", "assignee:me",
         "--format", "json", "--fields", "id,assignee"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed and {item["assignee"] for item in listed} == {"olga"}
    return set(done.stderr.rsplit("\nMODULES ", 1)[1].split())


def test_listing_my_tickets_reads_the_agent_without_the_orm(sample_env: dict[str, str]) -> None:
    """Naming an agent (`--as`) reads them on the Core tables (services.acting): the ORM stays
    unloaded, and `assignee:me` still lists that agent's tickets."""
    modules = _list_olgas_tickets({**sample_env, "CSM_AGENT": "olga"})
    assert "csm_console.services.acting" in modules
    assert loaded_of(modules, NOT_FOR_A_LIST) == []


@pytest.mark.postgres
def test_listing_on_postgresql_loads_no_orm_to_know_the_login(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """On PostgreSQL the login says who is acting (`assignee:me`): that agent is read on the
    Core tables too (it loaded the ORM and the models, 0.3 s of every list on a 10M store)."""
    env = own_process_env(tmp_path, sample_url(tmp_path / "x.db", "postgres", request))
    env["CSM_AGENT"] = "olga"  # the store's owner names the agent it acts as
    modules = _list_olgas_tickets(env)
    on_postgresql = tuple(p for p in NOT_FOR_A_LIST if p != "psycopg")
    assert loaded_of(modules, on_postgresql) == []
    assert "psycopg" in modules


def test_version_does_not_open_the_store(sample_env: dict[str, str]) -> None:
    modules = imported_by(sample_env, "--version")
    assert not {"sqlalchemy", "sqlmodel", "rich", "pydantic"} & modules


def test_a_terminal_table_is_still_rich(sample_env: dict[str, str]) -> None:
    """With FORCE_COLOR (as on a terminal) the table is Rich's, styled: the plain one is only
    for output that Rich would write without styles."""
    env = {**sample_env, "FORCE_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", RUN_CSM, "tickets", "list", "--limit", "5"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b[1m" in done.stdout  # the bold header
    assert "rich.table" in done.stderr.rsplit("\nMODULES ", 1)[1].split()


def test_no_config_file_builds_no_config_models(sample_env: dict[str, str]) -> None:
    """The config file's pydantic models are built only when there is a file to read."""
    modules = imported_by(sample_env, "tickets", "list", "--limit", "5", "--format", "ids")
    assert "csm_console.config_file" not in modules


def test_a_config_file_is_still_read(sample_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('agent = "olga"\n[[views]]\nname = "Mine"\nquery = "assignee:me"\n')
    env = {**sample_env, "CSM_CONFIG_FILE": str(config)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_CSM, "config", "show"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "olga" in done.stdout and "Mine" in done.stdout


def command_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("csm_console.cli.") and m.endswith("_cmd")}


def test_version_loads_no_command_module(sample_env: dict[str, str]) -> None:
    """Command groups are loaded when used: `csm --version` imports none of their modules."""
    assert command_modules(imported_by(sample_env, "--version")) == set()


def test_a_command_loads_only_its_own_module(sample_env: dict[str, str]) -> None:
    modules = imported_by(sample_env, "tickets", "show", "1050")
    assert command_modules(modules) == {"csm_console.cli.tickets_cmd"}
    # a list that is not a plain one (cli/quick.py) goes through Typer, as every command does
    modules = imported_by(sample_env, "tickets", "list", "--limit", "05", "--format", "ids")
    assert command_modules(modules) == {"csm_console.cli.tickets_cmd"}
    # the plain list loads none
    modules = imported_by(sample_env, "tickets", "list", "--limit", "5", "--format", "ids")
    assert command_modules(modules) == set()


def test_help_loads_no_command_module(sample_env: dict[str, str]) -> None:
    """`csm --help` lists the commands from cli/app.py's SUMMARIES: it loads none of their
    modules, and so no store (SQLAlchemy) and no console."""
    modules = imported_by(sample_env, "--help")
    assert command_modules(modules) == set()
    assert not {"sqlalchemy", "sqlmodel", "textual", "click"} & modules  # typer has its own click
