"""Messages in files, for `csm mail import`: Maildir folders (`cur/` and `new/`), mbox files
(the stdlib `mailbox`), and single messages (`.eml`, or any file that is not an mbox).

`find_messages(paths)` lists what the paths hold, each with its date (from the Date header of
its first bytes) and size, without reading whole messages; `FoundMessage.read(limit)` reads one
when its turn comes.  A file that is not a regular file (a FIFO, a device) is refused by name.
"""

from __future__ import annotations

import mailbox
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from csm_console.errors import UsageError

PEEK = 64 * 1024  # bytes read to find a message's Date


@dataclass(frozen=True)
class FoundMessage:
    source: str  # the file, and `#N` (1 = first) for a message in an mbox
    size: int
    date: datetime | None
    order: int  # where it was found, to keep undated or same-dated messages in file order
    _read: Callable[[], bytes] = field(repr=False, compare=False)

    def read(self) -> bytes:
        return self._read()

    def sort_key(self) -> tuple[bool, datetime, int]:
        return (self.date is None, self.date or datetime.max.replace(tzinfo=UTC), self.order)


def find_messages(paths: Sequence[str | Path]) -> list[FoundMessage]:
    """Every message the paths hold, in date order (undated ones last, in the order found).
    Raises `UsageError` naming a path that is missing or not a mail folder or file."""
    found: list[FoundMessage] = []
    for path in paths:
        _collect(Path(path), found)
    return sorted(found, key=FoundMessage.sort_key)


def _collect(path: Path, found: list[FoundMessage]) -> None:
    shown = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"no such file or folder: {shown}") from None
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        parts = [path / part for part in ("cur", "new") if (path / part).is_dir()]
        if not parts:
            raise UsageError(f"{shown} is a folder but not a Maildir (no cur/ or new/ in it)")
        for part in parts:
            for entry in sorted(part.iterdir()):
                if entry.name.startswith("."):
                    continue
                entry_info = entry.stat()
                if stat.S_ISREG(entry_info.st_mode):
                    _add_file(entry, entry_info.st_size, found)
        return
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{shown} is not a regular file or a Maildir folder; nothing was read")
    with open(path, "rb") as handle:
        start = handle.read(5)
    if start == b"From ":
        _add_mbox(path, found)
    else:
        _add_file(path, info.st_size, found)


def _add_file(path: Path, size: int, found: list[FoundMessage]) -> None:
    with open(path, "rb") as handle:
        head = handle.read(PEEK)
    found.append(
        FoundMessage(
            source=str(path),
            size=size,
            date=_date_of(head),
            order=len(found),
            _read=lambda: _read_regular(path),
        )
    )


def _read_regular(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UsageError(f"{path} is not a regular file; nothing was read")
        return handle.read()


def _add_mbox(path: Path, found: list[FoundMessage]) -> None:
    # one open mbox per file for the whole import: its table of contents is built once
    box = mailbox.mbox(path, create=False)
    keys = list(box.keys())  # builds the table of contents
    places: dict[str, tuple[int, int]] = getattr(box, "_toc", None) or {}
    for number, key in enumerate(keys, start=1):
        with box.get_file(key) as handle:
            head = handle.read(PEEK)
        start, stop = places.get(key, (0, 0))  # where it is in the file, its From_ line too
        found.append(
            FoundMessage(
                source=f"{path}#{number}",
                size=max(0, stop - start),
                date=_date_of(head),
                order=len(found),
                _read=_mbox_reader(box, key),
            )
        )


def _mbox_reader(box: mailbox.mbox, key: str) -> Callable[[], bytes]:
    return lambda: box.get_bytes(key)


def _date_of(head: bytes) -> datetime | None:
    try:
        value = BytesHeaderParser().parsebytes(head).get("Date")
        if value is None:
            return None
        when = parsedate_to_datetime(str(value))
    except Exception:  # no date, or one that does not parse: last, in the order found
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
