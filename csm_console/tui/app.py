"""The console: four panes over the service layer, driven from the keyboard."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Grid
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker

from csm_console.config import Settings
from csm_console.domain.rights import Actor
from csm_console.errors import CsmError
from csm_console.services import presence
from csm_console.services.drafts import DraftBox
from csm_console.services.presence import PresenceView
from csm_console.services.records import TicketDetail, TicketRow
from csm_console.services.views import View, all_views
from csm_console.store.engine import Store
from csm_console.tui.action_flows import ActionFlows
from csm_console.tui.console import DIALOGS
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.detail_pane import DetailPane
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
from csm_console.tui.live_view import LiveView
from csm_console.tui.macro_flow import MacroFlow
from csm_console.tui.notifications import TICK, Notifier, show_needs_me
from csm_console.tui.open_ticket import OpenTicket
from csm_console.tui.queue_list import QueueList
from csm_console.tui.queue_pane import QueuePane
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import HelpScreen
from csm_console.tui.service_calls import ServiceCalls
from csm_console.tui.store_banner import StoreBanner
from csm_console.tui.terminal import colour_filters
from csm_console.tui.themes import choose_theme, register_themes
from csm_console.tui.write_first import write_first

R = TypeVar("R")


class CsmApp(App[None]):
    """csm: the operator console.  It lays out the four panes and switches between them; its
    parts do the rest: `ticket` (the open ticket), `calls` (service calls and failures),
    `live_console` and `live_view` (changes made elsewhere, presence), `flows` (the action
    dialogs), and `tui.keys` (bindings, help, footer, palette)."""

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
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.store = store
        store.lean()  # resident memory stays flat all day (see Store.lean)
        self.actor = actor
        self.settings = settings
        self.demo = demo
        self.views = views or all_views(actor)
        self.current_pane = "queue"
        self._theme_name = theme
        # its parts, each one job (they reach the console through `tui.console.Console`)
        self.live_console = LiveConsole(self, store=store, actor=actor)
        self.ticket = OpenTicket(self)
        self.notifier = Notifier(self, now=self.clock, bell=not settings or settings.bell)
        self.live_view = LiveView(self, self.live_console, enabled=live, reload=self.ticket.reload)
        self.live_view.notifier = self.notifier
        self.calls = ServiceCalls(self, probe=self.live_console.probe, reload=self.ticket.reload)
        self.flows = ActionFlows(self)
        self.macro_flow = MacroFlow(self, self.flows)  # `m`, and sending what a macro filled
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
        self.relayout()
        self.queue.list.focus()
        if self.live:
            self.live_console.start()
            self.set_interval(presence.HEARTBEAT, self.beat)
            self.notifier.refresh()  # the cursor and the header's "needs you" count
            self.set_interval(TICK, self.notifier.recount)

    def get_line_filters(self) -> Sequence[LineFilter]:
        return colour_filters(super().get_line_filters(), no_color=self.no_color)

    def on_unmount(self) -> None:
        if self.live:
            self.live_console.leave()

    def on_resize(self, event: Any) -> None:
        self.relayout(event.size.width)

    def relayout(self, width: int | None = None) -> None:
        """Arrange the panes for `width` columns (by default the terminal's width now)."""
        width = self.size.width if width is None else width
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
            needs=self.notifier.needs_me,
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
        self.relayout()
        self._pane_focus_target(name).focus()

    def action_next_pane(self, step: int) -> None:
        index = PANES.index(self.focused_pane() or self.current_pane)
        self.action_pane(PANES[(index + step) % len(PANES)])

    def focused_pane(self) -> str | None:
        return pane_of(self.focused) if self.screen_stack else None  # (none: it is closing)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a dialog is open, the console's own keys belong to the dialog."""
        return not (isinstance(self.screen, ModalScreen) and action in CONSOLE_ACTIONS)

    # ------------------------------------------------------------------ its parts, as they see it

    @property
    def banner(self) -> StoreBanner:
        return self.query_one(StoreBanner)

    @property
    def detail(self) -> TicketDetail | None:
        """The open ticket (`tui.open_ticket`)."""
        return self.ticket.detail

    @property
    def others(self) -> dict[int, list[PresenceView]]:
        """Who else is at which ticket (`tui.live_view`)."""
        return self.live_view.others

    def report(self, error: CsmError) -> None:
        self.calls.report(error)

    def run_service(
        self, label: str, call: Callable[[], R], done: Callable[[R], None] | None = None
    ) -> Worker[R | None]:
        return self.calls.run(label, call, done)

    def open_ticket(self, ticket_id: int) -> Worker[None]:
        return self.ticket.open(ticket_id)

    def after_change(self, row: TicketRow) -> None:
        self.ticket.changed(row)

    def need_ticket(self) -> TicketRow | None:
        return self.ticket.need()

    def beat(self) -> None:
        self.live_view.beat()

    # ------------------------------------------------------------------ what it hears

    @on(StoreReachable)
    def _store_reachable(self, event: StoreReachable) -> None:
        self.live_view.reachable(event.problem)

    @on(StoreChanged)
    def store_changed(self) -> None:
        self.live_view.changed()

    @on(PresenceArrived)
    def _presence_arrived(self, event: PresenceArrived) -> None:
        self.live_view.presence(event.others)

    @on(ReplyPane.DraftChanged)
    def _draft_changed(self) -> None:
        self.live_view.draft_changed()

    @on(QueueList.Highlighted)
    def _highlighted(self, event: QueueList.Highlighted) -> None:
        self.ticket.cursor_moved(event.row)

    @on(QueueList.Opened)
    def _opened(self, event: QueueList.Opened) -> None:
        self.open_ticket(event.row.id)
        if self.screen.has_class("narrow"):
            self.action_pane("detail")

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
        self.flows.dashboard()

    def action_sort(self) -> None:
        sort = self.queue.cycle_sort()
        self.notify(f"sorted by {sort}", timeout=2)

    def action_take_next(self) -> None:
        self.flows.take_next()

    def action_write_first(self) -> None:
        self._flow(write_first(self))

    def action_needs_me(self) -> None:
        show_needs_me(self)

    def action_go_back(self) -> None:
        self.flows.go_back()

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

    def action_macro(self) -> None:
        self._flow(self.macro_flow.pick())

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
        self._flow(self.macro_flow.send(event.ticket_id, event.mode, event.text))

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
