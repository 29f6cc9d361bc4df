"""Real mail servers for the tests, on the loopback, started and stopped by the tests themselves.

`ImapServer`: a pymap process (its in-memory `dict` backend: one user, whose mail lives as long
as the process) on a free port, with a self-signed certificate made for the run:

- `tls="starttls"` (the default): the server offers STARTTLS and refuses a login before it;
  `server.url(folder)` is `imap://USER@127.0.0.1:PORT?starttls=1&cafile=CERT`;
- `tls="imaps"`: TLS from the first byte.  pymap has no such listener, so a small TLS proxy
  (a thread here, with a real handshake) stands in front of a plain pymap;
- `tls="none"`: plain text (allowed by csm only to the loopback).

pymap cannot be told to leave out a capability (`pymap --help`: no such option), so with
`tls="imaps"`, `withhold=("MOVE", "UIDPLUS")` has the proxy strip those names from what the
server announces (CAPABILITY lines and `[CAPABILITY ...]` codes): csm then takes the fallbacks
of a server without them, against the real server behind.  (pymap's PERMANENTFLAGS has no
`\\*`: csm's `\\Flagged` fallback for a folder without keywords is what every IMAP test uses.)

Seed mail with `server.append(folder, raw, flags=...)`, look with `server.flags(folder)` and
`server.uids(folder)`, and give each test a folder of its own (`server.new_folder()`) when the
server is shared.  `server.stop()` / `server.start()` take it down and bring it back on the same
port (with empty folders and new UIDVALIDITYs, as an in-memory server has after a restart).

The processes die with the test run: the fixtures stop them, even when a test fails, and they
are started with a parent-death signal, so even a killed pytest leaves none behind.  Nothing is
written outside the temporary directory given.

The fixtures (`imap_server`, `imaps_server`, `imap_plain_server`; one per test module) are in
`tests/conftest.py`; see there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

START_TIMEOUT = 30.0  # seconds for a server to start listening (a loaded CI machine)
USER = "support@desk.test"
PASSWORD = "s3cret-Imap-Pw!"  # tests check that it never shows up in any output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl), and its key."""
    cert, key = directory / "imap-cert.pem", directory / "imap-key.pem"
    if not cert.exists():
        openssl = shutil.which("openssl")
        if openssl is None:  # pragma: no cover - part of every Debian image
            raise RuntimeError("openssl is needed to make the test certificate")
        subprocess.run(
            [
                openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return cert, key


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """In the child before exec: SIGTERM when the parent (the test run) dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test server exited: {log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the test server did not listen on {port} in {START_TIMEOUT:g} s")


class _TlsProxy:
    """TLS from the first byte on `port`, forwarded in clear to `target` (both loopback)."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        port: int,
        target: int,
        *,
        stammer: bool = False,
        withhold: Sequence[str] = (),
    ) -> None:
        self.stammer = stammer
        self.withhold = tuple(withhold)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.port, self.target = port, target
        self.listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True, name="tls-proxy")
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            client = self.context.wrap_socket(raw, server_side=True)
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.target), 10)
            upstream.settimeout(None)
        except OSError:
            raw.close()
            return
        self.sockets += [client, upstream]
        if self.withhold:
            threading.Thread(
                target=_pipe_withholding, args=(upstream, client, self.withhold), daemon=True
            ).start()
        else:
            threading.Thread(
                target=_pipe, args=(upstream, client, self.stammer), daemon=True
            ).start()
        _pipe(client, upstream)

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.thread.join(2)


def _pipe(source: socket.socket, sink: socket.socket, stammer: bool = False) -> None:
    """Copy `source` to `sink`; a stammering pipe sends an `EXISTS` announcement in two TLS
    records a second apart, cut inside the line (as a loaded server or network may)."""
    try:
        while data := source.recv(65536):
            cut = data.find(b" EXISTS") if stammer else -1
            if cut >= 0:
                sink.sendall(data[: cut + 4])
                time.sleep(1.0)
                data = data[cut + 4 :]
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shut_both(source, sink)


def _shut_both(source: socket.socket, sink: socket.socket) -> None:
    """End both directions of a proxied connection (either side may be gone already)."""
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _without(line: bytes, names: Sequence[str]) -> bytes:
    """`line` without the capability `names`, when it announces capabilities."""
    if b"CAPABILITY" not in line.upper():
        return line
    for name in names:
        line = re.sub(rb"(?i) " + re.escape(name.encode()) + rb"(?=[ \]\r])", b"", line)
    return line


def _pipe_withholding(source: socket.socket, sink: socket.socket, names: Sequence[str]) -> None:
    """Copy `source` to `sink` line by line, the capabilities `names` left out."""
    pending = b""
    try:
        while data := source.recv(65536):
            pending += data
            *lines, pending = pending.split(b"\n")
            if lines:
                sink.sendall(b"".join(_without(line + b"\n", names) for line in lines))
        if pending:
            sink.sendall(pending)
    except OSError:
        pass
    finally:
        _shut_both(source, sink)


class ImapServer:
    """A pymap server process on the loopback (see the module's text)."""

    def __init__(
        self,
        directory: Path,
        *,
        tls: str = "starttls",
        user: str = USER,
        password: str = PASSWORD,
        extra: Sequence[str] = (),
        stammer: bool = False,
        withhold: Sequence[str] = (),
    ) -> None:
        """`stammer` (with `tls="imaps"`): the proxy cuts each `EXISTS` line in two records
        sent a second apart; `withhold` (with `tls="imaps"`): capabilities it leaves out."""
        if tls not in ("starttls", "imaps", "none"):
            raise ValueError(f"tls: starttls, imaps or none, not {tls!r}")
        if withhold and tls != "imaps":
            raise ValueError("withhold needs tls='imaps' (the proxy withholds them)")
        self.withhold = tuple(withhold)
        self.directory = directory
        self.tls = tls
        self.user, self.password = user, password
        self.extra = tuple(extra)
        self.stammer = stammer
        self.cert, self.key = make_certificate(directory)
        self.port = free_port()  # what clients connect to (the proxy's, with imaps)
        self.server_port = free_port() if tls == "imaps" else self.port
        self.process: subprocess.Popen[bytes] | None = None
        self.proxy: _TlsProxy | None = None
        self.log = directory / f"pymap-{self.port}.log"

    # -- the process --------------------------------------------------------------------

    def start(self) -> ImapServer:
        pymap = Path(sys.executable).with_name("pymap")
        argv = [str(pymap) if pymap.exists() else "pymap", "--host", "127.0.0.1"]
        argv += ["--port", str(self.server_port)]
        if self.tls == "starttls":
            argv += ["--cert", str(self.cert), "--key", str(self.key)]
        else:
            argv += ["--no-tls"]
        argv += [*self.extra, "dict", "--demo-user", self.user, "--demo-password", self.password]
        env = {**os.environ, "FQDN": "localhost"}  # no slow reverse lookup for the greeting
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
            )
        _wait_listening(self.server_port, self.process, self.log)
        if self.tls == "imaps":
            self.proxy = _TlsProxy(
                self.cert,
                self.key,
                self.port,
                self.server_port,
                stammer=self.stammer,
                withhold=self.withhold,
            )
        return self

    def stop(self) -> None:
        """Take the server down (its mail is gone with it); `start` brings it back."""
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def __enter__(self) -> ImapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what csm is given --------------------------------------------------------------

    def url(self, *, user: str | None = None) -> str:
        """The `imap_url` of a mailbox on this server (the certificate trusted by `cafile`)."""
        who = (user or self.user).replace("@", "%40")
        if self.tls == "imaps":
            return f"imaps://{who}@127.0.0.1:{self.port}?cafile={self.cert}"
        if self.tls == "starttls":
            return f"imap://{who}@127.0.0.1:{self.port}?starttls=1&cafile={self.cert}"
        return f"imap://{who}@127.0.0.1:{self.port}"

    def mailbox_toml(
        self,
        name: str,
        folder: str,
        *,
        address: str | None = None,
        password_env: str = "CSM_TEST_IMAP_PASSWORD",
        move_to: str | None = None,
    ) -> str:
        """A `[[mailboxes]]` entry of a config file for a folder on this server."""
        lines = [
            "[[mailboxes]]",
            f'name = "{name}"',
            f'addresses = ["{address or name + "@desk.test"}"]',
            f'imap_url = "{self.url()}"',
            f'folder = "{folder}"',
            f'password_env = "{password_env}"',
        ]
        if move_to:
            lines.append(f'move_to = "{move_to}"')
        return "\n".join(lines) + "\n"

    # -- a client of its own, to seed and look ------------------------------------------

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        """A logged-in IMAPClient (another mail client, as far as csm is concerned)."""
        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=str(self.cert))
        imap = IMAPClient(
            "127.0.0.1",
            self.port,
            ssl=self.tls == "imaps",
            ssl_context=context if self.tls == "imaps" else None,
            timeout=30,
        )
        try:
            if self.tls == "starttls":
                imap.starttls(context)
            imap.login(self.user, self.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def new_folder(self, prefix: str = "t") -> str:
        """A new, empty folder of this test's own."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        with self.client() as imap:
            imap.create_folder(name)
        return name

    def append(self, folder: str, *messages: bytes, flags: Sequence[bytes] = ()) -> None:
        with self.client() as imap:
            for raw in messages:
                imap.append(folder, raw, flags=tuple(flags))

    def flags(self, folder: str) -> dict[int, set[bytes]]:
        """UID → flags of every message in `folder` (read without changing them)."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)
            found = imap.get_flags(imap.search(["ALL"]))
            return {int(uid): {bytes(f) for f in fl} for uid, fl in found.items()}

    def uids(self, folder: str) -> list[int]:
        return sorted(self.flags(folder))

    def recreate(self, folder: str) -> None:
        """Delete and create `folder` again: a new UIDVALIDITY, and no messages."""
        with self.client() as imap:
            imap.delete_folder(folder)
            imap.create_folder(folder)


def message(
    number: int,
    *,
    sender: str = "client@example.com",
    subject: str | None = None,
    body: str | None = None,
    to: str = "support@desk.test",
    extra_headers: str = "",
) -> bytes:
    """A small, well-formed message with a Message-ID of its own (`<n.RUN@example.com>`)."""
    run = uuid.uuid4().hex[:10]
    text = (
        f"From: Client {number} <{sender}>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject or f'Question {number}'}\r\n"
        f"Message-ID: <{number}.{run}@example.com>\r\n"
        "Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"{extra_headers}"
        "\r\n"
        f"{body or f'Hello, this is message {number}.'}\r\n"
    )
    return text.encode()
