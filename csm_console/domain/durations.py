"""Durations written the way people write them: `30m`, `4h`, `1d12h`, `2w`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_PART = re.compile(r"(\d+)\s*([wdhms])")
_WHOLE = re.compile(r"(?:\d+\s*[wdhms]\s*)+")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_DURATION = timedelta(days=36525)  # a hundred years: longer is a typo, and overflows dates


class DurationTooLong(ValueError):
    """A well-formed duration past MAX_DURATION."""


def parse_duration(text: str) -> timedelta:
    """Parse `1d12h`, `90m`, `2w` (a leading `-` is allowed and ignored: offsets into the past)."""
    raw = text.strip().lower().lstrip("-").strip()
    if not raw or not _WHOLE.fullmatch(raw):
        raise ValueError(f"bad duration {text!r}; write it like 30m, 4h, 2d, 1d12h or 1w")
    parts = _PART.findall(raw)
    if any(len(n) > 12 for n, _ in parts):
        raise DurationTooLong(f"duration {text[:40]!r} is too long; at most 100 years")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds > MAX_DURATION.total_seconds():
        raise DurationTooLong(f"duration {text[:40]!r} is too long; at most 100 years")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta, *, parts: int = 2) -> str:
    """`timedelta(hours=26, minutes=5)` → `1d2h`; negative values get a leading `-`."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return f"{sign}{total}s" if total else "0m"
    out: list[str] = []
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if total >= size:
            out.append(f"{total // size}{unit}")
            total %= size
        if len(out) == parts:
            break
    return sign + "".join(out)


def rounded_duration(delta: timedelta, *, parts: int = 2) -> str:
    """`format_duration` for figures: rounded to the nearest last unit shown instead of cut,
    and marked `~` when whole minutes were dropped, so `8h52m` in one part reads `~9h`, never a
    silent `8h`.  Seconds are rounded to the minute without a mark (below a minute they show)."""
    total = round(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return sign + format_duration(timedelta(seconds=total), parts=parts)
    total = (total + 30) // 60 * 60  # to the minute
    shown = parse_duration(format_duration(timedelta(seconds=total), parts=parts))
    dropped = total - int(shown.total_seconds())
    if not dropped:
        return sign + format_duration(shown, parts=parts)
    last = format_duration(shown, parts=parts)[-1]  # the smallest unit shown: d, h or m
    step = _UNITS[last]
    if dropped * 2 >= step:
        shown += timedelta(seconds=step)
    return f"~{sign}{format_duration(shown, parts=parts)}"


def iso_utc(value: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC, the form of every time in JSON, CSV and the audit."""
    return value.astimezone(UTC).isoformat() if value is not None else None
