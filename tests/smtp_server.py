"""A real SMTP server for the outbox tests (aiosmtpd on the loopback).

`python -m tests.smtp_server FOLDER [--mode accept|451|550] [--delay S]` listens on a free port,
prints `PORT <n>` once it accepts connections, and answers every message by its mode:

- `accept`: 250, after writing the message to FOLDER (one `.eml` file each, written and
  renamed into place before the answer, so the file is there whenever we said 250), except
  for the recipients `tempfail@...` (451) and `reject@...` (550);
- `451`: every message is deferred (`451 4.3.0 try again later`);
- `550`: every message is refused (`550 5.1.1 mailbox unavailable`);
- `sink`: 250 to everything, nothing written (for benchmarks: the server's disk stays out of
  the figures).

`--delay` waits before each answer to DATA (so a test can kill a sender mid-batch).
`--cert FILE --key FILE` with `--starttls` (STARTTLS required before anything) or `--smtps`
(TLS from the first byte), and `--auth USER:PASSWORD` (AUTH required), make it a server a
provider would run.
`SmtpServer` (tests.smtp_support) starts it and reads what it recorded; `RecordingHandler` also
runs in a thread of the test itself where a test must act while a message arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

TEMPFAIL = "451 4.3.0 try again later"
REJECT = "550 5.1.1 mailbox unavailable"


class RecordingHandler:
    def __init__(
        self,
        folder: Path,
        mode: str = "accept",
        delay: float = 0.0,
        on_message: Callable[[int], None] | None = None,
    ) -> None:
        self.folder = folder
        self.mode = mode
        self.delay = delay
        self.on_message = on_message
        self.count = itertools.count(1)
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "451":
            return TEMPFAIL
        if self.mode == "550":
            return REJECT
        if self.mode == "sink":
            return f"250 2.0.0 Ok: queued as {next(self.count)}"
        locals_ = {str(r).partition("@")[0].lower() for r in envelope.rcpt_tos}
        if "tempfail" in locals_:
            return TEMPFAIL
        if "reject" in locals_:
            return REJECT
        number = next(self.count)
        data = envelope.original_content or b""
        assert isinstance(data, bytes)
        name = f"{time.time_ns()}-{os.getpid()}-{number:06d}.eml"
        partial = self.folder / (name + ".part")
        with open(partial, "wb") as handle:
            handle.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(self.folder / name)
        if self.on_message is not None:
            self.on_message(number)
        return f"250 2.0.0 Ok: queued as {number}"


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)


async def serve(
    handler: Any,
    port: int = 0,
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    auth: tuple[str, str] | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    options: dict[str, Any] = {"hostname": "csm-test", "data_size_limit": None}
    if tls is not None and not implicit_tls:
        options.update(tls_context=tls, require_starttls=True)
    if auth is not None:
        # over implicit TLS aiosmtpd does not know the transport is encrypted: it is
        options.update(
            authenticator=Authenticator(*auth),
            auth_required=True,
            auth_require_tls=not implicit_tls,
        )
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        host="127.0.0.1",
        port=port,
        ssl=tls if implicit_tls else None,
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--mode", default="accept", choices=("accept", "451", "550", "sink"))
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--smtps", action="store_true")
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    args = parser.parse_args(argv)
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                RecordingHandler(args.folder, args.mode, args.delay),
                tls=tls,
                implicit_tls=args.smtps,
                auth=auth,  # type: ignore[arg-type]
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
