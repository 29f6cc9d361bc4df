"""How the console runs a service call: off the event loop, one failure path for all of them.

Every failure lands in `report`: a notification, and the store banner when the store is away
(the probe then waits for it to come back).  A conflict also reads the open ticket again; the
draft stays in the composer."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from textual.worker import Worker

from csm_console.errors import Conflict, CsmError, StoreUnavailable
from csm_console.tui.console import Console
from csm_console.tui.failures import user_error

R = TypeVar("R")


class ServiceCalls:
    """The service calls of one console.  `probe` starts waiting for a lost store; `reload`
    reads the open ticket again."""

    def __init__(
        self, console: Console, *, probe: Callable[[], None], reload: Callable[[], None]
    ) -> None:
        self.console = console
        self.probe = probe
        self.reload = reload

    def report(self, error: CsmError) -> None:
        """Every failure lands here: a notification (and a banner when the store is gone)."""
        c = self.console
        if isinstance(error, StoreUnavailable):
            c.banner.lost(error.message)
            self.probe()
        else:
            c.banner.clear()
        c.notify(
            error.message,
            severity="error",
            timeout=8,
            title="Conflict" if isinstance(error, Conflict) else "Refused",
            markup=False,  # a message may quote what was typed or received: `[/b]` is text
        )

    def run(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None = None
    ) -> Worker[R | None]:
        """Run a service call (read or write) off the event loop; report any failure; then
        call `done` with the result on the UI thread.  The worker's result is the call's (None
        when it failed), for a dialog flow that waits for it."""
        return self.console.run_worker(
            partial(self._call, label, call, done), name="run_service", group="write", thread=True
        )

    def _call(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None
    ) -> R | None:
        c = self.console
        try:
            result = call()
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            c.call_from_thread(self._failed, error)
            return None
        c.call_from_thread(self._done, label, result, done)
        return result

    def _done(self, label: str, result: Any, done: Callable[[Any], None] | None) -> None:
        c = self.console
        c.banner.clear()
        if label:
            c.notify(label, timeout=3)
        if done is not None:
            done(result)

    def _failed(self, error: CsmError) -> None:
        self.report(error)
        if isinstance(error, Conflict):
            self.reload()  # the draft stays in the composer
