"""Business-hours calendars: when a team works, so that SLA clocks count only working time.

A calendar has a timezone (IANA, through `zoneinfo`), working hours per weekday (any number of
intervals a day, for a lunch break), and holidays (whole local days off).  Times are computed
on aware datetimes: each working interval is placed in local time on its day and compared in
UTC, so a day on which the clocks change is as long as it really is (a 09:00-18:00 day is 9
hours on both sides of a DST change; a night shift that spans the change is an hour shorter or
longer).  A wall-clock time that does not exist on a DST day (02:30 when clocks jump from 02:00
to 03:00) is read as zoneinfo reads it (the offset before the change).

The text form, as `csm calendars` reads and prints it:

    timezone: Europe/Riga
    mon-fri: 09:00-18:00
    sat: 10:00-14:00
    holidays: 2026-12-24, 2026-12-25
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead a deadline is searched: a 365-day target in a 45-hour week takes 3.7 years,
# and a calendar must hold any target a policy sets within this (services.sla checks it)
MAX_DAYS = 10 * 366

Interval = tuple[time, time]  # local start, local end (end may be 24:00, written 00:00 + 1 day)


# Zone files that are not places: a deadline must not depend on the machine that computes it
NOT_ZONES = frozenset({"localtime", "factory", "posixrules", "posix", "right"})


@dataclass(frozen=True)
class BusinessCalendar:
    """When work happens: `hours[weekday]` are the local working intervals of that weekday
    (0 = Monday), `holidays` the local dates off."""

    timezone: str
    hours: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            if self.timezone.split("/")[0].lower() in NOT_ZONES:
                raise ValueError(self.timezone)
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {self.timezone!r} (an IANA name such as Europe/Riga)"
            ) from None
        if not any(self.hours.get(day) for day in range(7)):
            raise ValueError("a calendar needs working hours on at least one weekday")
        for day, intervals in self.hours.items():
            if day not in range(7):
                raise ValueError(f"bad weekday {day}")
            ordered = sorted(intervals)
            for (start, end), following in zip(ordered, [*ordered[1:], None], strict=True):
                if end != time(0) and end <= start:
                    raise ValueError(
                        f"{WEEKDAYS[day]}: {start:%H:%M}-{end:%H:%M} ends before it starts"
                    )
                if following is not None and (end == time(0) or following[0] < end):
                    raise ValueError(f"{WEEKDAYS[day]}: working hours overlap")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- the intervals, as aware datetimes

    def _day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        zone = self.zone
        found = []
        for start, end in sorted(self.hours.get(day.weekday(), ())):
            opens = datetime.combine(day, start, tzinfo=zone)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                if end == time(0)
                else datetime.combine(day, end, tzinfo=zone)
            )
            found.append((opens.astimezone(UTC), closes.astimezone(UTC)))
        return found

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) that end after `moment`, in order, for MAX_DAYS days."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)  # a night shift from before
        for _ in range(MAX_DAYS):
            for opens, closes in self._day_intervals(day):
                if closes > moment:
                    yield opens, closes
            day += timedelta(days=1)

    # -- the maths

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of working time has passed after `start`."""
        if duration <= timedelta(0):
            return start
        left = duration
        for opens, closes in self._intervals_from(start):
            begin = max(opens, start)
            available = closes - begin
            if left <= available:
                return begin + left
            left -= available
        raise ValueError(
            f"the calendar has too little working time to count {duration} within "
            f"{MAX_DAYS // 366} years"
        )

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero when end is not after start)."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._intervals_from(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total

    def is_working(self, moment: datetime) -> bool:
        """Whether `moment` falls in working hours."""
        first = next(self._intervals_from(moment), None)
        return first is not None and first[0] <= moment

    # -- text form

    def describe(self) -> str:
        lines = [f"timezone: {self.timezone}"]
        for days, intervals in _grouped(self.hours):
            text = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals)
            lines.append(f"{days}: {text}")
        if self.holidays:
            lines.append("holidays: " + ", ".join(d.isoformat() for d in sorted(self.holidays)))
        return "\n".join(lines)


def _grouped(hours: Mapping[int, tuple[Interval, ...]]) -> list[tuple[str, tuple[Interval, ...]]]:
    """Runs of weekdays with the same hours: `mon-fri`, `sat`."""
    groups: list[tuple[list[int], tuple[Interval, ...]]] = []
    for day in range(7):
        intervals = tuple(sorted(hours.get(day, ())))
        if not intervals:
            continue
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))
    return [
        (WEEKDAYS[days[0]] if len(days) == 1 else f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}", iv)
        for days, iv in groups
    ]


_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*$")
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_calendar(text: str) -> BusinessCalendar:
    """A calendar from its text form; ValueError names the line at fault."""
    timezone: str | None = None
    hours: dict[int, tuple[Interval, ...]] = {}
    holidays: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: expected `key: value`, got {raw.strip()!r}")
        key, value = match.group(1).lower(), match.group(2)
        try:
            if key == "timezone":
                timezone = value
            elif key == "holidays":
                holidays |= {date.fromisoformat(d.strip()) for d in value.split(",") if d.strip()}
            else:
                for day in _weekdays(key):
                    hours[day] = _intervals(value)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    if timezone is None:
        raise ValueError("a calendar needs a `timezone:` line, e.g. timezone: Europe/Riga")
    return BusinessCalendar(timezone, hours, frozenset(holidays))


def _weekdays(key: str) -> list[int]:
    if "-" in key:
        first, last = key.split("-", 1)
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"unknown weekdays {key!r}; write mon-fri, sat, sun")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        if end < start:
            raise ValueError(f"{key}: write the days in week order (mon-fri)")
        return list(range(start, end + 1))
    if key not in WEEKDAYS:
        raise ValueError(f"unknown key {key!r}; valid: timezone, holidays, mon..sun, mon-fri")
    return [WEEKDAYS.index(key)]


def _intervals(value: str) -> tuple[Interval, ...]:
    if value.strip().lower() in ("", "closed", "off"):
        return ()
    found = []
    for part in value.split(","):
        match = _INTERVAL.match(part.strip())
        if match is None:
            raise ValueError(f"bad hours {part.strip()!r}; write 09:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or (h2 > 23 and (h2, m2) != (24, 0)):
            raise ValueError(f"bad time in {part.strip()!r}")
        found.append((time(h1, m1), time(0) if h2 == 24 else time(h2, m2)))
    return tuple(sorted(found))
