"""The console: four panes over the service layer, driven from the keyboard."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.css.query import NoMatches
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from csm_console.config import Settings
from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.rights import Actor
from csm_console.domain.templates import ArticleRef
from csm_console.domain.text import sanitize
from csm_console.domain.workflow import TRANSITIONS
from csm_console.errors import Conflict, CsmError, StoreUnavailable
from csm_console.services import agents, bulk, knowledge, presence, ticket_reads, tickets
from csm_console.services.agents import TeamView
from csm_console.services.drafts import DraftBox
from csm_console.services.knowledge import ArticleView
from csm_console.services.presence import PresenceView
from csm_console.services.records import TicketDetail, TicketRow
from csm_console.services.views import View, all_views
from csm_console.store.change_feed import ChangeFeed
from csm_console.store.engine import Store
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.detail_pane import DetailPane
from csm_console.tui.failures import user_error
from csm_console.tui.formatting import STATUS_WORD
from csm_console.tui.keys import ContextFooter, help_groups
from csm_console.tui.keys import binding_rows as all_binding_rows
from csm_console.tui.knowledge_pane import KnowledgePane
from csm_console.tui.marked_actions import MarkedActions
from csm_console.tui.queue_list import QueueList
from csm_console.tui.queue_pane import QueuePane
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import (
    ArticleScreen,
    Choice,
    ConfirmScreen,
    HelpScreen,
    PickerScreen,
    PromptScreen,
)
from csm_console.tui.terminal import colour_filters
from csm_console.tui.themes import register_themes

R = TypeVar("R")
PANES = ("queue", "detail", "reply", "knowledge")
PANE_LABELS = {"queue": "queue", "detail": "ticket", "reply": "reply", "knowledge": "kb"}
WIDE = 120
SPLIT_HEIGHT = 20  # from this many rows a narrow console shows the ticket above the composer
FOLLOW_DELAY = 0.12  # seconds the queue cursor rests before the detail follows it
FEED_WAIT = 1.0  # seconds the change feed blocks per turn (how soon the console can exit)
REFRESH_GAP = 0.5  # at least this long between two live refreshes (a bulk job commits often)
LEAVE_WAIT = 0.5  # seconds a closing console waits to give its presence lease up
PRUNE_EVERY = 200  # heartbeats between clean-ups of long-expired leases


class CsmApp(App[None]):
    """csm: the operator console."""

    CSS_PATH = "app.tcss"
    TITLE = "csm"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "next_pane(1)", "Next pane", priority=True, id="app.next_pane", show=False),
        Binding(
            "shift+tab",
            "next_pane(-1)",
            "Previous pane",
            priority=True,
            id="app.previous_pane",
            show=False,
        ),
        Binding("1", "pane('queue')", "Queue", id="app.pane_queue", show=False),
        Binding("2", "pane('detail')", "Ticket", id="app.pane_detail", show=False),
        Binding("3", "pane('reply')", "Reply", id="app.pane_reply", show=False),
        Binding("4", "pane('knowledge')", "Knowledge", id="app.pane_knowledge", show=False),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("v", "choose_view", "View", id="app.view"),
        Binding("o", "sort", "Sort", id="app.sort"),
        Binding("n", "take_next", "Next", id="app.take_next"),
        Binding("a", "assign", "Assign", id="app.assign"),
        Binding("e", "escalate", "Escalate", id="app.escalate"),
        Binding("s", "set_status", "Status", id="app.status"),
        Binding("p", "set_priority", "Priority", id="app.priority"),
        Binding("plus", "add_tag", "Tag", id="app.tag"),
        Binding("r", "compose('reply')", "Reply", id="app.reply"),
        Binding("i", "compose('note')", "Note", id="app.note"),
        Binding("t", "templates", "Template", id="app.template"),
        Binding("f", "knowledge", "Knowledge", id="app.knowledge"),
        Binding("h", "history", "History", id="app.history"),
        Binding("D", "dashboard", "Dashboard", id="app.dashboard", show=False),
        Binding("ctrl+s", "send", "Send", priority=True, id="app.send"),
        Binding("escape", "go_back", "Back", id="app.back", show=False),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("q", "quit_console", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit_console", "Quit", priority=True, id="app.force_quit", show=False),
    ]

    def __init__(
        self,
        *,
        store: Store,
        actor: Actor,
        settings: Settings | None = None,
        views: list[View] | None = None,
        theme: str | None = None,
        demo: bool = False,
        clock: Callable[[], datetime] | None = None,
        live: bool = True,
        draft_box: DraftBox | None = None,
    ) -> None:
        super().__init__()
        self.live = live  # follow changes made elsewhere, and show who else is at a ticket
        self.draft_box = draft_box
        self.console_id = presence.new_console_id()
        self.others: dict[int, list[PresenceView]] = {}  # who else is at which ticket
        self._activity: str | None = None  # what this console last told the others
        self._beats = 0  # heartbeats asked for
        self._beat_done = 0  # the newest heartbeat written
        self._beat_lock = threading.Lock()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.store = store
        self.actor = actor
        self.settings = settings
        self.demo = demo
        self.views = views or all_views(actor)
        self.current_pane = "queue"
        self.detail: TicketDetail | None = None
        self._follow_timer: Timer | None = None
        self._theme_name = theme
        self.marked = MarkedActions(self)
        if settings is not None and settings.keymap:
            self.set_keymap(settings.keymap)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="app-header")
        with Grid(id="panes"):
            yield QueuePane(self.views[0], id="queue")
            yield DetailPane(id="detail")
            yield KnowledgePane(id="knowledge")
            yield ReplyPane(id="reply", draft_box=self.draft_box)
        yield Static(id="store-banner", classes="hidden")
        yield ContextFooter()

    def on_mount(self) -> None:
        for name, title in zip(
            PANES, ("1 Queue", "2 Ticket", "3 Reply", "4 Knowledge"), strict=True
        ):
            self.query_one(f"#{name}").border_title = title
        for problem in register_themes(self):
            self.notify(problem, severity="warning")
        known = {row[2] for row in self.binding_rows()}
        unknown = sorted(set(getattr(self, "_keymap", {})) - known)
        if unknown:
            self.notify(
                f"[keymap] has unknown binding ids: {', '.join(unknown)}; see ? for the ids",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self._theme_name:
            if self._theme_name in self.available_themes:
                self.theme = self._theme_name
            else:
                names = ", ".join(sorted(self.available_themes))
                self.notify(
                    f"unknown theme {self._theme_name!r}; available: {names}",
                    severity="warning",
                    timeout=10,
                )
        self._header()
        self._layout(self.size.width)
        self.queue.list.focus()
        if self.live:
            self._follow_changes()
            self.set_interval(presence.HEARTBEAT, self.beat)

    def get_line_filters(self) -> Sequence[LineFilter]:
        return colour_filters(super().get_line_filters(), no_color=self.no_color)

    def on_unmount(self) -> None:
        if self.live:
            # let the others see at once that this console is gone, but never hold up the exit
            # for it: when the store is away or locked, the lease expires by itself
            def leave() -> None:
                with contextlib.suppress(Exception):
                    presence.leave(self.store, console=self.console_id)

            goodbye = threading.Thread(target=leave, daemon=True)
            goodbye.start()
            goodbye.join(LEAVE_WAIT)

    def on_resize(self, event: Any) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        wide = width >= WIDE
        self.screen.set_class(wide, "wide")
        self.screen.set_class(not wide, "narrow")
        # narrow and replying: the ticket above the composer, so the customer's words stay
        # readable while the answer is written
        split = not wide and self.current_pane == "reply" and self.size.height >= SPLIT_HEIGHT
        was_split = self.screen.has_class("split")
        self.screen.set_class(split, "split")
        for name in PANES:
            self.query_one(f"#{name}").set_class(name == self.current_pane, "active")
        if split and not was_split:
            self.call_after_refresh(self.detail_pane.reveal)
        self._header()

    def _header(self) -> None:
        a = self.actor
        line = Text(no_wrap=True, overflow="ellipsis")
        narrow = self.screen.has_class("narrow")
        if narrow:
            split = self.screen.has_class("split")
            for index, name in enumerate(PANES, start=1):
                style = "bold reverse" if name == self.current_pane else "dim"
                if split and name == "detail":
                    style = "reverse"  # shown above the composer
                line.append(f" {index} {PANE_LABELS[name]} ", style=style)
            line.append(" ")
        else:
            line.append(" csm ", style="bold reverse")
            line.append(" ")
        if self.demo:
            line.append(" DEMO ", style="bold black on yellow")
            line.append(" ")
        line.append(a.handle, style="bold")
        if narrow:  # the essentials first: who, which tier and team, then the store
            line.append(f" {a.role.value} {a.tier.value} {a.team or 'no team'}")
        else:
            line.append(f" ({a.name}, {a.role.value}, {a.tier.value}, {a.team or 'no team'})")
        line.append(f"  {self.store.display_url}", style="dim")
        self.query_one("#app-header", Static).update(line)

    @property
    def queue(self) -> QueuePane:
        return self.query_one(QueuePane)

    @property
    def detail_pane(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def reply_pane(self) -> ReplyPane:
        return self.query_one(ReplyPane)

    @property
    def knowledge_pane(self) -> KnowledgePane:
        return self.query_one(KnowledgePane)

    def _pane_focus_target(self, name: str) -> Widget:
        if name == "queue":
            return self.queue.list
        if name == "detail":
            return self.detail_pane
        if name == "reply":
            return self.reply_pane.composer
        return self.knowledge_pane.search_box

    def action_pane(self, name: str) -> None:
        self.current_pane = name
        self._layout(self.size.width)
        self._pane_focus_target(name).focus()

    def action_next_pane(self, step: int) -> None:
        index = PANES.index(self._focused_pane() or self.current_pane)
        self.action_pane(PANES[(index + step) % len(PANES)])

    def _focused_pane(self) -> str | None:
        node = self.focused
        while node is not None:
            if node.id in PANES:
                return node.id
            node = node.parent  # type: ignore[assignment]
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a dialog is open, the console's own keys belong to the dialog."""
        return not (isinstance(self.screen, ModalScreen) and action in _CONSOLE_ACTIONS)

    # ------------------------------------------------------------------ errors and workers

    def report(self, error: CsmError) -> None:
        """Every failure lands here: a notification (and a banner when the store is gone)."""
        banner = self.query_one("#store-banner", Static)
        if isinstance(error, StoreUnavailable):
            banner.update(
                Text(
                    f" ⚠ {sanitize(error.message, single_line=True)}  — your draft is kept; "
                    "checking the store again by itself ",
                    style="bold",
                )
            )
            banner.remove_class("hidden")
            self._probe_store()
        else:
            banner.add_class("hidden")
        self.notify(
            error.message,
            severity="error",
            timeout=8,
            title="Conflict" if isinstance(error, Conflict) else "Refused",
        )

    @work(thread=True, group="write")
    def run_service(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None = None
    ) -> None:
        """Run a service call (read or write) off the event loop; report any failure; then call
        `done` with the result on the UI thread."""
        try:
            result = call()
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.call_from_thread(self._write_failed, error)
            return
        self.call_from_thread(self._write_done, label, result, done)

    def _write_done(self, label: str, result: Any, done: Callable[[Any], None] | None) -> None:
        self.query_one("#store-banner", Static).add_class("hidden")
        if label:
            self.notify(label, timeout=3)
        if done is not None:
            done(result)

    def _write_failed(self, error: CsmError) -> None:
        self.report(error)
        if isinstance(error, Conflict) and self.detail is not None:
            self.open_ticket(self.detail.ticket.id)  # reload; the draft stays in the composer

    # ------------------------------------------------------------------ live: changes, presence

    @work(thread=True, group="changes")
    def _follow_changes(self) -> None:
        """Block on the store's change feed (off the event loop) and refresh on each change."""
        feed = ChangeFeed(self.store)
        worker = get_current_worker()
        problem: str | None = None
        try:
            while not worker.is_cancelled:
                changed = feed.wait(FEED_WAIT)
                if worker.is_cancelled:
                    break
                if feed.problem != problem:  # the store went away, or came back
                    problem = feed.problem
                    self.call_from_thread(self._store_reachable, problem)
                if changed:
                    self.call_from_thread(self.store_changed)
                    time.sleep(REFRESH_GAP)
        finally:
            feed.close()

    @work(thread=True, exclusive=True, group="probe")
    def _probe_store(self) -> None:
        """After a failed action: try the store with backoff until it takes a write again."""
        delay = 0.5
        worker = get_current_worker()
        while not worker.is_cancelled:
            waited = 0.0
            while waited < delay and not worker.is_cancelled:  # quits promptly at exit
                time.sleep(0.1)
                waited += 0.1
            if worker.is_cancelled:
                return
            try:
                with self.store.write():  # SQLite: takes the write lock; PostgreSQL: a round trip
                    pass
            except Exception:  # still away
                delay = min(8.0, delay * 2)
                continue
            if not worker.is_cancelled:
                self.call_from_thread(self._store_reachable, None)
            return

    def _store_reachable(self, problem: str | None) -> None:
        """The feed lost the store (a banner; it retries with backoff) or has it back."""
        with contextlib.suppress(NoMatches):  # the console is closing
            banner = self.query_one("#store-banner", Static)
            if problem is not None:
                banner.update(
                    Text(
                        f" ⚠ the store is unreachable: {sanitize(problem, single_line=True)}"
                        " — retrying by itself; your drafts are kept ",
                        style="bold",
                    )
                )
                banner.remove_class("hidden")
                return
            if banner.has_class("hidden"):
                return
            banner.add_class("hidden")
            self.notify("The store is back.", timeout=3)
            self.store_changed()

    def store_changed(self) -> None:
        """Something changed elsewhere: re-read what is on screen, keeping cursor, marks and
        draft."""
        with contextlib.suppress(NoMatches):  # the console is closing: nothing to refresh
            self.queue.live_refresh()
            if self.detail is not None:
                self.open_ticket(self.detail.ticket.id)
            for screen in self.screen_stack:
                if isinstance(screen, DashboardScreen):
                    screen.store_changed()

    def beat(self) -> None:
        """Renew this console's presence lease and learn who else is at the tickets shown."""
        if not self.live:
            return
        ticket_id = self.detail.ticket.id if self.detail is not None else None
        activity = self._my_activity()
        self._activity = activity
        shown = self.queue.list.visible_ids()
        self._beats += 1  # numbered here, on the UI thread, in the order they are asked for
        self._beat(self._beats, ticket_id, activity, shown)

    @work(thread=True, group="presence")
    def _beat(self, number: int, ticket_id: int | None, activity: str, shown: list[int]) -> None:
        with self._beat_lock:  # one at a time, and never an older one after a newer one
            if number < self._beat_done:
                return
            self._beat_done = number
            try:
                presence.heartbeat(
                    self.store,
                    console=self.console_id,
                    actor=self.actor,
                    ticket_id=ticket_id,
                    activity=activity,
                )
                if number % PRUNE_EVERY == 1:  # leases of killed consoles, long expired
                    presence.prune(self.store)
                ids = [*shown, ticket_id] if ticket_id is not None else shown
                others = presence.others_at(self.store, console=self.console_id, ticket_ids=ids)
            except Exception:  # best effort: a store that is away shows on the next action
                return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._presence_arrived, others)

    def _presence_arrived(self, others: dict[int, list[PresenceView]]) -> None:
        self.others = others
        with contextlib.suppress(NoMatches):  # the console is closing
            self.queue.list.set_presence(
                {
                    ticket_id: people[0].activity  # replying sorts first
                    for ticket_id, people in others.items()
                }
            )
            if self.detail is not None:
                self.detail_pane.show_presence(others.get(self.detail.ticket.id, []))

    @on(ReplyPane.DraftChanged)
    def _draft_changed(self) -> None:
        if not self.live:
            return
        with contextlib.suppress(NoMatches):  # the console is closing
            if self._my_activity() != self._activity:
                self.beat()  # the others learn at once that a reply is being written

    def _my_activity(self) -> str:
        return presence.REPLYING if self.reply_pane.is_replying() else presence.VIEWING

    # ------------------------------------------------------------------ the open ticket

    @on(QueueList.Highlighted)
    def _highlighted(self, event: QueueList.Highlighted) -> None:
        """Follow the cursor with the detail, once it rests: moving stays instant."""
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        row = event.row
        if row is None or (self.detail is not None and self.detail.ticket.id == row.id):
            return
        if self.detail is None:
            self.open_ticket(row.id)
            return
        if self._follows_cursor():
            self._follow_timer = self.set_timer(FOLLOW_DELAY, lambda: self._follow(row.id))

    def _follows_cursor(self) -> bool:
        """The detail follows the queue cursor, except while the agent writes a reply or
        searches for the open ticket: a refresh that moves the cursor (the open ticket left the
        view) must never switch the ticket under a draft."""
        return self._focused_pane() not in ("reply", "knowledge")

    def _follow(self, ticket_id: int) -> None:
        if self.screen_stack and self._follows_cursor():  # (no screen: the console is closing)
            self.open_ticket(ticket_id)

    @on(QueueList.Opened)
    def _opened(self, event: QueueList.Opened) -> None:
        self.open_ticket(event.row.id)
        if self.screen.has_class("narrow"):
            self.action_pane("detail")

    @work(thread=True, exclusive=True, group="detail")
    def open_ticket(self, ticket_id: int) -> None:
        try:
            detail = ticket_reads.get_ticket(self.store, ticket_id=ticket_id)
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.call_from_thread(self.report, error)
            return
        if not get_current_worker().is_cancelled:  # superseded results are dropped
            self.call_from_thread(self._show_ticket, detail)

    def _show_ticket(self, detail: TicketDetail) -> None:
        previous = self.detail
        if previous is not None and previous == detail:
            return  # a live refresh that found nothing new: leave the scroll position alone
        self.detail = detail
        self.detail_pane.show(detail)
        self.reply_pane.show(detail)
        self.knowledge_pane.show(detail)
        self.queue.list.update_row(detail.ticket)
        if previous is None or previous.ticket.id != detail.ticket.id:
            self.detail_pane.show_presence(self.others.get(detail.ticket.id, []))
            self.beat()

    def _after_change(self, row: TicketRow) -> None:
        self.queue.list.update_row(row)
        self.open_ticket(row.id)

    def _need_ticket(self) -> TicketRow | None:
        row = self.detail.ticket if self.detail else self.queue.list.current
        if row is None:
            self.notify("No ticket: pick one in the queue first.", severity="warning")
        return row

    # ------------------------------------------------------------------ queue actions

    def action_filter(self) -> None:
        self.action_pane("queue")
        self.queue.open_filter()

    def action_choose_view(self) -> None:
        options = [Choice(view, view.name, view.query or "every ticket") for view in self.views]

        def chosen(view: View | None) -> None:
            if view is not None:
                self.queue.set_view(view)

        self.push_screen(PickerScreen("Choose a view", options, initial=self.queue.view), chosen)

    def action_dashboard(self) -> None:
        """The lead's dashboard; a drill-down comes back as a query for the queue."""
        self.push_screen(DashboardScreen(store=self.store, actor=self.actor), self._drilled)

    def _drilled(self, query: str | None) -> None:
        """Show the tickets behind a dashboard number: every ticket (the view "All"), filtered
        by the query, which stays in the filter bar to read and edit."""
        self._layout(self.size.width)  # the terminal may have been resized meanwhile
        if not query:
            return
        every = next((v for v in self.views if not v.query.strip()), View("All", ""))
        try:
            self.queue.show_filter(query, view=every)
        except Exception as caught:  # reported, never raised into the UI
            self.report(user_error(caught))
            return
        self.action_pane("queue")

    def action_sort(self) -> None:
        sort = self.queue.cycle_sort()
        self.notify(f"sorted by {sort}", timeout=2)

    def action_take_next(self) -> None:
        def claimed(row: TicketRow) -> None:
            self.notify(f"took #{row.id}", timeout=3)
            self.queue.refresh_rows(keep_ticket=row.id)
            self.open_ticket(row.id)
            if self.screen.has_class("narrow"):
                self.action_pane("detail")

        self.run_service("", lambda: tickets.take_next(self.store, actor=self.actor), claimed)

    def action_go_back(self) -> None:
        if self._focused_pane() not in (None, "queue"):
            self.action_pane("queue")
            return
        if self.queue.list.clear_marks():
            self.queue.refresh_rows()
            self.notify("marks cleared", timeout=2)

    # ------------------------------------------------------------------ ticket actions

    def _targets(self) -> list[TicketRow]:
        """Marked tickets if any, else the current one."""
        marked = self.queue.list.marked_rows
        if marked:
            return marked
        row = self._need_ticket()
        return [row] if row else []

    def _version(self, row: TicketRow) -> int:
        if self.detail is not None and self.detail.ticket.id == row.id:
            return self.detail.ticket.version
        return row.version

    def action_assign(self) -> None:
        targets = self._targets()
        if targets:
            self.marked.assign(targets)

    def action_set_status(self) -> None:
        targets = self._targets()
        if not targets:
            return
        if len(targets) == 1:
            current = targets[0].status
            allowed = [s for s in Status if s in TRANSITIONS[current]]
            if not allowed:
                self.notify(
                    f"#{targets[0].id} is {current.value}: no status change is allowed",
                    severity="warning",
                )
                return
        else:
            allowed = [s for s in Status if s is not Status.NEW]
        options = [Choice(s, STATUS_WORD[s]) for s in allowed]

        def chosen(status: Status | None) -> None:
            if status is None:
                return
            if len(targets) == 1:
                row = targets[0]
                self.run_service(
                    f"#{row.id} is {STATUS_WORD[status]}",
                    lambda: tickets.change_status(
                        self.store,
                        actor=self.actor,
                        ticket_id=row.id,
                        status=status,
                        expected_version=self._version(row),
                    ),
                    self._after_change,
                )
            else:
                self.marked.confirm(
                    f"Set {len(targets)} tickets to {STATUS_WORD[status]}?",
                    targets,
                    lambda versions: bulk.set_status_many(
                        self.store,
                        actor=self.actor,
                        ticket_ids=list(versions),
                        status=status,
                        versions=versions,
                    ),
                )

        self.push_screen(PickerScreen("Set status", options), chosen)

    def action_set_priority(self) -> None:
        row = self._need_ticket()
        if row is None:
            return
        options = [Choice(p, p.label) for p in reversed(Priority)]

        def chosen(priority: Priority | None) -> None:
            if priority is not None:
                self.run_service(
                    f"#{row.id} priority {priority.label}",
                    lambda: tickets.change_priority(
                        self.store,
                        actor=self.actor,
                        ticket_id=row.id,
                        priority=priority,
                        expected_version=self._version(row),
                    ),
                    self._after_change,
                )

        self.push_screen(PickerScreen("Set priority", options, initial=row.priority), chosen)

    def action_add_tag(self) -> None:
        row = self._need_ticket()
        if row is None:
            return

        def entered(tag: str | None) -> None:
            if tag:
                self.run_service(
                    f"#{row.id} tagged {tag}",
                    lambda: tickets.tag_ticket(
                        self.store,
                        actor=self.actor,
                        ticket_id=row.id,
                        add=tag.replace(",", " ").split(),
                        expected_version=self._version(row),
                    ),
                    self._after_change,
                )

        self.push_screen(PromptScreen(f"Add tags to #{row.id}", placeholder="billing vip"), entered)

    def action_escalate(self) -> None:
        row = self._need_ticket()
        if row is None:
            return
        higher = [t for t in Tier if t.level > row.tier.level]
        if not higher:
            self.notify(
                f"#{row.id} is already at {row.tier.value}, the top tier", severity="warning"
            )
            return

        def ask_reason(tier: Tier, team: str | None) -> None:
            def reason_given(reason: str | None) -> None:
                if reason:
                    self.run_service(
                        f"#{row.id} escalated to {tier.value}" + (f", {team}" if team else ""),
                        lambda: tickets.escalate(
                            self.store,
                            actor=self.actor,
                            ticket_id=row.id,
                            to_tier=tier,
                            reason=reason,
                            team=team,
                            expected_version=self._version(row),
                        ),
                        self._after_escalation,
                    )

            where = f"{tier.value}" + (f" ({team})" if team else "")
            self.push_screen(
                PromptScreen(
                    f"Why escalate #{row.id} to {where}?", placeholder="the reason (required)"
                ),
                reason_given,
            )

        def tier_chosen(tier: Tier | None) -> None:
            if tier is None:
                return

            def teams_known(teams: list[TeamView]) -> None:
                if len(teams) <= 1:
                    ask_reason(tier, teams[0].name if teams else None)
                    return
                choices = [Choice(t.name, t.name, t.description) for t in teams]
                self.push_screen(
                    PickerScreen(f"Which {tier.value} team takes #{row.id}?", choices),
                    lambda team: ask_reason(tier, team) if team else None,
                )

            self.run_service("", lambda: agents.list_teams(self.store, tier=tier), teams_known)

        self.push_screen(
            PickerScreen(f"Escalate #{row.id} to", [Choice(t, t.value) for t in higher]),
            tier_chosen,
        )

    def _after_escalation(self, row: TicketRow) -> None:
        """The ticket left this agent's tier: reload the queue so it leaves the view too."""
        self.queue.refresh_rows()
        self.open_ticket(row.id)

    # ------------------------------------------------------------------ reply and knowledge

    def action_compose(self, mode: str) -> None:
        if self._need_ticket() is None:
            return
        self.action_pane("reply")
        self.reply_pane.start(mode)

    def action_templates(self) -> None:
        if self._need_ticket() is None:
            return
        self.action_pane("reply")
        self.reply_pane.action_templates()

    def action_knowledge(self) -> None:
        self.action_pane("knowledge")

    def action_history(self) -> None:
        """Show or hide the audit history of the open ticket (from any pane)."""
        if self.detail is None:
            self.notify("No ticket open.", severity="warning")
            return
        self.detail_pane.action_toggle_audit()
        if self.screen.has_class("narrow") and self.detail_pane.show_audit:
            self.action_pane("detail")

    def action_send(self) -> None:
        self.reply_pane.request_send()

    @on(ReplyPane.SendRequested)
    def _send(self, event: ReplyPane.SendRequested) -> None:
        detail = self.detail
        if detail is None or detail.ticket.id != event.ticket_id:
            return
        version = detail.ticket.version
        ticket_id = event.ticket_id
        text = event.text

        def sent(row: TicketRow) -> None:
            self.reply_pane.clear_sent(ticket_id)
            self._after_change(row)
            self.action_pane("queue")

        if event.mode == "note":
            self.run_service(
                f"note added to #{ticket_id}",
                lambda: tickets.add_note(
                    self.store,
                    actor=self.actor,
                    ticket_id=ticket_id,
                    body=text,
                    expected_version=version,
                ),
                sent,
            )
            return
        options = [
            Choice(Status.PENDING, "pending", "waiting for the customer"),
            Choice(Status.OPEN, "open", "still ours to work"),
            Choice(Status.SOLVED, "solved", "done"),
        ]

        def status_chosen(status: Status | None) -> None:
            if status is None:
                return
            self.run_service(
                f"reply sent on #{ticket_id}, now {STATUS_WORD[status]}",
                lambda: tickets.reply(
                    self.store,
                    actor=self.actor,
                    ticket_id=ticket_id,
                    body=text,
                    status=status,
                    expected_version=version,
                ),
                sent,
            )

        def choose_status() -> None:
            self.push_screen(
                PickerScreen(
                    f"Send the reply on #{ticket_id}, then the ticket is",
                    options,
                    initial=Status.PENDING,
                ),
                status_chosen,
            )

        replying = [
            p.handle for p in self.others.get(ticket_id, []) if p.activity == presence.REPLYING
        ]
        if not replying:
            choose_status()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                choose_status()

        self.push_screen(
            ConfirmScreen(
                f"{', '.join(replying)} {'is' if len(replying) == 1 else 'are'} replying to "
                f"#{ticket_id} too. Send yours anyway?",
                "Two answers to one customer confuse them; talk to your colleague first.",
            ),
            answered,
        )

    @on(KnowledgePane.Open)
    def _open_article(self, event: KnowledgePane.Open) -> None:
        def show(article: ArticleView) -> None:
            def closed(what: str | None) -> None:
                if what:
                    self._insert_article(article, what)

            self.push_screen(ArticleScreen(article.title, article.body, article.reference), closed)

        self._with_article(event.article_id, show)

    @on(KnowledgePane.Insert)
    def _insert(self, event: KnowledgePane.Insert) -> None:
        self._with_article(event.article_id, lambda a: self._insert_article(a, event.what))

    def _with_article(self, article_id: int, then: Callable[[ArticleView], None]) -> None:
        self.run_service("", lambda: knowledge.get_article(self.store, article_id=article_id), then)

    def _insert_article(self, article: ArticleView, what: str) -> None:
        if self.detail is None:
            self.notify("Open a ticket first.", severity="warning")
            return
        reply = self.reply_pane
        reply.article = ArticleRef(article.title, article.reference)
        reply.article_changed()
        if what == "reference":  # at the caret, inside the sentence being written
            reply.insert_inline(f"{article.title} ({article.reference})")
        else:
            reply.insert_block(article.excerpt())
        self.action_pane("reply")
        self.notify(f"inserted {what} of {article.reference}", timeout=3)

    # ------------------------------------------------------------------ help, palette, quit

    def binding_rows(self) -> list[tuple[str, str, str]]:
        """(keys, description, id) for every binding, with the user's keymap applied."""
        return all_binding_rows(self)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_groups(self)))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the console in the palette, run where its key would run it."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, DashboardScreen):  # the dashboard's own keys, run on it
            for binding in DashboardScreen.BINDINGS:
                if isinstance(binding, Binding) and binding.id and binding.show:
                    yield SystemCommand(
                        f"Dashboard: {binding.description}",
                        f"{self.get_key_display(binding)}  ({binding.id})",
                        lambda a=binding.action: self.run_action(a, screen),
                    )
            return
        owners: list[tuple[Any, Any]] = [
            (self, self),
            (self.queue.list, self.queue.list),
            (self.detail_pane, self.detail_pane),
            (self.reply_pane, self.reply_pane),
            (self.knowledge_pane, self.knowledge_pane),
        ]
        for owner, target in owners:
            for binding in type(owner).BINDINGS:
                if not (isinstance(binding, Binding) and binding.id and binding.description):
                    continue
                keys = ", ".join(
                    self.get_key_display(binding.with_key(k.strip()))
                    for k in binding.key.split(",")
                )
                yield SystemCommand(
                    binding.description,
                    f"{keys}  ({binding.id})",
                    lambda a=binding.action, t=target: self.run_action(a, t),
                )

    def action_quit_console(self) -> None:
        if self.reply_pane.has_unsent():
            drafts = [(ticket_id, d.mode) for ticket_id, d in self.reply_pane.drafts.items()]
            named = ", ".join(f"{mode} on #{ticket_id}" for ticket_id, mode in drafts[:3])
            if len(drafts) > 3:
                named += f" and {len(drafts) - 3} more"

            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(
                ConfirmScreen(
                    f"Quit with {'an unsent' if len(drafts) == 1 else 'unsent drafts:'} {named}?",
                    "They are kept on this machine and offered back when you open their "
                    "tickets again."
                    if self.draft_box is not None
                    else "Unsent drafts are lost when the console closes.",
                ),
                answered,
            )
            return
        self.exit()


_CONSOLE_ACTIONS = {
    binding.action.split("(")[0]
    for binding in CsmApp.BINDINGS
    if isinstance(binding, Binding) and binding.action not in ("quit_console", "help")
}
