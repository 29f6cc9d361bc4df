"""An SMTP client for a batch of mails over one connection (smtplib), with every failure sorted
into what the outbox needs: sent (with the server's answer), temporary (4xx, refused, timeout,
dropped connection: try again later) or permanent (5xx: never again).

The password comes from an environment variable or a command's output, never from a URL or a
flag; it is never part of a message.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from csm_console.channels.passwords import run_password_command
from csm_console.domain.outgoing import SmtpSecurity, SmtpTarget
from csm_console.errors import ConfigError

MAX_REPLY = 500  # characters of a server's answer kept


class Verdict(StrEnum):
    SENT = "sent"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Delivery:
    verdict: Verdict
    reply: str  # the server's answer (`250 2.0.0 Ok: queued as ...`), or why it failed
    connection_lost: bool = False  # the connection is gone: the rest must wait or reconnect


class ServerUnavailable(Exception):
    """The server cannot be reached or refuses us (connect, TLS, login): every mail waits."""


def resolve_password(
    *,
    env_name: str | None,
    command: str | None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The SMTP password from `smtp_password_env` (a variable's name) or
    `smtp_password_command` (its first output line); None when neither is set."""
    environ = os.environ if environ is None else environ
    if env_name:
        value = environ.get(env_name)
        if not value:
            raise ConfigError(f"smtp_password_env: the variable {env_name} is not set")
        return value
    if command:
        return run_password_command("smtp", "smtp_password_command", command, environ)
    return None


def _text(code: int, message: bytes | str) -> str:
    said = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(said.split())}"[:MAX_REPLY]


def _verdict(code: int) -> Verdict:
    return Verdict.PERMANENT if 500 <= code < 600 else Verdict.TEMPORARY


class SmtpClient:
    """One connection, opened on the first `send` and reopened after a dropped one."""

    def __init__(self, target: SmtpTarget, *, password: str | None = None) -> None:
        self.target = target
        self._password = password
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        t = self.target
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if t.security is SmtpSecurity.TLS:
                smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=context)
            else:
                smtp = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
            smtp.ehlo()
            if t.security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=context)
                smtp.ehlo()
            if t.user:
                if self._password is None:
                    smtp.close()
                    raise ServerUnavailable(
                        f"{t.describe()} needs a password: set smtp_password_env or "
                        "smtp_password_command"
                    )
                smtp.login(t.user, self._password)
        except smtplib.SMTPAuthenticationError as error:
            raise ServerUnavailable(
                f"{t.describe()} refused the login: {_text(error.smtp_code, error.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise ServerUnavailable(
                f"{t.describe()}: {_text(error.smtp_code, error.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
            raise ServerUnavailable(f"{t.describe()}: {_describe(error)}") from None
        return smtp

    def send(self, sender: str, recipient: str, data: bytes) -> Delivery:
        """Deliver one message.  Raises `ServerUnavailable` only when no connection can be
        made; every other failure is a `Delivery` with its verdict."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            code, said = smtp.mail(sender)
            if code != 250:
                return self._refused(code, said)
            code, said = smtp.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, said)
            code, said = smtp.data(data)
        except smtplib.SMTPDataError as error:  # DATA itself refused
            return self._refused(error.smtp_code, error.smtp_error)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            return Delivery(Verdict.TEMPORARY, f"connection lost: {_describe(error)}", True)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            return Delivery(Verdict.TEMPORARY, _describe(error), True)
        if code != 250:
            return self._refused(code, said)
        return Delivery(Verdict.SENT, _text(code, said))

    def _refused(self, code: int, said: bytes | str) -> Delivery:
        if code == 421:  # the server is closing the connection
            self._drop()
            return Delivery(Verdict.TEMPORARY, _text(code, said), True)
        try:
            assert self._smtp is not None
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        return Delivery(_verdict(code), _text(code, said))

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
