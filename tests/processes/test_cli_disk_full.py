"""A full disk is 'store unavailable' (exit 6, one line), not an unexpected error (exit 1).

A real full file system: a small tmpfs mounted for the test (needs root, as CI runs; skipped
elsewhere), a store on it, then the rest of its space taken by a filler file."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_csm

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> None:
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * free)


def test_a_full_disk_is_exit_6_for_generate_and_reassign(small_disk: Path) -> None:
    """A load that fills the disk stops with exit 6 and leaves a write-ahead log with room in
    it; a reassignment's chunks then fit in that log, and the checkpoint at its end cannot
    grow the store file: exit 6 again, with the reason."""
    db = small_disk / "desk.db"
    own = {"db": db, "add_env": {"CSM_DATA_DIR": str(small_disk / "data")}, "timeout": 300}
    assert run_csm("init", **own).returncode == 0
    made = run_csm("dev", "generate", "--tickets", "8000", "--seed", "3", **own)
    assert made.returncode == 6, made.stderr
    assert "full" in made.stderr and "Traceback" not in made.stderr
    _fill(small_disk)
    moved = run_csm(
        "--as",
        "experts1",
        "tickets",
        "reassign",
        "--query",
        "team:Experts",
        "--to",
        "experts2",
        "--max",
        "100000",
        "--yes",
        **own,
    )
    assert moved.returncode == 6, moved.stderr
    last = moved.stderr.strip().splitlines()[-1]
    assert last.startswith("csm: ") and "full" in last and "Traceback" not in moved.stderr
