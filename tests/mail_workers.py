"""Programs the mail process tests start (`python -m tests.mail_workers COMMAND ...`).

`crash-after-store URL CONFIG MAILBOX`: one fetch round in which the process dies (os._exit,
like a kill: no cleanup, no flag, no `last_uid`) right after the intake stored the first
message.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from csm_console.config import load_settings
from csm_console.services.mail_fetch import fetch_mailbox
from csm_console.services.mail_intake import Intake, take_in
from csm_console.store.engine import Store


def crash_after_store(url: str, config: str, name: str) -> None:
    settings = load_settings(config_file=config, database_url=url)
    mailbox = settings.mail.mailbox(name)
    assert mailbox is not None

    def store_then_die(store: Store, raw: bytes, **options: Any) -> Intake:
        result = take_in(store, raw, **options)
        sys.stdout.write(f"stored {result.outcome.value} #{result.ticket_id}\n")
        sys.stdout.flush()
        os._exit(9)

    fetch_mailbox(Store(url), mailbox, mail=settings.mail, take_in=store_then_die)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "crash-after-store":
        crash_after_store(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")
