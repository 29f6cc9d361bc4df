"""The console: four panes over the service layer, driven from the keyboard."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Grid
from textual.css.query import NoMatches
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from csm_console.config import Settings
from csm_console.domain.rights import Actor
from csm_console.errors import Conflict, CsmError, StoreUnavailable
from csm_console.services import presence, ticket_reads, tickets
from csm_console.services.drafts import DraftBox
from csm_console.services.presence import PresenceView
from csm_console.services.records import TicketDetail, TicketRow
from csm_console.services.views import View, all_views
from csm_console.store.engine import Store
from csm_console.tui.action_flows import ActionFlows
from csm_console.tui.console import DIALOGS
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.detail_pane import DetailPane
from csm_console.tui.failures import user_error
from csm_console.tui.keys import (
    CONSOLE_ACTIONS,
    CONSOLE_BINDINGS,
    ContextFooter,
    help_groups,
    palette_commands,
    screen_commands,
    unknown_keymap_ids,
)
from csm_console.tui.keys import binding_rows as all_binding_rows
from csm_console.tui.knowledge_pane import KnowledgePane
from csm_console.tui.layout import PANE_TITLES, PANES, arrange, header_line, pane_of
from csm_console.tui.live import LiveConsole, PresenceArrived, StoreChanged, StoreReachable
from csm_console.tui.queue_list import QueueList
from csm_console.tui.queue_pane import QueuePane
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import HelpScreen
from csm_console.tui.store_banner import StoreBanner
from csm_console.tui.terminal import colour_filters
from csm_console.tui.themes import choose_theme, register_themes

R = TypeVar("R")
FOLLOW_DELAY = 0.12  # seconds the queue cursor rests before the detail follows it


class CsmApp(App[None]):
    """csm: the operator console."""

    CSS_PATH = "app.tcss"
    TITLE = "csm"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = CONSOLE_BINDINGS

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
        self.live_console = LiveConsole(self, store=store, actor=actor)
        self.others: dict[int, list[PresenceView]] = {}  # who else is at which ticket
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
        self.flows = ActionFlows(self)
        if settings is not None and settings.keymap:
            self.set_keymap(settings.keymap)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="app-header")
        with Grid(id="panes"):
            yield QueuePane(self.views[0], store=self.store, actor=self.actor, id="queue")
            yield DetailPane(id="detail")
            yield KnowledgePane(store=self.store, id="knowledge")
            yield ReplyPane(
                store=self.store, actor=self.actor, id="reply", draft_box=self.draft_box
            )
        yield StoreBanner(id="store-banner", classes="hidden")
        yield ContextFooter()

    def on_mount(self) -> None:
        for name, title in zip(PANES, PANE_TITLES, strict=True):
            self.query_one(f"#{name}").border_title = title
        for problem in register_themes(self):
            self.notify(problem, severity="warning")
        unknown = unknown_keymap_ids(self)
        if unknown:
            self.notify(
                f"[keymap] has unknown binding ids: {', '.join(unknown)}; see ? for the ids",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self._theme_name:
            choose_theme(self, self._theme_name)
        self._header()
        self._layout(self.size.width)
        self.queue.list.focus()
        if self.live:
            self.live_console.start()
            self.set_interval(presence.HEARTBEAT, self.beat)

    def get_line_filters(self) -> Sequence[LineFilter]:
        return colour_filters(super().get_line_filters(), no_color=self.no_color)

    def on_unmount(self) -> None:
        if self.live:
            self.live_console.leave()

    def on_resize(self, event: Any) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        if arrange(self.screen, self.current_pane, width, self.size.height):
            self.call_after_refresh(self.detail_pane.reveal)
        self._header()

    def _header(self) -> None:
        line = header_line(
            self.actor,
            self.store.display_url,
            current=self.current_pane,
            narrow=self.screen.has_class("narrow"),
            split=self.screen.has_class("split"),
            demo=self.demo,
        )
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
        return pane_of(self.focused)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a dialog is open, the console's own keys belong to the dialog."""
        return not (isinstance(self.screen, ModalScreen) and action in CONSOLE_ACTIONS)

    # ------------------------------------------------------------------ errors and workers

    def report(self, error: CsmError) -> None:
        """Every failure lands here: a notification (and a banner when the store is gone)."""
        banner = self.query_one(StoreBanner)
        if isinstance(error, StoreUnavailable):
            banner.lost(error.message)
            self.live_console.probe()
        else:
            banner.clear()
        self.notify(
            error.message,
            severity="error",
            timeout=8,
            title="Conflict" if isinstance(error, Conflict) else "Refused",
        )

    @work(thread=True, group="write")
    def run_service(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None = None
    ) -> R | None:
        """Run a service call (read or write) off the event loop; report any failure; then call
        `done` with the result on the UI thread.  The worker's result is the call's (None when
        it failed), for a dialog flow that waits for it."""
        try:
            result = call()
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.call_from_thread(self._write_failed, error)
            return None
        self.call_from_thread(self._write_done, label, result, done)
        return result

    def _write_done(self, label: str, result: Any, done: Callable[[Any], None] | None) -> None:
        self.query_one(StoreBanner).clear()
        if label:
            self.notify(label, timeout=3)
        if done is not None:
            done(result)

    def _write_failed(self, error: CsmError) -> None:
        self.report(error)
        if isinstance(error, Conflict) and self.detail is not None:
            self.open_ticket(self.detail.ticket.id)  # reload; the draft stays in the composer

    # ------------------------------------------------------------------ live: changes, presence

    @on(StoreReachable)
    def _store_reachable(self, event: StoreReachable) -> None:
        """The feed lost the store (a banner; it retries with backoff) or has it back."""
        with contextlib.suppress(NoMatches):  # the console is closing
            banner = self.query_one(StoreBanner)
            if event.problem is not None:
                banner.unreachable(event.problem)
                return
            if not banner.clear():
                return
            self.notify("The store is back.", timeout=3)
            self.store_changed()

    @on(StoreChanged)
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
        if self.live:
            self.live_console.beat(
                ticket_id=self.detail.ticket.id if self.detail is not None else None,
                activity=self._my_activity(),
                shown=self.queue.list.visible_ids(),
            )

    @on(PresenceArrived)
    def _presence_arrived(self, event: PresenceArrived) -> None:
        self.others = others = event.others
        with contextlib.suppress(NoMatches):  # the console is closing
            self.queue.list.set_presence(
                {ticket_id: people[0].activity for ticket_id, people in others.items()}
            )  # replying sorts first
            if self.detail is not None:
                self.detail_pane.show_presence(others.get(self.detail.ticket.id, []))

    @on(ReplyPane.DraftChanged)
    def _draft_changed(self) -> None:
        if not self.live:
            return
        with contextlib.suppress(NoMatches):  # the console is closing
            if self._my_activity() != self.live_console.activity:
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

    def after_change(self, row: TicketRow) -> None:
        self.queue.list.update_row(row)
        self.open_ticket(row.id)

    def need_ticket(self) -> TicketRow | None:
        row = self.detail.ticket if self.detail else self.queue.list.current
        if row is None:
            self.notify("No ticket: pick one in the queue first.", severity="warning")
        return row

    # ------------------------------------------------------------------ queue actions

    def _flow(self, flow: Coroutine[Any, Any, None]) -> None:
        """Run one of the action dialogs (`tui.action_flows`): it waits for the operator."""
        self.run_worker(flow, group=DIALOGS)

    def action_filter(self) -> None:
        self.action_pane("queue")
        self.queue.open_filter()

    def action_choose_view(self) -> None:
        self._flow(self.flows.choose_view())

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

    def action_assign(self) -> None:
        self._flow(self.flows.assign())

    def action_set_status(self) -> None:
        self._flow(self.flows.set_status())

    def action_set_priority(self) -> None:
        self._flow(self.flows.set_priority())

    def action_add_tag(self) -> None:
        self._flow(self.flows.add_tag())

    def action_escalate(self) -> None:
        self._flow(self.flows.escalate())

    # ------------------------------------------------------------------ reply and knowledge

    def action_compose(self, mode: str) -> None:
        if self.need_ticket() is None:
            return
        self.action_pane("reply")
        self.reply_pane.start(mode)

    def action_templates(self) -> None:
        if self.need_ticket() is None:
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
        self._flow(self.flows.send(event.ticket_id, event.mode, event.text))

    @on(KnowledgePane.Open)
    def _open_article(self, event: KnowledgePane.Open) -> None:
        self._flow(self.flows.open_article(event.article_id))

    @on(KnowledgePane.Insert)
    def _insert(self, event: KnowledgePane.Insert) -> None:
        self._flow(self.flows.insert(event.article_id, event.what))

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
            yield from screen_commands(self, screen, "Dashboard")
            return
        panes = (self.queue.list, self.detail_pane, self.reply_pane, self.knowledge_pane)
        yield from palette_commands(self, (self, *panes))

    def action_quit_console(self) -> None:
        self._flow(self.flows.quit())
