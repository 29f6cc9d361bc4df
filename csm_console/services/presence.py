"""Presence: which agents have which tickets open, and whether they are writing a reply.

Each running console holds a lease (`presence` row, keyed by a random console id) and renews it
with a heartbeat every `HEARTBEAT` seconds; the lease lasts `LEASE` seconds.  A console that
exits deletes its lease; one that is killed or loses the store lets it expire, so it vanishes
from the other consoles within `LEASE` seconds.  Lease times come from the database's clock on
PostgreSQL, so consoles on machines whose clocks differ still agree.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from csm_console.domain.rights import Actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Presence

HEARTBEAT = 3.0  # seconds between renewals
LEASE = timedelta(seconds=10)  # how long a lease outlives its last renewal
VIEWING = "viewing"
REPLYING = "replying"
ACTIVITIES = (VIEWING, REPLYING)


@dataclass(frozen=True, slots=True)
class PresenceView:
    """Another agent at a ticket."""

    ticket_id: int
    handle: str
    name: str
    activity: str  # viewing or replying

    def describe(self) -> str:
        return f"{self.handle} is {self.activity}"


def new_console_id() -> str:
    return secrets.token_hex(12)


def _now(session: Session) -> datetime:
    """The database's clock on PostgreSQL (shared by every console), the local one on SQLite
    (one machine)."""
    if session.get_bind().dialect.name == "postgresql":
        value: datetime = session.execute(select(func.now())).scalar_one()
        return value.astimezone(UTC)
    return datetime.now(UTC)


def heartbeat(
    store: Store,
    *,
    console: str,
    actor: Actor,
    ticket_id: int | None,
    activity: str = VIEWING,
    lease: timedelta = LEASE,
) -> None:
    """Take or renew this console's lease: `actor` has `ticket_id` open (None: no ticket)."""
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown activity {activity!r}")
    with store.write() as session:
        expires = _now(session) + lease
        renewed = session.execute(
            update(Presence)
            .where(col(Presence.console) == console)
            .values(agent_id=actor.id, ticket_id=ticket_id, activity=activity, expires_at=expires)
        )
        if not renewed.rowcount:  # type: ignore[attr-defined]
            session.add(
                Presence(
                    console=console,
                    agent_id=actor.id,
                    ticket_id=ticket_id,
                    activity=activity,
                    expires_at=expires,
                )
            )


def leave(store: Store, *, console: str) -> None:
    """Give up this console's lease (the console is closing)."""
    with store.write() as session:
        session.execute(delete(Presence).where(col(Presence.console) == console))


def others_at(
    store: Store, *, console: str, ticket_ids: Iterable[int]
) -> dict[int, list[PresenceView]]:
    """Who else (other consoles with a live lease) has each of these tickets open, replying
    first."""
    wanted = sorted(set(ticket_ids))
    if not wanted:
        return {}
    with store.read() as session:
        now = _now(session)
        rows = session.execute(
            select(
                col(Presence.ticket_id),
                col(Presence.activity),
                col(Agent.handle),
                col(Agent.name),
            )
            .join(Agent, col(Agent.id) == col(Presence.agent_id))
            .where(
                col(Presence.ticket_id).in_(wanted),
                col(Presence.console) != console,
                col(Presence.expires_at) > now,
            )
            .order_by(col(Presence.ticket_id), col(Agent.handle))
        ).all()
    found: dict[int, list[PresenceView]] = {}
    for row in rows:
        people = found.setdefault(row.ticket_id, [])
        if any(p.handle == row.handle for p in people):  # one agent, two consoles
            if row.activity == REPLYING:
                people[:] = [p for p in people if p.handle != row.handle]
            else:
                continue
        people.append(PresenceView(row.ticket_id, row.handle, row.name, row.activity))
    for people in found.values():
        people.sort(key=lambda p: (p.activity != REPLYING, p.handle))
    return found


def prune(store: Store, *, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete leases that expired long ago (killed consoles); returns how many."""
    with store.write() as session:
        cutoff = _now(session) - older_than
        result = session.execute(delete(Presence).where(col(Presence.expires_at) < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
