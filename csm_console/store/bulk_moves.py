"""One chunk of a bulk reassignment as one PostgreSQL statement (`services.reassign`).

`services.reassign` keeps the rules (the survey, the checks, the chunks, the recount of clocks
in another calendar); this is the common chunk written as one statement, one round trip:

    WITH locked AS (SELECT ..., <kept> FROM unnest(:ids) JOIN ticket ... WHERE <still pending>
                    ORDER BY id FOR NO KEY UPDATE OF ticket),
         moved AS (UPDATE ticket ... FROM locked WHERE <kept> ... RETURNING the new version
                   and, from locked, the old assignee, team and status),
         audit AS (INSERT INTO audit_event ... SELECT one row per ticket and change FROM moved
                   ORDER BY ticket, change RETURNING id)
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM audit),
           (SELECT count(*) FROM locked WHERE NOT <kept>)

The lock is the one an UPDATE takes (`NO KEY UPDATE`: audit rows of other writers may still
reference the ticket meanwhile); a ticket somebody is saving is waited for and then checked
against the query again, as with the separate statements before.  The audit rows come from the
UPDATE's own rows, with the old values as locked, so a row is audited if and only if it moved,
at the version it moved to; the store's trigger chains them in the order given.

The chunk's tickets are found by primary key, one index probe each (`unnest(:ids) JOIN
ticket`): with `id = ANY(:ids)` the planner ANDed the key's bitmap with the query's own index
(an agent's tickets: all of them, 19,000 at 100,000 tickets, read again for every chunk).  The
tickets the statement is not to move (`kept` false: their clocks are recounted first, by the
caller) are locked and counted in the same scan, not read again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from csm_console.domain.model import Status
from csm_console.store.audit_chain import AUDIT_COLUMNS
from csm_console.store.models import AuditEvent
from csm_console.store.tables import agent, team, ticket
from csm_console.store.types import UTCDateTime


def move_chunk_postgres(
    conn: Connection,
    *,
    ids: Sequence[int],
    pending: Sequence[Any],
    kept: Sequence[Any] = (),
    actor_id: int,
    target_id: int,
    target_handle: str,
    new_team: int | None,
    now: datetime,
    batch_id: str,
) -> tuple[int, int]:
    """Lock the tickets among `ids` that still meet `pending` (conditions on the `ticket`
    table, and on whatever the caller must still find true, such as the agents), and move and
    audit those of them that also meet `kept` (all of them without it); `new_team`: the team
    they move into (None: they keep theirs).  Opening a new ticket and the team move are
    audited as their own changes.  Returns how many moved, and how many were locked but not
    moved (0 without `kept`): the caller's to move."""
    t = ticket
    wanted = (
        func.unnest(bindparam("chunk_ids", list(ids), type_=ARRAY(Integer())))
        .table_valued("id")
        .render_derived(name="wanted")
    )
    keeps = and_(*kept) if kept else true()
    locked = (
        select(t.c.id, t.c.team_id, t.c.status, t.c.assignee_id, t.c.version, keeps.label("kept"))
        .select_from(wanted.join(t, t.c.id == wanted.c.id))
        .where(*pending)
        .order_by(t.c.id)
        .with_for_update(of=t, key_share=True)
        .cte("locked")
    )
    values: dict[str, Any] = {
        "assignee_id": target_id,
        "version": locked.c.version + 1,
        "updated_at": now,
        "status": case((locked.c.status == Status.NEW.value, Status.OPEN.value), else_=t.c.status),
    }
    if new_team is not None:
        values["team_id"] = new_team
    moved = (
        update(t)
        .where(t.c.id == locked.c.id, *([locked.c.kept] if kept else []))
        .values(values)
        .returning(
            t.c.id.label("ticket_id"),
            t.c.version.label("version"),
            locked.c.assignee_id.label("old_assignee"),
            locked.c.team_id.label("old_team"),
            locked.c.status.label("old_status"),
        )
        .cte("moved")
    )
    holder = agent.alias("old_holder")
    old_team = team.alias("old_team")

    def change(order: int, field: str, old: Any, new: Any, joined: Any, *where: Any) -> Any:
        return (
            select(
                moved.c.ticket_id,
                literal(order, Integer()).label("change"),
                literal(field, String()).label("field"),
                old.label("old_value"),
                new.label("new_value"),
                moved.c.version,
            )
            .select_from(joined)
            .where(*where)
        )

    changes = [
        change(
            1,
            "assignee",
            holder.c.handle,
            literal(target_handle, String()),
            moved.outerjoin(holder, holder.c.id == moved.c.old_assignee),
        ),
        change(
            3,
            "status",
            literal(Status.NEW.value, String()),
            literal(Status.OPEN.value, String()),
            moved,
            moved.c.old_status == Status.NEW.value,
        ),
    ]
    if new_team is not None:
        new_name = select(team.c.name).where(team.c.id == new_team).scalar_subquery()
        changes.insert(
            1,
            change(
                2,
                "team",
                old_team.c.name,
                new_name,
                moved.outerjoin(old_team, old_team.c.id == moved.c.old_team),
                moved.c.old_team.is_distinct_from(new_team),
            ),
        )
    rows = union_all(*changes).subquery("change")
    audit_table = AuditEvent.__table__  # type: ignore[attr-defined]
    audit = (
        insert(audit_table)
        .from_select(
            AUDIT_COLUMNS,
            select(
                rows.c.ticket_id,
                literal(actor_id, Integer()),
                literal("reassign", String()),
                rows.c.field,
                rows.c.old_value,
                rows.c.new_value,
                literal(now, UTCDateTime()),
                literal(batch_id, String()),
                rows.c.version,
            ).order_by(rows.c.ticket_id, rows.c.change),
        )
        .returning(audit_table.c.id)
        .cte("audit")
    )
    others = (
        select(func.count()).select_from(locked).where(~locked.c.kept).scalar_subquery()
        if kept
        else literal(0, Integer())
    )
    counted = select(
        select(func.count()).select_from(moved).scalar_subquery(),
        select(func.count()).select_from(audit).scalar_subquery(),
        others,
    )
    count, _, rest = conn.execute(counted).one()
    return int(count), int(rest)
