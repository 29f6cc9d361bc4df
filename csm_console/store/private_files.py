"""Files that hold customer data are private to their owner: the SQLite store (and so its
`-wal` and `-shm`, which SQLite creates with the store's mode), `drafts.db`, and the data
directory that holds them.  At a umask of 022 they would otherwise be world-readable."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Make the directory `path` if it is missing, 0700 (missing parents get the default
    mode); an existing one is left as it is."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # whatever the umask


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 (and its directory, 0700) unless it exists: SQLite
    then opens it as a new database and gives its `-wal` and `-shm` files the same mode."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
