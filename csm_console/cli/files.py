"""Reading files and stdin given to a command: regular files only, never more than a cap.

`--body-file /dev/zero` would otherwise grow until the kernel kills the process, a FIFO named
`*.md` would hang `kb import`, and a symlink to a device is a device.  Each read is refused with
exit 2 and a message naming the file and the setting that raises the cap.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from csm_console.cli.state import state
from csm_console.errors import UsageError

if TYPE_CHECKING:
    import typer

    from csm_console.config import FileLimits

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def limits(ctx: typer.Context) -> FileLimits:
    """The caps in force for this command (settings `max_body_file` ...)."""
    return state(ctx).settings().limits


def read_file(path: str | Path, *, limit: int, setting: str) -> bytes:
    """The bytes of the regular file `path` (a symlink to one is fine), at most `limit`;
    UsageError for anything else: missing, a directory, a device, a FIFO, a socket, too big."""
    with open_file(path, limit=limit, setting=setting) as handle:
        return _read_capped(handle, str(path), limit, setting)


def read_lines(path: str, *, limit: int, setting: str) -> Iterator[bytes]:
    """The lines of the regular file `path` (or stdin for `-`), each with its newline, read as
    they are consumed (a big file is never held whole); past `limit` bytes in all, the reader
    gets a UsageError (the same checks as `read_file`)."""
    if path == "-":
        return _capped_lines(sys.stdin.buffer, "stdin", limit, setting)
    # opened now, so that a missing file or a device is refused before anything starts
    return _capped_lines(open_file(path, limit=limit, setting=setting), path, limit, setting)


def _capped_lines(handle: BinaryIO, shown: str, limit: int, setting: str) -> Iterator[bytes]:
    size = 0
    with handle:
        for line in handle:
            size += len(line)
            _check_size(shown, size, limit, setting)  # a file that grows while read is cut off
            yield line


def open_file(path: str | Path, *, limit: int, setting: str) -> BinaryIO:
    """The regular file `path`, opened for reading, if not larger than `limit`."""
    shown = str(path)
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is a device
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise UsageError(f"{shown} is {kind}, not a regular file; nothing was read")
        _check_size(shown, info.st_size, limit, setting)
        # O_NONBLOCK: should the path be swapped for a FIFO meanwhile, open does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UsageError(f"no such file: {shown}") from None
    except UsageError:
        raise
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror}") from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise UsageError(f"{shown} is not a regular file; nothing was read")
    return handle


def read_stdin(*, limit: int, setting: str) -> bytes:
    """Standard input, at most `limit` bytes."""
    return _read_capped(sys.stdin.buffer, "stdin", limit, setting)


def read_stdin_head(*, limit: int, head: int) -> tuple[bytes, int]:
    """Standard input's first `limit + head` bytes at most, and its whole size: what is past
    them is read and counted, not kept (a writer on the other end of a pipe, a mail server,
    sees its message taken in full), so memory stays bounded whatever the size."""
    data = sys.stdin.buffer.read(limit + head)
    size = len(data)
    while chunk := sys.stdin.buffer.read(_DRAIN_CHUNK):
        size += len(chunk)
    return data, size


_DRAIN_CHUNK = 64 * 1024


def read_body_text(ctx: typer.Context, path: str | None) -> str:
    """UTF-8 text from the regular file `path`, or from stdin when `path` is None; either at
    most `max_body_file` bytes."""
    cap = limits(ctx).body
    if path is None:
        return decode_text(read_stdin(limit=cap, setting="max_body_file"), "stdin")
    return decode_text(read_file(path, limit=cap, setting="max_body_file"), path)


def decode_text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{source}: not valid UTF-8 (byte {error.start})") from None


def _read_capped(handle: BinaryIO, shown: str, limit: int, setting: str) -> bytes:
    data = handle.read(limit + 1)  # a file that grows while read is still cut off here
    _check_size(shown, len(data), limit, setting)
    return data


def _check_size(shown: str, size: int, limit: int, setting: str) -> None:
    if size > limit:
        raise UsageError(
            f"{shown} is larger than {limit:,} bytes (the limit; the setting {setting} "
            "raises it); nothing was read"
        )
