"""Take-next in one statement (PostgreSQL) or one short `BEGIN IMMEDIATE` (SQLite).

`services.tickets.take_next` keeps the rule; this is the fast road to it, the common claim
written in SQL: the most urgent unassigned ticket in the agent's reach (SLA due, then priority,
then id) is locked, assigned, opened if new, stamped (version, `updated_at`, the running clock)
and audited (`assign`, `status` when it was new, `claim`, all at the new version), and the
agent is re-read in the same statement (`Claimant` must still be what the database says: an
agent deactivated or moved meanwhile claims nothing here).

- PostgreSQL: one `WITH picked AS (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1), claimed AS
  (UPDATE ... RETURNING), audit AS (INSERT ... SELECT ...) SELECT ...` run on its own
  (autocommit): one round trip, so the shard of the audit chain it takes (the first no other
  writer holds, see `audit_chain`) is held from the trigger to the commit and no longer, and
  claims in other shards commit beside it (one WAL flush for several).
- SQLite: the select, the update and one multi-row audit insert under `BEGIN IMMEDIATE`.

The pick reads `ix_ticket_claimable` (migration 0020: the unassigned `new` and `open` tickets
by tier, team and queue order): the head of the agent's team's queue and the head of the
unteamed tickets of its tier, each one index probe, whatever the store's size.  Before, it
walked the unassigned tickets in SLA order and skipped every more urgent one of the other
teams and tiers, a heap row at a time (about 1,400 rows a claim at 1M and at 10M tickets).
On PostgreSQL only the team's head is locked (`FOR UPDATE SKIP LOCKED`); when the unteamed head
comes first, nothing is claimed here and the service's road claims it (it moves teams).  An
admin's pick (every tier) walks `ix_ticket_assignee` from its NULL key, as before.

`None` means "not here": the queue is empty, the agent changed, or the ticket at the head of
the queue has no team yet and would move into the agent's team (moving recounts the clocks in
that team's calendar, which the service does in Python).  The service then takes the ORM road,
which claims it or says why not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from csm_console.store.engine import Store, translate_errors
from csm_console.store.types import sqlite_timestamp

R = TypeVar("R")


@dataclass(frozen=True)
class Claimant:
    """The claiming agent as the caller knows it; the statement checks it is still so."""

    agent_id: int
    handle: str
    role: str
    tier: str
    team_id: int | None
    admin: bool
    moves_team: bool  # a non-admin with a team: an unteamed ticket would move into it


_CLAIMABLE = "t.assignee_id IS NULL AND t.status IN ('new', 'open')"


def _still(dialect: str) -> str:
    same_team = "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"
    return (
        "EXISTS (SELECT 1 FROM agent a WHERE a.id = :agent_id AND a.active "
        "AND a.handle = :handle AND a.role = :role AND a.tier = :tier "
        f"AND a.team_id {same_team} :team_id)"
    )


_RUNNING_CLOCK = (
    "CASE WHEN t.first_response_at IS NULL THEN {least}(t.first_response_due, t.resolution_due) "
    "ELSE t.resolution_due END"
)

_AUDIT_INTO = (
    "INSERT INTO audit_event (ticket_id, actor_id, action, field, old_value, new_value, "
    "created_at, batch_id, version)"
)


_QUEUE = "t.sla_due, t.priority DESC, t.id"
_LOCK = " FOR UPDATE OF t SKIP LOCKED"


def _head(team: str, dialect: str, *, lock: bool = False) -> str:
    """The head of one queue of the agent's tier: `team` says which (a plain index probe of
    `ix_ticket_claimable`, stopped at the first row it may take)."""
    return (
        f"SELECT t.id, t.status, t.team_id, t.sla_due, t.priority FROM ticket t "
        f"WHERE {_CLAIMABLE} AND t.tier = :tier AND {team} AND {_still(dialect)} "
        f"ORDER BY {_QUEUE} LIMIT 1{_LOCK if lock else ''}"
    )


# the unteamed head comes before the picked one in the queue
_LOOSE_FIRST = (
    "EXISTS (SELECT 1 FROM loose l WHERE l.sla_due < p.sla_due OR (l.sla_due = p.sla_due AND "
    "(l.priority > p.priority OR (l.priority = p.priority AND l.id < p.id))))"
)


def _postgres_pick(claimant: Claimant) -> str:
    """The CTEs that lock the ticket to claim (`picked`), or lock one and leave it (`wanted`
    false: the unteamed head comes first, and only the service's road may move it)."""
    if claimant.admin:
        return f"""picked AS (
  SELECT t.id, t.status, true AS wanted FROM ticket t
  WHERE {_CLAIMABLE} AND {_still("postgresql")}
  ORDER BY t.assignee_id, {_QUEUE} LIMIT 1{_LOCK}
)"""
    loose = _head("t.team_id IS NULL", "postgresql", lock=claimant.team_id is None)
    if claimant.team_id is None:
        return f"picked AS (SELECT p.id, p.status, true AS wanted FROM ({loose}) p)"
    team = _head("t.team_id = :team_id", "postgresql", lock=True)
    return f"""loose AS ({loose}),
picked AS (SELECT p.id, p.status, NOT {_LOOSE_FIRST} AS wanted FROM ({team}) p)"""


def _postgres_sql(claimant: Claimant) -> str:
    return f"""
WITH {_postgres_pick(claimant)}, claimed AS (
  UPDATE ticket t SET assignee_id = :agent_id, status = 'open', version = t.version + 1,
    updated_at = :now, sla_due = {_RUNNING_CLOCK.format(least="LEAST")}
  FROM picked WHERE t.id = picked.id AND picked.wanted
  RETURNING t.id, t.version, picked.status AS old_status
), audit AS (
  {_AUDIT_INTO}
  SELECT c.id, :agent_id, e.action, e.field, e.old_value, e.new_value, :now, NULL, c.version
  FROM claimed c CROSS JOIN (VALUES
    (1, 'assign', 'assignee', NULL::text, CAST(:handle AS text)),
    (2, 'status', 'status', 'new', 'open'),
    (3, 'claim', NULL, NULL, NULL)) AS e(n, action, field, old_value, new_value)
  WHERE e.n <> 2 OR c.old_status = 'new'
  ORDER BY e.n
)
SELECT id FROM claimed"""


def _sqlite_sql(claimant: Claimant) -> tuple[str, str, dict[bool, str]]:
    if claimant.admin:
        pick = (
            f"SELECT t.id, t.status, t.team_id FROM ticket t WHERE {_CLAIMABLE} AND "
            f"{_still('sqlite')} ORDER BY {_QUEUE} LIMIT 1"
        )
    else:  # the head of the team's queue and of the unteamed one, whichever comes first
        heads = ["t.team_id IS NULL"]
        if claimant.team_id is not None:
            heads.insert(0, "t.team_id = :team_id")
        pick = (
            " UNION ALL ".join(f"SELECT * FROM ({_head(team, 'sqlite')})" for team in heads)
            + " ORDER BY 4, 5 DESC, 1 LIMIT 1"
        )
    update = (
        "UPDATE ticket SET assignee_id = :agent_id, status = 'open', version = version + 1, "
        f"updated_at = :now, sla_due = {_RUNNING_CLOCK.format(least='MIN').replace('t.', '')} "
        "WHERE id = :id RETURNING version"
    )
    assign = "(:id, :agent_id, 'assign', 'assignee', NULL, :handle, :now, NULL, :version)"
    opened = "(:id, :agent_id, 'status', 'status', 'new', 'open', :now, NULL, :version)"
    claim = "(:id, :agent_id, 'claim', NULL, NULL, NULL, :now, NULL, :version)"
    audit = {  # by "was it new"
        True: f"{_AUDIT_INTO} VALUES {assign}, {opened}, {claim}",
        False: f"{_AUDIT_INTO} VALUES {assign}, {claim}",
    }
    return pick, update, audit


_SQL: dict[tuple[str, bool, bool, bool], Any] = {}  # the statements by dialect and reach


def _statements(dialect: str, claimant: Claimant) -> Any:
    key = (dialect, claimant.admin, claimant.team_id is None, claimant.moves_team)
    if key not in _SQL:
        if dialect == "postgresql":  # psycopg's placeholders: %(name)s
            _SQL[key] = re.sub(r"(?<!:):(\w+)", r"%(\1)s", _postgres_sql(claimant))
        else:
            _SQL[key] = _sqlite_sql(claimant)
    return _SQL[key]


def _params(claimant: Claimant) -> dict[str, object]:
    return {
        "agent_id": claimant.agent_id,
        "handle": claimant.handle,
        "role": claimant.role,
        "tier": claimant.tier,
        "team_id": claimant.team_id,
    }


def claim_postgres(conn: Connection, claimant: Claimant, now: datetime) -> int | None:
    """The claim as one statement; `conn` must be in autocommit (the statement is the
    transaction).  The claimed ticket's id, or None."""
    params = {**_params(claimant), "now": now.astimezone(UTC)}
    found = conn.exec_driver_sql(_statements("postgresql", claimant), params).first()
    return None if found is None else int(found[0])


def claim_sqlite(cursor: Any, claimant: Claimant, now: datetime) -> int | None:
    """The claim inside the caller's `BEGIN IMMEDIATE` transaction on a DB-API cursor (SQLite
    has one writer at a time, so the select cannot race another claim, and the less Python
    runs while the store is locked, the more claims a second).  The claimed ticket's id, or
    None."""
    pick, update, audit = _statements("sqlite", claimant)
    params = _params(claimant)
    picked = cursor.execute(pick, params).fetchone()
    if picked is None or (claimant.moves_team and picked[2] is None):
        return None
    ticket_id, status = int(picked[0]), picked[1]
    params.update(id=ticket_id, now=sqlite_timestamp(now))
    params["version"] = cursor.execute(update, params).fetchone()[0]
    cursor.execute(audit[status == "new"], params)
    return ticket_id


def claim_next(
    store: Store, claimant: Claimant, now: datetime, read: Callable[[Connection, int], R]
) -> R | None:
    """Claim on the store's own road, then `read(conn, ticket_id)` what the caller returns,
    after the commit, on the connection that claimed (one pool checkout a claim).  None:
    nothing claimed here (see the module's note)."""
    if store.is_postgres:
        with translate_errors(store), store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            ticket_id = claim_postgres(conn, claimant, now)
            return None if ticket_id is None else read(conn, ticket_id)
    with translate_errors(store), store.engine.connect() as conn:
        with store.turn.writing(), store.turn.claiming():
            # the claim on the DB-API cursor, in a transaction of its own that SQLAlchemy does
            # not see (its own BEGIN would cost Python while the store is locked); committed
            # before `read` below makes SQLAlchemy begin a read on the same connection
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("BEGIN IMMEDIATE")
            try:
                ticket_id = claim_sqlite(cursor, claimant, now)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        # after the commit and the turn: the write lock is not held for the read
        return None if ticket_id is None else read(conn, ticket_id)
