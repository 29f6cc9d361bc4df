"""IMAP: where a mailbox's mail is read from, through `imapclient`.

    target = parse_imap_url("imaps://support@mail.example.com")
    with ImapSession(target, password_for(mailbox)) as imap:
        folder = imap.select("INBOX")
        for uid in imap.uids_after(last_uid): ...

The URL of a mailbox (`imap_url`):

- `imaps://USER@HOST[:993]`: TLS from the first byte;
- `imap://USER@HOST[:143]?starttls=1`: STARTTLS before the login;
- `imap://USER@HOST[:143]`: no encryption, allowed only to a loopback host (127.0.0.1, ::1,
  localhost) unless the URL says `insecure=1`: the password would cross the network in clear;
- `cafile=PATH`: trust the certificate authorities in PATH (PEM) instead of the system's, for a
  private CA or a test server.  Certificates and host names are always checked.

A password in the URL itself is refused: it comes from `password_env` or `password_command`
(`password_for`) and is never printed, logged or put in an error.  Nothing here knows tickets.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from csm_console.channels.passwords import run_password_command
from csm_console.domain.mail import Mailbox
from csm_console.domain.text import sanitize
from csm_console.errors import ConfigError, MailServerError

PROCESSED_KEYWORD = b"$CsmProcessed"  # set on every message taken in, where keywords are allowed
FLAGGED = b"\\Flagged"  # the fallback where the server allows no keyword of ours
CONNECT_TIMEOUT = 15.0  # seconds to connect and log in
READ_TIMEOUT = 120.0  # seconds a single answer may take (a big message in a batch)
SIZES_CHUNK = 500  # UIDs named in one FETCH of sizes (servers limit a command's length)
MAX_HEADER = 64 * 1024  # bytes of a too-large message's header fetched to quarantine it
_TRUE = ("1", "yes", "true", "on")


@dataclass(frozen=True)
class ImapTarget:
    """Where to connect, as `parse_imap_url` read it (no password: see `password_for`)."""

    host: str
    port: int
    user: str
    tls: bool  # imaps: TLS from the start
    starttls: bool
    insecure: bool  # plain-text login to a host that is not the loopback, on request
    cafile: str | None

    @property
    def encrypted(self) -> bool:
        return self.tls or self.starttls

    def display(self) -> str:
        """The URL without its query, for messages (it holds no password)."""
        scheme = "imaps" if self.tls else "imap"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{quote(self.user, safe='')}@{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_imap_url(url: str, *, where: str = "imap_url") -> ImapTarget:
    """The `ImapTarget` of an `imap_url`, or a `ConfigError` naming what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        port_given = parts.port
    except ValueError as error:
        raise ConfigError(f"{where}: not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("imap", "imaps"):
        raise ConfigError(f"{where}: the URL must start with imaps:// or imap:// (got {scheme!r})")
    if parts.password is not None:
        raise ConfigError(
            f"{where}: a password in the URL is refused; "
            "give it through password_env or password_command"
        )
    host = parts.hostname or ""
    user = unquote(parts.username or "")
    if not host:
        raise ConfigError(f"{where}: the URL names no host")
    if not user:
        raise ConfigError(f"{where}: the URL names no user (imaps://USER@HOST)")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"starttls", "insecure", "cafile"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown option {unknown[0]!r} (known: starttls, insecure, cafile)"
        )
    starttls = query.get("starttls", "").lower() in _TRUE
    insecure = query.get("insecure", "").lower() in _TRUE
    tls = scheme == "imaps"
    if tls and starttls:
        raise ConfigError(f"{where}: imaps:// is TLS already; starttls=1 is for imap://")
    if not tls and not starttls and not insecure and not is_loopback(host):
        raise ConfigError(
            f"{where}: imap://{host} without starttls=1 would send the password unencrypted; "
            "use imaps://, add ?starttls=1, or (only on a network you trust) ?insecure=1"
        )
    cafile = query.get("cafile") or None
    if cafile is not None:
        cafile = os.path.expanduser(cafile)
        if not os.path.isfile(cafile):
            raise ConfigError(f"{where}: cafile {cafile!r} is not a readable file")
    return ImapTarget(
        host=host,
        port=port_given or (993 if tls else 143),
        user=user,
        tls=tls,
        starttls=starttls,
        insecure=insecure,
        cafile=cafile,
    )


def display_imap_url(url: str) -> str:
    """An `imap_url` safe to print: any password in it (refused, but maybe written) masked."""
    try:
        parts = urlsplit(url.strip())
        if parts.password is None:
            return sanitize(url.strip(), single_line=True)
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
        if parts.port:
            netloc += f":{parts.port}"
        return sanitize(parts._replace(netloc=netloc).geturl(), single_line=True)
    except ValueError:
        return "(not a valid URL)"


def password_for(mailbox: Mailbox, env: dict[str, str] | None = None) -> str:
    """The IMAP password of a mailbox: the variable named by `password_env`, or the first line
    that `password_command` prints (run without a shell unless it uses shell syntax, with a
    time limit).  Errors say what to fix and never hold the password."""
    env = dict(os.environ) if env is None else env
    label = f"mailbox {mailbox.name}"
    if mailbox.password_env:
        value = env.get(mailbox.password_env, "")
        if not value:
            raise ConfigError(
                f"{label}: the environment variable {mailbox.password_env} "
                "(password_env) is not set or empty"
            )
        return value
    if mailbox.password_command:
        return run_password_command(label, "password_command", mailbox.password_command, env)
    raise ConfigError(f"{label}: imap_url needs a password_env or a password_command")


@dataclass(frozen=True)
class FolderStatus:
    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int
    keywords: bool  # the server lets us set a keyword of our own on its messages


def _network_errors() -> tuple[type[BaseException], ...]:
    from imapclient.exceptions import IMAPClientError

    return (OSError, IMAPClientError, EOFError)


def _reason(error: BaseException) -> str:
    """One line about a failure, never longer than a line (server text sanitised)."""
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate check failed: {error.verify_message}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"unknown host ({error.strerror})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    if isinstance(error.args[0] if error.args else None, bytes):
        text = error.args[0].decode("utf-8", "replace")
    first = (text.strip().splitlines() or [type(error).__name__])[0]
    return sanitize(first, single_line=True)[:300] or type(error).__name__


class ImapSession:
    """One logged-in connection: select a folder, list new UIDs, fetch, flag, move, IDLE.
    Every failure of the server or the network is a `MailServerError` whose text names the
    server (never the password)."""

    def __init__(self, target: ImapTarget, password: str, *, label: str = "") -> None:
        self.target = target
        self._password = password
        self.label = label or target.display()
        self._client: Any = None
        self._capabilities: frozenset[bytes] = frozenset()
        self.folder: FolderStatus | None = None

    def __repr__(self) -> str:  # no password, whatever prints it
        return f"ImapSession({self.target.display()!r})"

    # -- connection ---------------------------------------------------------------------

    def __enter__(self) -> ImapSession:
        self.open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _fail(self, doing: str, error: BaseException) -> MailServerError:
        return MailServerError(f"{self.label}: {doing}: {_reason(error)}")

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.target.cafile)

    def open(self) -> None:
        from imapclient import IMAPClient, SocketTimeout
        from imapclient.exceptions import LoginError

        target = self.target
        timeout = SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
        try:
            client = IMAPClient(
                target.host,
                target.port,
                ssl=target.tls,
                ssl_context=self._context() if target.tls else None,
                timeout=timeout,
            )
        except _network_errors() as error:
            raise self._fail("cannot connect", error) from None
        try:
            if target.starttls:
                if not client.has_capability("STARTTLS"):
                    raise MailServerError(
                        f"{self.label}: the server does not offer STARTTLS; "
                        "use imaps:// if it speaks TLS on another port"
                    )
                client.starttls(self._context())
            client.login(target.user, self._password)
            self._capabilities = frozenset(c.upper() for c in client.capabilities())
        except LoginError as error:
            _quiet_logout(client)
            raise MailServerError(
                f"{self.label}: login refused for {target.user!r}: {_reason(error)}"
            ) from None
        except MailServerError:
            _quiet_logout(client)
            raise
        except _network_errors() as error:
            _quiet_logout(client)
            raise self._fail("cannot log in", error) from None
        self._client = client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _quiet_logout(client)

    @property
    def client(self) -> Any:
        if self._client is None:
            raise MailServerError(f"{self.label}: not connected")
        return self._client

    def has(self, capability: str) -> bool:
        return capability.upper().encode() in self._capabilities

    # -- folders ------------------------------------------------------------------------

    def select(self, folder: str) -> FolderStatus:
        try:
            info = self.client.select_folder(folder)
        except _network_errors() as error:
            raise self._fail(f"cannot open the folder {folder!r}", error) from None
        permanent = {f.upper() for f in info.get(b"PERMANENTFLAGS", ())}
        uidnext = info.get(b"UIDNEXT")
        self.folder = FolderStatus(
            name=folder,
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(info.get(b"EXISTS", 0)),
            keywords=b"\\*" in permanent or PROCESSED_KEYWORD.upper() in permanent,
        )
        return self.folder

    def ensure_folder(self, folder: str) -> None:
        """Create `folder` if the server has no such folder (the `move_to` of a mailbox)."""
        try:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
        except _network_errors() as error:
            raise self._fail(f"cannot create the folder {folder!r}", error) from None

    # -- messages -----------------------------------------------------------------------

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs above `last_uid` in the selected folder, ascending, whatever their flags
        (`\\Seen` set by another client or not)."""
        try:
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        except _network_errors() as error:
            raise self._fail("cannot list the messages", error) from None
        # `n:*` names the highest message even when it is below n
        return sorted(int(u) for u in found if int(u) > last_uid)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for start in range(0, len(uids), SIZES_CHUNK):  # a command line of bounded length
            try:
                answer = self.client.fetch(uids[start : start + SIZES_CHUNK], ["RFC822.SIZE"])
            except _network_errors() as error:
                raise self._fail("cannot read the sizes of messages", error) from None
            found.update(
                (int(uid), int(data.get(b"RFC822.SIZE", 0))) for uid, data in answer.items()
            )
        return found

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """The raw messages (BODY.PEEK[]: fetching sets no flag)."""
        if not uids:
            return {}
        try:
            answer = self.client.fetch(uids, ["BODY.PEEK[]"])
        except _network_errors() as error:
            raise self._fail("cannot fetch messages", error) from None
        return {
            int(uid): bytes(data[b"BODY[]"])
            for uid, data in answer.items()
            if isinstance(data.get(b"BODY[]"), bytes)
        }

    def header(self, uid: int, limit: int = MAX_HEADER) -> bytes:
        """At most `limit` bytes of a message's header, without downloading its body."""
        try:
            answer = self.client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{limit}>"])
        except _network_errors() as error:
            raise self._fail("cannot fetch a header", error) from None
        for key, value in answer.get(uid, {}).items():
            if key.upper().startswith(b"BODY[HEADER]") and isinstance(value, bytes):
                return value[:limit]
        return b""

    def mark_processed(self, uid: int) -> bytes:
        """Flag one message as taken in: our keyword where the folder allows keywords, else
        `\\Flagged`.  Returns the flag set."""
        flag = PROCESSED_KEYWORD if self.folder is not None and self.folder.keywords else FLAGGED
        try:
            self.client.add_flags([uid], [flag], silent=True)
        except _network_errors() as error:
            raise self._fail("cannot flag a message", error) from None
        return flag

    def move(self, uid: int, folder: str) -> None:
        """MOVE where the server has it; else COPY, `\\Deleted` and UID EXPUNGE (UIDPLUS), or,
        without UIDPLUS, COPY and `\\Deleted` only (a plain EXPUNGE would also remove what
        other clients deleted)."""
        client = self.client
        try:
            if self.has("MOVE"):
                client.move([uid], folder)
                return
            client.copy([uid], folder)
            client.add_flags([uid], [b"\\Deleted"], silent=True)
            if self.has("UIDPLUS"):
                client.uid_expunge([uid])
        except _network_errors() as error:
            raise self._fail(f"cannot move a message to {folder!r}", error) from None

    def noop(self) -> None:
        try:
            self.client.noop()
        except _network_errors() as error:
            raise self._fail("the connection failed", error) from None

    # -- waiting ------------------------------------------------------------------------

    def wait(self, seconds: float, stop: threading.Event, step: float = 0.2) -> bool:
        """Wait up to `seconds` for something new in the selected folder: IMAP IDLE where the
        server has it (one IDLE, ended before `seconds`, so a caller re-issues it), else a
        NOOP at the end.  Returns early (False) when `stop` is set, checked every `step`
        seconds; True when the server announced a change."""
        import time

        deadline = time.monotonic() + seconds
        if not self.has("IDLE"):
            while not stop.is_set() and time.monotonic() < deadline:
                stop.wait(min(step, max(0.0, deadline - time.monotonic())))
            if stop.is_set():
                return False
            self.noop()
            return False
        client = self.client
        changed = False
        try:
            client.idle()
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                answers = client.idle_check(timeout=min(step, left))
                if any(_is_change(a) for a in answers):
                    changed = True
                    break
            client.idle_done()
        except _network_errors() as error:
            if not _garbled(error):
                raise self._fail("the connection failed while waiting", error) from None
            # The server said something the client lost track of (imapclient drops the part of
            # a line it had read when a TLS record ends mid-line, then cannot parse the rest):
            # an announcement came, so a round is due, on a new conversation.
            self._reconnect()
            return True
        return changed

    def _reconnect(self) -> None:
        """Log in again and select the folder that was selected."""
        folder = self.folder.name if self.folder is not None else None
        self.close()
        self.open()
        if folder is not None:
            self.select(folder)


def _garbled(error: BaseException) -> bool:
    """A protocol error while the server was talking (not a network failure, not the server
    closing the connection)."""
    from imapclient.exceptions import IMAPClientError

    if isinstance(error, OSError | EOFError) or not isinstance(error, IMAPClientError):
        return False
    return "EOF" not in str(error)


def _is_change(answer: Any) -> bool:
    """An untagged answer during IDLE that means new or removed mail (EXISTS, EXPUNGE ...)."""
    if isinstance(answer, tuple) and len(answer) >= 2:
        word = answer[1]
        return isinstance(word, bytes) and word.upper() in (b"EXISTS", b"EXPUNGE", b"RECENT")
    return False


def _quiet_logout(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # already gone: nothing to tidy
        with contextlib.suppress(Exception):
            client.shutdown()
