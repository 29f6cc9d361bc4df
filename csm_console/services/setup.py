"""Creating a store, loading the sample operation, and summarising what a store holds."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlmodel import Session, col

from csm_console.domain.actions import actions_text
from csm_console.domain.calendar import BusinessCalendar, parse_calendar
from csm_console.domain.durations import parse_duration
from csm_console.domain.frontmatter import split_front_matter
from csm_console.domain.model import (
    AuthorKind,
    Channel,
    Language,
    Priority,
    Role,
    Segment,
    Status,
    Tier,
    parse_enum,
)
from csm_console.domain.search import article_index
from csm_console.domain.sla import choose_targets, due_times, elapsed, running_deadline
from csm_console.domain.text import fold, normalize_tag
from csm_console.errors import UsageError
from csm_console.services import automations, macros, repeat_contacts, sample_mail
from csm_console.services.clock import utcnow
from csm_console.services.records import StoreSummary
from csm_console.services.ticket_core import policy_rules
from csm_console.store import migrate
from csm_console.store.engine import Store
from csm_console.store.models import (
    Agent,
    Article,
    AuditEvent,
    Automation,
    Calendar,
    Customer,
    Message,
    ReplyTemplate,
    SlaPolicy,
    Team,
    Ticket,
    TicketTag,
)
from csm_console.store.ticket_query import SENTINEL

SAMPLE_FIRST_TICKET_ID = 1001


def initialize(store: Store) -> tuple[str | None, str]:
    """Create or upgrade the schema (Alembic); return (revision before, revision after)."""
    return migrate.upgrade(store)


def sample_directory() -> Traversable:
    return resources.files("csm_console.sample_data")


def is_empty(store: Store) -> bool:
    with store.read() as session:
        teams: int = session.execute(select(func.count()).select_from(Team)).scalar_one()
        return teams == 0


def sync_sequences(session: Session, store: Store) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequences past them."""
    if not store.is_postgres:
        return
    for table in (
        "team",
        "agent",
        "customer",
        "ticket",
        "message",
        "audit_event",
        "reply_template",
        "article",
        "sla_policy",
    ):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


@dataclass
class _Loaded:
    teams: dict[str, int]
    agents: dict[str, int]
    customers: dict[str, tuple[int, str]]
    calendars: dict[int, BusinessCalendar] = field(default_factory=dict)  # by team id
    agent_teams: dict[str, int | None] = field(default_factory=dict)  # by handle


def load_sample(
    store: Store, *, source: Traversable | Path | None = None, now: datetime | None = None
) -> StoreSummary:
    """Load the sample operation into an empty store, in one transaction.

    Ticket times in the files are offsets before `now`, so the sample always has fresh work,
    tickets about to breach and tickets already breaching.
    """
    now = now or utcnow()
    root = source if source is not None else sample_directory()
    if not is_empty(store):
        raise UsageError(
            f"the store {store.display_url} already holds data; load the sample into a new store"
        )
    teams = _read_json(root, "teams.json")
    calendar_files = _read_json(root, "calendars.json") if _exists(root, "calendars.json") else []
    agents = _read_json(root, "agents.json")
    customers = list(csv.DictReader(io.StringIO(_read_text(root, "customers.csv"))))
    policies = _read_json(root, "sla_policies.json")
    tickets = _read_json(root, "tickets.json")
    batch = f"sample-{uuid.uuid4()}"
    with store.write() as session:
        loaded = _Loaded({}, {}, {})
        calendar_ids: dict[str, tuple[int, BusinessCalendar]] = {}
        for c in calendar_files:
            try:
                parsed = parse_calendar(c["definition"])
            except ValueError as exc:
                raise UsageError(f"calendars.json {c.get('name')!r}: {exc}") from None
            row = Calendar(name=c["name"], definition=parsed.describe())
            session.add(row)
            session.flush()
            assert row.id is not None
            calendar_ids[row.name] = (row.id, parsed)
        for t in teams:
            calendar = calendar_ids.get(t["calendar"]) if t.get("calendar") else None
            if t.get("calendar") and calendar is None:
                raise UsageError(f"teams.json {t['name']}: unknown calendar {t['calendar']!r}")
            team = Team(
                name=t["name"],
                tier=Tier.parse(t["tier"]).value,
                description=t.get("description", ""),
                calendar_id=calendar[0] if calendar else None,
            )
            session.add(team)
            session.flush()
            loaded.teams[team.name] = _id(team)
            if calendar:
                loaded.calendars[_id(team)] = calendar[1]
        for a in agents:
            agent = Agent(
                handle=a["handle"].lower(),
                name=a["name"],
                email=a["email"],
                role=parse_enum(Role, a["role"], "role").value,
                tier=Tier.parse(a["tier"]).value,
                team_id=loaded.teams[a["team"]] if a.get("team") else None,
                active=bool(a.get("active", True)),
                signature=a.get("signature", ""),
            )
            session.add(agent)
            session.flush()
            loaded.agents[agent.handle] = _id(agent)
            loaded.agent_teams[agent.handle] = agent.team_id
        for c in customers:
            customer = Customer(
                name=c["name"],
                email=c["email"].strip().lower(),
                phone=c.get("phone", ""),
                company=c.get("company", ""),
                language=parse_enum(Language, c["language"], "language").value,
                preferred_channel=parse_enum(Channel, c["preferred_channel"], "channel").value,
                segment=parse_enum(Segment, c["segment"], "segment").value,
                lookup=fold(f"{c['name']} {c['email']}"),
            )
            session.add(customer)
            session.flush()
            loaded.customers[customer.email] = (_id(customer), customer.segment)
        for p in policies:
            session.add(
                SlaPolicy(
                    priority=int(Priority.parse(p["priority"])),
                    team_id=loaded.teams[p["team"]] if p.get("team") else None,
                    segment=p.get("segment"),
                    first_response_minutes=_minutes(p["first_response"]),
                    resolution_minutes=_minutes(p["resolution"]),
                )
            )
        session.flush()
        rules = policy_rules(session)
        team_names = {v: k for k, v in loaded.teams.items()}
        ticket_rows, message_rows, tag_rows, audit_rows = [], [], [], []
        for number, t in enumerate(tickets, start=SAMPLE_FIRST_TICKET_ID):
            rows = _ticket_rows(number, t, loaded, rules, team_names, now, batch)
            ticket_rows.append(rows[0])
            message_rows.extend(rows[1])
            tag_rows.extend(rows[2])
            audit_rows.extend(rows[3])
        mail_extras = sample_mail.prepare(message_rows)  # message ids, and their files
        _bulk(session, Ticket, ticket_rows)
        _bulk(session, Message, message_rows)
        sample_mail.write(
            session,
            root,
            mail_extras,
            {row["id"]: row for row in ticket_rows},
            {customer_id: email for email, (customer_id, _) in loaded.customers.items()},
            now,
        )
        _bulk(session, TicketTag, tag_rows)
        _bulk(session, AuditEvent, audit_rows)
        repeat_contacts.stamp_all(session)
        for path in _markdown_files(root, "templates"):
            meta, body = _front_matter(path)
            language = parse_enum(Language, str(meta.get("language", "en")), "language").value
            session.add(
                ReplyTemplate(
                    # variants share a name: billing-refund-ru.md is `billing-refund` in ru
                    name=str(
                        meta.get("name")
                        or path.name.removesuffix(".md").removesuffix(f"-{language}")
                    ),
                    category=meta.get("category"),
                    language=language,
                    body=body.strip() + "\n",
                    updated_at=now,
                )
            )
        macros.add_samples(session, _markdown_files(root, "macros"), now)
        for path in _markdown_files(root, "kb"):
            meta, body = _front_matter(path)
            tags = meta.get("tags") or []
            if isinstance(tags, str):
                tags = [t for t in tags.replace(",", " ").split() if t]
            title = str(meta.get("title") or path.name)
            tag_text = ",".join(normalize_tag(str(t)) for t in tags)
            language = parse_enum(Language, str(meta.get("language", "en")), "language").value
            search_title, search_text = article_index(title, tag_text, body, language)
            session.add(
                Article(
                    external_id=str(meta["id"]) if meta.get("id") else None,
                    title=title,
                    body=body.strip() + "\n",
                    tags=tag_text,
                    search_title=search_title,
                    search_text=search_text,
                    language=language,
                    updated_at=now,
                )
            )
        session.flush()
        if _exists(root, "automations.json"):
            _load_automations(session, _read_json(root, "automations.json"), now)
        sync_sequences(session, store)
    return summarize(store, now=now)


def _load_automations(session: Session, items: list[dict[str, Any]], now: datetime) -> None:
    """The sample's automations, checked as `csm automations add` checks them."""
    for position, a in enumerate(items, start=1):
        checked = automations.check_automation(
            str(a["name"]),
            str(a["when"]),
            [str(x) for x in a["do"]],
            max_tickets=int(a.get("max", automations.DEFAULT_MAX)),
        )
        problems = [*checked.problems, *automations.check_names(session, checked.actions)]
        if problems:
            raise UsageError(f"automations.json {a['name']!r}: " + "; ".join(problems))
        session.add(
            Automation(
                position=position,
                name=checked.name,
                condition=checked.condition,
                actions=actions_text(checked.actions),
                max_tickets=int(a.get("max", automations.DEFAULT_MAX)),
                enabled=bool(a.get("enabled", True)),
                created_at=now,
                updated_at=now,
            )
        )


def _id(row: Team | Agent | Customer) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        session.execute(insert(table), rows[start : start + 2000])


def _minutes(value: str) -> int:
    return int(parse_duration(value).total_seconds() // 60)


def _at(now: datetime, offset: str | None) -> datetime | None:
    if offset is None:
        return None
    return now - parse_duration(offset)


def _ticket_rows(
    number: int,
    t: dict[str, Any],
    loaded: _Loaded,
    rules: Any,
    team_names: dict[int, str],
    now: datetime,
    batch: str,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    where = f"tickets.json ticket {number - SAMPLE_FIRST_TICKET_ID + 1}"
    try:
        customer_id, segment = loaded.customers[t["customer"].lower()]
        team_id = loaded.teams[t["team"]] if t.get("team") else None
        assignee_id = loaded.agents[t["assignee"]] if t.get("assignee") else None
        status = parse_enum(Status, t["status"], "status")
        priority = Priority.parse(t["priority"])
    except KeyError as exc:
        raise UsageError(f"{where}: unknown reference {exc}") from None
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    created = _at(now, t["created"])
    assert created is not None
    targets = choose_targets(
        rules, priority=priority, team=team_names.get(team_id) if team_id else None, segment=segment
    )
    calendar = loaded.calendars.get(team_id) if team_id is not None else None
    fr_due, res_due = due_times(created, targets, calendar=calendar)
    first_response = _at(now, t.get("first_response"))
    solved = _at(now, t.get("solved"))
    closed = _at(now, t.get("closed"))
    deadline = running_deadline(
        status=status,
        first_response_at=first_response,
        first_response_due=fr_due,
        resolution_due=res_due,
    )
    messages, texts = [], [fold(t["subject"])]
    last = created
    for m in t["messages"]:
        author = m["author"]
        kind, _, handle = author.partition(":")
        at = _at(now, m["at"]) or created
        if not m.get("flags"):  # an auto-reply or a bounce changes nothing of the ticket
            last = max(last, at)
        messages.append(
            {
                "ticket_id": number,
                "author_kind": parse_enum(AuthorKind, kind, "author").value,
                "agent_id": loaded.agents[handle] if handle else None,
                "internal": bool(m.get("internal", False)),
                "body": m["body"],
                "created_at": at,
                **sample_mail.message_columns(m),
            }
        )
        texts.append(fold(m["body"]))
    audit: list[dict[str, Any]] = []

    def event(
        action: str,
        at: datetime | None,
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
        actor: int | None = None,
    ) -> None:
        audit.append(
            {
                "ticket_id": number,
                "actor_id": actor,
                "action": action,
                "field": field,
                "old_value": old,
                "new_value": new,
                "created_at": at or created,
                "batch_id": batch,
                "version": len(audit) + 1,
            }
        )

    event("create", created)
    escalation = t.get("escalation")
    if escalation:
        event(
            "escalate",
            _at(now, escalation.get("at")),
            "tier",
            escalation.get("from_tier", "L1"),
            t["tier"],
            loaded.agents.get(escalation.get("by", "")),
        )
    if first_response:
        event(
            "reply",
            first_response,
            "first_response_at",
            None,
            first_response.isoformat(timespec="seconds"),
        )
    if t.get("assignee"):
        event("assign", first_response or created, "assignee", None, t["assignee"])
    for _ in range(int(t.get("reopen_count", 0))):
        event("reopen", solved or last, "status", "solved", "open")
    if solved:
        event("status", solved, "status", "open", "solved")
    if closed:
        event("status", closed, "status", "solved", "closed")
    csat = t.get("csat")
    if csat:
        event("csat", closed or solved, "csat_score", None, str(csat["score"]))
    ticket = {
        "id": number,
        "subject": t["subject"],
        "customer_id": customer_id,
        "channel": parse_enum(Channel, t["channel"], "channel").value,
        "status": status.value,
        "priority": int(priority),
        "category": t.get("category"),
        "tier": Tier.parse(t["tier"]).value,
        "team_id": team_id,
        "assignee_id": assignee_id,
        "created_at": created,
        "updated_at": max([last, *(x for x in (first_response, solved, closed) if x)]),
        "first_response_at": first_response,
        "solved_at": solved,
        "closed_at": closed,
        "first_response_due": fr_due,
        "resolution_due": res_due,
        "sla_due": deadline or SENTINEL,
        "reopen_count": int(t.get("reopen_count", 0)),
        "agent_replies": sum(
            m["author_kind"] == AuthorKind.AGENT.value and not m["internal"] for m in messages
        ),
        "first_response_seconds": _counted(
            created, first_response, _calendar_at(first_response, t, loaded, calendar, now)
        ),
        "resolution_seconds": _counted(created, solved, calendar),
        # waiting for the customer since the last message: the resolution clock is paused
        "paused_since": last if status is Status.PENDING else None,
        "csat_score": csat["score"] if csat else None,
        "csat_comment": csat.get("comment") if csat else None,
        "mailbox": t.get("mailbox"),
        "version": len(audit),
        "search_text": "\n".join(texts)[:50_000],
    }
    tags = [
        {"ticket_id": number, "tag": tag}
        for tag in sorted({normalize_tag(x) for x in t.get("tags", [])})
    ]
    return ticket, messages, tags, audit


def _read_text(root: Traversable | Path, name: str) -> str:
    return (root / name).read_text(encoding="utf-8")


def _counted(
    start: datetime, end: datetime | None, calendar: BusinessCalendar | None
) -> int | None:
    """The measured time from `start` to `end` (working time with a calendar), in seconds."""
    return None if end is None else int(elapsed(start, end, calendar).total_seconds())


def _calendar_at(
    moment: datetime | None,
    t: dict[str, Any],
    loaded: _Loaded,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> BusinessCalendar | None:
    """The calendar of the team that held the ticket at `moment`: before an escalation, the
    escalating agent's team (as the console measures a first response when it happens)."""
    escalation: dict[str, Any] = t.get("escalation") or {}
    escalated = _at(now, escalation.get("at"))
    if moment is None or escalated is None or moment >= escalated:
        return calendar
    team_id = loaded.agent_teams.get(str(escalation.get("by", "")).lower())
    return loaded.calendars.get(team_id) if team_id is not None else None


def _exists(root: Traversable | Path, name: str) -> bool:
    return (root / name).is_file()


def _read_json(root: Traversable | Path, name: str) -> Any:
    try:
        return json.loads(_read_text(root, name))
    except json.JSONDecodeError as exc:
        raise UsageError(f"sample file {name}: bad JSON: {exc}") from None


def _markdown_files(root: Traversable | Path, folder: str) -> Iterator[Traversable | Path]:
    directory = root / folder
    if not directory.is_dir():
        return
    yield from sorted(
        (p for p in directory.iterdir() if p.name.endswith(".md")), key=lambda p: p.name
    )


def _front_matter(path: Traversable | Path) -> tuple[dict[str, Any], str]:
    try:
        return split_front_matter(path.read_text(encoding="utf-8"), source=path.name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def summarize(store: Store, *, now: datetime | None = None) -> StoreSummary:
    now = now or datetime.now(UTC)
    with store.read() as session:

        def count(table: Any) -> int:
            return int(session.execute(select(func.count()).select_from(table)).scalar_one())

        by_status = {
            status: int(n)
            for status, n in session.execute(
                select(col(Ticket.status), func.count()).group_by(col(Ticket.status))
            )
        }
        breaching = session.execute(
            select(func.count()).select_from(Ticket).where(col(Ticket.sla_due) < now)
        ).scalar_one()
        return StoreSummary(
            url=store.display_url,
            teams=count(Team),
            agents=count(Agent),
            customers=count(Customer),
            tickets=count(Ticket),
            messages=count(Message),
            templates=count(ReplyTemplate),
            articles=count(Article),
            audit_events=count(AuditEvent),
            by_status={s.value: by_status.get(s.value, 0) for s in Status},
            breaching=int(breaching),
        )
