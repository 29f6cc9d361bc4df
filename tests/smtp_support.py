"""Helpers of the outbox tests: a real SMTP server process (tests.smtp_server), a port with
nothing listening, the same server in a thread of the test, and a store set up for mail."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.store.engine import Store
from tests.conftest import process_env

SUPPORT = Mailbox(name="support", addresses=("support@desk.example", "help@desk.example"))
SALES = Mailbox(name="sales", addresses=("sales@desk.example",))


def mail_settings(smtp_url: str | None = None, **changes: object) -> MailSettings:
    return MailSettings(mailboxes=(SUPPORT, SALES), smtp_url=smtp_url, **changes)  # type: ignore[arg-type]


def with_mail(store: Store, smtp_url: str | None = None, **changes: object) -> Store:
    """The store, its services now knowing our two mailboxes (as the faces set them)."""
    store.mail = mail_settings(smtp_url, **changes)
    return store


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (openssl), trusted by a client that is given
    the certificate as SSL_CERT_FILE."""
    import shutil

    import pytest

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_folder(folder: Path) -> list[EmailMessage]:
    """The messages a server recorded, in the order it took them."""
    messages = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


class SmtpServer:
    """`python -m tests.smtp_server` as a process of its own."""

    def __init__(
        self, folder: Path, mode: str = "accept", delay: float = 0.0, extra: tuple[str, ...] = ()
    ) -> None:
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_server", str(folder), "--mode", mode, *extra]
            + (["--delay", str(delay)] if delay else []),
            stdout=subprocess.PIPE,
            env=process_env(),
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the SMTP test server did not start: {line!r}")
        self.port = int(line.split()[1])

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self) -> list[EmailMessage]:
        return read_folder(self.folder)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip("<>") for m in self.messages()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def smtp_server(
    folder: Path, mode: str = "accept", delay: float = 0.0, extra: tuple[str, ...] = ()
) -> Iterator[SmtpServer]:
    server = SmtpServer(folder, mode, delay, extra)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def thread_server(folder: Path, on_message: Callable[[int], None] | None = None) -> Iterator[int]:
    """The recording server in a thread of this test (its handler runs `on_message` after
    recording each message, before answering 250); yields the port."""
    from tests.smtp_server import RecordingHandler

    handler = RecordingHandler(folder, on_message=on_message)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []

    async def run() -> None:
        from aiosmtpd.smtp import SMTP

        server = await loop.create_server(
            lambda: SMTP(handler, hostname="csm-test"), host="127.0.0.1", port=0
        )
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            await server.serve_forever()

    thread = threading.Thread(target=lambda: _run(loop, run), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port[0]
    finally:
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(10)


def _run(loop: asyncio.AbstractEventLoop, run: Callable[[], object]) -> None:
    asyncio.set_event_loop(loop)
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(run())  # type: ignore[arg-type]
