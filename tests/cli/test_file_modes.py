"""Files that hold customer data are private (issue 16, item 25): the store, its -wal/-shm,
drafts.db and the data directory are 0600/0700 at a umask of 022, and `export -o` keeps the
mode of the file it replaces."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from csm_console.services.drafts import DraftBox
from csm_console.store.engine import Store
from tests.conftest import Cli, sample_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_store_its_wal_and_shm_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "csm.db"
    store = Store(f"sqlite:///{path}")
    try:
        with store.write() as session:  # the pooled connection keeps -wal and -shm in place
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        assert mode(path) == 0o600
        assert mode(path.with_name("csm.db-wal")) == 0o600
        assert mode(path.with_name("csm.db-shm")) == 0o600
        assert mode(path.parent) == 0o700
    finally:
        store.dispose()


def test_csm_init_in_a_new_data_dir_is_private(tmp_path: Path) -> None:
    data = tmp_path / "share" / "csm"
    result = Cli()("init", env={"CSM_DATA_DIR": str(data)})
    assert result.exit_code == 0, result.output
    assert mode(data) == 0o700
    assert mode(data / "csm.db") == 0o600


def test_drafts_db_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "drafts.db"
    box = DraftBox(path, store="sqlite:///x.db", agent="olga")
    box.save(1042, "reply", "Dear Anna, your refund ...")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    for suffix in ("-wal", "-shm"):
        side = path.with_name("drafts.db" + suffix)
        if side.exists():
            assert mode(side) == 0o600


def test_an_existing_store_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch()
    path.chmod(0o640)  # a team's choice: left alone
    Store(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o640


def test_export_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    url = sample_url(tmp_path / "s.db")
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o600)
    args = ["--db", url, "--as", "admin", "export", "tickets", "--limit", "3", "-o", str(target)]
    result = Cli()(*args)
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("[") and mode(target) == 0o600
    fresh = tmp_path / "new.json"
    args[-1] = str(fresh)
    assert Cli()(*args).exit_code == 0
    assert mode(fresh) == 0o644  # a new file: the umask's default, as a shell redirection
