"""The password command of a mail server, for IMAP and SMTP alike: the first line a
`password_command` prints.  Every error says what to fix and holds no part of the command's
output (which may be the password)."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Mapping

from csm_console.errors import ConfigError

PASSWORD_COMMAND_TIMEOUT = 30.0  # seconds a password command may run
MAX_PASSWORD_OUTPUT = 64 * 1024  # bytes of its output read
# a command with any of these runs under /bin/sh; any other runs directly (shlex split)
_SHELL_CHARS = re.compile(r"[|&;<>()$`\\\"'*?\[\]#~=%{}\n]")


def run_password_command(owner: str, setting: str, command: str, env: Mapping[str, str]) -> str:
    """The first line `command` prints (without a shell unless it uses shell syntax, stdin
    closed, within the time limit)."""
    where = f"{owner}: {setting}"
    try:
        argv = ["/bin/sh", "-c", command] if _SHELL_CHARS.search(command) else shlex.split(command)
    except ValueError:
        raise ConfigError(f"{where} cannot be split into words") from None
    if not argv:
        raise ConfigError(f"{where} is empty")
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PASSWORD_COMMAND_TIMEOUT,
            env=dict(env),
            check=False,
        )
    except FileNotFoundError:
        raise ConfigError(f"{where}: {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{where} did not finish in {PASSWORD_COMMAND_TIMEOUT:g} s") from None
    except OSError as error:
        raise ConfigError(f"{where} could not run: {error.strerror}") from None
    if done.returncode != 0:  # its output is never shown: it may hold the password
        raise ConfigError(f"{where} exited with status {done.returncode}")
    first = done.stdout[:MAX_PASSWORD_OUTPUT].decode("utf-8", "replace").splitlines()
    password = first[0].strip("\r\n") if first else ""
    if not password:
        raise ConfigError(f"{where} printed no password")
    return password
