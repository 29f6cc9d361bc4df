"""The team lead's dashboard: the service metrics of today and the period at a glance, and the
tickets behind any number one `enter` away.

| key | action |
|---|---|
| arrows, `tab` | move between the figures, the charts' days and the tables' cells |
| `enter` | close the dashboard and open the queue filtered to the tickets behind the number |
| `p` | period: the last 7 or 30 days (today included) |
| `t` | all teams, or only my team |
| `r` | refresh now (it also refreshes by itself when the store changes) |
| `s` | jump to the SLA policies and calendars |
| `escape` | back to the console |

Everything is read in one exclusive thread worker; the screen shows `loading…` meanwhile and a
failure as a banner line, keeping the figures it had.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from csm_console.domain.durations import rounded_duration
from csm_console.domain.metrics import (
    AGE_BUCKETS,
    REPEAT_WINDOW,
    GroupBy,
    Metric,
    Period,
    backlog_drill_query,
    drill_query,
)
from csm_console.domain.model import Role
from csm_console.domain.rights import Actor
from csm_console.domain.text import sanitize
from csm_console.store.engine import Store
from csm_console.tui.dashboard_data import (
    PERIODS,
    DashboardData,
    audit_line,
    backlog_rows,
    day_series,
    load_dashboard,
)
from csm_console.tui.dashboard_widgets import (
    DayChart,
    Drill,
    EdgeTable,
    Figure,
    Selectable,
    Tile,
    row_cells,
    tiles,
)
from csm_console.tui.failures import user_error
from csm_console.tui.formatting import clock_of
from csm_console.tui.keys import ContextFooter

if TYPE_CHECKING:
    from textual.events import Resize

TILE_WIDTH = 26  # a tile needs this many columns (its figure line is 23 wide, plus padding)
CHART_WIDTH = 36  # a chart of 30 days needs 30 columns, and its title a few more
REFRESH_GAP = 5.0  # seconds at least from one read's end to the next that a change starts
AGENT_COLUMNS = ("agent", "assigned", "solved", "FRT med", "CSAT", "breaching")
# what each agent-table column opens: (metric, whether the period applies)
AGENT_METRICS = (
    Metric.BACKLOG,
    Metric.BACKLOG,
    Metric.SOLVED,
    Metric.FIRST_RESPONSE,
    Metric.CSAT,
    Metric.BREACHING,
)


class DashBody(VerticalScroll, inherit_bindings=False, can_focus=False):
    """The scrolling body: its arrow keys belong to the dashboard's own moving around (the
    focused figure scrolls into view); page keys still scroll."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pageup", "scroll_page_up", "Page up", show=False),
        Binding("pagedown", "scroll_page_down", "Page down", show=False),
    ]


def _columns(width: int, each: int, counts: Sequence[int]) -> int:
    """The most columns of `each` cells that fit in `width`, among `counts` (so that rows come
    out even: 12 tiles as 6, 4, 3 or 2 a row)."""
    fitting = [c for c in counts if c * each <= width]
    return max(fitting) if fitting else 1


class DashboardScreen(ModalScreen[str | None]):
    """The lead's dashboard.  Dismissed with the query text of a drill-down, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="dashboard.close"),
        Binding("enter", "drill", "Open tickets", id="dashboard.drill"),
        Binding("p", "cycle_period", "7/30 days", id="dashboard.period"),
        Binding("t", "toggle_team", "Team", id="dashboard.team"),
        Binding("r", "reload", "Refresh", id="dashboard.refresh"),
        Binding("s", "policies", "SLA rules", id="dashboard.policies"),
        Binding("question_mark,f1", "app.help", "Help", id="dashboard.help"),
        Binding("up,k", "move(0, -1)", "Up", show=False, id="dashboard.up"),
        Binding("down,j", "move(0, 1)", "Down", show=False, id="dashboard.down"),
        Binding("left,h", "move(-1, 0)", "Left", show=False, id="dashboard.left"),
        Binding("right,l", "move(1, 0)", "Right", show=False, id="dashboard.right"),
    ]

    def __init__(self, *, store: Store, actor: Actor, days: int = PERIODS[0]) -> None:
        super().__init__(id="dashboard")
        self.store = store
        self.actor = actor
        self.days = days
        self.team: str | None = None
        self.data: DashboardData | None = None
        self.error: str | None = None
        self.busy = False
        self._generation = 0
        self._stale = False  # the store changed while a load ran: load again after it
        self._last_load = 0.0
        self._timer: Timer | None = None
        self._tile_columns = 4
        self._chart_columns = 3
        self._agent_keys: list[str | None] = []  # per agent-table row; "\0all" is the total
        self._backlog_keys: list[tuple[str | None, str | None]] = []  # (tier, team) per row

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="dash-title")
        yield Static(id="dash-banner", classes="hidden")
        with DashBody(id="dash-body"):
            with Grid(id="dash-tiles"):
                yield from tiles()
            with Grid(id="dash-charts"):
                yield DayChart("Created per day", id="chart-created")
                yield DayChart("Solved per day", id="chart-solved")
                yield DayChart("SLA missed per day", id="chart-missed")
            yield Static(id="dash-agents-title", classes="dash-section")
            yield EdgeTable(id="dash-agents", cursor_type="cell", zebra_stripes=True)
            yield Static(id="dash-backlog-title", classes="dash-section")
            yield EdgeTable(id="dash-backlog", cursor_type="cell", zebra_stripes=True)
            yield Static(
                Text("SLA policies and business hours", style="bold"),
                id="dash-policies-title",
                classes="dash-section",
            )
            yield Static(id="dash-policies")
        yield ContextFooter()

    def on_mount(self) -> None:
        agents = self.query_one("#dash-agents", EdgeTable)
        for title in AGENT_COLUMNS:
            agents.add_column(Text(title, style="bold"), key=title)
        backlog = self.query_one("#dash-backlog", EdgeTable)
        for title in ("tier", "team", *AGE_BUCKETS, "total"):
            backlog.add_column(Text(title, style="bold"), key=title)
        self._fit(self.size.width)
        self._title()
        self.load()
        first = self.query(Figure).first()
        first.focus()

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        body = width - 1  # the body's scrollbar
        self._tile_columns = _columns(body, TILE_WIDTH, (1, 2, 3, 4, 6))
        self._chart_columns = _columns(body, CHART_WIDTH, (1, 2, 3))
        self.query_one("#dash-tiles", Grid).styles.grid_size_columns = self._tile_columns
        self.query_one("#dash-charts", Grid).styles.grid_size_columns = self._chart_columns

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """Read everything again now (in a worker; the figures shown stay until it answers)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._generation += 1
        self.busy = True
        self._stale = False
        self._last_load = time.monotonic()
        self._title()
        self._load(self.days, self.team, self._generation)

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self, days: int, team: str | None, generation: int) -> None:
        now = clock_of(self)
        try:
            data = load_dashboard(
                self.store, days=days, team=team, now=now, audit=self.actor.role == Role.ADMIN
            )
        except Exception as caught:  # reported as a banner, never raised into the UI
            error = user_error(caught)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._failed, error.message, generation)
            return
        if not get_current_worker().is_cancelled:  # superseded results are dropped
            self.app.call_from_thread(self._loaded, data, generation)

    def _loaded(self, data: DashboardData, generation: int) -> None:
        if generation != self._generation or not self.is_attached:
            return
        self.busy = False
        self._last_load = time.monotonic()
        self.error = None
        self.data = data
        self.query_one("#dash-banner", Static).add_class("hidden")
        for tile in self.query(Tile):
            tile.show(data)
        for chart, series in zip(self.query(DayChart), day_series(data.period), strict=True):
            chart.show(series)
        self._agents(data)
        self._backlog(data)
        self._policies(data)
        self._title()
        if self._stale:
            self.store_changed()

    def _failed(self, message: str, generation: int) -> None:
        if generation != self._generation or not self.is_attached:
            return
        self.busy = False
        self._last_load = time.monotonic()
        self.error = message
        banner = self.query_one("#dash-banner", Static)
        kept = (
            f" — showing the figures of {self.data.now:%H:%M} UTC" if self.data is not None else ""
        )
        banner.update(
            Text(
                f" ⚠ the dashboard could not be read: {sanitize(message, single_line=True)}"
                f"{kept}; r tries again ",
                style="bold",
            )
        )
        banner.remove_class("hidden")
        self._title()
        if self._stale:
            self.store_changed()

    def store_changed(self) -> None:
        """Something changed in the store: refresh, but not while a read runs (it reads again
        after it) and only REFRESH_GAP seconds after the last read ended: on a big store the
        aggregates take seconds, and a busy desk changes something every second."""
        self._stale = True
        if self.busy or self._timer is not None:
            return
        wait = REFRESH_GAP - (time.monotonic() - self._last_load)
        if wait <= 0:
            self.load()
        else:
            self._timer = self.set_timer(wait, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._stale and not self.busy:
            self.load()

    # ------------------------------------------------------------------ what shows

    def _title(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" Dashboard ", style="bold reverse")
        line.append(" ")
        line.append(self.team or "all teams", style="bold")
        period = Period.ending_today(self.days, clock_of(self))
        line.append(f" · {self.days}d {_span(period)}")
        line.append(f" vs {_span(period.previous())}", style="dim")
        if self.data is not None:
            line.append(f" · as of {self.data.now:%H:%M} UTC", style="dim")
        if self.busy:
            line.append("  ⟳ loading…", style="bold")
        elif self.error:
            line.append("  ✖ not refreshed", style="bold red")
        self.query_one("#dash-title", Static).update(line)

    def _agents(self, data: DashboardData) -> None:
        table = self.query_one("#dash-agents", EdgeTable)
        where = table.cursor_coordinate
        table.clear()
        self._agent_keys = []
        rows = [*data.agents.rows, data.agents.total]
        for index, row in enumerate(rows):
            total = index == len(rows) - 1
            name = "all" if total else (row.key or "unassigned")
            style = "bold" if total else ""
            cells = [Text(sanitize(name, single_line=True), style=style)]
            cells += [
                Text(str(value).rjust(len(title)), style=style)  # numbers line up on the right
                for value, title in zip(row_cells(row), AGENT_COLUMNS[1:], strict=True)
            ]
            table.add_row(*cells, key=f"agent-{index}")
            self._agent_keys.append("\0all" if total else row.key)
        table.cursor_coordinate = where
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Agents", style="bold")
        title.append(
            f"  solved, FRT and CSAT over {data.days}d; assigned and breaching now", style="dim"
        )
        self.query_one("#dash-agents-title", Static).update(title)

    def _backlog(self, data: DashboardData) -> None:
        table = self.query_one("#dash-backlog", EdgeTable)
        where = table.cursor_coordinate
        table.clear()
        self._backlog_keys = []
        rows = backlog_rows(data.backlog)
        totals = dict.fromkeys(AGE_BUCKETS, 0)
        for index, (tier, team, counts) in enumerate(rows):
            cells = [Text(tier), Text(sanitize(team or "no team", single_line=True))]
            cells += [Text(f"{counts[b]:,}".rjust(len(b))) for b in AGE_BUCKETS]
            cells.append(Text(f"{sum(counts.values()):,}".rjust(5), style="bold"))
            table.add_row(*cells, key=f"backlog-{index}")
            self._backlog_keys.append((tier, team))
            for bucket in AGE_BUCKETS:
                totals[bucket] += counts[bucket]
        cells = [Text("all", style="bold"), Text("")]
        cells += [Text(f"{totals[b]:,}".rjust(len(b)), style="bold") for b in AGE_BUCKETS]
        cells.append(Text(f"{sum(totals.values()):,}".rjust(5), style="bold"))
        table.add_row(*cells, key="backlog-all")
        self._backlog_keys.append((None, None))
        table.cursor_coordinate = where
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Backlog now", style="bold")
        title.append("  active tickets by tier, team and age", style="dim")
        self.query_one("#dash-backlog-title", Static).update(title)

    def _policies(self, data: DashboardData) -> None:
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold", expand=False)
        for title in ("priority", "team", "segment", "first response", "resolution"):
            table.add_column(title, no_wrap=True)
        for p in data.policies:
            table.add_row(
                Text(p.priority.label),
                Text(sanitize(p.team or "any", single_line=True)),
                Text(sanitize(p.segment or "any", single_line=True)),
                Text(rounded_duration(p.first_response)),
                Text(rounded_duration(p.resolution)),
            )
        parts: list[Table | Text] = [table]
        if not data.policies:
            parts = [Text("no SLA policies: tickets get no due times", style="dim")]
        if data.calendars is not None:
            calendars = Table(
                box=None, padding=(0, 1), show_header=True, header_style="bold", expand=False
            )
            for title in ("calendar", "hours", "teams"):
                calendars.add_column(title, no_wrap=title != "hours")
            for c in data.calendars:
                calendars.add_row(
                    Text(sanitize(c.name, single_line=True)),
                    Text(sanitize(c.definition)),
                    Text(sanitize(", ".join(c.teams) or "none", single_line=True)),
                )
            parts.append(Text(""))
            if data.calendars:
                parts.append(calendars)
            else:
                parts.append(Text("no business-hours calendars: SLA clocks count wall time"))
        if self.actor.role == Role.ADMIN:
            parts += [Text(""), audit_line(data.audit)]
        grid = Table.grid()
        grid.add_column()
        for part in parts:
            grid.add_row(part)
        grid.add_row(
            Text("change them from the shell: csm sla set …, csm calendars set …", style="dim")
        )
        self.query_one("#dash-policies", Static).update(grid)

    # ------------------------------------------------------------------ keys

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()

    def action_cycle_period(self) -> None:
        self.days = PERIODS[(PERIODS.index(self.days) + 1) % len(PERIODS)]
        self.load()
        self.notify(f"the last {self.days} days", timeout=2)

    def action_toggle_team(self) -> None:
        if not self.actor.team:
            self.notify("You are in no team: the dashboard shows all teams.", severity="warning")
            return
        self.team = None if self.team else self.actor.team
        self.load()
        self.notify(self.team or "all teams", timeout=2, markup=False)

    def action_policies(self) -> None:
        section = self.query_one("#dash-policies-title", Static)
        self.query_one("#dash-body", DashBody).scroll_to_widget(section, top=True)

    def action_drill(self) -> None:
        focused = self.focused
        if isinstance(focused, Selectable):
            target = focused.drill()
            if target is not None:
                self._open(target)
                return
        self.notify("Nothing to open yet: the figures are still loading.", timeout=2)

    def _open(self, target: Drill) -> None:
        if target.query is not None:
            self.dismiss(target.query)
            return
        data = self.data
        self.dismiss(
            drill_query(
                target.metric,
                period=target.period,
                by=target.by,
                key=target.key,
                team=data.team if data is not None else self.team,  # as the figures were read
                repeat_window=data.period.repeat_window if data is not None else REPEAT_WINDOW,
            )
        )

    @on(DataTable.CellSelected, "#dash-agents")
    def _agent_cell(self, event: DataTable.CellSelected) -> None:
        event.stop()
        if self.data is None:
            return
        row, column = event.coordinate.row, event.coordinate.column
        key = self._agent_keys[row]
        metric = AGENT_METRICS[column]
        total = key == "\0all"
        self._open(
            Drill(
                metric,
                self.data.period.period,
                None if total else GroupBy.AGENT,
                None if total else key,
            )
        )

    @on(DataTable.CellSelected, "#dash-backlog")
    def _backlog_cell(self, event: DataTable.CellSelected) -> None:
        event.stop()
        if self.data is None:
            return
        row, column = event.coordinate.row, event.coordinate.column
        tier, team = self._backlog_keys[row]
        bucket = AGE_BUCKETS[column - 2] if 2 <= column < 2 + len(AGE_BUCKETS) else None
        self._open(
            Drill(
                Metric.BACKLOG,
                self.data.period.period,
                query=backlog_drill_query(
                    self.data.period.period,
                    tier=tier,
                    team=team,
                    bucket=bucket,
                    team_filter=self.data.team,
                ),
            )
        )

    # ------------------------------------------------------------------ moving around

    def _grid(self) -> list[list[Widget]]:
        """The selectable widgets as rows on screen: each tile row is two figure rows (a "now"
        figure stands in both), then the charts, then each table."""
        rows: list[list[Widget]] = []
        all_tiles = list(self.query(Tile))
        columns = self._tile_columns
        for start in range(0, len(all_tiles), columns):
            line = all_tiles[start : start + columns]
            for which in (0, 1):
                rows.append([t.figures[min(which, len(t.figures) - 1)] for t in line])
        charts: list[Widget] = list(self.query(DayChart))
        for start in range(0, len(charts), self._chart_columns):
            rows.append(charts[start : start + self._chart_columns])
        rows.append([self.query_one("#dash-agents", EdgeTable)])
        rows.append([self.query_one("#dash-backlog", EdgeTable)])
        return rows

    def action_move(self, dx: int, dy: int) -> None:
        focused = self.focused
        rows = self._grid()
        found = [(r, row.index(focused)) for r, row in enumerate(rows) if focused in row]
        if focused is None or not found:
            self.set_focus(self.query(Figure).first())
            return
        if dx:
            r, c = found[0]
            target = rows[r][max(0, min(len(rows[r]) - 1, c + dx))]
        else:
            r, c = found[-1] if dy > 0 else found[0]
            r += dy
            if not 0 <= r < len(rows):
                return
            target = rows[r][min(c, len(rows[r]) - 1)]
        if isinstance(target, EdgeTable) and target.row_count:
            target.move_cursor(row=0 if dy > 0 else target.row_count - 1 if dy < 0 else None)
        self.set_focus(target)  # at once (widget.focus() waits a turn): fast keys all count


def _span(period: Period) -> str:
    first = period.since.date()
    last = (period.until - timedelta(days=1)).date()
    if first == last:
        return f"{first.day} {first:%b}"
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%b}"
    return f"{first.day} {first:%b}–{last.day} {last:%b}"
