"""Long commands show a progress bar on stderr when it is a terminal, and nothing extra when it
is piped (issue 16, item 16): import, export, reassign and generate, as real processes, with
stderr on a pseudo-terminal and on a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from tests.conftest import ROOT, process_env, run_csm, sample_url, start_csm

BAR = "━"  # Rich's bar


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "sample.db"
    sample_url(path)
    return path


def _env() -> dict[str, str]:
    env = {**process_env(), "CSM_AGENT": "admin", "TERM": "xterm-256color", "COLUMNS": "100"}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CI"):
        env.pop(name, None)
    return env


def run(args: list[str], *, tty: bool) -> tuple[str, str, int]:
    """csm with stdout on a pipe and stderr on a pseudo-terminal (`tty`) or a pipe."""
    if not tty:
        done = run_csm(*args, env=_env(), cwd=ROOT, timeout=120)
        return done.stdout, done.stderr, done.returncode
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = start_csm(
        *args, stderr=follower, stdin=subprocess.DEVNULL, env=_env(), cwd=ROOT, text=False
    )
    os.close(follower)
    assert process.stdout is not None
    stdout = b""
    stderr = b""
    streams = {process.stdout.fileno(): "out", leader: "err"}
    while streams:
        ready, _, _ = select.select(list(streams), [], [], 120)
        assert ready, "csm did not finish"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other end closed
                chunk = b""
            if not chunk:
                del streams[fd]
            elif streams[fd] == "out":
                stdout += chunk
            else:
                stderr += chunk
    os.close(leader)
    code = process.wait(timeout=60)
    process.stdout.close()
    return stdout.decode(), stderr.decode(errors="replace"), code


@pytest.fixture
def store_copy(sample: Path, tmp_path: Path) -> str:
    copy = tmp_path / "copy.db"
    shutil.copy(sample, copy)
    return f"sqlite:///{copy}"


def commands(url: str, tmp_path: Path) -> dict[str, list[str]]:
    exported = tmp_path / "all.json"
    done = run_csm(
        "export", "tickets", "-o", str(exported), db=url, env=_env(), cwd=ROOT, check=True
    )
    assert done.returncode == 0
    return {
        "import": ["--db", url, "import", "tickets", str(exported)],
        "export": ["--db", url, "export", "tickets", "--format", "ndjson"],
        "reassign": [
            "--db", url, "tickets", "reassign", "--query", "assignee:elina", "--to", "laura",
            "--yes",
        ],
        "generate": ["--db", url, "dev", "generate", "--tickets", "3000"],
    }  # fmt: skip


STEPS = {
    "import": "importing",
    "export": "exporting",
    "reassign": "reassigning",
    "generate": "generating",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STEPS))
def test_a_terminal_sees_a_bar_and_a_pipe_sees_nothing_extra(
    name: str, sample: Path, tmp_path: Path
) -> None:
    outputs = {}
    for tty in (True, False):
        copy = tmp_path / f"{name}-{tty}.db"
        shutil.copy(sample, copy)
        args = commands(f"sqlite:///{copy}", tmp_path)[name]
        outputs[tty] = run(args, tty=tty)
    (tty_out, tty_err, tty_code), (pipe_out, pipe_err, pipe_code) = outputs[True], outputs[False]
    assert tty_code == pipe_code == 0, (tty_err, pipe_err)
    assert STEPS[name] in tty_err and BAR in tty_err, tty_err
    # stdout carries the same data either way (export: the same records)
    assert len(tty_out.splitlines()) == len(pipe_out.splitlines())
    # piped: only the summary lines, no bar, no escape sequence
    assert BAR not in pipe_err and "\x1b" not in pipe_err and STEPS[name] not in pipe_err
    assert len(pipe_err.splitlines()) <= 2, pipe_err
