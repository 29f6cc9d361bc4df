"""The ticket detail pane: every field, both SLA clocks, the customer card, the thread, and the
audit history (toggled)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from csm_console.services.presence import REPLYING, PresenceView
from csm_console.services.records import MessageView, TicketDetail
from csm_console.services.tickets import describe_change
from csm_console.tui.formatting import STATUS_WORD, age, clock_line, clock_of, priority_cell
from csm_console.tui.safe_text import safe


class DetailPane(VerticalScroll, can_focus=True):
    """The open ticket.

    | key | action |
    |---|---|
    | `j` `k` | scroll |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="detail.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="detail.up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: TicketDetail | None = None
        self.show_audit = False

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="detail-presence", classes="hidden")
        yield Static(
            Text("No ticket open. Pick one in the queue and press enter.", style="dim"),
            id="detail-header",
        )
        yield Static(id="detail-customer")
        yield Static(id="detail-thread")
        yield Static(id="detail-audit", classes="hidden")

    def show(self, detail: TicketDetail | None) -> None:
        self.detail = detail
        if detail is None:
            self.query_one("#detail-header", Static).update(
                Text("No ticket open. Pick one in the queue and press enter.", style="dim")
            )
            for part in ("#detail-customer", "#detail-thread", "#detail-audit"):
                self.query_one(part, Static).update("")
            return
        now = clock_of(self)
        self.query_one("#detail-header", Static).update(self._header(detail, now))
        self.query_one("#detail-customer", Static).update(self._customer(detail, now))
        self.query_one("#detail-thread", Static).update(self._thread(detail))
        self.query_one("#detail-audit", Static).update(self._audit(detail))

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
        fields = Table.grid(padding=(0, 2), expand=True)
        fields.add_column(style="dim", no_wrap=True, min_width=8)
        fields.add_column(ratio=1, overflow="fold")
        fields.add_column(style="dim", no_wrap=True, min_width=8)
        fields.add_column(ratio=2, overflow="fold")
        fields.add_row("status", Text(STATUS_WORD[t.status]), "priority", priority_cell(t.priority))
        fields.add_row("tier", Text(t.tier.value), "team", safe(t.team or "—", single_line=True))
        fields.add_row("assignee", Text(t.assignee or "unassigned"), "channel", Text(t.channel))
        fields.add_row(
            "category",
            Text(t.category or "—"),
            "tags",
            safe(", ".join(t.tags) or "—", single_line=True),
        )
        fields.add_row(
            "created",
            Text(f"{age(t.created_at, now)} ago"),
            "updated",
            Text(f"{age(t.updated_at, now)} ago"),
        )
        if t.reopen_count or t.csat_score:
            fields.add_row(
                "reopened",
                Text(str(t.reopen_count)),
                "CSAT",
                Text(f"{t.csat_score}/5" if t.csat_score else "—"),
            )
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
        return Group(title, fields, *clocks)

    def _customer(self, d: TicketDetail, now: datetime) -> Group:
        c = d.customer
        line = Text(no_wrap=False)
        line.append("Customer  ", style="bold")
        line.append_text(safe(c.name, single_line=True))
        if c.segment != "standard":
            line.append(f"  [{c.segment.upper()}]", style="bold magenta")
        line.append(f"  {c.language}", style="dim")
        contact = Text(no_wrap=False, style="dim")
        contact.append_text(
            safe(" · ".join(x for x in (c.email, c.phone, c.company) if x), single_line=True)
        )
        contact.append(f" · prefers {c.preferred_channel}")
        others = Text(
            f"{d.other_ticket_count} other ticket{'' if d.other_ticket_count == 1 else 's'}",
            style="dim",
        )
        items: list[Text] = [line, contact, others]
        for other in d.other_tickets[:5]:
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(f"  #{other.id} ", style="dim")
            row.append(f"{STATUS_WORD[other.status]:<8} ")
            row.append_text(safe(other.subject, single_line=True))
            row.append(f"  {age(other.created_at, now)} ago", style="dim")
            items.append(row)
        return Group(*items)

    def _thread(self, d: TicketDetail) -> Group:
        parts = []
        for message in d.messages:
            parts.append(self._message(message))
        return Group(*parts)

    def _message(self, m: MessageView) -> Group:
        if m.internal:
            label, style, marker = "internal note", "yellow", "▌ "
        elif m.author_kind == "customer":
            label, style, marker = "customer", "cyan", "◀ "
        elif m.author_kind == "system":
            label, style, marker = "system", "dim", "· "
        else:
            label, style, marker = "reply", "green", "▶ "
        head = Text(no_wrap=True)
        head.append(marker, style=f"bold {style}")
        head.append_text(safe(m.author, f"bold {style}", single_line=True))
        head.append(f"  {label}", style=style)
        head.append(f"  {m.created_at.strftime('%Y-%m-%d %H:%M')}", style="dim")
        body = safe(m.body, "italic" if m.internal else "")
        body.pad_left(2)
        return Group(Text(""), head, body)

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
