"""The query language compiled to SQL through an allow-list of columns; values are bound.

The conditions behind the service metrics (`frt:missed`, `fcr:yes`, `repeat:7d`, ...) are
built here once: the report (services.metrics) counts with the very conditions that the
drill-down's query selects with, so a number and the queue behind it cannot disagree.
"""

from __future__ import annotations

import base64
import json
import operator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.functions import FunctionElement

from csm_console.domain.query import (
    CompareTerm,
    ElapsedTerm,
    MatchTerm,
    Op,
    OutcomeTerm,
    Query,
    RepeatTerm,
    SlaTerm,
    Sort,
    SortKey,
    Term,
    TimeTerm,
    WordTerm,
)
from csm_console.domain.sla import AT_RISK_SHARE, NO_DEADLINE_SENTINEL
from csm_console.domain.text import fold
from csm_console.errors import QueryError
from csm_console.store.tables import (
    ACTIVE_STATUS_VALUES,
    agent,
    attachment,
    customer,
    message,
    outgoing_mail,
    team,
    ticket,
    ticket_tag,
)
from csm_console.store.types import UTCDateTime

SENTINEL = NO_DEADLINE_SENTINEL.replace(tzinfo=UTC)

_SORT_COLUMNS: dict[SortKey, Any] = {
    SortKey.SLA: ticket.c.sla_due,
    SortKey.PRIORITY: ticket.c.priority,
    SortKey.CREATED: ticket.c.created_at,
    SortKey.UPDATED: ticket.c.updated_at,
    SortKey.ID: ticket.c.id,
}
_TIME_COLUMNS: dict[str, Any] = {
    "created": ticket.c.created_at,
    "updated": ticket.c.updated_at,
    "solved": ticket.c.solved_at,
    "responded": ticket.c.first_response_at,
}
_RANK_COLUMNS: dict[str, Any] = {
    "priority": ticket.c.priority,
    # tiers are 'L1'..'L3': their text order is their rank order
    "tier": ticket.c.tier,
    "csat": ticket.c.csat_score,
}
# columns that may be NULL: a negated term also selects the tickets without a value
_NULLABLE: dict[str, Any] = {
    "solved": ticket.c.solved_at,
    "responded": ticket.c.first_response_at,
    "csat": ticket.c.csat_score,
}


def like_pattern(text: str) -> str:
    """`%text%` with LIKE wildcards in `text` escaped (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def compile_query(query: Query, *, me_id: int | None, now: datetime) -> list[ColumnElement[bool]]:
    """WHERE conditions on `ticket` for every term of the query."""
    return [_compile_term(term, me_id=me_id, now=now) for term in query.terms]


def _compile_term(term: Term, *, me_id: int | None, now: datetime) -> ColumnElement[bool]:
    condition: ColumnElement[bool]
    nullable_column: Any = None
    if isinstance(term, WordTerm):
        condition = ticket.c.search_text.like(like_pattern(term.text), escape="\\")
    elif isinstance(term, MatchTerm) and term.field == "needs":  # needs:me, the only value
        if me_id is None:
            raise QueryError("needs:me needs an acting agent (--as HANDLE)")
        condition = needs_me(me_id, now)
    elif isinstance(term, MatchTerm):
        condition, nullable_column = _match(term, me_id=me_id)
    elif isinstance(term, CompareTerm):
        column = _RANK_COLUMNS[term.field]
        value: Any = f"L{term.value}" if term.field == "tier" else term.value
        condition = _compare(column, term.op, value)
        nullable_column = _NULLABLE.get(term.field)
    elif isinstance(term, TimeTerm):
        op, at = term.bound(now)
        condition = _compare(_TIME_COLUMNS[term.field], op, at)
        nullable_column = _NULLABLE.get(term.field)
    elif isinstance(term, OutcomeTerm):
        condition = _outcome(term, now)
    elif isinstance(term, RepeatTerm):
        condition = repeat_contact(term.within)
    elif isinstance(term, ElapsedTerm):
        condition = frt_elapsed(term.op, term.percent, now)
    else:
        condition = _sla(term, now)
    if not term.negated:
        return condition
    if nullable_column is not None:
        return or_(nullable_column.is_(None), not_(condition))
    return not_(condition)


_OPERATORS = {
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.EQ: operator.eq,
}


def _compare(column: Any, op: Op, value: Any) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = _OPERATORS[op](column, value)
    return condition


def _with_none(column: Any, values: list[Any], wants_none: bool) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if values:
        parts.append(column.in_(values))
    if wants_none:
        parts.append(column.is_(None))
    return or_(*parts) if parts else false()


def _match(term: MatchTerm, *, me_id: int | None) -> tuple[ColumnElement[bool], Any]:
    values = [v for v in term.values if v is not None]
    wants_none = len(values) != len(term.values)
    field = term.field
    if field == "status":
        return ticket.c.status.in_(values), None
    if field == "channel":
        return ticket.c.channel.in_(values), None
    if field == "tier":
        return ticket.c.tier.in_([f"L{v}" for v in values]), None
    if field == "priority":
        return ticket.c.priority.in_(values), None
    if field == "csat":
        return _with_none(ticket.c.csat_score, values, wants_none), ticket.c.csat_score
    if field == "id":
        return ticket.c.id.in_(values), None
    if field == "category":
        return _with_none(func.lower(ticket.c.category), values, wants_none), ticket.c.category
    if field == "assignee":
        ids: list[Any] = []
        handles: list[str] = []
        inactive = False
        for value in values:
            if value == "me":
                if me_id is None:
                    raise QueryError("assignee:me needs an acting agent (--as HANDLE)")
                ids.append(me_id)
            elif value == "inactive":  # held by a deactivated agent
                inactive = True
            else:
                handles.append(str(value))
        parts: list[ColumnElement[bool]] = []
        if ids:
            parts.append(ticket.c.assignee_id.in_(ids))
        if handles:
            parts.append(
                ticket.c.assignee_id.in_(
                    select(agent.c.id).where(func.lower(agent.c.handle).in_(handles))
                )
            )
        if inactive:
            parts.append(ticket.c.assignee_id.in_(select(agent.c.id).where(not_(agent.c.active))))
        if wants_none:
            parts.append(ticket.c.assignee_id.is_(None))
        return or_(*parts), ticket.c.assignee_id
    if field == "team":
        names = [str(v).lower() for v in values]
        team_ids = select(team.c.id).where(func.lower(team.c.name).in_(names))
        parts = [ticket.c.team_id.in_(team_ids)] if names else []
        if wants_none:
            parts.append(ticket.c.team_id.is_(None))
        return or_(*parts), ticket.c.team_id
    if field == "has":  # has:attachment, the only value (domain.query.HAS_VALUES)
        return has_attachment(), None
    if field == "tag":
        return (
            exists().where(ticket_tag.c.ticket_id == ticket.c.id, ticket_tag.c.tag.in_(values)),
            None,
        )
    if field in {"language", "segment"}:
        column = customer.c.language if field == "language" else customer.c.segment
        return ticket.c.customer_id.in_(select(customer.c.id).where(column.in_(values))), None
    if field == "customer":
        conditions: list[ColumnElement[bool]] = []
        for value in values:
            text = str(value).strip()
            if "@" in text:
                conditions.append(customer.c.email == text.lower())
            else:
                conditions.append(customer.c.lookup.like(like_pattern(fold(text)), escape="\\"))
        return ticket.c.customer_id.in_(select(customer.c.id).where(or_(*conditions))), None
    if field == "mail":  # the state of the ticket's latest outgoing mail (`mail:failed`)
        latest = outgoing_mail.alias()
        newest = (
            select(func.max(latest.c.id))
            .where(latest.c.ticket_id == ticket.c.id)
            .correlate_except(latest)
            .scalar_subquery()
        )
        return (
            exists().where(
                outgoing_mail.c.ticket_id == ticket.c.id,
                outgoing_mail.c.id == newest,
                outgoing_mail.c.state.in_(values),
            ),
            None,
        )
    raise QueryError(f"field {field!r} cannot be matched")  # pragma: no cover - allow-list


def has_attachment() -> ColumnElement[bool]:
    """A message of the ticket carries a file (`has:attachment`)."""
    return exists().where(
        message.c.ticket_id == ticket.c.id, attachment.c.message_id == message.c.id
    )


def _sla(term: SlaTerm, now: datetime) -> ColumnElement[bool]:
    if term.state == "breached":
        return breaching(now)
    if term.state == "missed":
        return sla_missed(now)
    if term.state == "ok":
        return and_(ticket.c.sla_due >= now, ticket.c.sla_due < SENTINEL)
    if term.state == "at-risk":
        return at_risk(now)
    assert term.within is not None
    limit = now + term.within
    if term.op in (Op.LT, Op.LE):
        return _compare(ticket.c.sla_due, term.op, limit)
    return and_(_compare(ticket.c.sla_due, term.op, limit), ticket.c.sla_due < SENTINEL)


def _outcome(term: OutcomeTerm, now: datetime) -> ColumnElement[bool]:
    if term.field == "frt":
        return frt_met() if term.value == "met" else frt_missed(now)
    if term.field == "resolution":
        return resolution_met() if term.value == "met" else resolution_missed(now)
    if term.value == "yes":
        return fcr()
    return and_(ticket.c.solved_at.is_not(None), not_(_fcr_shape()))


# ---------------------------------------------------------------------------------------------
# The service metrics' conditions (see domain.metrics for their definitions)


def breaching(now: datetime) -> ColumnElement[bool]:
    """The running clock is overdue (`sla:breached`): a stopped clock's deadline is the far
    future, so only active tickets can breach."""
    return ticket.c.sla_due < now


def at_risk(now: datetime) -> ColumnElement[bool]:
    """`sla:at-risk`: the running clock is not overdue yet but has less than a quarter of its
    target (from creation to the deadline) left, as `domain.sla.clock` says (AT_RISK_SHARE)."""
    left = seconds_between(ticket.c.sla_due, _at(now))
    target = seconds_between(ticket.c.sla_due, ticket.c.created_at)
    return and_(
        ticket.c.sla_due >= now,
        ticket.c.sla_due < SENTINEL,
        left < target * literal(AT_RISK_SHARE),
    )


def frt_elapsed(op: Op, percent: int, now: datetime) -> ColumnElement[bool]:
    """`frt:>80%`: active, no first response yet, and that share of the time from creation to
    the first-response due time gone (wall-clock time, as the due time already counts the
    team's business hours)."""
    gone = seconds_between(_at(now), ticket.c.created_at) * 100
    target = seconds_between(ticket.c.first_response_due, ticket.c.created_at) * percent
    return and_(
        status_is_active(),
        ticket.c.first_response_at.is_(None),
        _compare(gone, op, target),
    )


def _at(now: datetime) -> Any:
    """A time as a bound value of the columns' own type (text on SQLite)."""
    return literal(now, UTCDateTime())


def customer_answered(me_id: int) -> ColumnElement[bool]:
    """The customer wrote (not an auto-reply) after the agent `me_id`'s last public reply on
    the ticket, or the agent never replied there.  Read through `ix_message_ticket`."""
    mine = message.alias()
    my_last = (
        select(func.max(mine.c.id))
        .where(
            mine.c.ticket_id == ticket.c.id,
            mine.c.author_kind == "agent",
            mine.c.agent_id == me_id,
            mine.c.internal.is_(False),
        )
        .correlate_except(mine)
        .scalar_subquery()
    )
    return exists().where(
        message.c.ticket_id == ticket.c.id,
        message.c.id > func.coalesce(my_last, 0),
        message.c.author_kind == "customer",
        message.c.internal.is_(False),
        not_(message.c.flags.like("%auto-reply%")),
    )


def needs_me(me_id: int, now: datetime) -> ColumnElement[bool]:
    """`needs:me`: the agent's active tickets that need them now: the customer answered after
    their last public reply (or they never replied), or the running clock is at risk.  Read
    through `ix_ticket_open` (`active_of`), then each ticket's messages (`ix_message_ticket`)."""
    return and_(ticket.c.id.in_(active_of(me_id)), or_(customer_answered(me_id), at_risk(now)))


def active_of(agent_id: int) -> Any:
    """The ids of the agent's active tickets, read through the partial index `ix_ticket_open`
    (team, assignee, ...) rather than `ix_ticket_assignee`, which holds every ticket the agent
    ever had: team by team, then the tickets without a team.  At 1,000,000 tickets SQLite
    counts an operator's 32,000 active tickets (of 192,000) this way in 0.15 s against 2.8 s."""
    mine = and_(ticket.c.assignee_id == agent_id, status_is_active())
    with_team = select(ticket.c.id).where(mine, ticket.c.team_id.in_(select(team.c.id)))
    without = select(ticket.c.id).where(mine, ticket.c.team_id.is_(None))
    return union_all(with_team, without)


def frt_met() -> ColumnElement[bool]:
    return ticket.c.first_response_at <= ticket.c.first_response_due


def frt_missed(now: datetime) -> ColumnElement[bool]:
    """Answered after the first-response target, or still unanswered, active and past it."""
    return or_(
        ticket.c.first_response_at > ticket.c.first_response_due,
        and_(
            ticket.c.first_response_at.is_(None),
            status_is_active(),
            ticket.c.first_response_due < now,
        ),
    )


def resolution_met() -> ColumnElement[bool]:
    return ticket.c.solved_at <= ticket.c.resolution_due


def resolution_missed(now: datetime) -> ColumnElement[bool]:
    """Solved after the resolution target, or active, not paused (in `pending`) and past it."""
    return or_(
        ticket.c.solved_at > ticket.c.resolution_due,
        and_(
            status_is_active(),
            ticket.c.paused_since.is_(None),
            ticket.c.resolution_due < now,
        ),
    )


def sla_missed(now: datetime) -> ColumnElement[bool]:
    return or_(frt_missed(now), resolution_missed(now))


def sla_missed_settled() -> ColumnElement[bool]:
    """The part of `sla:missed` that no longer moves with time: answered or solved late."""
    return or_(
        ticket.c.first_response_at > ticket.c.first_response_due,
        ticket.c.solved_at > ticket.c.resolution_due,
    )


def sla_missed_running(now: datetime) -> ColumnElement[bool]:
    """The part of `sla:missed` that moves with time: active and past a running target
    (`sla_missed(now)` is `sla_missed_settled() OR sla_missed_running(now)`)."""
    return and_(
        status_is_active(),
        or_(
            and_(ticket.c.first_response_at.is_(None), ticket.c.first_response_due < now),
            and_(ticket.c.paused_since.is_(None), ticket.c.resolution_due < now),
        ),
    )


def _fcr_shape() -> ColumnElement[bool]:
    return and_(ticket.c.reopen_count == 0, ticket.c.agent_replies == 1)


def fcr() -> ColumnElement[bool]:
    """First-contact resolution: solved with exactly one public agent reply, never reopened."""
    return and_(ticket.c.solved_at.is_not(None), _fcr_shape())


def repeat_contact(window: timedelta) -> ColumnElement[bool]:
    """Solved, and the same customer opened another ticket in the same category (no category
    matching no category) after it was solved and at most `window` later: the ticket's
    `next_contact_at` (kept by services.repeat_contacts) is within the window."""
    return and_(
        ticket.c.solved_at.is_not(None),
        ticket.c.next_contact_at.is_not(None),
        at_most_seconds_after(
            ticket.c.next_contact_at,
            ticket.c.solved_at,
            literal(int(window.total_seconds()), Integer),
        ),
    )


# Portable pieces of SQL: SQLite keeps times as fixed-width text (store.types.UTCDateTime),
# PostgreSQL as timestamptz.


class seconds_between(FunctionElement[int]):
    """Whole seconds from the second time to the first (`later - earlier`)."""

    type = Integer()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS BIGINT)"


class at_most_seconds_after(FunctionElement[bool]):
    """`later <= earlier + seconds` for two time columns and a number of seconds."""

    type = Boolean()
    inherit_cache = True
    name = "at_most_seconds_after"


@compiles(at_most_seconds_after, "sqlite")
def _at_most_sqlite(element: at_most_seconds_after, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier, seconds = (compiler.process(c, **kw) for c in element.clauses)
    # Julian days are exact to about 10 microseconds, and this is several times cheaper than
    # formatting a bound with strftime; half a millisecond of slack keeps "exactly at the end"
    # inside, as on PostgreSQL
    return f"((julianday({later}) - julianday({earlier})) * 86400.0 <= {seconds} + 0.0005)"


@compiles(at_most_seconds_after, "postgresql")
def _at_most_postgres(element: at_most_seconds_after, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier, seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} <= {earlier} + make_interval(secs => {seconds}))"


class utc_day(FunctionElement[str]):
    """The UTC day of a time as `YYYY-MM-DD` text."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(next(iter(element.clauses)), **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgres(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    at = compiler.process(next(iter(element.clauses)), **kw)
    return f"to_char({at} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


# ---------------------------------------------------------------------------------------------
# Sorting and keyset pagination


def order_by(sort: Sort) -> list[Any]:
    column = _SORT_COLUMNS[sort.key]
    if sort.key is SortKey.ID:
        return [column.desc() if sort.descending else column.asc()]
    if sort.descending:
        return [column.desc(), ticket.c.id.desc()]
    return [column.asc(), ticket.c.id.asc()]


def keyset_after(sort: Sort, cursor: str) -> ColumnElement[bool]:
    """The condition for rows after `cursor` in `sort` order."""
    key_value, last_id = decode_cursor(sort, cursor)
    column: KeyedColumnElement[Any] = _SORT_COLUMNS[sort.key]
    if sort.key is SortKey.ID:
        return ticket.c.id < last_id if sort.descending else ticket.c.id > last_id
    if sort.descending:
        return tuple_(column, ticket.c.id) < tuple_(key_value, last_id)
    return tuple_(column, ticket.c.id) > tuple_(key_value, last_id)


def encode_cursor(sort: Sort, key_value: Any, last_id: int) -> str:
    if isinstance(key_value, datetime):
        key_value = key_value.astimezone(UTC).isoformat()
    raw = json.dumps([str(sort), key_value, last_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort_text, key_value, last_id = json.loads(base64.urlsafe_b64decode(padded))
        if sort_text != str(sort) or not isinstance(last_id, int):
            raise ValueError
        if sort.key in (SortKey.SLA, SortKey.CREATED, SortKey.UPDATED):
            key_value = datetime.fromisoformat(key_value)
        elif not isinstance(key_value, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise QueryError("bad page cursor (it belongs to another sort, or was cut)") from None
    return key_value, last_id


def status_is_active() -> ColumnElement[bool]:
    """The ticket still needs work.  The values are written into the SQL, in the order of the
    partial index `ix_ticket_open`, so that the planners can use it (see store.tables)."""
    values: Any = bindparam(None, ACTIVE_STATUS_VALUES, expanding=True, literal_execute=True)
    return ticket.c.status.in_(values)
