"""The SQL that gives agents' database logins their privileges (`csm db grants`), generated
from the tables this csm knows, so that it never falls behind a new table: every table must
say here who may write it (a test checks), and everyone reads every table.

Three group roles, each a member of the one before: `<prefix>_operator` (every agent: the
ticket work), `<prefix>_lead` (also the knowledge base, templates, routing rules, SLA policies
and calendars) and `<prefix>_admin` (also agents, teams and the store's own facts).  Nobody
gets DELETE on tickets or messages, nor UPDATE or DELETE on the audit trail; which rows of
`ticket`, `message`, `ticket_tag` and `audit_event` an agent's login may change is decided by
the row-level security policies (`store.row_security`).  The SQL is safe to run again: it
revokes what it does not grant.
"""

from __future__ import annotations

import re

from sqlalchemy import Integer

import csm_console.store.models  # noqa: F401  (the tables)
from csm_console.store.models import metadata

GROUPS = ("operator", "lead", "admin")
WRITE = ("INSERT", "UPDATE", "DELETE")

# table: {group: privileges beyond SELECT}; each group also has those of the groups before it
WRITES: dict[str, dict[str, tuple[str, ...]]] = {
    "ticket": {"operator": ("INSERT", "UPDATE")},
    "message": {"operator": ("INSERT",)},
    # removing a tag deletes its row: only on tickets in the login's reach (row security)
    "ticket_tag": {"operator": ("INSERT", "DELETE")},
    "audit_event": {"operator": ("INSERT",)},
    "customer": {"operator": ("INSERT", "UPDATE")},
    "presence": {"operator": WRITE},
    "article": {"lead": WRITE},
    "reply_template": {"lead": WRITE},
    "routing_rule": {"lead": WRITE},
    "automation": {"lead": WRITE},
    "macro": {"lead": WRITE},
    # written by the automation runner, which runs as an admin or the owner (the worker)
    "automation_firing": {"admin": WRITE},
    "sla_policy": {"lead": WRITE},
    "calendar": {"lead": WRITE},
    # leads give a team a calendar (`calendars use`); admins manage teams
    "team": {"lead": ("UPDATE (calendar_id)",), "admin": WRITE},
    "agent": {"admin": WRITE},
    # an admin's `csm audit verify` is recorded here
    "store_info": {"admin": ("INSERT", "UPDATE")},
    # e-mail: agents attach files to their replies and queue them; leads retry or cancel a
    # queued mail; the mail worker (taking mail in, sending) runs as an admin or the owner
    "blob": {"operator": ("INSERT",)},
    "attachment": {"operator": ("INSERT",)},
    "outgoing_mail": {"operator": ("INSERT",), "lead": ("UPDATE",)},
    "mail_receipt": {"admin": WRITE},
    "quarantine": {"admin": WRITE},
    "mailbox_state": {"admin": WRITE},
    # written by the audit trigger alone, as the owner
    "audit_chain_head": {},
    # the report's summary: days marked by the trigger on `ticket` (as its definer, the owner),
    # computed again by the owner alone (services.report_summary.may_refresh): a login that
    # row security shows part of the tickets must not store their sums for everybody
    "report_dirty_day": {},
    "report_count": {},
    "report_time": {},
    # the change feed's counter: every login reads it; the trigger on the ticket tables
    # counts each write as its definer, the owner (store.change_feed)
    "change_mark": {},
}
EXTRA_READ = ("alembic_version",)  # not a model, but every command reads it
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def check_prefix(prefix: str) -> str:
    if not _NAME.match(prefix):
        raise ValueError(
            f"bad role prefix {prefix!r}: lower-case letters, digits and _, starting with a letter"
        )
    return prefix


def _sequences() -> list[str]:
    """The sequences behind the tables' serial ids (PostgreSQL names them table_column_seq)."""
    names = []
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is not None and isinstance(column.type, Integer):
            names.append(f"{table.name}_{column.name}_seq")
    return names


def grants_sql(prefix: str = "csm") -> str:
    prefix = check_prefix(prefix)
    roles = {group: f"{prefix}_{group}" for group in GROUPS}
    tables = sorted(metadata.tables)
    missing = sorted(set(tables) - set(WRITES))
    if missing:  # a new table must say who writes it
        raise AssertionError(f"store.grants.WRITES has no entry for {', '.join(missing)}")
    everyone = ", ".join(roles.values())
    lines = [
        f"-- csm: privileges of the agents' logins (group roles {everyone})",
        "-- Run as the store's owner, again after every `csm db upgrade`.  Then, per agent:",
        f"--   CREATE ROLE olga LOGIN PASSWORD '...' IN ROLE {roles['operator']};",
        "--   csm agents bind olga --db-role olga",
    ]
    before = None
    for group in GROUPS:
        role = roles[group]
        lines.append(
            f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
        )
        if before is not None:
            lines.append(f"GRANT {before} TO {role};")
        before = role
    lines.append(f"REVOKE ALL ON {', '.join([*tables, *EXTRA_READ])} FROM {everyone};")
    lines.append(
        "DO $$ BEGIN EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema()) || "
        f"' TO {roles['operator']}'; END $$;"
    )
    lines.append(f"GRANT SELECT ON {', '.join([*tables, *EXTRA_READ])} TO {roles['operator']};")
    lines.append(
        f"GRANT USAGE, SELECT ON SEQUENCE {', '.join(_sequences())} TO {roles['operator']};"
    )
    for table in tables:
        for group, privileges in WRITES[table].items():
            if privileges:
                lines.append(f"GRANT {', '.join(privileges)} ON {table} TO {roles[group]};")
    return "\n".join(lines) + "\n"
