"""CHECK constraints on every enumerated column, built from the domain's enums (migration 0010).

PostgreSQL gets real `CHECK` constraints.  They are added `NOT VALID` (new writes are checked at
once, without a scan under lock) and then validated when no existing row breaks them; a store
whose rows already break one keeps it unvalidated, and its reads show those rows as invalid
(`domain.stored`).  SQLite cannot add a CHECK without rebuilding the table (which, with foreign
keys on, would cascade into the messages and the audit), so there each constraint is a pair of
triggers that refuse an INSERT or UPDATE breaking it, with SQLite's own CHECK message.

A new enum value needs a migration that drops and re-adds the constraints of its column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csm_console.domain.model import (
    AuthorKind,
    Channel,
    Language,
    Priority,
    Role,
    Segment,
    Status,
    Tier,
)


@dataclass(frozen=True, slots=True)
class Check:
    table: str
    column: str
    values: tuple[str | int, ...]

    @property
    def name(self) -> str:
        return f"ck_{self.table}_{self.column}"

    def condition(self, prefix: str = "") -> str:
        """`column IN (...)`: NULL passes, as in a CHECK (NOT NULL is a constraint of its own)."""
        listed = ", ".join(str(v) if isinstance(v, int) else f"'{v}'" for v in self.values)
        return f"{prefix}{self.column} IN ({listed})"


def _values(enum: type[Enum]) -> tuple[str | int, ...]:
    return tuple(member.value for member in enum)


CSAT_SCORES = (1, 2, 3, 4, 5)
CHANNELS = _values(Channel)
CHECKS = (
    Check("ticket", "status", _values(Status)),
    Check("ticket", "priority", _values(Priority)),
    Check("ticket", "tier", _values(Tier)),
    Check("ticket", "channel", CHANNELS),
    Check("ticket", "csat_score", CSAT_SCORES),
    Check("team", "tier", _values(Tier)),
    Check("agent", "role", _values(Role)),
    Check("agent", "tier", _values(Tier)),
    Check("message", "author_kind", _values(AuthorKind)),
    Check("customer", "language", _values(Language)),
    Check("customer", "preferred_channel", _values(Channel)),
    Check("customer", "segment", _values(Segment)),
    Check("sla_policy", "priority", _values(Priority)),
    Check("sla_policy", "segment", _values(Segment)),
    Check("routing_rule", "set_tier", _values(Tier)),
    Check("routing_rule", "set_priority", _values(Priority)),
)


def add_checks(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for check in CHECKS:
            conn.execute(
                text(
                    f"ALTER TABLE {check.table} ADD CONSTRAINT {check.name} "
                    f"CHECK ({check.condition()}) NOT VALID"
                )
            )
            broken = conn.execute(
                text(f"SELECT 1 FROM {check.table} WHERE NOT ({check.condition()}) LIMIT 1")
            ).first()
            if broken is None:
                conn.execute(text(f"ALTER TABLE {check.table} VALIDATE CONSTRAINT {check.name}"))
        return
    for check in CHECKS:
        refuse = f"SELECT RAISE(ABORT, 'CHECK constraint failed: {check.name}');"
        conn.execute(
            text(
                f"CREATE TRIGGER {check.name}_insert BEFORE INSERT ON {check.table} "
                f"WHEN NOT ({check.condition('NEW.')}) BEGIN {refuse} END"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER {check.name}_update BEFORE UPDATE OF {check.column} ON "
                f"{check.table} WHEN NOT ({check.condition('NEW.')}) BEGIN {refuse} END"
            )
        )


def drop_checks(conn: Connection) -> None:
    for check in CHECKS:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"ALTER TABLE {check.table} DROP CONSTRAINT {check.name}"))
        else:
            conn.execute(text(f"DROP TRIGGER {check.name}_insert"))
            conn.execute(text(f"DROP TRIGGER {check.name}_update"))
