"""Telling the operator, in the console: each live refresh (and a timer, since a clock turns
at risk without anything being written) asks `services.notifications` what happened to my
tickets since the last time; each notification shows as a toast naming the ticket, the
terminal bell rings (at most once in `BELL_GAP` seconds however many arrive, and only when the
`[console] bell` setting allows), and the header shows the "needs me" count.

The read runs in a thread worker; one at a time (a refresh asked for meanwhile runs after it),
so that two reads never start from the same cursor and nothing is told twice."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import datetime

from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.worker import get_current_worker

from csm_console.domain.text import sanitize
from csm_console.services import notifications
from csm_console.services.notifications import Cursor, NotificationKind, Update
from csm_console.services.views import View
from csm_console.tui.console import Console

NEEDS_ME = "needs:me"  # the query behind the header's count (`!` shows it)

BELL_GAP = 10.0  # seconds: never more than one bell in this long
TICK = 30.0  # seconds between two reads when nothing was written (a clock turning at risk)
TOAST_SECONDS = 8
MAX_TOASTS = 5  # toasts per refresh; the rest are summed up in one more

_TITLES = {
    NotificationKind.ASSIGNED: "Assigned to you",
    NotificationKind.ANSWERED: "Customer answered",
    NotificationKind.AT_RISK: "At risk",
    NotificationKind.AUTOMATION: "Automation",
}
_SEVERITY: dict[NotificationKind, SeverityLevel] = {
    NotificationKind.ASSIGNED: "information",
    NotificationKind.ANSWERED: "information",
    NotificationKind.AT_RISK: "warning",
    NotificationKind.AUTOMATION: "information",
}


class Notifier:
    """The notifications of one console (the console calls `refresh` on each live refresh
    and every `TICK` seconds).  `now` is the console's clock (SLA clocks are read at it);
    `ring` rings the terminal bell; `clock` is the monotonic time the bell's rate limit counts
    with (a test gives a fake one)."""

    def __init__(
        self,
        console: Console,
        *,
        now: Callable[[], datetime],
        bell: bool = True,
        ring: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.now = now
        self.bell = bell
        self.ring = ring or console.bell
        self.clock = clock
        self.cursor: Cursor | None = None
        self.needs_me: int | None = None  # unknown until the first read
        self._last_bell: float | None = None
        self._reading = False
        self._again = False
        self._recount = False

    def refresh(self) -> None:
        """Ask for what is new (on the UI thread, on each live refresh); a read already running
        is followed by one more.  The first read tells nothing: it sets the cursor and the
        count.  The count is read again when something concerns me, or by `recount`."""
        self._start(recount=False)

    def recount(self) -> None:
        """Every `TICK` seconds: what is new, and the count (a clock turning at risk)."""
        self._start(recount=True)

    def _start(self, *, recount: bool) -> None:
        self._recount = self._recount or recount
        if self._reading:
            self._again = True
            return
        self._reading = True
        cursor, now, recount = self.cursor, self.now(), self._recount
        self._recount = False
        self.console.run_worker(
            lambda: self._read(cursor, now, recount),
            name="notifications",
            group="notifications",
            thread=True,
        )

    def _read(self, cursor: Cursor | None, now: datetime, recount: bool) -> None:
        c = self.console
        update: Update | None = None
        with contextlib.suppress(Exception):  # the store is away: the live feed shows it
            update = notifications.since(
                c.store, actor=c.actor, cursor=cursor, now=now, recount=recount
            )
        if not get_current_worker().is_cancelled:  # (the console is closing)
            c.call_from_thread(self._done, update)

    def _done(self, update: Update | None) -> None:
        self._reading = False
        if update is not None:
            self.arrived(update)
        if self._again:
            self._again = False
            self.refresh()

    def arrived(self, update: Update) -> None:
        """Show what a read found: toasts, the bell, the header's count."""
        c = self.console
        self.cursor = update.cursor
        shown = update.notifications[:MAX_TOASTS]
        for note in shown:
            c.notify(
                sanitize(note.text, single_line=True),  # (the service did; a toast is a screen)
                title=_TITLES[note.kind],
                severity=_SEVERITY[note.kind],
                timeout=TOAST_SECONDS,
                markup=False,  # customer text: never markup
            )
        more = len(update.notifications) - len(shown)
        if more > 0:
            c.notify(f"and {more} more", title="Notifications", timeout=TOAST_SECONDS)
        if update.notifications:
            self.chime()
        if update.needs_me is not None and update.needs_me != self.needs_me:
            self.needs_me = update.needs_me
            # the header shows the count; with the dashboard on top, when the console is back
            with contextlib.suppress(NoMatches):
                c.relayout()

    def chime(self) -> bool:
        """Ring the bell unless it rang less than `BELL_GAP` seconds ago (or is turned off);
        True when it rang."""
        if not self.bell:
            return False
        now = self.clock()
        if self._last_bell is not None and now - self._last_bell < BELL_GAP:
            return False
        self._last_bell = now
        self.ring()
        return True


def show_needs_me(console: Console) -> None:
    """Filter the queue to my tickets that need me now (`needs:me`, in the view "All", sorted
    as that view sorts); again: back to the view without the filter."""
    queue = console.queue
    every = next((v for v in console.views if not v.query.strip()), View("All", ""))
    if queue.filter_text == NEEDS_ME:
        queue.show_filter("", view=every)
    else:
        queue.show_filter(NEEDS_ME, view=every)
    console.action_pane("queue")
