"""scripts/build_sample_data.py builds the committed sample from its YAML source and checks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SAMPLE = ROOT / "sample_data"
GENERATED = ("teams.json", "agents.json", "sla_policies.json", "customers.csv", "tickets.json")


def _build(out: Path) -> subprocess.CompletedProcess[str]:
    shutil.copytree(SAMPLE, out)
    for name in GENERATED:
        (out / name).unlink()
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_sample_data.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_builder_writes_a_valid_sample_the_same_every_time(tmp_path: Path) -> None:
    first, second = _build(tmp_path / "a"), _build(tmp_path / "b")
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    assert first.stdout == second.stdout
    assert first.stdout.rstrip().endswith("OK")
    for name in GENERATED:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    # the committed sample is what the source builds, byte for byte
    for name in GENERATED:
        assert (tmp_path / "a" / name).read_bytes() == (SAMPLE / name).read_bytes(), name


@pytest.mark.slow
def test_the_committed_sample_passes_the_checks() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_sample_data.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout
