"""The audit trail's hash chain, as pure functions.

Each audit row carries `hash = sha256(prev_hash + "\\n" + content)` in hex, where `prev_hash` is
the hash of the row before it (by id; "" before the first) and `content` lists the row's fields,
each as `<length>:<text>` (or `-` for NULL) joined by `;`, so no value can pass for another.
The store's trigger computes the same (`store.audit_chain`); `csm audit verify` recomputes it
here from the rows as read, so a row edited, inserted out of turn or removed shows as the first
place where the chain breaks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

GENESIS = ""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def epoch_micros(value: datetime) -> int:
    """A time as whole microseconds since 1970 (UTC; a naive time is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // MICROSECOND


@dataclass(frozen=True, slots=True)
class ChainedRow:
    """One audit row as the chain covers it."""

    id: int
    ticket_id: int | None
    actor_id: int | None
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    created_at: datetime
    batch_id: str | None
    version: int | None

    def content(self) -> str:
        parts: tuple[object, ...] = (
            self.id,
            self.ticket_id,
            self.actor_id,
            self.action,
            self.field,
            self.old_value,
            self.new_value,
            epoch_micros(self.created_at),
            self.batch_id,
            self.version,
        )
        return row_content(parts)


def row_content(parts: tuple[object, ...]) -> str:
    """The fields as the chain hashes them: each `<length>:<text>`, or `-` for NULL."""
    out = []
    for p in parts:
        if p is None:
            out.append("-")
        else:
            text = str(p)
            out.append(f"{len(text)}:{text}")
    return ";".join(out)


def chain_hash(prev_hash: str | None, content: str) -> str:
    data = f"{prev_hash or GENESIS}\n{content}".encode()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain breaks first, and how."""

    row_id: int
    reason: str


def check_link(
    row: ChainedRow,
    *,
    prev_hash: str,
    prev_id: int | None,
    stored_prev: str | None,
    stored_hash: str | None,
) -> Break | None:
    """The first thing wrong with one row, given the hash of the row before it."""
    after = f"row #{prev_id}" if prev_id is not None else "the start of the chain"
    if stored_hash is None:
        return Break(row.id, "it has no hash: it was written while the chain's trigger was off")
    if (stored_prev or GENESIS) != prev_hash:
        return Break(
            row.id,
            f"it does not follow {after}: rows before it were removed, inserted or changed",
        )
    if chain_hash(prev_hash, row.content()) != stored_hash:
        return Break(row.id, "its content differs from what was hashed: the row was changed")
    return None
