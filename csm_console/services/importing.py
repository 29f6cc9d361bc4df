"""Importing tickets from files (`csm import tickets`), all or nothing, in chunks.

Records are read as a stream (NDJSON and CSV line by line; a JSON array whole) and handled a
chunk at a time inside one transaction: each chunk is checked against the teams, agents and
rights it names (read once per import) and against the tickets it updates (read and locked
once per chunk), then written with a statement per table (tickets, messages, tags, audit
events), not a round trip per record.  One bad record anywhere means nothing is written: the
records after it are still checked, so that every problem is reported (up to a cap) with its
line or index and field, and the transaction is rolled back.  A record whose `external_id` is
already in the store updates that ticket: only the fields the record gives, each change
audited, the version bumped once; a record that changes nothing leaves the ticket alone, so
re-running an import is harmless.

A new ticket is made by the same functions as one made by hand (`ticket_core.ticket_values`,
`first_message`, `creation_audit`, routing, the SLA clocks); only the inserts are gathered.
Repeat contacts (`next_contact_at`) are stamped once at the end for the customers of the new
tickets.  Memory stays flat whatever the size of the file: a chunk's records, one number per
external id seen (to refuse one given twice), and the outcomes spooled to a temporary file.
"""

from __future__ import annotations

import gc
import re
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import chain, islice
from typing import IO, Any, cast

from sqlalchemy import Table, func, select
from sqlmodel import Session, col

from csm_console.domain.model import Channel, Priority, Status
from csm_console.domain.rights import Actor, check_can_bulk
from csm_console.domain.ticket_record import (
    MAX_PROBLEMS,
    RawRecord,
    RecordProblem,
    TicketRecord,
    detect_format,
    read_record_lines,
    read_records,
    validate,
)
from csm_console.errors import BadRecords, NothingToDo
from csm_console.services import import_plan, repeat_contacts, ticket_core
from csm_console.services.clock import utcnow
from csm_console.services.import_plan import Plan, TicketLookup, TicketState
from csm_console.services.progress import Progress, no_progress
from csm_console.services.routing import route
from csm_console.store import import_load
from csm_console.store.engine import Store
from csm_console.store.models import (
    AuditEvent,
    Customer,
    Message,
    StoreInfo,
    Ticket,
    TicketTag,
)

BATCH_PREFIX = "import-"
OWN_PREFIX = "csm-"  # `csm-<store key>-<id>`: how an export names a ticket that has no external id
CHUNK_RECORDS = 1000  # records checked and written together
_IN_CHUNK = 500  # ids per IN (...) list
_COLLECT_EVERY = 700  # Python's default: a collection of the youngest objects per 700 made

# The columns a bulk insert writes: the id is the store's, and the audit hash its trigger's.
_TICKET_COLUMNS = tuple(f.name for f in fields(ticket_core.TicketValues))
_MESSAGE_COLUMNS = (
    "ticket_id",
    "author_kind",
    "agent_id",
    "internal",
    "body",
    "created_at",
    "mail_id",
    "sender",
    "flags",
)
_AUDIT_COLUMNS = (
    "ticket_id",
    "actor_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "created_at",
    "batch_id",
    "version",
)


@dataclass(frozen=True)
class ImportOutcome:
    where: str
    action: str  # created, updated or unchanged
    ticket_id: int | None  # None for a ticket a dry run would create
    external_id: str | None
    changed: tuple[str, ...] = ()  # the fields an update changed


class ImportResult:
    """What an import did: counts, and every record's outcome (read back from a spool file,
    so a million records cost no memory).  `close` removes the spool."""

    def __init__(
        self, batch_id: str, spool: IO[str], counts: dict[str, int], *, dry_run: bool
    ) -> None:
        self.batch_id = batch_id
        self.dry_run = dry_run
        self._spool = spool
        self._counts = counts

    @property
    def outcomes(self) -> Iterator[ImportOutcome]:
        self._spool.seek(0)
        for line in self._spool:
            where, action, ticket_id, external_id, changed = line.rstrip("\n").split("\t")
            yield ImportOutcome(
                where=where,
                action=action,
                ticket_id=(
                    None
                    if ticket_id == "" or (self.dry_run and action == "created")
                    else int(ticket_id)
                ),
                external_id=external_id or None,
                changed=tuple(changed.split(",")) if changed else (),
            )

    def count(self, action: str) -> int:
        return self._counts.get(action, 0)

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {self.total} record{'s' if self.total != 1 else ''}: "
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged"
        )

    def close(self) -> None:
        self._spool.close()


class _DryRun(Exception):
    pass


class _Problems:
    """The problems found so far: the first `MAX_PROBLEMS` kept, the rest counted."""

    def __init__(self) -> None:
        self.shown: list[RecordProblem] = []
        self.count = 0

    def add(self, problem: RecordProblem) -> None:
        self.count += 1
        if len(self.shown) < MAX_PROBLEMS:
            self.shown.append(problem)

    def refusal(self, source: str) -> BadRecords:
        shown = [str(p) for p in self.shown]
        if self.count > len(self.shown):
            shown.append(f"... and {self.count - len(self.shown)} more")
        noun = "problem" if self.count == 1 else "problems"
        first = f" ({self.shown[0]})" if self.count == 1 else ""
        return BadRecords(f"{self.count} {noun} in {source}{first}; nothing was imported", shown)


def _refuse(problem: RecordProblem, source: str) -> BadRecords:
    problems = _Problems()
    problems.add(problem)
    return problems.refusal(source)


def parse_import(
    data: bytes, *, fmt: str | None, source: str, raw: bool = False
) -> list[TicketRecord]:
    """Every record of the file, checked field by field (not against the store); raises
    BadRecords listing the problems."""
    fmt = fmt or detect_format(source, data)
    problems = _Problems()
    seen = _SeenIds()
    records: list[TicketRecord] = []
    try:
        for raw_record in read_records(data, fmt, raw=raw):
            record = _checked(raw_record, seen, problems)
            if record is not None:
                records.append(record)
    except RecordProblem as problem:
        raise _refuse(problem, source) from None
    if problems.count:
        raise problems.refusal(source)
    if not records:
        raise NothingToDo(f"nothing to do: no ticket records in {source}")
    return records


class _SeenIds:
    """The external ids seen so far in the file, to refuse one given twice.  Kept as the
    string's hash and the number in its `where` (a million ids cost about 100 MB as strings,
    a third of that so), so a repeat is named with the place it repeats."""

    _NUMBER = re.compile(r"[0-9]+")

    def __init__(self) -> None:
        self.first: dict[int, int] = {}
        self.prefix = ""

    def check(self, record: TicketRecord) -> RecordProblem | None:
        if record.external_id is None:
            return None
        number = self._NUMBER.search(record.where)
        assert number is not None  # `line 7`, `record [3]`
        key = hash(record.external_id)
        first = self.first.setdefault(key, int(number.group()))
        if first == int(number.group()):
            return None
        where = record.where[: number.start()] + str(first) + record.where[number.end() :]
        return RecordProblem(record.where, "external_id", f"{record.external_id!r} repeats {where}")


def _checked(raw: RawRecord, seen: _SeenIds, problems: _Problems) -> TicketRecord | None:
    try:
        record = validate(raw)
    except RecordProblem as problem:
        problems.add(problem)
        return None
    repeated = seen.check(record)
    if repeated is not None:
        problems.add(repeated)
        return None
    return record


def import_tickets(
    store: Store,
    *,
    actor: Actor,
    data: bytes | None = None,
    lines: Iterable[bytes] | None = None,
    fmt: str | None = None,
    source: str = "the input",
    dry_run: bool = False,
    raw: bool = False,
    now: datetime | None = None,
    progress: Progress = no_progress,
    total: int | None = None,
    chunk_records: int = CHUNK_RECORDS,
) -> ImportResult:
    """Import ticket records (a JSON array, NDJSON or CSV), all or nothing; see the module.
    The file is `data`, or `lines` (a binary file as it iterates: NDJSON and CSV are then read
    a line at a time).  `progress` hears of the records done (of `total`, when known)."""
    raws = _raw_records(data, lines, fmt, source, raw)
    now = now or utcnow()
    batch_id = BATCH_PREFIX + uuid.uuid4().hex[:12]
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (the result keeps it)
    counts: dict[str, int] = {}
    problems = _Problems()
    try:
        with _rare_collections(), store.write() as session:
            fresh = ticket_core.reload_actor(session, actor)
            check_can_bulk(fresh)
            writer = _ChunkWriter(session, fresh, batch_id, now, store_key(session))
            seen = _SeenIds()
            done = 0
            try:
                for batch in _batches(raws, chunk_records):
                    records = [
                        r for raw_record in batch if (r := _checked(raw_record, seen, problems))
                    ]
                    outcomes = writer.chunk(records, problems, write=not problems.count)
                    for outcome in outcomes:
                        counts[outcome.action] = counts.get(outcome.action, 0) + 1
                        spool.write(_spooled(outcome))
                    done += len(batch)
                    progress("importing", done, total)
            except RecordProblem as problem:  # the file itself is malformed here
                problems.add(problem)
            if problems.count:
                raise problems.refusal(source)
            if not counts:
                raise NothingToDo(f"nothing to do: no ticket records in {source}")
            writer.finish()
            result = ImportResult(batch_id, spool, counts, dry_run=dry_run)
            if dry_run:  # roll the transaction back
                raise _DryRun
            return result
    except _DryRun:
        return result
    except BaseException:
        spool.close()
        raise


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's cycle collector runs a hundred times less often while the import runs: each
    chunk makes and drops tens of thousands of objects (records, ORM rows), and the collector
    walking them every 700 allocations cost about an eighth of an update's time.  Cycles are
    still collected (memory stays bounded); the thresholds are restored at the end."""
    first, *rest = gc.get_threshold()
    gc.set_threshold(max(first, 100 * _COLLECT_EVERY), *rest)
    try:
        yield
    finally:
        gc.set_threshold(first, *rest)


def _raw_records(
    data: bytes | None, lines: Iterable[bytes] | None, fmt: str | None, source: str, raw: bool
) -> Iterator[RawRecord]:
    if data is not None:
        return read_records(data, fmt or detect_format(source, data), raw=raw)
    assert lines is not None, "import_tickets needs data or lines"
    it = iter(lines)
    if fmt is None:  # from the name, else from the first line that holds something
        head = list(islice(it, 1))
        while head and not head[-1].strip() and len(head) < 1000:
            head.extend(islice(it, 1))
        fmt = detect_format(source, b"".join(head))
        it = chain(head, it)
    return read_record_lines(it, fmt, raw=raw)


def _batches(raws: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    while batch := list(islice(raws, size)):
        yield batch


def _spooled(outcome: ImportOutcome) -> str:
    # no field holds a tab or a newline: an external id is printable, `where` is ours
    return (
        f"{outcome.where}\t{outcome.action}\t"
        f"{'' if outcome.ticket_id is None else outcome.ticket_id}\t"
        f"{outcome.external_id or ''}\t{','.join(outcome.changed)}\n"
    )


def store_key(session: Session) -> str:
    """The store's random name (made by migration 0002; made here if someone deleted it)."""
    info = session.get(StoreInfo, "store_key")
    if info is None:
        info = StoreInfo(key="store_key", value=uuid.uuid4().hex[:10])
        session.add(info)
        session.flush()
    return info.value


# --- one chunk ------------------------------------------------------------------------------------


class _ChunkWriter:
    """Checks and writes the chunks of one import, in its transaction."""

    def __init__(
        self, session: Session, actor: Actor, batch_id: str, now: datetime, key: str
    ) -> None:
        self.session = session
        self.actor = actor
        self.batch_id = batch_id
        self.now = now
        self.lookup = TicketLookup(session, actor)
        self.rules = ticket_core.policy_rules(session)
        self.own = re.compile(re.escape(f"{OWN_PREFIX}{key}-") + r"([0-9]{1,18})")
        self.first_created: int | None = None
        self.kept = {id(o) for o in session.identity_map.values()}  # teams, agents: kept

    def chunk(
        self, records: Sequence[TicketRecord], problems: _Problems, *, write: bool
    ) -> list[ImportOutcome]:
        """Check the records against the store; write them when `write` (no problem so far)."""
        existing = self._tickets_by_external_id(
            [r.external_id for r in records if r.external_id is not None]
        )
        plans: list[Plan] = []
        for record in records:
            current = existing.get(record.external_id) if record.external_id else None
            try:
                plans.append(import_plan.plan(self.lookup, record, current))
            except RecordProblem as problem:
                problems.add(problem)
        if problems.count or not write:
            return []
        customers = self._customers(plans)
        outcomes = self._create([p for p in plans if p.current is None], customers)
        updates = [p for p in plans if p.current is not None]
        if updates:
            outcomes += self._update(updates, customers)
        self.session.flush()
        order = {p.record.where: n for n, p in enumerate(plans)}
        outcomes.sort(key=lambda o: order[o.where])
        for obj in list(self.session.identity_map.values()):  # memory stays flat
            if id(obj) not in self.kept:
                self.session.expunge(obj)
        return outcomes

    def finish(self) -> None:
        """Stamp the repeat contacts of the new tickets' customers, once."""
        if self.first_created is not None:
            repeat_contacts.stamp_all(self.session, self.first_created)

    def _tickets_by_external_id(self, external_ids: list[str]) -> dict[str, Ticket]:
        """The tickets these records update, locked for the rest of the import: by the external
        id stored on them, or by this store's own export name `csm-<store key>-<id>`.  Each is
        read as a `TicketState` (one object per ticket, whichever way records name it)."""
        found: dict[str, Ticket] = {}
        read: dict[int, TicketState] = {}
        by_id = {int(m.group(1)): e for e in external_ids if (m := self.own.fullmatch(e))}
        table = _table(Ticket)
        for column, keys in ((table.c.external_id, external_ids), (table.c.id, list(by_id))):
            wanted = set(keys)
            for part in _parts(keys):
                statement = (
                    select(table)
                    .where(import_load.among(self.session, column, part))
                    .with_for_update()
                )
                for row in self.session.execute(statement).mappings():
                    state = read.get(row["id"]) or read.setdefault(row["id"], TicketState(row))
                    ticket = state.as_ticket()
                    if ticket.external_id is not None and ticket.external_id in wanted:
                        found[ticket.external_id] = ticket
                    elif ticket.id in by_id:
                        found.setdefault(by_id[ticket.id], ticket)
        return found

    def _customers(self, plans: Sequence[Plan]) -> dict[str, Customer]:
        """The customers the records name by e-mail; those not in the store are added (as
        `find_or_add_customer` would add them at the first record naming them)."""
        emails = list({p.record.customer_email: None for p in plans})
        found: dict[str, Customer] = {}
        for part in _parts(emails):
            for customer in self.session.execute(
                select(Customer).where(import_load.among(self.session, col(Customer.email), part))
            ).scalars():
                found[customer.email] = customer
        added: list[Customer] = []
        for p in plans:
            record = p.record
            if record.customer_email in found:
                continue
            channel = record.channel or (
                Channel(p.current.channel) if p.current is not None else Channel.EMAIL
            )
            customer = ticket_core.new_customer(
                email=record.customer_email,
                name=record.customer_name,
                language=record.language,
                channel=channel,
                text=record.subject + " " + record.body,
            )
            found[record.customer_email] = customer
            added.append(customer)
        if added:  # inserted together, numbered as the ORM would number them one by one
            table = _table(Customer)
            columns = [c.name for c in table.columns]
            ids = import_load.new_ids(self.session, table, len(added))
            for customer, customer_id in zip(added, ids, strict=True):
                customer.id = customer_id
            rows = [tuple(getattr(c, name) for name in columns) for c in added]
            import_load.insert_rows(self.session, table, columns, rows)
        return found

    def _create(self, plans: Sequence[Plan], customers: dict[str, Customer]) -> list[ImportOutcome]:
        if not plans:
            return []
        session, actor, now = self.session, self.actor, self.now
        made: list[tuple[Plan, ticket_core.NewTicket, ticket_core.TicketValues, Any]] = []
        for plan in plans:
            record = plan.record
            channel = record.channel or Channel.EMAIL
            status = record.status or (Status.OPEN if plan.assignee is not None else Status.NEW)
            new = ticket_core.NewTicket(
                customer=customers[record.customer_email],
                subject=record.subject,
                body=record.body,
                channel=channel,
                priority=record.priority or Priority.NORMAL,
                category=record.category,
                tags=record.tags or (),
                tier=plan.tier,
                team=plan.team,
                created_at=record.created_at or now,
                status=status,
                assignee=plan.assignee,
                first_response_at=record.first_response_at,
                solved_at=record.solved_at,
                external_id=record.external_id,
            )
            rule = None
            if status.is_active:  # routing shapes tickets still to be worked, not closed history
                new, rule = route(session, new)
            values = ticket_core.ticket_values(session, new, now=now, rules=self.rules)
            made.append((plan, new, values, rule))
        tickets = Ticket.__table__
        ids = import_load.new_ids(session, tickets, len(made))
        ticket_rows: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        tags: list[tuple[int, str]] = []
        audit: list[tuple[Any, ...]] = []
        outcomes: list[ImportOutcome] = []
        for (plan, new, values, rule), ticket_id in zip(made, ids, strict=True):
            ticket_rows.append((ticket_id, *(getattr(values, c) for c in _TICKET_COLUMNS)))
            message = ticket_core.first_message(new, ticket_id)
            messages.append(tuple(message[c] for c in _MESSAGE_COLUMNS))
            tags.extend((ticket_id, tag) for tag in new.tags)
            audit.extend(
                tuple(event[c] for c in _AUDIT_COLUMNS)
                for event in ticket_core.creation_audit(
                    ticket_id, actor, now, batch_id=self.batch_id, rule=rule
                )
            )
            outcomes.append(
                ImportOutcome(plan.record.where, "created", ticket_id, plan.record.external_id)
            )
        import_load.insert_rows(session, tickets, ("id", *_TICKET_COLUMNS), ticket_rows)
        import_load.insert_rows(session, _table(Message), _MESSAGE_COLUMNS, messages)
        import_load.insert_rows(session, _table(TicketTag), ("ticket_id", "tag"), tags)
        import_load.insert_rows(session, _table(AuditEvent), _AUDIT_COLUMNS, audit)
        if self.first_created is None:
            self.first_created = ids[0]
        return outcomes

    def _update(self, plans: Sequence[Plan], customers: dict[str, Customer]) -> list[ImportOutcome]:
        session = self.session
        ids = [p.current.id for p in plans if p.current is not None and p.current.id is not None]
        known = import_plan.Known(
            first_messages=_first_messages(session, ids),
            tags=_tags(session, ids),
            customers=customers,
            rules=self.rules,
            teams_by_id=self.lookup.teams_by_id,
            agents_by_id=self.lookup.agents_by_id,
        )
        # the tickets' present customers (also into the session's identity map)
        held = list({p.current.customer_id for p in plans if p.current is not None})
        for part in _parts(held):
            for customer in session.execute(
                select(Customer).where(import_load.among(session, col(Customer.id), part))
            ).scalars():
                assert customer.id is not None
                known.customers_by_id[customer.id] = customer
        outcomes = []
        with session.no_autoflush:  # one flush for the chunk, not one per record
            changes = [
                import_plan.update(session, self.actor, plan, known, self.batch_id, self.now)
                for plan in plans
            ]
        session.flush()  # the first messages' new bodies, before the search text reads them
        if known.search:
            import_plan.rebuild_search_text(session, known.search)
        # the tickets (`TicketState`, outside the ORM) changed: one statement for the chunk
        _write_tickets(session, [p.current for p in plans if p.current is not None])
        repeat_contacts.refresh(session, known.groups)
        import_load.insert_rows(session, _table(TicketTag), ("ticket_id", "tag"), known.new_tags)
        import_load.insert_rows(
            session,
            _table(AuditEvent),
            _AUDIT_COLUMNS,
            [tuple(event[c] for c in _AUDIT_COLUMNS) for event in known.audit],
        )
        for plan, changed in zip(plans, changes, strict=True):
            assert plan.current is not None and plan.current.id is not None
            outcomes.append(
                ImportOutcome(
                    where=plan.record.where,
                    action="updated" if changed else "unchanged",
                    ticket_id=plan.current.id,
                    external_id=plan.record.external_id,
                    changed=tuple(changed),
                )
            )
        return outcomes


def _write_tickets(session: Session, tickets: Sequence[Ticket]) -> None:
    """The changed columns of the tickets (`TicketState`s), with one UPDATE for all of them
    (the union of the columns any of them changed: the others are written with the value they
    hold, locked)."""
    changed: dict[int, Ticket] = {}
    names: set[str] = set()
    for ticket in tickets:
        columns = cast(TicketState, ticket).changed()
        if columns:
            assert ticket.id is not None
            changed[ticket.id] = ticket
            names.update(columns)
    if not changed:
        return
    table = _table(Ticket)
    columns = [c.name for c in table.columns if c.name in names and c.name != "id"]
    rows = [
        (ticket_id, *(getattr(ticket, c) for c in columns))
        for ticket_id, ticket in sorted(changed.items())
    ]
    import_load.update_rows(session, table, columns, rows)


def _parts(keys: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """The keys of a chunk's read, in parts of `_IN_CHUNK`."""
    for start in range(0, len(keys), _IN_CHUNK):
        yield keys[start : start + _IN_CHUNK]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _first_messages(session: Session, ticket_ids: Sequence[int]) -> dict[int, Message]:
    """The first customer message of each ticket."""
    found: dict[int, Message] = {}
    for part in _parts(ticket_ids):
        first = (
            select(func.min(col(Message.id)))
            .where(
                import_load.among(session, col(Message.ticket_id), part),
                col(Message.author_kind) == "customer",
            )
            .group_by(col(Message.ticket_id))
        )
        for message in session.execute(select(Message).where(col(Message.id).in_(first))).scalars():
            found[message.ticket_id] = message
    return found


def _tags(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for part in _parts(ticket_ids):
        for ticket_id, tag in session.execute(
            select(col(TicketTag.ticket_id), col(TicketTag.tag)).where(
                import_load.among(session, col(TicketTag.ticket_id), part)
            )
        ):
            found.setdefault(ticket_id, []).append(tag)
    return {ticket_id: sorted(tags) for ticket_id, tags in found.items()}


__all__ = [
    "BATCH_PREFIX",
    "OWN_PREFIX",
    "ImportOutcome",
    "ImportResult",
    "import_tickets",
    "parse_import",
    "store_key",
]
