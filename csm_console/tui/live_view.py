"""What a console redraws when its live machinery (`tui.live`) reports: the store banner when
the store goes away or comes back, the panes when something changed elsewhere, and who else is
at the tickets shown.  It also tells the others, by a heartbeat, where this console is and
whether a reply is being written there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual.css.query import NoMatches

from csm_console.services import presence
from csm_console.services.presence import PresenceView
from csm_console.tui.console import Console
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.live import LiveConsole
from csm_console.tui.notifications import Notifier


class LiveView:
    """The live side of one console's screen.  `reload` reads the open ticket again; when not
    `enabled`, nothing is told to the others.  `notifier` hears of every change made
    elsewhere (what to tell the operator)."""

    def __init__(
        self,
        console: Console,
        live: LiveConsole,
        *,
        enabled: bool,
        reload: Callable[[], None],
        notifier: Notifier | None = None,
    ) -> None:
        self.console = console
        self.live = live
        self.enabled = enabled
        self.reload = reload
        self.notifier = notifier
        self.others: dict[int, list[PresenceView]] = {}  # who else is at which ticket

    def reachable(self, problem: str | None) -> None:
        """The feed lost the store (a banner; it retries with backoff) or has it back."""
        c = self.console
        with contextlib.suppress(NoMatches):  # the console is closing
            if problem is not None:
                c.banner.unreachable(problem)
                return
            if not c.banner.clear():
                return
            c.notify("The store is back.", timeout=3)
            self.changed()

    def changed(self) -> None:
        """Something changed elsewhere: re-read what is on screen, keeping cursor, marks and
        draft."""
        c = self.console
        for screen in c.screen_stack:
            if isinstance(screen, DashboardScreen):
                screen.store_changed()
        if self.notifier is not None:
            self.notifier.refresh()
        with contextlib.suppress(NoMatches):  # the console is closing: nothing to refresh
            c.queue.live_refresh()
            self.reload()

    def beat(self) -> None:
        """Renew this console's presence lease and learn who else is at the tickets shown."""
        if self.enabled:
            c = self.console
            self.live.beat(
                ticket_id=c.detail.ticket.id if c.detail is not None else None,
                activity=self.activity(),
                shown=c.queue.list.visible_ids(),
            )

    def presence(self, others: dict[int, list[PresenceView]]) -> None:
        """Who else is at the tickets shown: marks in the queue, names on the open ticket."""
        c = self.console
        self.others = others
        with contextlib.suppress(NoMatches):  # the console is closing
            c.queue.list.set_presence(
                {ticket_id: people[0].activity for ticket_id, people in others.items()}
            )  # replying sorts first
            if c.detail is not None:
                c.detail_pane.show_presence(others.get(c.detail.ticket.id, []))

    def draft_changed(self) -> None:
        if not self.enabled:
            return
        with contextlib.suppress(NoMatches):  # the console is closing
            if self.activity() != self.live.activity:
                self.beat()  # the others learn at once that a reply is being written

    def activity(self) -> str:
        """What this console is doing at its open ticket."""
        return presence.REPLYING if self.console.reply_pane.is_replying() else presence.VIEWING
