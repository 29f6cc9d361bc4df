"""Every benchmark runs in CI in a tiny size (`.ci/run` calls each `benchmarks/bench_*.py
--smoke`), so none can rot unnoticed; a script without the flag fails that loop only after the
whole suite has run.  This says so at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parents[2] / "benchmarks").glob("bench_*.py"))
SMOKE_FLAG = re.compile(r"""add_argument\(\s*["']--smoke["']""")


def test_the_benchmarks_are_found() -> None:
    assert len(BENCHMARKS) >= 10


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.name)
def test_every_benchmark_takes_smoke(script: Path) -> None:
    assert SMOKE_FLAG.search(script.read_text(encoding="utf-8")), (
        f"{script.name} has no --smoke: .ci/run runs every benchmark with it"
    )


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.name)
def test_every_benchmark_is_in_the_readme(script: Path) -> None:
    readme = (script.parent / "README.md").read_text(encoding="utf-8")
    assert f"`{script.name}" in readme, f"benchmarks/README.md does not list {script.name}"
