"""The queue as a virtual list: it paints only the visible rows of the loaded window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from csm_console.services.records import TicketRow
from csm_console.tui.formatting import STATUS_WORD, age, clock_of, priority_cell, sla_cell
from csm_console.tui.queue_window import QueueWindow
from csm_console.tui.safe_text import fit, safe

# (title, width or 0 for the flexible subject column, shown from this many columns up)
ID_WIDTH = 6  # the id column's least width: it widens to the longest id the queue has shown
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("", 1, 0),  # mark
    ("#", ID_WIDTH, 0),
    ("prio", 8, 0),
    ("SLA", 8, 0),
    ("status", 8, 0),
    ("tier", 4, 70),
    ("subject", 0, 0),
    ("customer", 16, 90),
    ("assignee", 9, 60),
    ("updated", 7, 100),
)
NEAR_EDGE = 20
NEIGHBOURS = 50  # rows each side the cursor may fall back to when its ticket leaves


def visible_columns(width: int, id_width: int = ID_WIDTH) -> list[tuple[str, int]]:
    """The columns that fit `width`, with their widths; a ticket id is never cut (a 10M store's
    ids have 8 digits), so the id column is `id_width` wide."""
    shown = [
        (title, id_width if title == "#" else w)
        for title, w, min_width in COLUMNS
        if width >= min_width
    ]
    fixed = sum(w for _, w in shown if w) + len(shown)  # one space between columns
    subject = max(8, width - fixed)
    return [(title, w or subject) for title, w in shown]


class QueueList(ScrollView, can_focus=True):
    """The queue rows.

    | key | action |
    |---|---|
    | `j` `k` `↓` `↑` | move |
    | `g` `G` | first, last |
    | `pageup` `pagedown` | a screen up or down |
    | `space` | mark or unmark |
    | `enter` | open the ticket |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "move(1)", "Down", show=False, id="queue.down"),
        Binding("k,up", "move(-1)", "Up", show=False, id="queue.up"),
        Binding("g,home", "first", "First", show=False, id="queue.first"),
        Binding("G,end", "last", "Last", show=False, id="queue.last"),
        Binding("pagedown,ctrl+d", "page(1)", "Page down", show=False, id="queue.page_down"),
        Binding("pageup,ctrl+u", "page(-1)", "Page up", show=False, id="queue.page_up"),
        Binding("space", "mark", "Mark", id="queue.mark"),
        Binding("enter", "open", "Open", id="queue.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue--cursor",
        "queue--header",
        "queue--marked",
    }

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class Highlighted(Message):
        row: TicketRow | None

    class MarksChanged(Message):
        """A ticket was marked or unmarked, or the marks were cleared."""

    class IdsWidened(Message):
        """A longer ticket id came into the window: the id column widened (the header too)."""

    @dataclass
    class Opened(Message):
        row: TicketRow

    @dataclass
    class NeedRows(Message):
        """The cursor is near an edge of the window: load more (`where` is "after"/"before"),
        or jump to the very top or bottom ("top"/"bottom")."""

        where: str

    def __init__(self, window: QueueWindow, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self.marks: set[int] = set()
        self.presence: dict[int, str] = {}  # ticket id -> what another agent is doing there
        self.now = clock_of(self)
        self._cache: dict[tuple[int, int, int, bool, bool, str], Strip] = {}
        self.id_width = ID_WIDTH  # widens, never narrows: columns do not jump while scrolling

    # -- data

    def _fit_ids(self) -> None:
        """Widen the id column to the window's longest id (`IdsWidened` when it did)."""
        longest = max((len(str(row.id)) for row in self.window.rows), default=0)
        if longest > self.id_width:
            self.id_width = longest
            self.post_message(self.IdsWidened())

    def reload(
        self,
        *,
        keep_ticket: int | None = None,
        at_bottom: bool = False,
        near: Sequence[int] = (),
    ) -> None:
        """The window changed wholesale: size, cursor and paint.  The cursor stays on
        `keep_ticket`; when that left the window, on the first of `near` still in it (see
        `neighbours`); else at the top (or the bottom)."""
        self.now = clock_of(self)
        self._cache.clear()
        self._fit_ids()
        self.virtual_size = Size(self.size.width, len(self.window.rows))
        index = self.window.index_of(keep_ticket) if keep_ticket is not None else None
        if index is None and near:
            where = {row.id: i for i, row in enumerate(self.window.rows)}
            index = next((where[t] for t in near if t in where), None)
        if index is None:
            index = len(self.window.rows) - 1 if at_bottom else 0
        self.cursor = max(0, index)
        self.refresh()

    def rows_added(self, before: int) -> None:
        """Rows were added (`before` of them in front): keep the cursor on its ticket."""
        self._cache.clear()
        self._fit_ids()
        self.virtual_size = Size(self.size.width, len(self.window.rows))
        if before:
            self.set_reactive(QueueList.cursor, self.cursor + before)
            self.scroll_to(y=self.scroll_y + before, animate=False, immediate=True)
        self.refresh()

    def set_presence(self, presence: dict[int, str]) -> None:
        """Mark the tickets other agents have open (viewing or replying)."""
        if presence != self.presence:
            self.presence = presence
            self.refresh()

    def visible_ids(self) -> list[int]:
        """The tickets on screen now."""
        top = int(self.scroll_offset.y)
        return [row.id for row in self.window.rows[top : top + max(1, self.size.height)]]

    def update_row(self, row: TicketRow) -> None:
        self.window.replace(row)
        self._cache.clear()
        self.refresh()

    def neighbours(self) -> list[int]:
        """The tickets after the cursor, then those before it, nearest first: where the cursor
        goes when its own ticket leaves the view (escalated, solved, taken by someone else)."""
        rows, at = self.window.rows, self.cursor
        after = [row.id for row in rows[at + 1 : at + 1 + NEIGHBOURS]]
        before = [row.id for row in reversed(rows[max(0, at - NEIGHBOURS) : at])]
        return after + before

    @property
    def current(self) -> TicketRow | None:
        rows = self.window.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    @property
    def marked_rows(self) -> list[TicketRow]:
        return [row for row in self.window.rows if row.id in self.marks]

    # -- cursor

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.window.rows) - 1)) if self.window.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._cache.clear()
        self.refresh()
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self.post_message(self.Highlighted(self.current))
        rows = len(self.window.rows)
        if self.window.more_after and new >= rows - NEAR_EDGE:
            self.post_message(self.NeedRows("after"))
        if self.window.more_before and new <= NEAR_EDGE:
            self.post_message(self.NeedRows("before"))

    def action_move(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 1)

    def action_first(self) -> None:
        if self.window.more_before:
            self.post_message(self.NeedRows("top"))
        else:
            self.cursor = 0

    def action_last(self) -> None:
        if self.window.more_after:
            self.post_message(self.NeedRows("bottom"))
        else:
            self.cursor = len(self.window.rows) - 1

    def action_mark(self) -> None:
        row = self.current
        if row is None:
            return
        self.marks ^= {row.id}
        self.cursor += 1
        self._cache.clear()
        self.refresh()
        self.post_message(self.MarksChanged())

    def clear_marks(self) -> bool:
        had = bool(self.marks)
        self.marks.clear()
        self._cache.clear()
        self.refresh()
        if had:
            self.post_message(self.MarksChanged())
        return had

    def unmark(self, ticket_ids: Iterable[int]) -> None:
        """Unmark these tickets (those a bulk change has done); the others stay marked."""
        before = len(self.marks)
        self.marks -= set(ticket_ids)
        if len(self.marks) != before:
            self._cache.clear()
            self.refresh()
            self.post_message(self.MarksChanged())

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int):
            self.cursor = self.scroll_offset.y + y

    # -- painting

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        rows = self.window.rows
        if index >= len(rows):
            if index == len(rows) and self.window.more_after:
                return Strip([Segment(" loading…".ljust(width), Style(dim=True))], width)
            return Strip.blank(width, self.rich_style)
        row = rows[index]
        selected = index == self.cursor
        marked = row.id in self.marks
        key = (index, row.id, row.version, selected, marked, self.presence.get(row.id, ""))
        cached = self._cache.get(key)
        if cached is not None and cached.cell_length == width:
            return cached
        strip = self._paint(row, width, selected, marked)
        self._cache[key] = strip
        return strip

    def _paint(self, row: TicketRow, width: int, selected: bool, marked: bool) -> Strip:
        line = Text(no_wrap=True, end="")
        for title, col_width in visible_columns(width, self.id_width):
            cell = self._cell(row, title)
            line.append_text(fit(cell, col_width))
            line.append(" ")
        base = self.rich_style
        if marked:
            line.stylize(self.get_component_rich_style("queue--marked", partial=True))
        if selected:
            line.stylize(self.get_component_rich_style("queue--cursor", partial=True))
        segments = list(line.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, base).apply_style(base)

    def _cell(self, row: TicketRow, title: str) -> Text:
        if title == "":
            return Text("●" if row.id in self.marks else " ", style="bold")
        if title == "#":
            return Text(str(row.id), style="dim")
        if title == "prio":
            return priority_cell(row.priority)
        if title == "SLA":
            return sla_cell(row, self.now)
        if title == "status":
            return Text(STATUS_WORD[row.status])
        if title == "tier":
            return Text(row.tier.value)
        if title == "subject":
            subject = safe(row.subject, single_line=True)
            activity = self.presence.get(row.id)
            if activity is None:
                return subject
            # a symbol, not colour alone: ✎ someone is replying, ◉ someone has it open
            mark = Text("✎ " if activity == "replying" else "◉ ", style="bold")
            return mark + subject
        if title == "customer":
            return safe(row.customer, single_line=True)
        if title == "assignee":
            return Text(row.assignee or "—", style="" if row.assignee else "dim")
        return Text(age(row.updated_at, self.now), style="dim")


def header_text(width: int, id_width: int = ID_WIDTH) -> Text:
    line = Text(no_wrap=True)
    for title, col_width in visible_columns(width, id_width):
        line.append_text(fit(Text(title), col_width))
        line.append(" ")
    return line
