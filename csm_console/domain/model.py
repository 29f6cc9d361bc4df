"""The vocabulary of the help desk: enums shared by every layer."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TypeVar

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers (and SQLite's fit them)


def as_id(text: str) -> int | None:
    """`1042` → 1042: ASCII digits within the range of ids (1 to MAX_ID); None for anything
    else (`²`, `-1`, a 5,000-digit number)."""
    raw = text.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID)):
        number = int(raw)
        if 0 < number <= MAX_ID:
            return number
    return None


class Tier(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"

    @property
    def level(self) -> int:
        return int(self.value[1:])

    @classmethod
    def parse(cls, text: str) -> Tier:
        value = text.strip().upper()
        if value in {"1", "2", "3"}:
            value = "L" + value
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown tier {text!r}; valid: {', '.join(cls)}") from None


class Role(StrEnum):
    OPERATOR = "operator"
    LEAD = "lead"
    ADMIN = "admin"


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    WEB = "web"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """The ticket still needs work (its SLA clocks run)."""
        return self not in (Status.SOLVED, Status.CLOSED)


ACTIVE_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s.is_active)


class Priority(IntEnum):
    """Stored as its rank so that `priority:>=high` and sorting use an index."""

    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Priority:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            valid = ", ".join(p.label for p in cls)
            raise ValueError(f"unknown priority {text!r}; valid: {valid}") from None


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    LV = "lv"


class Segment(StrEnum):
    STANDARD = "standard"
    BUSINESS = "business"
    VIP = "vip"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], text: str, what: str) -> E:
    """Parse `text` into `enum`, with an error that lists the valid values."""
    try:
        return enum(text.strip().lower())
    except ValueError:
        valid = ", ".join(e.value for e in enum)
        raise ValueError(f"unknown {what} {text!r}; valid: {valid}") from None


class OutState(StrEnum):
    """Where an outgoing mail is (`outgoing_mail.state`)."""

    QUEUED = "queued"  # waiting for its next attempt (`next_attempt_at`)
    SENDING = "sending"  # claimed by a sender until `claimed_until` (a lease)
    SENT = "sent"  # the server took it (`server_reply` holds its answer)
    FAILED = "failed"  # refused for good, given up, or bounced (`server_reply` says why)
    CANCELLED = "cancelled"  # an agent cancelled it before it was sent
