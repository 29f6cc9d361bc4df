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
  Its pick leads its order with `t.assignee_id` (NULL in every row it may pick, so the order
  is the same) so that PostgreSQL walks `ix_ticket_assignee` from its NULL key, the unassigned
  tickets alone; ordered by `sla_due` only, it walked `ix_ticket_sla` and filtered out every
  assigned ticket due earlier (all the open work), one more with every claim.
- SQLite: the select, the update and one multi-row audit insert under `BEGIN IMMEDIATE` (its
  planner takes `ix_ticket_assignee` for the pick as it is).

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
_ORDER = "ORDER BY t.sla_due, t.priority DESC, t.id"


def _scope(claimant: Claimant) -> str:
    """The unassigned tickets in `rights.may_act`'s reach (as `take_next` filters them)."""
    if claimant.admin:
        return ""
    team = (
        "t.team_id = :team_id OR t.team_id IS NULL"
        if claimant.team_id is not None
        else ("t.team_id IS NULL")
    )
    return f" AND t.tier = :tier AND ({team})"


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


def _postgres_sql(claimant: Claimant) -> str:
    team_ok = " AND t.team_id IS NOT NULL" if claimant.moves_team else ""
    return f"""
WITH picked AS (
  SELECT t.id, t.status FROM ticket t
  WHERE {_CLAIMABLE}{_scope(claimant)} AND {_still("postgresql")}
  {_ORDER.replace("BY ", "BY t.assignee_id, ")}
  LIMIT 1
  FOR UPDATE OF t SKIP LOCKED
), claimed AS (
  UPDATE ticket t SET assignee_id = :agent_id, status = 'open', version = t.version + 1,
    updated_at = :now, sla_due = {_RUNNING_CLOCK.format(least="LEAST")}
  FROM picked WHERE t.id = picked.id{team_ok}
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
    pick = (
        f"SELECT t.id, t.status, t.team_id FROM ticket t WHERE {_CLAIMABLE}"
        f"{_scope(claimant)} AND {_still('sqlite')} {_ORDER} LIMIT 1"
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
