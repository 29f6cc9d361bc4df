"""What the console's parts (the dialog flows, the open ticket, the service calls, the live
view) need from the console (`tui/app.py`), as a protocol: they are built by the console and
never import it back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerCancelled

from csm_console.domain.rights import Actor
from csm_console.errors import CsmError
from csm_console.services.drafts import DraftBox
from csm_console.services.presence import PresenceView
from csm_console.services.records import TicketDetail, TicketRow
from csm_console.services.views import View
from csm_console.store.engine import Store
from csm_console.tui.detail_pane import DetailPane
from csm_console.tui.knowledge_pane import KnowledgePane
from csm_console.tui.queue_pane import QueuePane
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.store_banner import StoreBanner

R = TypeVar("R")


class Console(Protocol):
    """The operator console, as its parts see it."""

    store: Store
    actor: Actor
    views: list[View]
    draft_box: DraftBox | None

    @property
    def detail(self) -> TicketDetail | None: ...  # the open ticket

    @property
    def others(self) -> dict[int, list[PresenceView]]: ...  # who else is at which ticket

    @property
    def screen(self) -> Screen[object]: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    @property
    def queue(self) -> QueuePane: ...

    @property
    def detail_pane(self) -> DetailPane: ...

    @property
    def reply_pane(self) -> ReplyPane: ...

    @property
    def knowledge_pane(self) -> KnowledgePane: ...

    @property
    def banner(self) -> StoreBanner: ...

    def focused_pane(self) -> str | None: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def push_screen(
        self,
        screen: Screen[Any],
        callback: Any = None,
        wait_for_dismiss: bool = False,
        *,
        mode: str | None = None,
    ) -> Any: ...

    def exit(self, result: None = None, return_code: int = 0, message: Any = None) -> None: ...

    def report(self, error: CsmError) -> None: ...

    def run_service(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None = None
    ) -> Worker[R | None]: ...

    def open_ticket(self, ticket_id: int) -> Any: ...

    def action_pane(self, name: str) -> None: ...

    def relayout(self, width: int | None = None) -> None: ...

    def need_ticket(self) -> TicketRow | None: ...

    def after_change(self, row: TicketRow) -> None: ...

    def beat(self) -> None: ...

    def bell(self) -> None: ...  # the terminal bell

    def run_worker(
        self,
        work: Callable[[], R],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[R]: ...

    def set_timer(
        self,
        delay: float,
        callback: Callable[[], Any] | None = None,
        *,
        name: str | None = None,
        pause: bool = False,
    ) -> Timer: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


DIALOGS = "dialogs"  # the worker group of the dialog flows (they wait for the operator)
T = TypeVar("T")


async def ask(console: Console, screen: Screen[T]) -> T:
    """Show a dialog and wait for its answer (inside a worker of the `DIALOGS` group)."""
    answer: T = await console.push_screen(screen, wait_for_dismiss=True)
    return answer


async def fetch(console: Console, call: Callable[[], R]) -> R | None:
    """Run a service read off the event loop and wait for it; None when it failed (the failure
    is reported) or the console is closing."""
    try:
        return await console.run_service("", call).wait()
    except WorkerCancelled:
        return None


def expected_version(console: Console, row: TicketRow) -> int:
    """The version a write on `row` is based on: the open ticket's when it is that one (it is
    re-read more often than the queue's row)."""
    if console.detail is not None and console.detail.ticket.id == row.id:
        return console.detail.ticket.version
    return row.version


def change_ticket(
    console: Console,
    label: str,
    row: TicketRow,
    write: Callable[..., TicketRow],
    done: Callable[[TicketRow], None] | None = None,
    **fields: Any,
) -> None:
    """One write on the ticket `row` through `write` (a service taking store, actor, ticket id
    and the expected version), based on the version the console last read; then `done` (by
    default: show the changed ticket)."""
    console.run_service(
        label,
        lambda: write(
            console.store,
            actor=console.actor,
            ticket_id=row.id,
            expected_version=expected_version(console, row),
            **fields,
        ),
        done or console.after_change,
    )
