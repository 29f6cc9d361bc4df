"""The open ticket: the one the detail, reply and knowledge panes show.

It is read off the event loop (a newer read supersedes an older one, whose result is dropped),
follows the queue cursor once the cursor rests, and is read again after a write on it or a
change made elsewhere.  A read that finds nothing new leaves the panes (and their scroll
positions) alone."""

from __future__ import annotations

from functools import partial

from textual.css.query import NoMatches
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from csm_console.services import ticket_reads
from csm_console.services.records import TicketDetail, TicketRow
from csm_console.tui.console import Console
from csm_console.tui.failures import user_error

FOLLOW_DELAY = 0.12  # seconds the queue cursor rests before the detail follows it


class OpenTicket:
    """The ticket open in one console (`detail`, None until one is opened)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.detail: TicketDetail | None = None
        self._follow_timer: Timer | None = None

    def open(self, ticket_id: int) -> Worker[None]:
        """Read the ticket off the event loop, then show it (a newer read cancels this one)."""
        return self.console.run_worker(
            partial(self._read, ticket_id),
            name="open_ticket",
            group="detail",
            exclusive=True,
            thread=True,
        )

    def _read(self, ticket_id: int) -> None:
        c = self.console
        try:
            detail = ticket_reads.get_ticket(c.store, ticket_id=ticket_id)
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            c.call_from_thread(c.report, error)
            return
        if not get_current_worker().is_cancelled:  # superseded results are dropped
            c.call_from_thread(self.show, detail)

    def show(self, detail: TicketDetail) -> None:
        """Show a ticket just read in every pane; a newly opened one also with who else is at
        it, and the others learn that this console is at it now."""
        c = self.console
        if not c.screen_stack or not c.detail_pane.is_mounted:  # the console is closing
            return
        previous = self.detail
        if previous is not None and previous == detail:
            return  # a live refresh that found nothing new: leave the scroll position alone
        self.detail = detail
        try:
            c.detail_pane.show(detail)
        except NoMatches:  # its parts are going: the console is closing
            return
        c.reply_pane.show(detail)
        c.knowledge_pane.show(detail)
        c.queue.list.update_row(detail.ticket)
        if previous is None or previous.ticket.id != detail.ticket.id:
            c.detail_pane.show_presence(c.others.get(detail.ticket.id, []))
            c.beat()

    def changed(self, row: TicketRow) -> None:
        """A write changed `row`: show it in the queue at once, and read the ticket again."""
        self.console.queue.list.update_row(row)
        self.open(row.id)

    def reload(self) -> None:
        """Read the open ticket again (after a conflict or a change made elsewhere)."""
        if self.detail is not None:
            self.open(self.detail.ticket.id)

    def need(self) -> TicketRow | None:
        """The ticket an action applies to: the open one, else the queue's current row; None
        (and the operator is told) when there is neither."""
        c = self.console
        row = self.detail.ticket if self.detail else c.queue.list.current
        if row is None:
            c.notify("No ticket: pick one in the queue first.", severity="warning")
        return row

    # -- following the queue cursor

    def cursor_moved(self, row: TicketRow | None) -> None:
        """Follow the cursor with the detail, once it rests: moving stays instant."""
        if self._follow_timer is not None:
            self._follow_timer.stop()
            self._follow_timer = None
        if row is None or (self.detail is not None and self.detail.ticket.id == row.id):
            return
        if self.detail is None:
            self.open(row.id)
            return
        if self.follows_cursor():
            ticket_id = row.id
            self._follow_timer = self.console.set_timer(
                FOLLOW_DELAY, lambda: self._follow(ticket_id)
            )

    def follows_cursor(self) -> bool:
        """The detail follows the queue cursor, except while the agent writes a reply or
        searches for the open ticket: a refresh that moves the cursor (the open ticket left the
        view) must never switch the ticket under a draft."""
        return self.console.focused_pane() not in ("reply", "knowledge")

    def _follow(self, ticket_id: int) -> None:
        c = self.console
        if c.screen_stack and self.follows_cursor():  # (no screen: the console is closing)
            self.open(ticket_id)
