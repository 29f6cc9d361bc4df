"""Writes that skip csm still leave a trace (PostgreSQL, migration 0013).

csm writes every change of a ticket together with its audit rows, in one transaction.  A change
of a ticket's own facts (`WATCHED`: status, priority, assignee, team, ...) that arrives without
any audit row for that ticket in its transaction (an UPDATE typed into psql, by an agent's login
within its reach or by the owner) is recorded at commit by a deferred trigger as an `unaudited`
audit event naming the login and the columns, chained like every other row.  Columns csm keeps
up to date by itself (due times, the running clock, pauses, counters, the search text) are not
watched: recomputing them is no change of the ticket.  A session in `replica` mode (a
superuser's bulk load) is not watched.  SQLite has no logins and no deferred triggers.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

WATCHED = (
    "external_id",
    "subject",
    "customer_id",
    "channel",
    "status",
    "priority",
    "category",
    "tier",
    "team_id",
    "assignee_id",
    "created_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "reopen_count",
    "csat_score",
    "csat_comment",
    "version",
)
_CHANGED = "\n".join(
    f"  IF OLD.{c} IS DISTINCT FROM NEW.{c} THEN changed := array_append(changed, '{c}'); END IF;"
    for c in WATCHED
)
# the trace itself: an `unaudited` event naming the columns and the login
_RECORD = (
    "  INSERT INTO audit_event"
    """ (ticket_id, actor_id, action, old_value, new_value, created_at, version)
  VALUES (NEW.id, (SELECT id FROM agent WHERE db_role = session_user), 'unaudited',
          array_to_string(changed, ', '), 'login ' || session_user, clock_timestamp(),
          NEW.version);
  RETURN NULL;"""
)
_INSTALL = (
    f"""
CREATE FUNCTION csm_unaudited() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  changed text[] := ARRAY[]::text[];
BEGIN
{_CHANGED}
  IF cardinality(changed) = 0 OR EXISTS (
      SELECT 1 FROM audit_event
      WHERE ticket_id = NEW.id AND xmin = pg_current_xact_id()::xid) THEN
    RETURN NULL;
  END IF;
{_RECORD}
END
$$""",
    "CREATE CONSTRAINT TRIGGER ticket_unaudited AFTER UPDATE ON ticket "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION csm_unaudited()",
)
_REMOVE = ("DROP TRIGGER ticket_unaudited ON ticket", "DROP FUNCTION csm_unaudited()")


def install(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for statement in _INSTALL:
            conn.execute(text(statement))


def remove(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for statement in _REMOVE:
            conn.execute(text(statement))


# ------------------------------------------------------------ the lighter check (0022)

# A watched column changed: the trigger's WHEN, tested as the row is updated (a row changing
# only unwatched columns, such as a clock recount, queues no call at all)
_WATCHED_CHANGED = (
    "("
    + ", ".join(f"OLD.{c}" for c in WATCHED)
    + ") IS DISTINCT FROM ("
    + ", ".join(f"NEW.{c}" for c in WATCHED)
    + ")"
)
# ... and at commit the function looks for the transaction's audit row first: csm's writes (a
# bulk chunk: 1,000 calls a commit) have one, so they no longer name the changed columns first
_LIGHT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION csm_unaudited() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  changed text[] := ARRAY[]::text[];
BEGIN
  IF EXISTS (
      SELECT 1 FROM audit_event
      WHERE ticket_id = NEW.id AND xmin = pg_current_xact_id()::xid) THEN
    RETURN NULL;
  END IF;
{_CHANGED}
  IF cardinality(changed) = 0 THEN
    RETURN NULL;
  END IF;
{_RECORD}
END
$$"""
_LIGHT_TRIGGER = (
    "CREATE CONSTRAINT TRIGGER ticket_unaudited AFTER UPDATE ON ticket "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    f"WHEN ({_WATCHED_CHANGED}) EXECUTE FUNCTION csm_unaudited()"
)


def install_light_check(conn: Connection) -> None:
    """0022: the same check, called only for a row whose watched columns changed, looking for
    the transaction's audit row before it names the columns (what it records is unchanged)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(_LIGHT_FUNCTION))
        conn.execute(text("DROP TRIGGER ticket_unaudited ON ticket"))
        conn.execute(text(_LIGHT_TRIGGER))


def remove_light_check(conn: Connection) -> None:
    """0022 undone: 0013's function and trigger again."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(_INSTALL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)))
        conn.execute(text("DROP TRIGGER ticket_unaudited ON ticket"))
        conn.execute(text(_INSTALL[1]))
