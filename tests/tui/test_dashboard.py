"""The lead's dashboard, driven through Pilot on a real SQLite store with the sample operation:
it opens by key and from the palette, its figures are the service's report, and `enter` on any
number lands on the queue filtered to exactly the tickets behind it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from textual.widgets import Input

from csm_console.domain.metrics import GroupBy, Metric, MetricRow, Period, drill_query
from csm_console.services import metrics, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Ticket
from csm_console.tui import dashboard
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.dashboard_data import KPIS, Kind, show_value
from csm_console.tui.dashboard_widgets import DayChart, EdgeTable, Figure, Tile
from csm_console.tui.queue_list import QueueList
from tests.tui_support import NOW, drive, make_app, sample_store, settle

WEEK = Period.ending_today(7, NOW)
TODAY = Period.ending_today(1, NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = sample_store(tmp_path / "dashboard.db")
    yield store
    store.dispose()


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def dash(app: Any) -> DashboardScreen:
    assert isinstance(app.screen, DashboardScreen), type(app.screen).__name__
    return app.screen


def figure(app: Any, metric: Metric, which: str) -> Figure:
    tile = dash(app).query_one(f"#tile-{metric.value}", Tile)
    return next(f for f in tile.figures if f.which == which)


def shown(fig: Figure) -> str:
    return str(fig.render())


async def open_dashboard(pilot: Any) -> DashboardScreen:
    await pilot.press("D")
    await settle(pilot)
    return dash(pilot.app)


def queue_ids(app: Any) -> list[int]:
    return [row.id for row in app.query_one(QueueList).window.rows]


def test_opens_with_its_key_and_escape_goes_back(store: Store) -> None:
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        assert screen.data is not None and not screen.busy and screen.error is None
        text = screen_text(app)
        assert "Dashboard" in text and "all teams" in text and "7d" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DashboardScreen)
        assert app.focused is app.query_one(QueueList)

    drive(app, script)


def test_opens_from_the_command_palette(store: Store) -> None:
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        commands = list(app.get_system_commands(app.screen))
        entry = next(c for c in commands if "(app.dashboard)" in c.help)
        assert entry.title == "Dashboard"
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Dashboard")
        await pilot.pause(0.5)  # the palette searches as you type
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = dash(app)
        assert screen.data is not None
        # on the dashboard the palette offers the dashboard's own keys
        mine = list(app.get_system_commands(screen))
        assert any("(dashboard.refresh)" in c.help for c in mine)
        assert not any("(app.take_next)" in c.help for c in mine)

    drive(app, script)


def test_every_tile_shows_what_the_report_says(store: Store) -> None:
    period = metrics.report(store, period=WEEK, now=NOW).total
    previous = metrics.report(store, period=WEEK.previous(), now=NOW).total
    today = metrics.report(store, period=TODAY, now=NOW).total
    assert period.created and period.solved, "the sample has work in the last week"
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        for kpi in KPIS:
            if kpi.now:
                text = shown(figure(app, kpi.metric, "now"))
                assert text.startswith("now")
                assert show_value(kpi.kind, period.value(kpi.metric)) in text, kpi.metric
                continue
            week = shown(figure(app, kpi.metric, "period"))
            day = shown(figure(app, kpi.metric, "today"))
            assert week.startswith("7d") and day.startswith("today")
            assert show_value(kpi.kind, period.value(kpi.metric)) in week, (kpi.metric, week)
            assert show_value(kpi.kind, today.value(kpi.metric)) in day, (kpi.metric, day)
            if period.value(kpi.metric) is None or previous.value(kpi.metric) is None:
                assert "no base" in week
            elif period.value(kpi.metric) == previous.value(kpi.metric):
                assert "= same" in week
            else:
                up = period.value(kpi.metric) > previous.value(kpi.metric)  # type: ignore[operator]
                assert ("▲" if up else "▼") in week, (kpi.metric, week)

    drive(app, script)


def test_a_large_desks_daily_rates_are_grouped_as_its_counts(store: Store) -> None:
    """A 10M store creates 351,458.7 tickets a day in the generator's last week: the detail
    line groups thousands as the counts beside it do ("351458.7" was hard to read)."""
    week = replace(metrics.report(store, period=WEEK, now=NOW).total, created=2_460_211)
    detail = {kpi.metric: kpi.detail for kpi in KPIS}[Metric.CREATED](week, week, 7)
    assert detail == "351,458.7 a day over 7d"


def test_agent_table_is_the_report_by_agent(store: Store) -> None:
    by_agent = metrics.report(store, period=WEEK, by=GroupBy.AGENT, now=NOW)
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        table = dash(app).query_one("#dash-agents", EdgeTable)
        rows: list[MetricRow] = [*by_agent.rows, by_agent.total]
        assert table.row_count == len(rows)
        for index, row in enumerate(rows):
            cells = [str(c).strip() for c in table.get_row_at(index)]
            name = "all" if index == len(rows) - 1 else (row.key or "unassigned")
            assert cells[0] == name
            assert cells[1:3] == [str(row.backlog), str(row.solved)]
            assert cells[4] == show_value(Kind.RATE, row.csat_rate)
            assert cells[5] == str(row.breaching)

    drive(app, script)


def solved_in(store: Store, period: Period) -> set[int]:
    """The tickets solved in `period`, read from the store directly (not through the query)."""
    with store.read() as session:
        return set(
            session.execute(
                select(col(Ticket.id)).where(
                    col(Ticket.solved_at) >= period.since, col(Ticket.solved_at) < period.until
                )
            ).scalars()
        )


def test_drill_down_from_a_kpi_lands_on_exactly_its_tickets(store: Store) -> None:
    """`Resolved in SLA` opens its misses: the tickets solved in the week after their due."""
    week = metrics.report(store, period=WEEK, now=NOW).total
    with store.read() as session:
        late = set(
            session.execute(
                select(col(Ticket.id)).where(
                    col(Ticket.solved_at) >= WEEK.since,
                    col(Ticket.solved_at) < WEEK.until,
                    col(Ticket.solved_at) > col(Ticket.resolution_due),
                )
            ).scalars()
        )
    assert len(late) == week.solved - week.resolution_met > 0
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        assert app.focused is figure(app, Metric.CREATED, "period")
        await pilot.press("right")  # Created → Solved, the period's figures
        assert app.focused is figure(app, Metric.SOLVED, "period")
        await pilot.press("down", "down", "down", "down", "left")  # two tile rows down
        assert app.focused is figure(app, Metric.RESOLUTION_COMPLIANCE, "period")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, DashboardScreen)
        query = drill_query(Metric.RESOLUTION_COMPLIANCE, period=WEEK)
        bar = app.query_one("#queue-filter", Input)
        assert bar.display and bar.value == query
        assert app.queue.view.name == "All"  # not narrowed by "My tickets"
        assert query in str(app.query_one("#queue-status").render())
        assert set(queue_ids(app)) == late
        assert app.queue.total == len(late)

    drive(app, script)


def test_drill_down_to_more_tickets_than_a_page(store: Store) -> None:
    solved = metrics.report(store, period=WEEK, now=NOW).total.solved
    expected = solved_in(store, WEEK)
    assert len(expected) == solved > 0
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        await pilot.press("right", "enter")
        await settle(pilot)
        assert app.query_one("#queue-filter", Input).value == drill_query(
            Metric.SOLVED, period=WEEK
        )
        assert app.queue.total == solved
        assert set(queue_ids(app)) <= expected  # the first page; the rest as one scrolls

    drive(app, script)


def test_drill_down_from_today_and_from_a_chart_day(store: Store) -> None:
    app = make_app(store, "anna")
    first_day = Period.days(WEEK.since.date(), WEEK.since.date())
    created_first_day = metrics.report(store, period=first_day, now=NOW).total.created

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        await pilot.press("down")  # Created: the period's figure → today's
        assert app.focused is figure(app, Metric.CREATED, "today")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#queue-filter", Input).value == drill_query(
            Metric.CREATED, period=TODAY
        )
        await open_dashboard(pilot)
        chart = dash(app).query_one("#chart-created", DayChart)
        chart.focus()
        await pilot.press("home")  # the first day of the week
        await pilot.press("enter")
        await settle(pilot)
        day = WEEK.since.date().isoformat()
        query = drill_query(Metric.CREATED, period=WEEK, by=GroupBy.DAY, key=day)
        assert app.query_one("#queue-filter", Input).value == query
        assert app.queue.total == created_first_day

    drive(app, script)


def test_drill_down_from_an_agent_cell(store: Store) -> None:
    by_agent = metrics.report(store, period=WEEK, by=GroupBy.AGENT, now=NOW)
    first = by_agent.rows[0]
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        table = dash(app).query_one("#dash-agents", EdgeTable)
        table.focus()
        table.move_cursor(row=0, column=2)  # the first agent's solved
        await pilot.press("enter")
        await settle(pilot)
        query = drill_query(Metric.SOLVED, period=WEEK, by=GroupBy.AGENT, key=first.key)
        assert app.query_one("#queue-filter", Input).value == query
        assert app.queue.total == first.solved

    drive(app, script)


def test_drill_down_from_a_backlog_cell(store: Store) -> None:
    cells = metrics.backlog(store, now=NOW)
    frontline = sum(c.count for c in cells if c.team == "Frontline" and c.tier == "L1")
    assert frontline
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        table = dash(app).query_one("#dash-backlog", EdgeTable)
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]) == "Frontline")
        assert str(table.get_row_at(row)[-1]).strip() == f"{frontline:,}"
        table.focus()
        table.move_cursor(row=row, column=len(table.columns) - 1)  # the team's total
        await pilot.press("enter")
        await settle(pilot)
        query = app.query_one("#queue-filter", Input).value
        assert query == "status:new,open,pending,on_hold tier:L1 team:Frontline"
        assert app.queue.total == frontline

    drive(app, script)


@pytest.mark.parametrize("mine", [False, True], ids=["all-teams", "my-team"])
def test_drill_down_from_the_backlog_total_row_keeps_the_team_filter(
    store: Store, mine: bool
) -> None:
    """The `all` row has no tier: it opens the whole backlog the dashboard counts (this used to
    stop the console), and with `t` (my team) only that team's."""
    team = "Frontline" if mine else None
    count = sum(c.count for c in metrics.backlog(store, team=team, now=NOW))
    assert count > 0
    query = "status:new,open,pending,on_hold" + (" team:Frontline" if mine else "")
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        if mine:
            await pilot.press("t")
            await settle(pilot)
        table = dash(app).query_one("#dash-backlog", EdgeTable)
        table.focus()
        table.move_cursor(row=table.row_count - 1, column=len(table.columns) - 1)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#queue-filter", Input).value == query
        assert app.queue.total == count

    drive(app, script)


def test_arrows_move_through_tiles_charts_and_tables(store: Store) -> None:
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        screen = dash(app)
        columns = screen._tile_columns
        assert columns == 4  # 120 columns: 12 tiles in three rows of four
        await pilot.press("down", "down")  # period → today → the next row's period
        assert app.focused is figure(app, KPIS[columns].metric, "period")
        await pilot.press("up")
        assert app.focused is figure(app, KPIS[0].metric, "today")
        for _ in range(5):
            await pilot.press("down")
        assert isinstance(app.focused, DayChart)
        await pilot.press("down")
        assert app.focused is screen.query_one("#dash-agents", EdgeTable)
        await pilot.press("up")  # from the table's first row, back up to the charts
        assert isinstance(app.focused, DayChart)
        await pilot.press("tab")
        assert isinstance(app.focused, DayChart | EdgeTable)

    drive(app, script)


def test_keys_typed_fast_all_count(store: Store) -> None:
    """Eight `down`s arriving at once (a held key over SSH) move eight rows, not one."""
    from textual import events

    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        for _ in range(6):  # three tile rows of two figure rows each, at 120 columns
            app.post_message(events.Key("down", None))
        await settle(pilot)
        assert isinstance(app.focused, DayChart), app.focused

    drive(app, script)


def test_period_key_and_team_key_change_what_is_read(store: Store) -> None:
    month = Period.ending_today(30, NOW)
    frontline = metrics.report(store, period=month, team="Frontline", now=NOW).total
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert screen.days == 30 and screen.data is not None and screen.data.days == 30
        assert shown(figure(app, Metric.CREATED, "period")).startswith("30d")
        assert len(screen.query_one("#chart-created", DayChart).series.values) == 30  # type: ignore[union-attr]
        await pilot.press("t")  # anna leads Frontline
        await settle(pilot)
        assert screen.team == "Frontline"
        assert "Frontline" in screen_text(app)
        created = shown(figure(app, Metric.CREATED, "period"))
        assert show_value(Kind.COUNT, frontline.created) in created
        await pilot.press("enter")
        await settle(pilot)
        query = drill_query(Metric.CREATED, period=month, team="Frontline")
        assert app.query_one("#queue-filter", Input).value == query
        assert app.queue.total == frontline.created

    drive(app, script)


def test_a_store_that_fails_shows_a_banner_and_keeps_the_figures(
    store: Store, tmp_path: Path
) -> None:
    app = make_app(store, "anna")
    broken = Store(f"sqlite:///{tmp_path / 'no-such-dir' / 'gone.db'}")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        before = shown(figure(app, Metric.SOLVED, "period"))
        screen.store = broken
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running and screen.error
        banner = screen.query_one("#dash-banner")
        assert banner.display
        assert "could not be read" in screen_text(app)
        assert shown(figure(app, Metric.SOLVED, "period")) == before
        screen.store = store
        await pilot.press("r")
        await settle(pilot)
        assert not banner.display and screen.error is None

    drive(app, script)
    broken.dispose()


def test_it_refreshes_when_the_store_changes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "REFRESH_GAP", 0.0)
    app = make_app(store, "anna")
    anna = resolve_actor(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        assert screen.data is not None
        before = screen.data.today.total.created
        tickets.create_ticket(
            store,
            actor=anna,
            customer_email="new@example.lv",
            customer_name="New Customer",
            subject="Internet is down",
            body="Since this morning.",
            now=NOW,
        )
        app.store_changed()  # what the change feed calls
        await settle(pilot)
        assert screen.data.today.total.created == before + 1

    drive(app, script)


def test_readable_at_80x24(store: Store) -> None:
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        assert screen._tile_columns == 3 and screen._chart_columns == 2
        text = screen_text(app).splitlines()
        assert "Dashboard" in text[0] and "7d" in text[0] and "UTC" in text[0]
        for fig in screen.query(Figure):
            line = shown(fig)
            assert len(line) <= fig.content_size.width, line  # never cut
            assert fig.region.right <= 80
        for tile in screen.query(Tile):
            assert tile.region.width >= 24
        # everything below the tiles is reached by moving: the focused part scrolls into view
        await pilot.press(*["down"] * 8)
        assert isinstance(app.focused, DayChart)
        assert 0 < app.focused.region.y < 23

    drive(app, script, size=(80, 24))


def test_keymap_knows_the_dashboard_keys(store: Store) -> None:
    app = make_app(store, "anna")
    ids = {row[2] for row in app.binding_rows()}
    assert {"app.dashboard", "dashboard.refresh", "dashboard.period", "dashboard.close"} <= ids


def test_hostile_names_show_literally(store: Store) -> None:
    """Team names reach the backlog table and the title: they are shown as text, never run as
    markup or written to the terminal as control sequences."""
    from csm_console.store.models import Team
    from tests.hostile import hostile_cases
    from tests.tui_support import assert_safe_output

    names = [case["text"][:60] for case in hostile_cases()][:12]
    with store.write() as session:
        ids = list(
            session.execute(
                select(col(Ticket.id)).where(col(Ticket.status) == "open").limit(len(names))
            ).scalars()
        )
        for index, (ticket_id, name) in enumerate(zip(ids, names, strict=False)):
            team = Team(name=f"{name}{index}", tier="L1")
            session.add(team)
            session.flush()
            session.get(Ticket, ticket_id).team_id = team.id  # type: ignore[union-attr]
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        assert screen.error is None
        assert screen.query_one("#dash-backlog", EdgeTable).row_count > len(names)
        screen.query_one("#dash-backlog", EdgeTable).focus()
        await settle(pilot)
        assert_safe_output(app, "dashboard with hostile team names")

    drive(app, script)


@pytest.mark.postgres
def test_on_postgresql_the_drill_down_matches_the_tile(postgres_server: Any) -> None:
    """The report's SQL and the queue's query agree on PostgreSQL too."""
    from csm_console.services import setup

    store = Store(postgres_server.create_database("dashboard"))
    try:
        setup.initialize(store)
        setup.load_sample(store, now=NOW)
        week = metrics.report(store, period=WEEK, now=NOW).total
        app = make_app(store, "anna")

        async def script(pilot: Any) -> None:
            await open_dashboard(pilot)
            assert show_value(Kind.COUNT, week.missed) in shown(
                figure(app, Metric.MISSED, "period")
            )
            await pilot.press("right", "enter")  # Solved
            await settle(pilot)
            assert app.queue.total == week.solved
            await open_dashboard(pilot)
            figure(app, Metric.RESOLUTION_COMPLIANCE, "period").focus()
            await pilot.press("enter")
            await settle(pilot)
            assert app.queue.total == week.solved - week.resolution_met

        drive(app, script)
    finally:
        store.dispose()


def test_durations_are_rounded_and_say_so(store: Store) -> None:
    """At 80 columns a tile has room for one part of a duration: `8h52m` reads `~9h`, never a
    silent `8h`; trends and figures round the same way (issue 16, item 11)."""
    from datetime import timedelta

    from csm_console.domain.durations import rounded_duration
    from csm_console.tui.dashboard_data import trend

    frt = next(k for k in KPIS if k.metric is Metric.FIRST_RESPONSE)
    assert trend(frt, timedelta(hours=9, minutes=52), timedelta(hours=1)).plain == "▲ ~9h ✖"
    assert show_value(Kind.DURATION, timedelta(days=1, hours=2, minutes=40)) == "~1d3h"
    assert show_value(Kind.DURATION, timedelta(hours=1, minutes=20, seconds=10)) == "1h20m"
    week = metrics.report(store, period=WEEK, now=NOW).total
    p90 = week.first_response.p90
    assert p90 is not None
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        screen = await open_dashboard(pilot)
        tile = screen.query_one(f"#tile-{Metric.FIRST_RESPONSE.value}", Tile)
        detail = str(tile.query_one(".tile-detail").render())
        shown_p90 = detail.split()[2]  # "p90 7d ~8h · today –"
        assert shown_p90 in (rounded_duration(p90, parts=1), rounded_duration(p90, parts=2))

    drive(app, script, size=(80, 24))


def test_the_focused_chart_says_so(store: Store) -> None:
    app = make_app(store, "anna")

    async def script(pilot: Any) -> None:
        await open_dashboard(pilot)
        charts = list(dash(app).query(DayChart))
        charts[1].focus()
        await settle(pilot)
        titles = [str(c.render()).splitlines()[0] for c in charts]
        assert titles[1].startswith("▸ Solved per day"), titles
        assert not titles[0].startswith("▸") and not titles[2].startswith("▸")

    drive(app, script)
