"""The time now, in UTC: where the services read the clock (and tests set it)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
