"""The ticket detail pane: the fields (compact), both SLA clocks, the thread, the customer card and
the audit history (toggled).  When a ticket opens, the newest customer message is in view
without scrolling: the fields flow over a few lines, the thread comes before the customer card,
and a long thread is scrolled to that message."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from csm_console.services.presence import REPLYING, PresenceView
from csm_console.services.records import MessageView, TicketDetail
from csm_console.services.ticket_reads import describe_change
from csm_console.tui.field_flow import Field, FieldFlow
from csm_console.tui.formatting import STATUS_WORD, age, clock_line, clock_of, priority_cell
from csm_console.tui.keys import binding_by_id, shown_keys
from csm_console.tui.safe_text import safe
from csm_console.tui.thread_message import has_quote, is_automatic, render_message

REVEAL_TRIES = 5  # refreshes to wait for a new thread to be laid out before scrolling to it


class DetailPane(VerticalScroll, can_focus=True):
    """The open ticket.

    | key | action |
    |---|---|
    | `j` `k` | scroll |
    | `z` | open or fold the quoted history of the thread's mails (where there is some) |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="detail.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="detail.up"),
        Binding("z", "toggle_quotes", "Quotes", id="detail.quotes"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: TicketDetail | None = None
        self.show_audit = False
        self._thread_generation = 0
        self._shown_messages: tuple[MessageView, ...] = ()  # what the thread widgets show
        self.reveal_pending = False  # a ticket opened while the pane was hidden
        self.unfolded = False  # quoted history shown (`z`); folded again for the next ticket
        self.quotes = False  # a message of the thread quotes history: `z` is offered

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="detail-presence", classes="hidden")
        yield Static(
            Text("No ticket open. Pick one in the queue and press enter.", style="dim"),
            id="detail-header",
        )
        yield Vertical(id="detail-thread")
        yield Static(id="detail-customer")
        yield Static(id="detail-audit", classes="hidden")

    def show(self, detail: TicketDetail | None) -> None:
        previous = self.detail
        self.detail = detail
        if detail is None:
            self.query_one("#detail-header", Static).update(
                Text("No ticket open. Pick one in the queue and press enter.", style="dim")
            )
            for part in ("#detail-customer", "#detail-audit"):
                self.query_one(part, Static).update("")
            self._thread_generation += 1
            self._shown_messages = ()
            self.quotes = False
            self.refresh_bindings()
            self.query_one("#detail-thread", Vertical).remove_children()
            return
        now = clock_of(self)
        opened = previous is None or previous.ticket.id != detail.ticket.id
        self.query_one("#detail-header", Static).update(self._header(detail, now))
        self.query_one("#detail-customer", Static).update(self._customer(detail, now))
        self.query_one("#detail-audit", Static).update(self._audit(detail))
        if opened:
            self.reveal_pending = False
            self.unfolded = False
            self.scroll_home(animate=False, immediate=True)
        self._thread_generation += 1
        self.call_later(self._fill_thread, detail.messages, opened, self._thread_generation)

    async def _fill_thread(
        self, messages: tuple[MessageView, ...], reveal: bool, generation: int
    ) -> None:
        """One widget per message (so that the newest customer message can be scrolled to);
        a newer ticket shown meanwhile wins."""
        if generation != self._thread_generation:
            return
        thread = self.query_one("#detail-thread", Vertical)
        shown = self._shown_messages
        if not reveal and messages[: len(shown)] == shown:  # the same ticket, grown (or not)
            new = [Static(self._message(m), classes="message") for m in messages[len(shown) :]]
            if new:
                await thread.mount_all(new)
        else:
            parts = [Static(self._message(m), classes="message") for m in messages]
            with self.app.batch_update():
                await thread.remove_children()
                await thread.mount_all(parts)
        self._shown_messages = messages
        quotes = any(has_quote(m) for m in messages)
        if quotes != self.quotes:
            self.quotes = quotes
            self.refresh_bindings()
        if reveal:
            self.call_after_refresh(self.reveal)

    def reveal(self, message: Widget | None = None, tries: int = REVEAL_TRIES) -> None:
        """Scroll just enough that `message` (default: the newest customer message) is in
        view, its top first when it is taller than the pane."""
        if message is None:
            found = self._newest_customer()
            if found is None:
                return
            message = found
        if not message.is_attached:
            return
        if not self.size.height:  # hidden (another pane fills a narrow screen): when shown
            self.reveal_pending = True
            return
        if not message.virtual_region.height and tries:  # not laid out yet: after the next
            self.call_after_refresh(self.reveal, message, tries - 1)
            return
        self.reveal_pending = False
        self.scroll_to_widget(message, animate=False, immediate=True)

    def on_resize(self) -> None:
        if self.reveal_pending:  # shown at last: the ticket opened while it was hidden
            self.call_after_refresh(self.reveal)

    def _newest_customer(self) -> Widget | None:
        messages = self.detail.messages if self.detail is not None else ()
        parts = list(self.query(".message"))
        if len(parts) != len(messages):
            return None
        customer = [
            (p, m) for p, m in zip(parts, messages, strict=True) if m.author_kind == "customer"
        ]
        # the customer's own words, not their out-of-office answering us (unless that is all)
        written = [p for p, m in customer if not is_automatic(m)]
        return written[-1] if written else (customer[-1][0] if customer else None)

    def show_presence(self, people: list[PresenceView]) -> None:
        """Who else has this ticket open; louder when someone is writing a reply."""
        line = self.query_one("#detail-presence", Static)
        line.set_class(not people, "hidden")
        if not people:
            line.update("")
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        replying = [p.handle for p in people if p.activity == REPLYING]
        viewing = [p.handle for p in people if p.activity != REPLYING]
        if replying:
            verb = "is" if len(replying) == 1 else "are"
            text.append(f" ✎ {', '.join(replying)} {verb} replying ", style="bold reverse")
            text.append(" ")
        if viewing:
            verb = "is" if len(viewing) == 1 else "are"
            text.append(f"◉ {', '.join(viewing)} {verb} viewing", style="bold")
        line.update(text)

    def action_toggle_audit(self) -> None:
        self.show_audit = not self.show_audit
        self.query_one("#detail-audit", Static).set_class(not self.show_audit, "hidden")
        if self.show_audit:
            self.scroll_end(animate=False)

    # -- parts

    def _header(self, d: TicketDetail, now: datetime) -> Group:
        t = d.ticket
        title = Text(no_wrap=False)
        title.append(f"#{t.id}  ", style="bold")
        title.append_text(safe(t.subject, "bold", single_line=True))
        fields = [
            Field("status", Text(STATUS_WORD[t.status])),
            Field("priority", priority_cell(t.priority)),
            Field("tier", Text(t.tier.value)),
            Field("team", safe(t.team or "—", single_line=True)),
            Field("assignee", Text(t.assignee or "unassigned")),
            Field("channel", Text(t.channel)),
            Field("category", safe(t.category or "—", single_line=True)),
            Field("created", Text(f"{age(t.created_at, now)} ago")),
            Field("updated", Text(f"{age(t.updated_at, now)} ago")),
        ]
        if t.reopen_count or t.csat_score:
            fields.append(Field("reopened", Text(str(t.reopen_count))))
            fields.append(Field("CSAT", Text(f"{t.csat_score}/5" if t.csat_score else "—")))
        fields.append(Field("tags", items=t.tags))
        active = t.status.is_active
        clocks = [
            clock_line(
                "First response",
                t.first_response_due,
                t.first_response_at,
                t.created_at,
                now,
                active,
            ),
            clock_line(
                "Resolution",
                t.resolution_due,
                t.solved_at,
                t.created_at,
                now,
                active,
                paused=t.paused,
            ),
        ]
        return Group(title, FieldFlow(fields), *clocks, self._customer_line(d))

    def _customer_line(self, d: TicketDetail) -> Text:
        """Who writes, in one line: the card with contacts and other tickets is below the
        thread."""
        c = d.customer
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("Customer  ", style="bold")
        line.append_text(safe(c.name, single_line=True))
        if c.segment != "standard":
            line.append(f"  [{c.segment.upper()}]", style="bold magenta")
        line.append(f"  {c.language}", style="dim")
        others = d.other_ticket_count
        line.append(f"  {others} other ticket{'' if others == 1 else 's'}", style="dim")
        return line

    def _customer(self, d: TicketDetail, now: datetime) -> Group:
        """The customer card, below the thread: contacts and their other tickets."""
        c = d.customer
        contact = Text(no_wrap=False)
        contact.append("Contact  ", style="bold")
        contact.append_text(
            safe(" · ".join(x for x in (c.email, c.phone, c.company) if x), single_line=True)
        )
        contact.append(f" · prefers {c.preferred_channel}", style="dim")
        items: list[Text] = [contact]
        if d.other_ticket_count:
            items.append(Text(f"Other tickets ({d.other_ticket_count})", style="bold"))
        for other in d.other_tickets[:5]:
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"  #{other.id} ", style="dim")
            row.append(f"{STATUS_WORD[other.status]:<8} ")
            row.append_text(safe(other.subject, single_line=True))
            row.append(f"  {age(other.created_at, now)} ago", style="dim")
            items.append(row)
        return Group(*items)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_quotes":
            return self.quotes  # hidden (not offered in the footer) where nothing is quoted
        return True

    def action_toggle_quotes(self) -> None:
        """Open (or fold again) the quoted history of every mail in the thread."""
        self.unfolded = not self.unfolded
        parts = list(self.query(".message").results(Static))
        if len(parts) != len(self._shown_messages):
            return  # being filled: the fill draws the new state
        for part, m in zip(parts, self._shown_messages, strict=True):
            if has_quote(m):
                part.update(self._message(m))

    def _message(self, m: MessageView) -> Group:
        fold_key = shown_keys(self.app, binding_by_id("detail.quotes")) or "z"
        return render_message(m, unfolded=self.unfolded, fold_key=fold_key)

    def _audit(self, d: TicketDetail) -> Group:
        lines = [Text("History", style="bold underline")]
        for change in d.audit:
            line = Text(no_wrap=False)
            line.append(f"v{change.version or '?':<3} ", style="dim")
            line.append_text(safe(describe_change(change)))
            if change.batch_id:
                line.append(f"  batch {change.batch_id[:14]}", style="dim")
            lines.append(line)
        return Group(*lines)
