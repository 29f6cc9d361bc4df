"""Row-level security on PostgreSQL (migration 0012): the database refuses what the services
refuse, for logins bound to an agent (`agent.db_role`), whatever client they use.

The policies mirror `domain.rights.may_act` for changing `ticket`, `message` and `ticket_tag`
(a ticket the transaction itself created or already changed stays in reach, so an escalation's
note lands on the ticket it just handed on), let a bound login read every row and a login bound
to no agent (or an inactive one) none, and let agents write messages and audit rows only as
themselves (admins, who may act as anyone, as anyone).  The store's owner and superusers are
not subject to them; `csm db grants` (`store.grants`) gives the agents' logins their privileges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

FUNCTIONS = (
    # the agent the login is, when active (NULL: none)
    """
CREATE FUNCTION csm_agent_id() RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT id FROM agent WHERE db_role = current_user AND active
$$""",
    """
CREATE FUNCTION csm_is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT role = 'admin' FROM agent WHERE db_role = current_user AND active),
                  false)
$$""",
    # domain.rights.may_act, word for word
    """
CREATE FUNCTION csm_may_act(t_assignee integer, t_team integer, t_tier text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((
    SELECT a.role = 'admin'
        OR t_assignee = a.id
        OR (a.role = 'lead'
            AND CASE WHEN t_team IS NULL THEN t_tier = a.tier ELSE t_team = a.team_id END)
        OR (a.role = 'operator' AND t_assignee IS NULL AND t_tier = a.tier
            AND CASE WHEN t_team IS NULL THEN true ELSE t_team = a.team_id END)
    FROM agent AS a WHERE a.db_role = current_user AND a.active), false)
$$""",
    # a ticket in reach: in scope, or created or changed by this very transaction
    """
CREATE FUNCTION csm_may_act_on(t_id integer) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((
    SELECT csm_may_act(assignee_id, team_id, tier) OR xmin = pg_current_xact_id()::xid
    FROM ticket WHERE id = t_id), false)
$$""",
)
BOUND = "(SELECT csm_agent_id()) IS NOT NULL"
_AS_THEMSELVES = "(SELECT csm_is_admin()) OR {column} = (SELECT csm_agent_id())"
POLICIES = {
    "ticket": (
        f"CREATE POLICY csm_read ON ticket FOR SELECT USING ({BOUND})",
        f"CREATE POLICY csm_create ON ticket FOR INSERT WITH CHECK ({BOUND})",
        "CREATE POLICY csm_change ON ticket FOR UPDATE "
        f"USING (csm_may_act(assignee_id, team_id, tier)) WITH CHECK ({BOUND})",
    ),
    "message": (
        f"CREATE POLICY csm_read ON message FOR SELECT USING ({BOUND})",
        "CREATE POLICY csm_write ON message FOR INSERT WITH CHECK (csm_may_act_on(ticket_id) "
        "AND CASE WHEN author_kind = 'agent' THEN "
        + _AS_THEMSELVES.format(column="agent_id")
        + " ELSE agent_id IS NULL END)",
    ),
    "ticket_tag": (
        f"CREATE POLICY csm_read ON ticket_tag FOR SELECT USING ({BOUND})",
        "CREATE POLICY csm_add ON ticket_tag FOR INSERT WITH CHECK (csm_may_act_on(ticket_id))",
        "CREATE POLICY csm_remove ON ticket_tag FOR DELETE USING (csm_may_act_on(ticket_id))",
    ),
    "audit_event": (
        f"CREATE POLICY csm_read ON audit_event FOR SELECT USING ({BOUND})",
        "CREATE POLICY csm_write ON audit_event FOR INSERT WITH CHECK ("
        + _AS_THEMSELVES.format(column="actor_id")
        + ")",
    ),
}
# migration 0015: the outbox.  An agent queues mail only on a ticket in reach (the reply's own
# transaction has it in reach; a survey queued by a status change too), and a lead retries or
# cancels only the mail of tickets in reach; the mail worker runs as an admin or the owner.
OUTBOX_POLICIES = {
    "outgoing_mail": (
        f"CREATE POLICY csm_read ON outgoing_mail FOR SELECT USING ({BOUND})",
        "CREATE POLICY csm_queue ON outgoing_mail FOR INSERT "
        "WITH CHECK (csm_may_act_on(ticket_id))",
        "CREATE POLICY csm_change ON outgoing_mail FOR UPDATE "
        "USING (csm_may_act_on(ticket_id)) WITH CHECK (csm_may_act_on(ticket_id))",
    ),
}


def install(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite has no logins: whoever opens the file is its owner
    for statement in FUNCTIONS:
        conn.execute(text(statement))
    install_policies(conn, POLICIES)


def install_policies(conn: Connection, policies_of: Mapping[str, Sequence[str]]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table, policies in policies_of.items():
        conn.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
        for policy in policies:
            conn.execute(text(policy))


def remove(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    remove_policies(conn, POLICIES)
    for name in ("csm_may_act_on(integer)", "csm_may_act(integer, integer, text)",
                 "csm_is_admin()", "csm_agent_id()"):  # fmt: skip
        conn.execute(text(f"DROP FUNCTION {name}"))


def remove_policies(conn: Connection, policies_of: Mapping[str, Sequence[str]]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table, policies in policies_of.items():
        for policy in policies:
            name = policy.split()[2]
            conn.execute(text(f"DROP POLICY {name} ON {table}"))
        conn.execute(text(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"))
