"""Take-next in one statement (PostgreSQL) or one short `BEGIN IMMEDIATE` (SQLite).

`services.tickets.take_next` keeps the rule; this is the fast road to it, the common claim
written in SQL: the most urgent unassigned ticket in the agent's reach (SLA due, then priority,
then id) is locked, assigned, opened if new, stamped (version, `updated_at`, the running clock)
and audited (`assign`, `status` when it was new, `claim`, all at the new version), and the
agent is re-read in the same statement (`Claimant` must still be what the database says: an
agent deactivated or moved meanwhile claims nothing here).  The claim hands back the claimed
ticket as the queue reads it (`Claimed`: its row, team and customer names, tags), returned by
the claim's own statement: no read-back after the commit.

- PostgreSQL: one `WITH picked AS (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1), claimed AS
  (UPDATE ... RETURNING), audit AS (INSERT ... SELECT ...) SELECT <the row, joined>` run on
  its own (autocommit) on the pool's psycopg connection: one round trip, so the shard of the
  audit chain it takes (the first no other writer holds, see `audit_chain`) is held from the
  trigger to the commit and no longer, and claims in other shards commit beside it (one WAL
  flush for several).
- SQLite: the select, the update (`RETURNING` the row, with the names and tags read by
  subqueries) and one multi-row audit insert under `BEGIN IMMEDIATE`.

The pick reads `ix_ticket_claimable` (migration 0020: the unassigned `new` and `open` tickets
by tier, team and queue order): the head of the agent's team's queue and the head of the
unteamed tickets of its tier, each one index probe, whatever the store's size.  Before, it
walked the unassigned tickets in SLA order and skipped every more urgent one of the other
teams and tiers, a heap row at a time (about 1,400 rows a claim at 1M and at 10M tickets).
On PostgreSQL only the team's head is locked (`FOR UPDATE SKIP LOCKED`); when the unteamed head
comes first, nothing is claimed here and the service's road claims it (it moves teams).  An
admin's pick (every tier) walks `ix_ticket_assignee` from its NULL key, as before.

`None` means "not here": the agent changed, the ticket at the head of the queue has no team yet
and would move into the agent's team (moving recounts the clocks in that team's calendar, which
the service does in Python), or (PostgreSQL) the queue is empty.  The service then takes the ORM
road, which claims it or says why not.  On SQLite an empty queue is answered here too (`Empty`:
the agent re-read in the same transaction, its team's name with it): the ORM road held the
store's write lock while it built its session and statements (~20 ms of CPU the first time in a
process), and the claimers behind it slept in SQLite's busy handler meanwhile (35-450 ms each,
8 claimers at a load of ~10, as the queue ran dry).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import exc
from sqlalchemy.engine import Dialect

from csm_console.store.engine import Store, translate_errors
from csm_console.store.tables import ticket
from csm_console.store.types import sqlite_timestamp


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


class Claimed(NamedTuple):
    """The claimed ticket with the columns of the queue's row (`services.ticket_list.row_select`,
    converted as their column types convert them), as the claim committed it."""

    id: int
    subject: str
    status: str
    priority: int
    tier: str
    channel: str
    category: str | None
    team: str | None
    assignee: str
    customer: str
    customer_email: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    first_response_due: datetime
    resolution_due: datetime
    solved_at: datetime | None
    sla_due: datetime
    reopen_count: int
    csat_score: int | None
    version: int
    external_id: str | None
    tags: tuple[str, ...]


class Empty(NamedTuple):
    """Nothing to claim in the agent's reach, the agent still what the caller knows (read in
    the claim's transaction, as the ORM road reads it)."""

    team: str | None  # the agent's team's name as the store has it


# the row's columns that are the ticket's own, before and after the names joined in
_OWN_FIRST = Claimed._fields[: Claimed._fields.index("team")]
_OWN_THEN = Claimed._fields[Claimed._fields.index("created_at") : -1]
_VERSION = Claimed._fields.index("version")

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


def _columns(alias: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{name}" for name in names)


def _postgres_sql(claimant: Claimant) -> str:
    return f"""
WITH {_postgres_pick(claimant)}, claimed AS (
  UPDATE ticket t SET assignee_id = :agent_id, status = 'open', version = t.version + 1,
    updated_at = :now, sla_due = {_RUNNING_CLOCK.format(least="LEAST")}
  FROM picked WHERE t.id = picked.id AND picked.wanted
  RETURNING {_columns("t", (*_OWN_FIRST, *_OWN_THEN))}, t.team_id, t.customer_id,
    picked.status AS old_status
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
SELECT {_columns("c", _OWN_FIRST)}, tm.name, CAST(:handle AS text), cu.name, cu.email,
  {_columns("c", _OWN_THEN)},
  ARRAY(SELECT g.tag FROM ticket_tag g WHERE g.ticket_id = c.id ORDER BY g.tag)
FROM claimed c JOIN customer cu ON cu.id = c.customer_id LEFT JOIN team tm ON tm.id = c.team_id"""


def _sqlite_sql(claimant: Claimant) -> tuple[str, str, dict[bool, str], str]:
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
    # the row as the queue reads it, from the UPDATE itself (the names and tags by subqueries)
    returning = (
        f"{_columns('ticket', _OWN_FIRST)}, (SELECT name FROM team WHERE id = ticket.team_id), "
        ":handle, (SELECT name FROM customer WHERE id = ticket.customer_id), "
        "(SELECT email FROM customer WHERE id = ticket.customer_id), "
        f"{_columns('ticket', _OWN_THEN)}, (SELECT json_group_array(tag) FROM "
        "(SELECT tag FROM ticket_tag WHERE ticket_id = ticket.id ORDER BY tag))"
    )
    update = (
        "UPDATE ticket SET assignee_id = :agent_id, status = 'open', version = version + 1, "
        f"updated_at = :now, sla_due = {_RUNNING_CLOCK.format(least='MIN').replace('t.', '')} "
        f"WHERE id = :id RETURNING {returning}"
    )
    assign = "(:id, :agent_id, 'assign', 'assignee', NULL, :handle, :now, NULL, :version)"
    opened = "(:id, :agent_id, 'status', 'status', 'new', 'open', :now, NULL, :version)"
    claim = "(:id, :agent_id, 'claim', NULL, NULL, NULL, :now, NULL, :version)"
    audit = {  # by "was it new"
        True: f"{_AUDIT_INTO} VALUES {assign}, {opened}, {claim}",
        False: f"{_AUDIT_INTO} VALUES {assign}, {claim}",
    }
    # after an empty pick: is the agent still itself (then the queue is empty), with its team
    still = f"SELECT (SELECT name FROM team WHERE id = :team_id) WHERE {_still('sqlite')}"
    return pick, update, audit, still


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


_CONVERT: dict[str, tuple[tuple[int, Any], ...]] = {}  # by dialect: (position, processor)


def claimed(values: Any, dialect: Dialect) -> Claimed:
    """A claim statement's row as `Claimed`: each ticket column converted as SQLAlchemy
    converts it when it reads the column (the times: aware UTC datetimes), the tags a tuple
    (PostgreSQL returns an array, SQLite a JSON array)."""
    if dialect.name not in _CONVERT:
        found = []
        for position, name in enumerate(Claimed._fields):
            if name in ticket.c:
                kind = ticket.c[name].type
                processor = kind.dialect_impl(dialect).result_processor(dialect, None)
                if processor is not None:
                    found.append((position, processor))
        _CONVERT[dialect.name] = tuple(found)
    row = list(values)
    for position, processor in _CONVERT[dialect.name]:
        row[position] = processor(row[position])
    tags = row[-1]
    row[-1] = tuple(json.loads(tags) if isinstance(tags, str) else tags)
    return Claimed._make(row)


def claim_postgres(store: Store, claimant: Claimant, now: datetime) -> tuple[Any, ...] | None:
    """The claim as one statement in autocommit (the statement is the transaction), run on the
    pool's psycopg connection itself: a SQLAlchemy `Connection` around it (its isolation level
    switched to autocommit and back, a result object with 23 columns of metadata) cost ~200 µs
    of the client's CPU a claim, as much as all the rest.  Driver errors are wrapped as
    SQLAlchemy wraps them (`translate_errors` reads those), and a connection left in doubt is
    not given back to the pool.  The claimed ticket's row (unconverted: see `claimed`), or
    None."""
    from psycopg.pq import TransactionStatus  # the driver is loaded: the pool connected

    sql = _statements("postgresql", claimant)
    params = {**_params(claimant), "now": now.astimezone(UTC)}
    dialect = store.engine.dialect
    raw = store.engine.raw_connection()  # pinged when it sat idle, as any other (store.engine)
    try:
        driver: Any = raw.driver_connection
        driver.autocommit = True
        try:
            with driver.cursor() as cursor:
                cursor.execute(sql, params)
                found: tuple[Any, ...] | None = cursor.fetchone()
                return found
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, driver, None):
                raw.invalidate()
            raise exc.DBAPIError.instance(
                sql,
                params,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=not raw.is_valid,
            ) from error
        finally:
            if raw.is_valid and driver.info.transaction_status == TransactionStatus.IDLE:
                driver.autocommit = False  # as the pool's other users expect it
            elif raw.is_valid:
                raw.invalidate()
    finally:
        raw.close()


def claim_sqlite(
    cursor: Any, claimant: Claimant, params: dict[str, object]
) -> tuple[Any, ...] | Empty | None:
    """The claim inside the caller's `BEGIN IMMEDIATE` transaction on a DB-API cursor (SQLite
    has one writer at a time, so the select cannot race another claim, and the less Python
    runs while the store is locked, the more claims a second).  `params`: `sqlite_params`,
    made before the lock.  The claimed ticket's row (unconverted: see `claimed`), `Empty`, or
    None."""
    pick, update, audit, still = _statements("sqlite", claimant)
    picked = cursor.execute(pick, params).fetchone()
    if picked is None:
        agent = cursor.execute(still, params).fetchone()
        return None if agent is None else Empty(agent[0])
    if claimant.moves_team and picked[2] is None:
        return None
    params["id"] = picked[0]
    row: tuple[Any, ...] = cursor.execute(update, params).fetchone()
    params["version"] = row[_VERSION]
    cursor.execute(audit[picked[1] == "new"], params)
    return row


# SQLite: a claimer checkpoints the WAL itself, after its claim has left the claimers' queue.
# SQLite's own checkpoint (`wal_autocheckpoint`, every 1,000 pages of WAL) runs inside the COMMIT
# that crosses the mark, while that claimer still holds the queue, so every claimer behind it
# waited for the checkpoint's writes and fsyncs (10-30 ms here, every ~50 claims).  Each process
# checkpoints once in `every` of its claims, `every` tuned by what each checkpoint finds (the
# WAL's pages since the last one) so that all claimers together checkpoint about every
# `CHECKPOINT_PAGES`, as SQLite would.
CHECKPOINT_PAGES = 1000

# SQLite: the claim's UPDATE and audit INSERT each keep a statement journal (their triggers may
# abort them halfway), which SQLite (3.40 here) keeps in a temporary file by default: a file
# created, unlinked, written (16 pwrites) and closed in /var/tmp on every claim, all under the
# store's lock (60-80 of the ~300 µs of CPU the claim's statements cost in one process).
# With temp_store MEMORY the journal stays in memory (a few pages: the claim's own);
# it only ever serves to undo one statement, never to recover after a crash (the WAL does).
# Set on the claim's connection only: SQLAlchemy's transactions on it go back to files (big
# sorts must not spill into the console's memory), see `store.engine`.
TEMP_STORE_MEMORY = 2


@dataclass
class _Checkpoints:
    every: int = 50  # this process's claims between two of its checkpoints
    since: int = 0


_CHECKPOINTS: dict[str, _Checkpoints] = {}  # by database file


def _checkpoint_after_claim(store: Store, cursor: Any) -> None:
    mark = _CHECKPOINTS.setdefault(store.url.database or "", _Checkpoints())
    mark.since += 1
    if mark.since < mark.every:
        return
    mark.since = 0
    busy, pages, _ = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if not busy and pages > 0:  # halve or double at most: other processes checkpoint too
        wanted = mark.every * CHECKPOINT_PAGES // pages
        mark.every = max(1, mark.every // 2, min(wanted, mark.every * 2, 1000))


def sqlite_params(claimant: Claimant, now: datetime) -> dict[str, object]:
    """The SQLite claim's parameters (`claim_sqlite` adds the picked ticket's)."""
    return {**_params(claimant), "now": sqlite_timestamp(now)}


def claim_next(store: Store, claimant: Claimant, now: datetime) -> Claimed | Empty | None:
    """Claim on the store's own road, on one pooled connection; the claimed ticket as the
    claim committed it.  `Empty`: the queue is (SQLite).  None: nothing claimed here (see the
    module's note)."""
    if store.is_postgres:
        with translate_errors(store):
            row = claim_postgres(store, claimant, now)
        return None if row is None else claimed(row, store.engine.dialect)
    params = sqlite_params(claimant, now)  # before the lock: as little as can be inside it
    with translate_errors(store):
        raw = store.engine.raw_connection()  # the pool's connection, no SQLAlchemy Connection
        try:
            cursor = raw.cursor()
            if raw.info.get("autocheckpoint") != 0:  # (store.engine's begin hook restores it)
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
                raw.info["autocheckpoint"] = 0
            if raw.info.get("temp_store") != TEMP_STORE_MEMORY:  # (and this)
                cursor.execute(f"PRAGMA temp_store = {TEMP_STORE_MEMORY}")
                raw.info["temp_store"] = TEMP_STORE_MEMORY
            with store.turn.writing(), store.turn.claiming():
                # the claim on the DB-API cursor, in a transaction of its own that SQLAlchemy
                # does not see (its own BEGIN would cost Python while the store is locked)
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    row = claim_sqlite(cursor, claimant, params)
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            if row is not None and not isinstance(row, Empty):  # out of the queue: the next
                _checkpoint_after_claim(store, cursor)  # claim goes on meanwhile
        finally:
            raw.close()
        # after the commit and the turn: no lock is held while the row is converted
        if row is None or isinstance(row, Empty):
            return row
        return claimed(row, store.engine.dialect)
