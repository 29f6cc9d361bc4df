"""Synthetic load: `csm dev generate --tickets N`.

The tickets follow a realistic shape: most are solved or closed, a backlog is open (some of it
breaching), and they spread over every team, tier, agent, channel and priority, each with a
thread of 1–6 messages.  Rows go in through the driver in bulk (executemany on SQLite, COPY on
PostgreSQL) in chunks, each chunk its own transaction.  Timestamps are whole minutes, so their
text forms are computed once and reused.
"""

from __future__ import annotations

import queue
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from csm_console.domain.model import Priority, Role, Status, Tier
from csm_console.domain.sla import choose_targets
from csm_console.domain.text import fold
from csm_console.services.setup import sync_sequences
from csm_console.services.tickets import policy_rules, utcnow
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, Team, Ticket
from csm_console.store.ticket_query import SENTINEL
from csm_console.store.types import sqlite_timestamp

CHUNK = 50_000
HISTORY_DAYS = 365
BACKLOG_DAYS = 14

_STATUS_WEIGHTS = {
    Status.CLOSED: 38,
    Status.SOLVED: 42,
    Status.OPEN: 8,
    Status.PENDING: 5,
    Status.NEW: 4,
    Status.ON_HOLD: 3,
}
_PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.NORMAL: 55, Priority.HIGH: 18, Priority.URGENT: 7}
_CHANNEL_WEIGHTS = {"email": 45, "chat": 25, "web": 18, "phone": 12}
_TIER_WEIGHTS = {Tier.L1: 80, Tier.L2: 15, Tier.L3: 5}
_CATEGORIES = [
    "billing",
    "connectivity",
    "account",
    "hardware",
    "tv",
    "mobile",
    "cancellation",
    "other",
]
_TAGS = [
    "refund",
    "invoice",
    "outage",
    "router",
    "wifi",
    "password",
    "vip",
    "callback",
    "payment",
    "moving",
]

_SUBJECTS = {
    "en": [
        "Invoice amount is wrong",
        "Internet keeps dropping",
        "Cannot log in to my account",
        "Router lights blinking red",
        "Refund for double payment",
        "TV channels missing",
        "Moving to a new address",
        "Mobile data not working",
        "Cancel my subscription",
        "Slow connection in the evening",
    ],
    "ru": [
        "Неверная сумма в счёте",
        "Пропадает интернет",
        "Не могу войти в личный кабинет",
        "Роутер мигает красным",
        "Возврат двойной оплаты",
        "Пропали телеканалы",
        "Переезд на новый адрес",
        "Не работает мобильный интернет",
        "Расторжение договора",
        "Медленный интернет вечером",
    ],
    "lv": [
        "Nepareiza rēķina summa",
        "Internets pazūd",
        "Nevaru pieslēgties kontam",
        "Maršrutētājs mirgo sarkanā krāsā",
        "Atmaksa par dubulto maksājumu",
        "Pazuduši TV kanāli",
        "Pārcelšanās uz jaunu adresi",
        "Nestrādā mobilie dati",
        "Vēlos lauzt līgumu",
        "Lēns pieslēgums vakaros",
    ],
}
_CUSTOMER_LINES = {
    "en": [
        "Hello, this started yesterday and I need it fixed today.",
        "I already restarted everything twice. Please help.",
        "Could you check my account? The invoice looks wrong.",
        "Any update on this? It is still not working.",
    ],
    "ru": [
        "Здравствуйте, проблема началась вчера, прошу решить сегодня.",
        "Я уже дважды всё перезагрузил. Помогите, пожалуйста.",
        "Проверьте, пожалуйста, мой счёт — сумма оплаты неверная.",
        "Есть новости? Всё ещё не работает.",
    ],
    "lv": [
        "Labdien, problēma sākās vakar, lūdzu atrisināt šodien.",
        "Es jau divreiz visu restartēju. Lūdzu, palīdziet.",
        "Vai varat pārbaudīt manu rēķinu? Summa šķiet nepareiza.",
        "Vai ir kādas ziņas? Joprojām nestrādā.",
    ],
}
_AGENT_LINES = {
    "en": [
        "Thank you for contacting us. I am looking into this now.",
        "I have corrected the invoice; the refund will arrive within 5 days.",
        "Please restart the router and tell me which lights are on.",
    ],
    "ru": [
        "Спасибо за обращение. Уже разбираюсь.",
        "Я исправил счёт, возврат поступит в течение 5 дней.",
        "Перезагрузите роутер и сообщите, какие индикаторы горят.",
    ],
    "lv": [
        "Paldies, ka sazinājāties. Jau skatos.",
        "Esmu izlabojis rēķinu, atmaksa pienāks 5 dienu laikā.",
        "Lūdzu, restartējiet maršrutētāju un pastāstiet, kuras lampiņas deg.",
    ],
}
_NOTES = [
    "Checked line diagnostics: no faults on our side.",
    "Customer called again, asked for a callback.",
    "Waiting for the billing team to confirm the refund.",
]


@dataclass(frozen=True)
class GenerateResult:
    tickets: int
    messages: int
    tags: int
    first_id: int
    last_id: int
    batch_id: str


@dataclass
class _Pools:
    teams_by_tier: dict[str, list[tuple[int, str]]]
    agents_by_team: dict[int, list[int]]
    customers: list[tuple[int, str, str]]  # id, language, segment


def generate_tickets(
    store: Store, *, count: int, seed: int = 1, now: datetime | None = None
) -> GenerateResult:
    now = (now or utcnow()).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    batch_id = f"generate-{uuid.uuid4()}"
    pools = _ensure_people(store, rng, count)
    with store.read() as session:
        rules = policy_rules(session)
        first_id = (
            int(session.execute(select(func.coalesce(func.max(Ticket.id), 0))).scalar_one()) + 1
        )
    team_names = {tid: name for teams in pools.teams_by_tier.values() for tid, name in teams}
    targets = {
        (p, tid, seg): choose_targets(rules, priority=p, team=team_names[tid], segment=seg)
        for p in Priority
        for tid in team_names
        for seg in ("standard", "business", "vip")
    }
    longest = max(int(t.resolution.total_seconds() // 60) for t in targets.values())
    stamp = _Stamps(
        now, postgres=store.is_postgres, past=HISTORY_DAYS * 1440 + 10, future=longest + 10
    )
    chunks: queue.Queue[tuple[list[Any], list[Any], list[Any]] | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def write_chunks() -> None:
        # The driver releases the GIL while SQLite/PostgreSQL works, so writing one chunk
        # overlaps with generating the next.  The connection lives in this thread only.
        writer: _SqliteWriter | _PostgresWriter | None = None
        try:
            writer = _SqliteWriter(store, count) if store.is_sqlite else _PostgresWriter(store)
            while (chunk := chunks.get()) is not None:
                writer.write(*chunk)
            writer.finish(batch_id, count, stamp.text(now))
        except BaseException as exc:
            failure.append(exc)
            while chunks.get() is not None:  # drain, so the producer never blocks
                pass
        finally:
            if writer is not None:
                writer.close()

    thread = threading.Thread(target=write_chunks, name="csm-generate-writer")
    thread.start()
    messages = tags = 0
    next_id = first_id
    try:
        while next_id < first_id + count and not failure:
            size = min(CHUNK, first_id + count - next_id)
            chunk = _make_chunk(rng, pools, targets, stamp, next_id, size, now)
            chunks.put(chunk)
            messages += len(chunk[1])
            tags += len(chunk[2])
            next_id += size
    finally:
        chunks.put(None)
        thread.join()
    if failure:
        raise failure[0]
    return GenerateResult(count, messages, tags, first_id, first_id + count - 1, batch_id)


def _ensure_people(store: Store, rng: random.Random, count: int) -> _Pools:
    """Use the store's teams and agents (creating a minimal set if it has none) and enough
    synthetic customers for the volume."""
    with store.write() as session:
        teams = list(session.execute(select(Team.id, Team.name, Team.tier)))
        if not teams:
            for name, tier in (("Frontline", "L1"), ("Technical", "L2"), ("Experts", "L3")):
                session.add(Team(name=name, tier=tier))
            session.flush()
            teams = list(session.execute(select(Team.id, Team.name, Team.tier)))
        agents = list(session.execute(select(Agent.id, Agent.team_id, Agent.active)))
        if not agents:
            for team_id, name, tier in teams:
                for i in range(4):
                    handle = f"{name.lower()}{i + 1}"
                    session.add(
                        Agent(
                            handle=handle,
                            name=f"{name} Agent {i + 1}",
                            email=f"{handle}@example.com",
                            role=Role.LEAD.value if i == 0 else Role.OPERATOR.value,
                            tier=tier,
                            team_id=team_id,
                        )
                    )
            session.flush()
            agents = list(session.execute(select(Agent.id, Agent.team_id, Agent.active)))
        have = int(session.execute(select(func.count()).select_from(Customer)).scalar_one())
        want = min(200_000, max(100, count // 20))
        if have < want:
            start = int(
                session.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()
            )
            rows = []
            for n in range(start + 1, start + 1 + want - have):
                lang = rng.choice(("en", "ru", "lv"))
                name = f"Customer {n}"
                email = f"customer{n}@synthetic.example"
                rows.append(
                    {
                        "name": name,
                        "email": email,
                        "phone": "",
                        "company": "",
                        "language": lang,
                        "preferred_channel": rng.choice(list(_CHANNEL_WEIGHTS)),
                        "segment": rng.choices(("standard", "business", "vip"), (85, 10, 5))[0],
                        "lookup": fold(f"{name} {email}"),
                    }
                )
            from sqlalchemy import insert

            for i in range(0, len(rows), 5000):
                session.execute(insert(Customer), rows[i : i + 5000])
        customers = [
            (cid, lang, seg)
            for cid, lang, seg in session.execute(
                select(Customer.id, Customer.language, Customer.segment)
            )
        ]
        sync_sequences(session, store)
    teams_by_tier: dict[str, list[tuple[int, str]]] = {}
    for team_id, name, tier in teams:
        teams_by_tier.setdefault(tier, []).append((team_id, name))
    for tier in Tier:
        if tier.value not in teams_by_tier:
            teams_by_tier[tier.value] = teams_by_tier[sorted(teams_by_tier)[0]]
    agents_by_team: dict[int, list[int]] = {}
    for agent_id, team_id, active in agents:
        if active and team_id is not None:
            agents_by_team.setdefault(team_id, []).append(agent_id)
    return _Pools(teams_by_tier, agents_by_team, customers)


class _Stamps:
    """Whole-minute timestamps as the text each store takes, computed once per minute.

    `texts[k]` is the moment `k - future` minutes before now (so deadlines in the future fit).
    """

    def __init__(self, now: datetime, *, postgres: bool, past: int, future: int) -> None:
        self.postgres = postgres
        self.future = future
        start = now + timedelta(minutes=future)
        suffix = "+00" if postgres else ""
        base = start.replace(tzinfo=None)
        step = timedelta(minutes=1)
        self.texts = [
            (base - step * k).isoformat(" ", "microseconds") + suffix
            for k in range(past + future + 1)
        ]

    def text(self, when: datetime) -> str:
        base = sqlite_timestamp(when)
        return base + "+00" if self.postgres else base


_FOLDED: dict[str, str] = {}


def _folded(text: str) -> str:
    value = _FOLDED.get(text)
    if value is None:
        value = _FOLDED[text] = fold(text)
    return value


def _make_chunk(
    rng: random.Random,
    pools: _Pools,
    targets: dict[Any, Any],
    stamp: _Stamps,
    first_id: int,
    size: int,
    now: datetime,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    statuses = rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()), k=size)
    priorities = rng.choices(list(_PRIORITY_WEIGHTS), list(_PRIORITY_WEIGHTS.values()), k=size)
    channels = rng.choices(list(_CHANNEL_WEIGHTS), list(_CHANNEL_WEIGHTS.values()), k=size)
    tiers = rng.choices([t.value for t in _TIER_WEIGHTS], list(_TIER_WEIGHTS.values()), k=size)
    customers = rng.choices(pools.customers, k=size)
    categories = rng.choices(_CATEGORIES, k=size)
    threads = rng.choices((1, 2, 3, 4, 5, 6), (35, 32, 16, 9, 5, 3), k=size)
    rnd = rng.random
    texts_at = stamp.texts
    future = stamp.future
    sentinel = stamp.text(SENTINEL)
    history = HISTORY_DAYS * 1440
    backlog = BACKLOG_DAYS * 1440
    minutes = {
        key: (int(t.first_response.total_seconds() // 60), int(t.resolution.total_seconds() // 60))
        for key, t in targets.items()
    }
    subjects = {lang: [(s, _folded(s)) for s in pool] for lang, pool in _SUBJECTS.items()}
    customer_lines = {
        lang: [(s, _folded(s)) for s in pool] for lang, pool in _CUSTOMER_LINES.items()
    }
    agent_lines = {lang: [(s, _folded(s)) for s in pool] for lang, pool in _AGENT_LINES.items()}
    notes = [(s, _folded(s)) for s in _NOTES]
    tickets: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    tag_rows: list[tuple[Any, ...]] = []
    add_ticket = tickets.append
    add_message = messages.append
    n_tags = len(_TAGS)
    for i in range(size):
        ticket_id = first_id + i
        status = statuses[i]
        priority = priorities[i]
        customer_id, lang, segment = customers[i]
        team_choices = pools.teams_by_tier[tiers[i]]
        team_id = team_choices[int(rnd() * len(team_choices))][0]
        team_agents = pools.agents_by_team.get(team_id)
        active = status.is_active
        r = rnd()
        # ages skew recent: the backlog is days old, history spreads over a year
        age = int(r * r * (backlog if active else history)) + 5
        fr_minutes, res_minutes = minutes[(priority, team_id, segment)]
        assignee = (
            team_agents[int(rnd() * len(team_agents))]
            if team_agents and status is not Status.NEW
            else None
        )
        replied = status is not Status.NEW and (not active or r > 0.1)
        first_response_age = (
            max(0, age - 1 - int(rnd() * min(age, fr_minutes * 2))) if replied else None
        )
        solved_age = closed_age = None
        if not active:
            solved_age = max(0, (first_response_age or age) - 1 - int(rnd() * res_minutes))
            if status is Status.CLOSED:
                closed_age = max(0, solved_age - 1 - int(rnd() * 4320))
        fr_due_age = age - fr_minutes
        res_due_age = age - res_minutes
        if not active:
            sla_due = sentinel
        elif first_response_age is None:
            # the earlier of the two deadlines lies more minutes before now
            sla_due = texts_at[max(fr_due_age, res_due_age) + future]
        else:
            sla_due = texts_at[res_due_age + future]
        subject, subject_folded = subjects[lang][int(rnd() * len(subjects[lang]))]
        texts = [subject_folded]
        msg_age = age
        last_age = age
        for m in range(threads[i]):
            if m % 2 == 0 or assignee is None:
                pool = customer_lines[lang]
                body, folded = pool[int(rnd() * len(pool))]
                add_message((ticket_id, "customer", None, False, body, texts_at[msg_age + future]))
            elif m == 3 and r < 0.3:
                body, folded = notes[int(rnd() * len(notes))]
                add_message((ticket_id, "agent", assignee, True, body, texts_at[msg_age + future]))
            else:
                pool = agent_lines[lang]
                body, folded = pool[int(rnd() * len(pool))]
                add_message((ticket_id, "agent", assignee, False, body, texts_at[msg_age + future]))
            texts.append(folded)
            last_age = msg_age
            msg_age = max(0, msg_age - 1 - int(rnd() * 240))
        updated_age = last_age
        for x in (first_response_age, solved_age, closed_age):
            if x is not None and x < updated_age:
                updated_age = x
        if r < 0.3:
            tag_rows.append((ticket_id, _TAGS[int(rnd() * n_tags)]))
        add_ticket(
            (
                ticket_id,
                subject,
                customer_id,
                channels[i],
                status.value,
                int(priority),
                categories[i],
                tiers[i],
                team_id,
                assignee,
                texts_at[age + future],
                texts_at[updated_age + future],
                None if first_response_age is None else texts_at[first_response_age + future],
                None if solved_age is None else texts_at[solved_age + future],
                None if closed_age is None else texts_at[closed_age + future],
                texts_at[fr_due_age + future],
                texts_at[res_due_age + future],
                sla_due,
                0,
                (1 + int(rnd() * 5) if not active and r > 0.7 else None),
                None,
                1,
                "\n".join(texts),
            )
        )
    return tickets, messages, tag_rows


_TICKET_COLUMNS = (
    "id",
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
    "updated_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "first_response_due",
    "resolution_due",
    "sla_due",
    "reopen_count",
    "csat_score",
    "csat_comment",
    "version",
    "search_text",
)
_MESSAGE_COLUMNS = ("ticket_id", "author_kind", "agent_id", "internal", "body", "created_at")
_TAG_COLUMNS = ("ticket_id", "tag")
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


class _SqliteWriter:
    """executemany in chunks.  A large load drops the secondary indexes of the tables it fills
    and builds them again at the end (also when interrupted): one sorted build is far cheaper
    than a million random index inserts."""

    REBUILD_INDEXES_FROM = 50_000

    def __init__(self, store: Store, count: int) -> None:
        self.raw = store.engine.raw_connection()
        self.connection: Any = self.raw.driver_connection
        self.connection.execute("PRAGMA cache_size = -262144")  # 256 MiB for index pages
        self.connection.execute("PRAGMA threads = 2")  # index builds sort on both cores
        # Every reference comes from rows read from this store a moment ago; checking each of
        # millions of foreign keys again would double the load time.
        self.connection.execute("PRAGMA foreign_keys = OFF")
        self.connection.execute("PRAGMA wal_autocheckpoint = 20000")
        self.dropped: list[str] = []
        if count >= self.REBUILD_INDEXES_FROM:
            rows = self.connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('ticket', 'message', 'ticket_tag')"
            ).fetchall()
            self.connection.execute("BEGIN IMMEDIATE")
            for name, sql in rows:
                self.connection.execute(f'DROP INDEX "{name}"')
                self.dropped.append(sql)
            self.connection.execute("COMMIT")

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ",".join("?" * len(columns))
        self.connection.executemany(
            f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", rows
        )

    def write(self, tickets: list[Any], messages: list[Any], tags: list[Any]) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self._insert("ticket", _TICKET_COLUMNS, tickets)
            self._insert("message", _MESSAGE_COLUMNS, messages)
            self._insert("ticket_tag", _TAG_COLUMNS, tags)
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise

    def finish(self, batch_id: str, count: int, at: str) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self._insert(
            "audit_event",
            _AUDIT_COLUMNS,
            [(None, None, "generate", None, None, f"{count} tickets", at, batch_id, None)],
        )
        self.connection.execute("COMMIT")

    def _rebuild_indexes(self) -> None:
        if not self.dropped:
            return
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        self.connection.execute("BEGIN IMMEDIATE")
        for sql in self.dropped:
            self.connection.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        self.connection.execute("COMMIT")
        self.dropped = []
        self.connection.execute("PRAGMA analysis_limit = 1000")
        self.connection.execute("ANALYZE")

    def close(self) -> None:
        try:
            self._rebuild_indexes()
        finally:
            self.connection.execute("PRAGMA foreign_keys = ON")
            self.raw.close()


class _PostgresWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.raw = store.engine.raw_connection()
        self.connection: Any = self.raw.driver_connection

    def _copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy,
        ):
            write: Callable[[tuple[Any, ...]], None] = copy.write_row
            for row in rows:
                write(row)

    def write(self, tickets: list[Any], messages: list[Any], tags: list[Any]) -> None:
        try:
            self._copy("ticket", _TICKET_COLUMNS, tickets)
            self._copy("message", _MESSAGE_COLUMNS, messages)
            self._copy("ticket_tag", _TAG_COLUMNS, tags)
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise

    def finish(self, batch_id: str, count: int, at: str) -> None:
        self._copy(
            "audit_event",
            _AUDIT_COLUMNS,
            [(None, None, "generate", None, None, f"{count} tickets", at, batch_id, None)],
        )
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                "COALESCE((SELECT MAX(id) FROM ticket), 0) + 1, false)"
            )
            cursor.execute("ANALYZE ticket")
        self.connection.commit()

    def close(self) -> None:
        self.raw.close()


__all__ = ["GenerateResult", "generate_tickets", "now_minute"]


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
