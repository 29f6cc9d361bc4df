"""Reading values the store should not hold.  CHECK constraints (migration 0010) keep new rows
right, but a row written before them, or by hand past them, may still say `priority 0`: reading
it must not fail every list it is in.  Such a value reads as a stand-in, and the row carries
what it really holds, so that every output can show it as invalid."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


class Invalid:
    """The invalid values met while reading one row: field name → the value as stored."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def enum(self, enum: type[E], value: object, field: str, stand_in: E) -> E:
        try:
            return enum(value)
        except ValueError:
            self.found[field] = str(value)
            return stand_in

    def check(self, value: object, allowed: tuple[object, ...], field: str) -> None:
        if value is not None and value not in allowed:
            self.found[field] = str(value)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.found.items())


def describe_invalid(pairs: tuple[tuple[str, str], ...]) -> str:
    """`priority '0', status 'lost'`: what a warning names."""
    return ", ".join(f"{field} {value!r}" for field, value in pairs)


def shown_invalid(value: str) -> str:
    """What an output shows in place of an invalid stored value."""
    return f"invalid: {value}"
