"""Files given to commands (issue 16, item 21): only regular files are read, each with a size
cap (`max_body_file`, `max_article_file`, `max_import_file`); /dev/zero, FIFOs and symlinks to
devices are refused with exit 2 and a clear message, never read until memory runs out."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli, run_csm, sample_url


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return sample_url(tmp_path_factory.mktemp("limits") / "l.db")


csm = Cli(agent="admin").on


def _limited() -> None:  # pragma: no cover - runs in the child
    # a reader of /dev/zero fails in a second instead of taking the machine's memory
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    """csm as a real process with a memory cap and a time limit (a FIFO would hang it)."""
    return run_csm(
        *args,
        db=db,
        agent="admin",
        cwd=ROOT,
        timeout=60,
        preexec_fn=_limited,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo.md"
    os.mkfifo(fifo)
    link = tmp_path / "zero.md"
    link.symlink_to("/dev/zero")
    return {"/dev/zero": Path("/dev/zero"), "fifo": fifo, "symlink": link}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "symlink"])
def test_body_file_refuses_devices_fifos_and_links_to_devices(
    db: str, specials: dict[str, Path], kind: str
) -> None:
    result = run(db, "tickets", "note", "1001", "--body-file", str(specials[kind]))
    assert result.returncode == 2, result.stderr
    expected = {
        "/dev/zero": "is a character device, not a regular file",
        "fifo": "is a FIFO (named pipe), not a regular file",
        "symlink": "is a character device, not a regular file",
    }[kind]
    assert expected in result.stderr and str(specials[kind]) in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_kb_import_refuses_a_folder_with_a_fifo_or_a_link_to_a_device(
    db: str, specials: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good\nlanguage: en\n---\nText.\n")
    specials[kind].rename(folder / "bad.md")
    result = run(db, "kb", "import", str(folder))
    assert result.returncode == 2, result.stderr
    assert "bad.md is a" in result.stderr and "not a regular file" in result.stderr


@pytest.mark.slow
def test_import_tickets_refuses_dev_zero(db: str) -> None:
    result = run(db, "import", "tickets", "/dev/zero", "--format", "csv")
    assert result.returncode == 2, result.stderr
    assert "/dev/zero is a character device" in result.stderr


def test_size_caps_are_enforced_and_configurable(db: str, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("x" * 1_000_001)
    refused = csm(db, "tickets", "note", "1001", "--body-file", str(big))
    assert refused.exit_code == 2
    assert "larger than 1,000,000 bytes" in refused.stderr and "max_body_file" in refused.stderr
    from_stdin = csm(db, "tickets", "note", "1001", "--body", "-", stdin=b"y" * 1_000_001)
    assert from_stdin.exit_code == 2 and "stdin is larger than" in from_stdin.stderr
    small = tmp_path / "small.txt"
    small.write_text("a note of 23 characters")
    capped = csm(
        db, "tickets", "note", "1001", "--body-file", str(small), env={"CSM_MAX_BODY_FILE": "10"}
    )
    assert capped.exit_code == 2 and "larger than 10 bytes" in capped.stderr
    ok = csm(db, "tickets", "note", "1001", "--body-file", str(small))
    assert ok.exit_code == 0, ok.output
    article = tmp_path / "a.md"
    article.write_text("---\ntitle: Big\nlanguage: en\n---\n" + "word " * 100)
    kb = csm(db, "kb", "import", str(article), env={"CSM_MAX_ARTICLE_FILE": "100"})
    assert kb.exit_code == 2 and "max_article_file" in kb.stderr
    bad = csm(
        db, "tickets", "note", "1001", "--body-file", str(small), env={"CSM_MAX_BODY_FILE": "x"}
    )
    assert bad.exit_code == 2 and "max_body_file" in bad.stderr
    shown = csm(db, "config", "show", env={"CSM_MAX_IMPORT_FILE": "5000"})
    assert "max_import_file" in shown.stdout and "5000" in shown.stdout
