"""Rules kept in an order that a lead edits: routing rules and automations.

Both are numbered 1..n (`position`), looked up by name for editing by a lead or an admin, and
inserted or moved to a position with the others renumbered.  That is written here once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from csm_console.domain.rights import Actor, check_can_bulk
from csm_console.errors import NotFound
from csm_console.services.ticket_core import reload_actor
from csm_console.store.models import Automation, Rule

Ordered = TypeVar("Ordered", Rule, Automation)


def in_order(session: Session, kind: type[Ordered]) -> list[Ordered]:
    """Every row, first position first."""
    statement = select(kind).order_by(col(kind.position), col(kind.id))
    return list(session.execute(statement).scalars())


def for_editing(
    session: Session, actor: Actor, kind: type[Ordered], *, name: str, what: str
) -> tuple[list[Ordered], Ordered]:
    """The rows in order and the one named, for a lead or an admin changing them."""
    check_can_bulk(reload_actor(session, actor))
    rows = in_order(session, kind)
    found = next((row for row in rows if row.name == name.strip()), None)
    if found is None:
        raise NotFound(f"no {what} named {name!r}")
    return rows, found


def put_at(session: Session, rows: list[Ordered], row: Ordered, position: int | None) -> int:
    """Insert `row` among `rows` at `position` (1 = first; None or past the end: last), number
    them all again; returns where it landed."""
    where = len(rows) if position is None else max(0, min(len(rows), position - 1))
    rows.insert(where, row)
    renumber(session, rows)
    return where + 1


def renumber(session: Session, rows: Sequence[Ordered]) -> None:
    """Positions 1..n in the given order."""
    for index, row in enumerate(rows, start=1):
        row.position = index
        session.add(row)
