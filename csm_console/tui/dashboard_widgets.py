"""The dashboard's pieces: KPI tiles made of selectable figures, a day chart, and a table whose
arrow keys hand over to the screen at its edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Static

from csm_console.domain.metrics import GroupBy, Metric, MetricRow, Period
from csm_console.tui.dashboard_data import (
    KPIS,
    NEUTRAL,
    DashboardData,
    Kind,
    Kpi,
    Series,
    duration,
    show_value,
    trend,
)


@dataclass(frozen=True, slots=True)
class Drill:
    """What a selected number stands for; the screen turns it into query text with
    `domain.metrics.drill_query` (or uses `query` as it is, for a backlog cell)."""

    metric: Metric
    period: Period
    by: GroupBy | None = None
    key: str | None = None
    query: str | None = None


class Selectable:
    """A widget whose `drill` names the tickets behind what it shows (None: nothing yet)."""

    def drill(self) -> Drill | None:  # pragma: no cover - overridden
        return None


class Figure(Static, Selectable, can_focus=True):
    """One number of a tile (`7d   1h20m ▼ 12m ✔`); `enter` opens the tickets behind it."""

    def __init__(self, kpi: Kpi, which: str) -> None:
        super().__init__(Text(_label(which), style=NEUTRAL), classes=f"figure figure-{which}")
        self.kpi = kpi
        self.which = which  # "period", "today" or "now"
        self._drill: Drill | None = None

    def show(self, data: DashboardData) -> None:
        kpi = self.kpi
        if self.which == "today":
            current, baseline = data.today.total, data.yesterday.total
            period = data.today.period
            label = "today"
        else:
            current, baseline = data.period.total, data.previous.total
            period = data.period.period
            label = "now" if self.which == "now" else f"{data.days}d"
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{label:<6}", style=NEUTRAL)
        line.append(f"{show_value(kpi.kind, kpi.value(current)):>7}", style="bold")
        if self.which != "now":
            line.append(" ")
            line.append_text(trend(kpi, kpi.value(current), kpi.value(baseline)))
        self.update(line)
        self._drill = Drill(kpi.metric, period)

    def drill(self) -> Drill | None:
        return self._drill


def _label(which: str) -> str:
    return {"today": "today …", "now": "now   …"}.get(which, "…")


class Tile(Vertical):
    """A KPI: its title with which way is good, the period's and today's figures with their
    trends (one "now" figure for the backlog and breaches), and a line of detail."""

    def __init__(self, kpi: Kpi) -> None:
        super().__init__(classes="tile", id=f"tile-{kpi.metric.value}")
        self.kpi = kpi
        self.data: DashboardData | None = None

    def on_resize(self) -> None:
        if self.data is not None:
            self.show(self.data)  # the detail line that fits the new width

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="tile-title")
        if self.kpi.now:
            yield Figure(self.kpi, "now")
        else:
            yield Figure(self.kpi, "period")
            yield Figure(self.kpi, "today")
        yield Static("", classes="tile-detail")

    def _title(self) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text(self.kpi.title, style="bold"), Text(self.kpi.better.value, style="dim"))
        return grid

    @property
    def figures(self) -> list[Figure]:
        return list(self.query(Figure))

    def show(self, data: DashboardData) -> None:
        self.data = data
        for figure in self.figures:
            figure.show(data)
        said = self.kpi.detail(data.period.total, data.today.total, data.days)
        choices = (said,) if isinstance(said, str) else said
        room = self.content_size.width or 23
        detail = next((c for c in choices if len(c) <= room), choices[-1])
        if self.kpi.now:
            detail = detail + "\n" + f"as of {data.now:%H:%M} UTC"
        self.query_one(".tile-detail", Static).update(
            Text(detail, style="dim", no_wrap=True, overflow="ellipsis")
        )


def tiles() -> list[Tile]:
    return [Tile(kpi) for kpi in KPIS]


BARS = "▁▂▃▄▅▆▇█"


class DayChart(Widget, Selectable, can_focus=True):
    """A count per day as bars scaled from zero, with min and max in the title and the first
    and last dates below.  `←` `→` pick a day; `enter` opens that day's tickets."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "day(-1)", "Previous day", show=False, id="dashboard.chart_left"),
        Binding("right,l", "day(1)", "Next day", show=False, id="dashboard.chart_right"),
        Binding("home", "day(-1000)", "First day", show=False, id="dashboard.chart_first"),
        Binding("end", "day(1000)", "Last day", show=False, id="dashboard.chart_last"),
    ]

    cursor: reactive[int] = reactive(-1)  # the selected day (-1: the last one)

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="chart")
        self.title = title
        self.series: Series | None = None

    def show(self, series: Series) -> None:
        keep = self.series is not None and len(self.series.values) == len(series.values)
        self.series = series
        if not keep:
            self.cursor = len(series.values) - 1
        self.refresh()

    def action_day(self, step: int) -> None:
        if self.series is None or not self.series.values:
            raise SkipAction()
        last = len(self.series.values) - 1
        index = max(0, min(last, self.cursor + step))
        if index == self.cursor and abs(step) == 1:
            raise SkipAction()  # at the edge: the screen moves to the next chart
        self.cursor = index

    def drill(self) -> Drill | None:
        if self.series is None or not self.series.days:
            return None
        series = self.series
        day = series.days[self.cursor]
        period = Period.days(series.days[0].day, series.days[-1].day)
        return Drill(series.metric, period, GroupBy.DAY, day.key)

    def render(self) -> Text:
        width = max(10, self.content_size.width)
        out = Text(no_wrap=True, overflow="ellipsis")
        series = self.series
        if series is None or not series.values:
            out.append(self.title, style="bold")
            out.append("\n\n\n loading…" if series is None else "\n\n\n no days")
            return out
        values = series.values
        start = max(0, len(values) - width)  # narrower than the days: the latest days show
        shown = list(range(start, len(values)))
        slot = max(1, min(5, width // len(shown)))
        bar = slot - 1 if slot > 1 else 1
        low, high = min(values), max(values)
        right = f"min {low} · max {high} · Σ {sum(values)}"
        # which chart has focus shows in its title: a mark and reverse, not a shade alone
        title = f"▸ {series.title}" if self.has_focus else series.title
        if len(title) + len(right) + 2 > width:
            right = f"min {low} max {high}"
        out.append(title, style="bold reverse" if self.has_focus else "bold")
        out.append(" " * max(1, width - len(title) - len(right)))
        out.append(right, style="dim")
        out.append("\n")
        selected = self.cursor if 0 <= self.cursor < len(values) else len(values) - 1
        for row in (1, 0):
            for index in shown:
                value = values[index]
                level = 0 if value <= 0 else max(1, round(value / (high or 1) * 16))
                part = max(0, min(8, level - row * 8))
                cell = BARS[part - 1] if part else ("·" if row == 0 and value == 0 else " ")
                style = "reverse" if index == selected and self.has_focus else ""
                if index == selected and not self.has_focus:
                    style = "bold"
                out.append(cell * bar, style=style)
                if slot > 1:
                    out.append(" ")
            out.append("\n")
        span = min(width, len(shown) * slot)
        first = f"{series.days[start].day:%d %b}"
        last = f"{series.days[-1].day:%d %b}"
        here = series.days[selected]
        middle = f"▸ {here.day:%d %b}: {values[selected]}"
        gap = span - len(first) - len(last)
        axis = Text(no_wrap=True, overflow="ellipsis")
        axis.append(first, style="dim")
        if gap >= len(middle) + 2:
            left = (gap - len(middle)) // 2
            axis.append(" " * left)
            axis.append(middle, style="bold" if self.has_focus else "")
            axis.append(" " * (gap - len(middle) - left))
            axis.append(last, style="dim")
        elif gap >= 1:
            axis.append(" " * gap)
            axis.append(last, style="dim")
        out.append_text(axis)
        return out

    def watch_cursor(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class EdgeTable(DataTable[Text]):
    """A cell-cursor table: at its edges the arrow keys go on to the screen (to the figure
    above, the next section below), so the whole dashboard is one grid to move through."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("h", "cursor_left", "Left", show=False),
        Binding("l", "cursor_right", "Right", show=False),
    ]

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            raise SkipAction()
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.cursor_row >= self.row_count - 1:
            raise SkipAction()
        super().action_cursor_down()


def row_cells(row: MetricRow) -> tuple[int, int, str, str, int]:
    """(assigned now, solved, FRT median, CSAT, breaching now) of an agent's row."""
    return (
        row.backlog,
        row.solved,
        duration(row.first_response.median),
        show_value(Kind.RATE, row.csat_rate),
        row.breaching,
    )
