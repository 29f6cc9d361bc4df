"""The queue's window onto the store: the rows loaded so far, and how to load more.

The window never holds every ticket.  It starts at the top (or, after `G`, at the bottom) and
grows a page at a time in either direction with keyset cursors; past `MAX_ROWS` it drops rows
from the far end.  Fetching happens elsewhere (in a worker); this class only says what to fetch
and applies what came back, so it is plain, synchronous and easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass

from csm_console.domain.query import Sort
from csm_console.services.records import Page, TicketRow
from csm_console.services.ticket_reads import cursor_after

PAGE_SIZE = 100
MAX_ROWS = 3000


@dataclass(frozen=True)
class FetchPlan:
    """One page to read: the sort to read it in, and the keyset cursor (None: from the edge)."""

    sort: Sort
    cursor: str | None
    backwards: bool  # rows come in reverse order and go before the window


class QueueWindow:
    def __init__(self, sort: Sort) -> None:
        self.sort = sort
        self.rows: list[TicketRow] = []
        self.more_before = False
        self.more_after = False
        self.offset: int | None = 0  # absolute index of rows[0], when known
        self.loaded = False

    @property
    def reversed_sort(self) -> Sort:
        return Sort(self.sort.key, not self.sort.descending)

    # -- plans

    def plan_top(self) -> FetchPlan:
        return FetchPlan(self.sort, None, backwards=False)

    def plan_bottom(self) -> FetchPlan:
        return FetchPlan(self.reversed_sort, None, backwards=True)

    def plan_after(self) -> FetchPlan | None:
        if not self.more_after or not self.rows:
            return None
        return FetchPlan(self.sort, cursor_after(self.sort, self.rows[-1]), backwards=False)

    def plan_before(self) -> FetchPlan | None:
        if not self.more_before or not self.rows:
            return None
        reverse = self.reversed_sort
        return FetchPlan(reverse, cursor_after(reverse, self.rows[0]), backwards=True)

    # -- applying results

    def reset(self, plan: FetchPlan, page: Page[TicketRow], total: int | None = None) -> None:
        """Replace the window with the first page from the top (or the bottom)."""
        rows = list(page.items)
        if plan.backwards:
            rows.reverse()
            self.more_before, self.more_after = page.next_cursor is not None, False
            self.offset = None if total is None else max(0, total - len(rows))
        else:
            self.more_before, self.more_after = False, page.next_cursor is not None
            self.offset = 0
        self.rows = rows
        self.loaded = True

    def extend(self, plan: FetchPlan, page: Page[TicketRow]) -> int:
        """Add a page at the end it belongs to; return how many rows went before the window
        (the caller shifts its cursor by that much)."""
        known = {row.id for row in self.rows}
        rows = [row for row in page.items if row.id not in known]
        added_before = 0
        if plan.backwards:
            rows.reverse()
            self.rows[:0] = rows
            self.more_before = page.next_cursor is not None
            added_before = len(rows)
            if self.offset is not None:
                self.offset = max(0, self.offset - len(rows))
            if not self.more_before:
                self.offset = 0
        else:
            self.rows.extend(rows)
            self.more_after = page.next_cursor is not None
        return added_before

    def trim(self, keep_index: int) -> int:
        """Drop rows far from `keep_index` once the window exceeds MAX_ROWS; return how many were
        dropped from the front (the caller shifts its cursor by minus that)."""
        excess = len(self.rows) - MAX_ROWS
        if excess <= 0:
            return 0
        if keep_index > len(self.rows) // 2:
            del self.rows[:excess]
            self.more_before = True
            if self.offset is not None:
                self.offset += excess
            return excess
        del self.rows[-excess:]
        self.more_after = True
        return 0

    def index_of(self, ticket_id: int) -> int | None:
        for index, row in enumerate(self.rows):
            if row.id == ticket_id:
                return index
        return None

    def replace(self, row: TicketRow) -> None:
        """Put a fresher copy of a ticket in place (after a write)."""
        index = self.index_of(row.id)
        if index is not None:
            self.rows[index] = row
