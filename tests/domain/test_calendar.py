"""Business-hours calendars: weekends, holidays, lunch breaks and both DST changes, checked
against hand-worked answers, plus a property: adding working time and measuring it back agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csm_console.domain.calendar import BusinessCalendar, parse_calendar

RIGA = ZoneInfo("Europe/Riga")
OFFICE = parse_calendar(
    """
    timezone: Europe/Riga
    mon-fri: 09:00-13:00, 14:00-18:00   # a lunch hour
    holidays: 2026-11-18
    """
)
ALWAYS = BusinessCalendar("Europe/Riga", {d: ((time(0), time(0)),) for d in range(7)})
DAILY = BusinessCalendar("Europe/Riga", {d: ((time(9), time(18)),) for d in range(7)})


def riga(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIGA)  # type: ignore[misc]


def test_a_friday_afternoon_ticket_is_due_on_monday() -> None:
    # Friday 2026-11-20 16:00: 2 h left on Friday, 2 more on Monday morning
    assert OFFICE.add(riga(2026, 11, 20, 16, 0), timedelta(hours=4)) == riga(2026, 11, 23, 11, 0)
    # created on Saturday: the clock starts on Monday at 09:00
    assert OFFICE.add(riga(2026, 11, 21, 12, 0), timedelta(hours=1)) == riga(2026, 11, 23, 10, 0)
    assert OFFICE.between(riga(2026, 11, 20, 17, 0), riga(2026, 11, 23, 10, 0)) == timedelta(
        hours=2
    )


def test_lunch_and_holidays_do_not_count() -> None:
    # Tuesday 12:30 + 1 h: 30 min before lunch, 30 after
    assert OFFICE.add(riga(2026, 11, 17, 12, 30), timedelta(hours=1)) == riga(2026, 11, 17, 14, 30)
    # Tuesday 17:00 + 2 h: Wednesday the 18th is a holiday, so Thursday 10:00
    assert OFFICE.add(riga(2026, 11, 17, 17, 0), timedelta(hours=2)) == riga(2026, 11, 19, 10, 0)
    assert not OFFICE.is_working(riga(2026, 11, 18, 10, 0))
    assert OFFICE.is_working(riga(2026, 11, 19, 9, 0))
    assert not OFFICE.is_working(riga(2026, 11, 19, 13, 30))


def test_spring_forward_day_is_an_hour_shorter() -> None:
    # 2026-03-29: Riga moves from 03:00 EET to 04:00 EEST; that Sunday has 23 hours
    saturday_noon = riga(2026, 3, 28, 12, 0)
    assert ALWAYS.add(saturday_noon, timedelta(hours=24)) == riga(2026, 3, 29, 13, 0)
    assert ALWAYS.between(saturday_noon, riga(2026, 3, 29, 12, 0)) == timedelta(hours=23)
    # office hours are 9 h on both days: the change is at night
    assert DAILY.add(riga(2026, 3, 28, 17, 0), timedelta(hours=2)) == riga(2026, 3, 29, 10, 0)
    assert DAILY.between(riga(2026, 3, 28, 0, 0), riga(2026, 3, 30, 0, 0)) == timedelta(hours=18)


def test_fall_back_day_is_an_hour_longer() -> None:
    # 2026-10-25: Riga moves from 04:00 EEST back to 03:00 EET; that Sunday has 25 hours
    saturday_noon = riga(2026, 10, 24, 12, 0)
    assert ALWAYS.add(saturday_noon, timedelta(hours=24)) == riga(2026, 10, 25, 11, 0)
    assert ALWAYS.between(saturday_noon, riga(2026, 10, 25, 12, 0)) == timedelta(hours=25)


def test_utc_moments_and_other_zones_meet_the_same_deadline() -> None:
    start = riga(2026, 11, 20, 16, 0).astimezone(UTC)
    assert OFFICE.add(start, timedelta(hours=4)) == riga(2026, 11, 23, 11, 0)


def test_text_form_round_trips_and_refuses_nonsense() -> None:
    assert parse_calendar(OFFICE.describe()) == OFFICE
    assert OFFICE.describe().splitlines() == [
        "timezone: Europe/Riga",
        "mon-fri: 09:00-13:00, 14:00-18:00",
        "holidays: 2026-11-18",
    ]
    night = parse_calendar("timezone: UTC\nsat-sun: 20:00-24:00")
    assert night.add(datetime(2026, 11, 21, 23, tzinfo=UTC), timedelta(hours=2)) == datetime(
        2026, 11, 22, 21, tzinfo=UTC
    )
    for text, message in (
        ("mon-fri: 09:00-18:00", "needs a `timezone:` line"),
        ("timezone: Mars/Olympus\nmon: 09:00-18:00", "unknown timezone"),
        ("timezone: UTC\nmon: 9-18", "line 2: bad hours '9-18'"),
        ("timezone: UTC\nmon: 18:00-09:00", "ends before it starts"),
        ("timezone: UTC\nmon: 09:00-13:00, 12:00-18:00", "overlap"),
        ("timezone: UTC\nfri-mon: 09:00-18:00", "week order"),
        ("timezone: UTC\nholidays: 2026-02-30\nmon: 09:00-10:00", "line 2"),
        ("timezone: UTC\nmon: closed", "at least one weekday"),
        ("timezone: UTC\nfunday: 09:00-10:00", "unknown key 'funday'"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_calendar(text)


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 20),
    calendar=st.sampled_from([OFFICE, ALWAYS, DAILY]),
)
def test_adding_working_time_and_measuring_it_back_agree(
    start: datetime, minutes: int, calendar: BusinessCalendar
) -> None:
    due = calendar.add(start, timedelta(minutes=minutes))
    assert due >= start
    assert calendar.between(start, due) == timedelta(minutes=minutes)
    if minutes:
        assert calendar.is_working(due - timedelta(microseconds=1))


def test_holidays_are_local_days() -> None:
    christmas = parse_calendar("timezone: Europe/Riga\nmon-sun: 00:00-24:00\nholidays: 2026-12-25")
    # 23:30 UTC on the 24th is already the 25th in Riga: nothing counts until the 26th
    start = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)
    assert christmas.add(start, timedelta(minutes=1)) == riga(2026, 12, 26, 0, 1)
    assert christmas.holidays == frozenset({date(2026, 12, 25)})
