"""A closed pipe is a normal end (`csm templates list | head -1`): exit 0, nothing on stderr.

Real processes: the reader of csm's stdout goes away before (or while) csm writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import process_env, run_csm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("pipes")
    db = f"sqlite:///{folder / 'sample.db'}"
    done = run_csm(
        "init", "--sample", db=db, add_env={"CSM_DATA_DIR": str(folder / "data")}, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return db


def _env(db: str, tmp: Path) -> dict[str, str]:
    return {
        **process_env(),
        "CSM_DATABASE_URL": db,
        "CSM_AGENT": "admin",
        "CSM_DATA_DIR": str(tmp / "data"),
    }


def _run_into_closed_pipe(
    args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """csm with a stdout whose reader has already gone: its first write meets EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return run_csm(
            *args, stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=120, text=False
        )
    finally:
        os.close(write_end)


def _first_ticket(env: dict[str, str]) -> str:
    ids = run_csm("tickets", "list", "--format", "ids", "--limit", "1", env=env, timeout=120)
    assert ids.returncode == 0, ids.stderr
    return ids.stdout.split()[0]


COMMANDS = [
    ["templates", "list"],
    ["templates", "list", "--format", "json"],
    ["report"],
    ["report", "--format", "csv"],
    ["agents", "list"],
    ["teams", "list"],
    ["customers", "list"],
    ["customers", "list", "--format", "json"],
    ["kb", "search", "invoice"],
    ["sla", "list"],
    ["calendars", "list"],
    ["config", "show"],
    ["config", "path"],
    ["tickets", "list"],
    ["tickets", "list", "--format", "csv"],
    ["tickets", "list", "--format", "ndjson"],
    ["tickets", "list", "--format", "ids"],
    ["export", "tickets", "--format", "json"],
    ["--help"],
    ["--version"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_closed_pipe_is_a_normal_end(args: list[str], sample_db: str, tmp_path: Path) -> None:
    done = _run_into_closed_pipe(args, _env(sample_db, tmp_path))
    assert (done.returncode, done.stderr.decode()) == (0, "")


def test_tickets_show_into_a_closed_pipe(sample_db: str, tmp_path: Path) -> None:
    env = _env(sample_db, tmp_path)
    ticket = _first_ticket(env)
    for fmt in ("table", "json"):
        done = _run_into_closed_pipe(["tickets", "show", ticket, "--format", fmt], env)
        assert (done.returncode, done.stderr.decode()) == (0, ""), fmt


def test_head_in_a_pipefail_shell(sample_db: str, tmp_path: Path) -> None:
    """As a script runs it: `set -o pipefail; csm ... | head -1` succeeds with one line."""
    env = _env(sample_db, tmp_path)
    for command in ("templates list", "tickets list --format ids", "report", "agents list"):
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {sys.executable} -m csm_console {command} | head -1"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert (done.returncode, done.stderr) == (0, ""), command
        assert len(done.stdout.splitlines()) == 1, command


def test_an_error_still_fails_when_stdout_is_closed(sample_db: str, tmp_path: Path) -> None:
    """A closed pipe ends quietly; a real error keeps its code and its message."""
    done = _run_into_closed_pipe(["tickets", "show", "999999999"], _env(sample_db, tmp_path))
    assert done.returncode == 3 and done.stderr.decode().startswith("csm: ")
