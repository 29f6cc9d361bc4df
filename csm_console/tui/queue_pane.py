"""The queue pane: view, filter bar, column header, the virtual list and a status line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from csm_console.domain.query import Query, Sort, SortKey, parse_query
from csm_console.domain.rights import Actor
from csm_console.services import ticket_reads
from csm_console.services.records import Page, TicketRow
from csm_console.services.views import View, combine
from csm_console.store.engine import Store
from csm_console.tui.failures import user_error
from csm_console.tui.queue_list import QueueList, header_text
from csm_console.tui.queue_window import MAX_ROWS, PAGE_SIZE, FetchPlan, QueueWindow
from csm_console.tui.safe_text import SafeInput

SORT_CYCLE = [SortKey.SLA, SortKey.PRIORITY, SortKey.UPDATED, SortKey.CREATED, SortKey.ID]
COUNT_CAP = 10_000  # the queue counts at most this many tickets of a view ("10,000+" beyond)


class QueuePane(Vertical):
    """Tickets of the current view, most urgent first.

    | key | action |
    |---|---|
    | `/` | filter within the view (the query language) |
    | `escape` | leave the filter bar |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave_filter", "Leave the filter", show=False, id="queue.leave_filter"),
    ]

    @dataclass
    class Changed(Message):
        """The queue was (re)loaded: the view, the query and how many tickets it holds."""

        pane: QueuePane

    def __init__(self, view: View, *, store: Store, actor: Actor, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.actor = actor
        self.view = view
        self.view_query, self.sort = view.parsed()
        self.filter_text = ""
        self.filter_query = Query()
        self.window = QueueWindow(self.sort)
        self.total: int | None = None  # the view's count, when known exactly
        self.total_more = False  # the capped count found more than COUNT_CAP
        self.error: str | None = None
        self._loading = False
        self._generation = 0  # bumped by every reload; late pages of older ones are dropped

    def compose(self) -> ComposeResult:
        yield SafeInput(
            placeholder="filter: status:open priority:>=high refund …  (enter applies)",
            id="queue-filter",
            classes="hidden",
        )
        yield Static(id="queue-header")
        yield QueueList(self.window, id="queue-list")
        yield Static(id="queue-status")

    @property
    def list(self) -> QueueList:
        return self.query_one(QueueList)

    @property
    def ticket_query(self) -> Query:
        """The view's query narrowed by the filter bar."""
        return combine(self.view_query, self.filter_query)

    def on_mount(self) -> None:
        self.load_from("top")

    def on_resize(self) -> None:
        self._show_header()
        self.list.reload(keep_ticket=self.list.current.id if self.list.current else None)

    def on_queue_list_ids_widened(self) -> None:
        self._show_header()

    def _show_header(self) -> None:
        header = header_text(self.list.size.width or 80, self.list.id_width)
        self.query_one("#queue-header", Static).update(header)

    # -- view, sort, filter

    def set_view(self, view: View) -> None:
        self.view = view
        self.view_query, self.sort = view.parsed()
        self.window.sort = self.sort
        self.load_from("top")

    def cycle_sort(self) -> Sort:
        index = SORT_CYCLE.index(self.sort.key) if self.sort.key in SORT_CYCLE else -1
        self.sort = Sort.parse(SORT_CYCLE[(index + 1) % len(SORT_CYCLE)].value)
        self.window.sort = self.sort
        self.load_from("top")
        return self.sort

    def open_filter(self) -> None:
        bar = self.query_one("#queue-filter", Input)
        bar.remove_class("hidden")
        bar.value = self.filter_text
        bar.focus()

    def show_filter(self, text: str, *, view: View | None = None) -> None:
        """Filter by `text` (the query language), shown in the filter bar, in `view` when given
        (the dashboard's drill-down: the view "All" and the query behind a number).  A query
        that does not parse raises QueryError and changes nothing."""
        query = parse_query(text)
        if view is not None:
            self.view = view
            self.view_query, self.sort = view.parsed()
            self.window.sort = self.sort
        self.filter_query = query
        self.filter_text = text.strip()
        bar = self.query_one("#queue-filter", Input)
        bar.value = self.filter_text
        bar.set_class(not self.filter_text, "hidden")
        self.load_from("top")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_filter":
            # escape belongs to the filter bar only while it has focus; otherwise it goes on
            # to the console (back to the queue, clear marks)
            return self.query_one("#queue-filter", Input).has_focus
        return True

    def action_leave_filter(self) -> None:
        bar = self.query_one("#queue-filter", Input)
        if bar.has_focus:
            if not self.filter_text:
                bar.add_class("hidden")
            self.list.focus()

    @on(Input.Changed, "#queue-filter")
    def _check_filter(self, event: Input.Changed) -> None:
        try:
            parse_query(event.value)
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self._show_status(error=error.message)
        else:
            self._show_status()

    @on(Input.Submitted, "#queue-filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        try:
            self.filter_query = parse_query(event.value)
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self._show_status(error=error.message)  # the bad query stays for editing
            return
        self.filter_text = event.value.strip()
        if not self.filter_text:
            event.input.add_class("hidden")
        self.list.focus()
        self.load_from("top")

    # -- loading

    def load_from(
        self, edge: str, keep_ticket: int | None = None, near: Sequence[int] = ()
    ) -> None:
        plan = self.window.plan_top() if edge == "top" else self.window.plan_bottom()
        self._generation += 1
        self._loading = True  # no extending a window that is about to be replaced
        self._fetch(
            plan,
            reset=True,
            keep_ticket=keep_ticket,
            near=near,
            bottom=edge == "bottom",
            generation=self._generation,
        )
        self._count(exact=edge == "bottom")

    def refresh_rows(self, keep_ticket: int | None = None) -> None:
        """Reload from the top, keeping the cursor on `keep_ticket` (default: the current one,
        or when that left the view, the ticket that followed it) where it still shows."""
        near: Sequence[int] = ()
        if keep_ticket is None and self.list.current is not None:
            keep_ticket = self.list.current.id
            near = self.list.neighbours()
        self.load_from("top", keep_ticket=keep_ticket, near=near)

    def live_refresh(self) -> None:
        """Re-read what the queue shows after a change elsewhere, keeping the cursor on its
        ticket and the marks.  At the top of the queue the loaded rows are read again (new
        tickets appear in their place); deeper down, the loaded rows are refreshed in place."""
        if self._loading or not self.window.loaded:
            return  # a load is under way; it reads the new state anyway
        if self.window.offset == 0 and not self.window.more_before:
            self._generation += 1
            self._loading = True
            keep = self.list.current.id if self.list.current is not None else None
            size = min(max(PAGE_SIZE, len(self.window.rows)), MAX_ROWS)
            self._fetch(
                self.window.plan_top(),
                reset=True,
                keep_ticket=keep,
                near=self.list.neighbours(),
                generation=self._generation,
                limit=size,
            )
        else:
            self._reread_rows([row.id for row in self.window.rows])
        self._count(exact=self.window.offset is None)

    @work(thread=True, exclusive=True, group="queue-reread")
    def _reread_rows(self, ticket_ids: Sequence[int]) -> None:
        try:
            rows = ticket_reads.rows_by_id(self.store, ticket_ids)
        except Exception:  # the next change or action tries again; the list says nothing new
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._reread, rows)

    def _reread(self, rows: Sequence[TicketRow]) -> None:
        for row in rows:
            self.window.replace(row)
        self.list.reload(
            keep_ticket=self.list.current.id if self.list.current else None,
            near=self.list.neighbours(),
        )

    @on(QueueList.Highlighted)
    @on(QueueList.MarksChanged)
    def _moved(self) -> None:
        self._show_status()  # the position and the marks count follow the cursor

    @on(QueueList.NeedRows)
    def _need_rows(self, event: QueueList.NeedRows) -> None:
        event.stop()
        if event.where in ("top", "bottom"):
            self.load_from(event.where)
            return
        if self._loading:
            return
        plan = self.window.plan_after() if event.where == "after" else self.window.plan_before()
        if plan is not None:
            self._loading = True
            self._fetch(plan, reset=False, generation=self._generation)

    @work(thread=True, group="queue-fetch")
    def _fetch(
        self,
        plan: FetchPlan,
        *,
        reset: bool,
        generation: int,
        keep_ticket: int | None = None,
        near: Sequence[int] = (),
        bottom: bool = False,
        limit: int = PAGE_SIZE,
    ) -> None:
        query = self.ticket_query
        try:
            page = ticket_reads.list_tickets(
                self.store,
                actor=self.actor,
                query=query,
                sort=plan.sort,
                cursor=plan.cursor,
                limit=limit,
            )
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.app.call_from_thread(self._failed, error.message, generation)
            return
        self.app.call_from_thread(
            self._arrived, plan, page, reset, (keep_ticket, near), bottom, generation
        )

    def _arrived(
        self,
        plan: FetchPlan,
        page: Page[TicketRow],
        reset: bool,
        keep: tuple[int | None, Sequence[int]],
        bottom: bool,
        generation: int,
    ) -> None:
        if generation != self._generation:
            return  # the view, filter or sort changed since this page was asked for
        self._loading = False
        self.error = None
        if reset:
            self.window.reset(plan, page, self.total)
            self.list.reload(keep_ticket=keep[0], near=keep[1], at_bottom=bottom)
        else:
            before = self.window.extend(plan, page)
            dropped = self.window.trim(self.list.cursor + before)
            self.list.rows_added(before - dropped)
        self._show_status()
        self.post_message(self.Changed(self))

    def _failed(self, message: str, generation: int) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.error = message
        self._show_status(error=message)

    @work(thread=True, exclusive=True, group="queue-count")
    def _count(self, exact: bool = False) -> None:
        """Count the view in the background: up to COUNT_CAP tickets ("10,000+" beyond, which
        costs a bounded read whatever the store's size), or every one when the window at the
        bottom needs the total to know its position."""
        try:
            total = ticket_reads.count_tickets(
                self.store,
                actor=self.actor,
                query=self.ticket_query,
                at_most=None if exact else COUNT_CAP,
            )
        except Exception:  # the count is optional; the list says what failed
            return
        if not get_current_worker().is_cancelled:  # superseded results are dropped
            self.app.call_from_thread(self._counted, total, exact)

    def _counted(self, total: int, exact: bool = True) -> None:
        if not exact and total > COUNT_CAP:
            self.total, self.total_more = None, True
            self._show_status()
            return
        self.total, self.total_more = total, False
        if not self.window.more_after and self.window.offset is None:
            self.window.offset = max(0, total - len(self.window.rows))
        self._show_status()

    # -- status line

    def position(self) -> str:
        rows = self.window.rows
        if not rows:
            return "no tickets" if self.window.loaded else "loading…"
        seen = None if self.window.offset is None else self.window.offset + len(rows)
        if seen is not None and not self.window.more_after:
            total = f"{seen:,}"  # the window reaches the end: no count needed
        elif self.total_more:  # more than COUNT_CAP: at least as many as seen so far
            total = f"{max(COUNT_CAP, seen or 0):,}+"
        else:
            total = "…" if self.total is None else f"{self.total:,}"
        if self.window.offset is None:
            return f"row ? of {total}"
        return f"row {self.window.offset + self.list.cursor + 1:,} of {total}"

    def _show_status(self, error: str | None = None) -> None:
        line = Text(no_wrap=True)
        line.append(f" {self.view.name} ", style="reverse")
        line.append(f"  sort {self.sort}  {self.position()}")
        if self.filter_text:
            line.append("  filter: ")
            line.append(self.filter_text, style="italic")
        if self.list.marks:
            line.append(f"  {len(self.list.marks)} marked", style="bold")
        if error:
            line = Text(no_wrap=True)
            line.append(" ✖ ", style="bold red")
            line.append(error)
        self.query_one("#queue-status", Static).update(line)
