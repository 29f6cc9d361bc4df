"""The days a ticket change touches are marked for the report's summary (migration 0018).

`services.report_summary` keeps, per UTC day, the report's counts and time histograms.  A
trigger on `ticket` records in `report_dirty_day`, in the transaction of the change, every day
(of `created_at`, `first_response_at` and `solved_at`, before and after the change) whose
figures the change may move; the summary of a marked day is computed again from the tickets
before the owner's report reads it.  On PostgreSQL the triggers fire once per statement
(transition tables: a bulk UPDATE marks its days once) and run as their definer, the owner, so
that agents' logins need no write rights on the table; SQLite has row triggers only.  Every
write path marks its days, ORM or bulk UPDATE or psql; only a PostgreSQL session in `replica`
mode (the generator's bulk load) fires no trigger, and marks its days itself (`mark_all_sql`).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from csm_console.store import row_security

# the columns whose change may move a figure kept in the summary
COLUMNS = (
    "created_at",
    "first_response_at",
    "solved_at",
    "team_id",
    "assignee_id",
    "channel",
    "category",
    "tier",
    "first_response_due",
    "first_response_seconds",
    "resolution_due",
    "resolution_seconds",
    "paused_seconds",
    "reopen_count",
    "agent_replies",
    "csat_score",
    "next_contact_at",
)
TIMES = ("created_at", "first_response_at", "solved_at")

_PG_DAY = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
_SQLITE_DAY = "substr({}, 1, 10)"


def _mark(day_sql: str, rows: tuple[str, ...], *, sqlite: bool) -> str:
    days = " UNION ".join(
        f"SELECT {day_sql.format(f'{r}.{c}')} AS day" for r in rows for c in TIMES
    )
    conflict = "report_dirty_day.marks + 1"
    return (
        f"INSERT INTO report_dirty_day (day, marks) SELECT day, 1 FROM ({days}) AS d "
        f"WHERE day IS NOT NULL ON CONFLICT (day, shard) DO UPDATE SET marks = {conflict}"
        + (";" if sqlite else "")
    )


def _changed(sqlite: bool) -> str:
    op = "IS NOT" if sqlite else "IS DISTINCT FROM"
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in COLUMNS)


# A mark's row stays locked until its transaction ends, so that a refresh taking the day waits
# for the change to commit (services.report_summary).  On PostgreSQL each backend marks its own
# row of the day (one of SHARDS): with one row a day, every ticket write of the day (8 claimers
# at once, a desk's replies) queued on that row through its commit, one WAL flush at a time.
SHARDS = 16


def _pg_mark(source: str, rows: tuple[str, ...]) -> str:
    """Mark once per statement each day the `rows` (aliases in `source`) touch, in the
    backend's own shard, in day order (two statements marking the same days lock their rows in
    one order: no deadlock)."""
    days = ", ".join(_PG_DAY.format(f"{r}.{c}") for r in rows for c in TIMES)
    return (
        f"INSERT INTO report_dirty_day (day, shard, marks) SELECT day, pg_backend_pid() % "
        f"{SHARDS}, 1 FROM (SELECT DISTINCT unnest(ARRAY[{days}]) AS day FROM {source}) AS d "
        "WHERE day IS NOT NULL ORDER BY day "
        "ON CONFLICT (day, shard) DO UPDATE SET marks = report_dirty_day.marks + 1"
    )


# PostgreSQL: statement-level triggers with transition tables (one per event: PostgreSQL
# allows transition tables only on a trigger of one event), so that a bulk UPDATE of 500
# tickets marks its few days once, not once per ticket
_PG_CHANGED = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in COLUMNS)
_PG_UPDATED = f"old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE {_PG_CHANGED}"
_PG_FUNCTIONS = {
    "insert": _pg_mark("new_rows AS n", ("n",)),
    "delete": _pg_mark("old_rows AS o", ("o",)),
    "update": _pg_mark(_PG_UPDATED, ("o", "n")),
}
_PG_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
_POSTGRES_INSTALL = tuple(
    statement
    for event, mark in _PG_FUNCTIONS.items()
    for statement in (
        f"""
CREATE FUNCTION csm_report_dirty_{event}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  {mark};
  RETURN NULL;
END
$$""",
        f"CREATE TRIGGER ticket_report_dirty_{event} AFTER {event.upper()} ON ticket "
        f"REFERENCING {_PG_REFERENCING[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION csm_report_dirty_{event}()",
    )
)
_POSTGRES_REMOVE = tuple(
    statement
    for event in _PG_FUNCTIONS
    for statement in (
        f"DROP TRIGGER ticket_report_dirty_{event} ON ticket",
        f"DROP FUNCTION csm_report_dirty_{event}()",
    )
)
_SQLITE_INSTALL = (
    "CREATE TRIGGER ticket_report_dirty_insert AFTER INSERT ON ticket BEGIN "
    f"{_mark(_SQLITE_DAY, ('NEW',), sqlite=True)} END",
    "CREATE TRIGGER ticket_report_dirty_delete AFTER DELETE ON ticket BEGIN "
    f"{_mark(_SQLITE_DAY, ('OLD',), sqlite=True)} END",
    f"CREATE TRIGGER ticket_report_dirty_update AFTER UPDATE ON ticket WHEN {_changed(True)} "
    f"BEGIN {_mark(_SQLITE_DAY, ('OLD', 'NEW'), sqlite=True)} END",
)
_SQLITE_REMOVE = tuple(
    f"DROP TRIGGER ticket_report_dirty_{event}" for event in ("insert", "delete", "update")
)


def _days_of_all(day_sql: str) -> str:
    return " UNION ".join(
        f"SELECT DISTINCT {day_sql.format(c)} AS day FROM ticket WHERE {c} IS NOT NULL"
        for c in TIMES
    )


def mark_all_sql(postgres: bool) -> str:
    """Every day of every ticket marked (after a load that fired no trigger)."""
    days = _days_of_all(_PG_DAY if postgres else _SQLITE_DAY)
    return (
        f"INSERT INTO report_dirty_day (day, marks) SELECT day, 1 FROM ({days}) AS d "
        "WHERE true ON CONFLICT (day, shard) DO UPDATE SET marks = report_dirty_day.marks + 1"
    )


# Only the store's owner writes the summary (store.grants gives agents' logins no write on these
# tables; the trigger marks days as its definer, the owner).  A login reads the summary exactly
# when it reads every ticket: the same policy as `ticket`'s csm_read (store.row_security), so a
# login bound to no agent sees neither tickets nor their sums.
SUMMARY_TABLES = ("report_count", "report_time")
READ_POLICIES = {
    table: (f"CREATE POLICY csm_read ON {table} FOR SELECT USING ({row_security.BOUND})",)
    for table in SUMMARY_TABLES
}


def may_write_summary(session: Session) -> bool:
    """Whether this PostgreSQL login may compute the summary again: it has the privileges (the
    owner; agents' logins have none) and no row security hides tickets from it."""
    return bool(
        session.execute(
            text(
                "SELECT has_table_privilege('report_count', 'INSERT')"
                " AND has_table_privilege('report_time', 'INSERT')"
                " AND has_table_privilege('report_dirty_day', 'DELETE')"
                " AND NOT row_security_active('ticket')"
            )
        ).scalar_one()
    )


def roomy(session: Session) -> None:
    """Memory enough for a day's tickets to be grouped by hashing rather than by sorting on
    disk (PostgreSQL; for the transaction only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def unbounded(session: Session) -> None:
    """No statement timeout for this transaction (PostgreSQL): the whole summary at once reads
    every ticket (`csm db rebuild-summary`, after `csm dev generate`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL statement_timeout = 0"))


def install(conn: Connection) -> None:
    """0018: the summary's read policies and marking triggers, as 0018 made them."""
    install_triggers(conn, by_date=False)
    row_security.install_policies(conn, READ_POLICIES)


def remove(conn: Connection) -> None:
    row_security.remove_policies(conn, READ_POLICIES)
    remove_triggers(conn)


def install_triggers(conn: Connection, *, by_date: bool = True) -> None:
    """The marking trigger(s) on `ticket`, as the newest migration has them (PostgreSQL:
    `by_date=False`, as 0018 made them); also: benchmarks/bench_store.py measures a ticket
    write with and without them."""
    statements: tuple[str, ...] = _SQLITE_INSTALL
    if conn.dialect.name == "postgresql":
        statements = _POSTGRES_BY_DATE_INSTALL if by_date else _POSTGRES_INSTALL
    for statement in statements:
        conn.execute(text(statement))


def remove_triggers(conn: Connection) -> None:
    statements = _POSTGRES_REMOVE if conn.dialect.name == "postgresql" else _SQLITE_REMOVE
    for statement in statements:
        conn.execute(text(statement))


# ------------------------------------------------------------------ days by date (0022)

# PostgreSQL: each time of each changed row becomes a date (a cast), and only the statement's
# distinct days are written as text: `to_char` on all six times of every row was most of the
# trigger's cost (a chunk of 1,000 moved tickets: 6,000 calls for a handful of days).  The same
# days are marked, in the same order (a date's order is its 'YYYY-MM-DD' text's).
_PG_DATE = "({} AT TIME ZONE 'UTC')::date"


def _pg_mark_by_date(source: str, rows: tuple[str, ...]) -> str:
    days = ", ".join(_PG_DATE.format(f"{r}.{c}") for r in rows for c in TIMES)
    return (
        "INSERT INTO report_dirty_day (day, shard, marks) SELECT to_char(day, 'YYYY-MM-DD'), "
        f"pg_backend_pid() % {SHARDS}, 1 FROM (SELECT DISTINCT unnest(ARRAY[{days}]) AS day "
        f"FROM {source}) AS d WHERE day IS NOT NULL ORDER BY day "
        "ON CONFLICT (day, shard) DO UPDATE SET marks = report_dirty_day.marks + 1"
    )


_PG_BY_DATE = {
    "insert": _pg_mark_by_date("new_rows AS n", ("n",)),
    "delete": _pg_mark_by_date("old_rows AS o", ("o",)),
    "update": _pg_mark_by_date(_PG_UPDATED, ("o", "n")),
}


def _by_date(statement: str) -> str:
    for event, mark in _PG_FUNCTIONS.items():
        if f"csm_report_dirty_{event}()" in statement and statement.lstrip().startswith(
            "CREATE FUNCTION"
        ):
            assert statement.count(mark) == 1
            return statement.replace(mark, _PG_BY_DATE[event])
    return statement  # a trigger


_POSTGRES_BY_DATE_INSTALL = tuple(_by_date(statement) for statement in _POSTGRES_INSTALL)


def _replacing(statements: tuple[str, ...]) -> tuple[str, ...]:
    """The functions among `statements`, as `CREATE OR REPLACE` (the triggers stay)."""
    return tuple(
        s.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        for s in statements
        if s.lstrip().startswith("CREATE FUNCTION")
    )


def mark_days_by_date(conn: Connection) -> None:
    """0022: the marking functions with the days made by date (the same days marked)."""
    if conn.dialect.name == "postgresql":
        for statement in _replacing(_POSTGRES_BY_DATE_INSTALL):
            conn.execute(text(statement))


def mark_days_by_text(conn: Connection) -> None:
    """0022 undone: 0018's marking functions."""
    if conn.dialect.name == "postgresql":
        for statement in _replacing(_POSTGRES_INSTALL):
            conn.execute(text(statement))
