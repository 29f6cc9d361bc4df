"""Synthetic load: `csm dev generate --tickets N`.

The tickets follow a realistic shape: most are solved or closed, a backlog is open (some of it
breaching), and they spread over every team, tier, agent, channel and priority, each with a
thread of 1–6 messages; about 30% carry a tag.  Timestamps are whole minutes.

How it is fast (on two cores, a million tickets with 2.3 million messages took about 13 s on
SQLite and 20 s on PostgreSQL; with the next contacts stamped, 30 s on SQLite in all):

* Tickets are made in chunks of `CHUNK`.  Chunk k is a pure function of (seed, k), drawn from its
  own random stream, so the same seed gives the same data however many processes build it.
* From two chunks up, forked worker processes build the chunks, each in the form the store
  takes, so that the main process does (almost) no per-row Python work.  For SQLite a chunk is
  the image of a small in-memory SQLite database (`sqlite3` `serialize()`), which the main
  process attaches and copies with one `INSERT … SELECT` per table; for PostgreSQL it is the
  text of a COPY per table.
* A thread travels as one string of (line code, timestamp) pairs, which SQLite expands into
  message rows in the `INSERT … SELECT` (see `store.bulk_load.SqliteWriter`), rather than as
  six bound values per message.  The writers, in each dialect's SQL, are `store.bulk_load`.
* A bulk SQLite load leaves WAL for a rollback journal while it runs (the data is written once
  instead of to the log and again by the checkpoint), drops the secondary indexes of the tables
  it fills and builds them at the end with SQLite's multi-threaded sorter.  The indexes and WAL
  come back at the end, also when the load fails or is interrupted.  A bulk PostgreSQL load
  drops and rebuilds its secondary indexes too, and skips foreign-key triggers where allowed.
* Each ticket's public agent replies are counted as its thread is made; the next contacts of
  solved tickets (services.repeat_contacts) are stamped by one statement at the end, between
  the index builds on SQLite (which joins through the customer index) and before them on
  PostgreSQL (which hashes).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import col

from csm_console.domain.model import Priority, Role, Status, Tier
from csm_console.domain.sla import SlaTargets, choose_targets
from csm_console.domain.text import fold
from csm_console.services import repeat_contacts, report_summary
from csm_console.services.clock import utcnow
from csm_console.services.progress import Progress, no_progress
from csm_console.services.setup import sync_sequences
from csm_console.services.ticket_core import policy_rules
from csm_console.store.bulk_load import (
    CODE_WIDTH,
    ChunkRows,
    Payload,
    insert_customers,
    open_writer,
    postgres_payload,
    sqlite_payload,
    sqlite_schema,
    timestamp_text,
)
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, Team, Ticket
from csm_console.store.ticket_query import SENTINEL

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

CHUNK = 25_000
HISTORY_DAYS = 365
BACKLOG_DAYS = 14
# Below this, generating in this process beats starting worker processes.
PARALLEL_FROM = 2 * CHUNK
MAX_WORKERS = 4
# A load this large drops the secondary indexes of the tables it fills and builds them again
# at the end: one sorted build is far cheaper than a million random index inserts.  Not when
# the store already holds many times more tickets than the load adds: rebuilding indexes over
# them would cost more (1M tickets + 100k: 8.4 s rebuilt, 5.2 s live; + 300k: 9.3 s and 14.7 s).
REBUILD_INDEXES_FROM = 50_000

_T = TypeVar("_T")


def _slots(weights: dict[_T, int]) -> tuple[_T, ...]:
    """A weighted choice as a table of 100 slots: `table[int(rnd() * 100)]` is an exact draw and
    much cheaper than `random.choices` for one item at a time."""
    table = tuple(value for value, weight in weights.items() for _ in range(weight))
    assert len(table) == 100, weights
    return table


# status, whether it is active (clocks run), whether it is new (unanswered), whether closed
_STATUS_SLOTS = _slots(
    {
        (Status.CLOSED.value, False, False, True): 38,
        (Status.SOLVED.value, False, False, False): 42,
        (Status.OPEN.value, True, False, False): 8,
        (Status.PENDING.value, True, False, False): 5,
        (Status.NEW.value, True, True, False): 4,
        (Status.ON_HOLD.value, True, False, False): 3,
    }
)
_PRIORITY_SLOTS = _slots(
    {
        int(Priority.LOW): 20,
        int(Priority.NORMAL): 55,
        int(Priority.HIGH): 18,
        int(Priority.URGENT): 7,
    }
)
_CHANNEL_SLOTS = _slots({"email": 45, "chat": 25, "web": 18, "phone": 12})
_TIER_SLOTS = _slots({Tier.L1.value: 80, Tier.L2.value: 15, Tier.L3.value: 5})
_THREAD_SLOTS = _slots({1: 35, 2: 32, 3: 16, 4: 9, 5: 5, 6: 3})
_SEGMENT_SLOTS = _slots({"standard": 85, "business": 10, "vip": 5})
_SEGMENTS = ("standard", "business", "vip")
_CHANNELS = ("email", "chat", "web", "phone")
_LANGUAGES = ("en", "ru", "lv")
_CATEGORIES = (
    "billing",
    "connectivity",
    "account",
    "hardware",
    "tv",
    "mobile",
    "cancellation",
    "other",
)
_TAGS = (
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
)

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


@dataclass(frozen=True)
class _Team:
    id: int
    agents: tuple[int, ...]  # active agents
    # (first response, resolution) target minutes by [segment index][priority]
    minutes: tuple[dict[int, tuple[int, int]], ...]


@dataclass(frozen=True)
class _Plan:
    """Everything a chunk depends on.  Picklable: a worker process receives it once."""

    seed: int
    count: int
    first_id: int
    postgres: bool
    now: datetime
    future: int  # minutes after now that deadlines can reach
    teams_by_tier: dict[str, tuple[_Team, ...]]
    customers: tuple[tuple[int, int, int], ...]  # id, language index, segment index
    # SQLite: the CREATE TABLE statements of the filled tables, for the chunk databases
    schema: tuple[str, ...]

    @property
    def chunks(self) -> int:
        return -(-self.count // CHUNK)


class _WorkerFailed(Exception):
    pass


def generate_tickets(
    store: Store,
    *,
    count: int,
    seed: int = 1,
    now: datetime | None = None,
    progress: Progress = no_progress,
) -> GenerateResult:
    """Add `count` synthetic tickets; `progress` hears of each chunk written, then of the
    indexes being rebuilt."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    if now.tzinfo is None:  # as the store reads a naive moment: UTC
        now = now.replace(tzinfo=UTC)
    batch_id = f"generate-{uuid.uuid4()}"
    teams, agents, customers = _ensure_people(store, random.Random(seed), count)
    with store.read() as session:
        rules = policy_rules(session)
        last = session.execute(select(func.coalesce(func.max(Ticket.id), 0))).scalar_one()
    first_id = int(last) + 1
    by_tier: dict[str, list[_Team]] = {}
    longest = 0
    for team_id, name, tier in teams:
        minutes = tuple(
            {
                int(p): _target_minutes(choose_targets(rules, priority=p, team=name, segment=s))
                for p in Priority
            }
            for s in _SEGMENTS
        )
        longest = max([longest] + [res for m in minutes for _, res in m.values()])
        by_tier.setdefault(tier, []).append(_Team(team_id, agents.get(team_id, ()), minutes))
    for tier in Tier:  # a store without a team for some tier: that tier's tickets go elsewhere
        by_tier.setdefault(tier.value, by_tier[sorted(by_tier)[0]])
    plan = _Plan(
        seed=seed,
        count=count,
        first_id=first_id,
        postgres=store.is_postgres,
        now=now,
        future=longest + 10,
        teams_by_tier={t: tuple(v) for t, v in by_tier.items()},
        customers=customers,
        schema=sqlite_schema(store) if store.is_sqlite else (),
    )
    tickets = messages = tags = 0
    with _Producer(plan, _worker_count(plan)) as chunks:
        bulk = count >= max(REBUILD_INDEXES_FROM, (first_id - 1) // 5)
        writer = open_writer(store, bulk=bulk, stamp=_stamp_sql(store, first_id))
        try:
            for payload in chunks:
                writer.write(payload)
                tickets += payload.tickets
                messages += payload.messages
                tags += payload.tags
                progress("generating", tickets, count)
            progress("finishing (indexes, counters)", 0, None)
            writer.finish(batch_id, count, timestamp_text(now, postgres=store.is_postgres))
        except BaseException:
            chunks.stop()  # before the indexes are rebuilt: no more chunks are wanted
            raise
        finally:
            with _interrupts_held():  # a second Ctrl-C must not leave the store half restored
                writer.close()
    # the load fired no trigger on PostgreSQL (a replica session): the report's summary anew
    progress("summing up the report's days", 0, None)
    report_summary.rebuild(store)
    assert tickets == count
    return GenerateResult(count, messages, tags, first_id, first_id + count - 1, batch_id)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C until the block has run (in the main thread; elsewhere it cannot arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt


def _target_minutes(targets: SlaTargets) -> tuple[int, int]:
    return (
        int(targets.first_response.total_seconds() // 60),
        int(targets.resolution.total_seconds() // 60),
    )


def _ensure_people(
    store: Store, rng: random.Random, count: int
) -> tuple[
    list[tuple[int, str, str]], dict[int, tuple[int, ...]], tuple[tuple[int, int, int], ...]
]:
    """Use the store's teams and agents (creating a minimal set if it has none) and enough
    synthetic customers for the volume.  Returns the teams (id, name, tier), the active agents
    by team, and the customers (id, language index, segment index)."""
    team_query = select(col(Team.id), col(Team.name), col(Team.tier))
    agent_query = select(col(Agent.id), col(Agent.team_id), col(Agent.active))
    with store.write() as session:
        teams = list(session.execute(team_query))
        if not teams:
            for name, tier in (("Frontline", "L1"), ("Technical", "L2"), ("Experts", "L3")):
                session.add(Team(name=name, tier=tier))
            session.flush()
            teams = list(session.execute(team_query))
        agents = list(session.execute(agent_query))
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
            agents = list(session.execute(agent_query))
        have = int(session.execute(select(func.count()).select_from(Customer)).scalar_one())
        # one customer per 20 tickets at any size (capped at 200,000, 10M tickets gave each 50)
        want = max(100, count // 20)
        if have < want:
            start = int(
                session.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()
            )
            rows = []
            for n in range(start + 1, start + 1 + want - have):
                name = f"Customer {n}"
                email = f"customer{n}@synthetic.example"
                rows.append(
                    (
                        n,
                        name,
                        email,
                        _LANGUAGES[int(rng.random() * 3)],
                        _CHANNELS[int(rng.random() * 4)],
                        _SEGMENT_SLOTS[int(rng.random() * 100)],
                        fold(f"{name} {email}"),
                    )
                )
            insert_customers(session, store, rows)
        language = {name: i for i, name in enumerate(_LANGUAGES)}
        segment = {name: i for i, name in enumerate(_SEGMENTS)}
        customers = tuple(
            (cid, language.get(lang, 0), segment.get(seg, 0))
            for cid, lang, seg in session.execute(
                select(col(Customer.id), col(Customer.language), col(Customer.segment)).order_by(
                    col(Customer.id)
                )
            )
        )
        sync_sequences(session, store)
    by_team: dict[int, list[int]] = {}
    for agent_id, team_id, active in agents:
        if active and team_id is not None:
            by_team.setdefault(team_id, []).append(agent_id)
    team_rows = [(int(t[0]), str(t[1]), str(t[2])) for t in teams]
    return team_rows, {t: tuple(a) for t, a in by_team.items()}, customers


# --- making chunks ----------------------------------------------------------------------------


class _Clock:
    """Whole-minute timestamps as the text the store takes, for moments given as "ages":
    minutes before now (negative for deadlines still ahead).

    A moment's text joins its day's text and its time of day's text (`at` in `_make_chunk`),
    from two small tables that stay in the CPU cache.  (A table of all 530,000 minutes of the
    year is no faster to index, and its strings, scattered over 40 MB, make every later read of
    them a cache miss.)
    """

    def __init__(self, plan: _Plan) -> None:
        now = plan.now.astimezone(UTC)
        first_day = (now - timedelta(minutes=HISTORY_DAYS * 1440 + 10)).date()
        last_day = (now + timedelta(minutes=plan.future)).date()
        suffix = "+00" if plan.postgres else ""
        self.days = [
            f"{first_day + timedelta(days=d)} " for d in range((last_day - first_day).days + 1)
        ]
        self.times = [f"{h:02d}:{m:02d}:00.000000{suffix}" for h in range(24) for m in range(60)]
        self.now = (now.date() - first_day).days * 1440 + now.hour * 60 + now.minute
        self.width = len(self.days[0] + self.times[0])


# Every line a thread can hold: (author kind, internal, body).  A chunk carries its threads as
# strings of (line code, timestamp) pairs, which the store expands into message rows (see
# `store.bulk_load`): far cheaper than binding six values for each of 2.3 million messages.
_LINES = (
    *[("customer", 0, line) for lang in _LANGUAGES for line in _CUSTOMER_LINES[lang]],
    *[("agent", 0, line) for lang in _LANGUAGES for line in _AGENT_LINES[lang]],
    *[("agent", 1, note) for note in _NOTES],
)
assert len(_LINES) <= 10**CODE_WIDTH


def _coded(kind: str, internal: int, pool: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(line code, newline + folded line: its addition to the search text) for each line."""
    return tuple(
        (f"{_LINES.index((kind, internal, line)):0{CODE_WIDTH}d}", "\n" + fold(line))
        for line in pool
    )


# By language index: (subject, folded subject), then the customer's and the agent's lines.
_LANGUAGE_TEXTS = tuple(
    (
        tuple((s, fold(s)) for s in _SUBJECTS[lang]),
        _coded("customer", 0, _CUSTOMER_LINES[lang]),
        _coded("agent", 0, _AGENT_LINES[lang]),
    )
    for lang in _LANGUAGES
)
_CODED_NOTES = _coded("agent", 1, _NOTES)


def _make_chunk(plan: _Plan, chunk: int, clock: _Clock) -> ChunkRows:
    """The rows of chunk `chunk`: a pure function of the plan and the chunk number."""
    rng = random.Random(f"csm-generate:{plan.seed}:{chunk}")
    rnd = rng.random
    first = plan.first_id + chunk * CHUNK
    size = min(CHUNK, plan.first_id + plan.count - first)
    days, times, now_minute = clock.days, clock.times, clock.now

    def at(age: int) -> str:
        """The text of the moment `age` minutes before now."""
        minute = now_minute - age
        return days[minute // 1440] + times[minute % 1440]

    sentinel = timestamp_text(SENTINEL, postgres=plan.postgres)
    history = HISTORY_DAYS * 1440
    backlog = BACKLOG_DAYS * 1440
    customers = plan.customers
    n_customers = len(customers)
    teams_by_tier = plan.teams_by_tier
    notes = _CODED_NOTES
    tickets: list[tuple[Any, ...]] = []
    threads: list[tuple[int, int, str]] = []
    tags: list[tuple[int, str]] = []
    messages = 0
    for ticket_id in range(first, first + size):
        status, active, new, closed = _STATUS_SLOTS[int(rnd() * 100)]
        priority = _PRIORITY_SLOTS[int(rnd() * 100)]
        tier = _TIER_SLOTS[int(rnd() * 100)]
        customer_id, lang, segment = customers[int(rnd() * n_customers)]
        subjects, customer_lines, agent_lines = _LANGUAGE_TEXTS[lang]
        teams = teams_by_tier[tier]
        team = teams[int(rnd() * len(teams))]
        agents = team.agents
        fr_minutes, res_minutes = team.minutes[segment][priority]
        r = rnd()
        # ages (minutes before now) skew recent: the backlog is days old, history spreads over a
        # year; every other moment of the ticket is counted back from its age
        age = int(r * r * (backlog if active else history)) + 5
        assignee = agents[int(rnd() * len(agents))] if agents and not new else 0
        replied = not new and (not active or r > 0.1)
        first_response_age = (
            max(0, age - 1 - int(rnd() * min(age, fr_minutes * 2))) if replied else None
        )
        solved_age = closed_age = None
        if not active:
            solved_age = max(0, (first_response_age or age) - 1 - int(rnd() * res_minutes))
            if closed:
                closed_age = max(0, solved_age - 1 - int(rnd() * 4320))
        fr_due_age = age - fr_minutes
        res_due_age = age - res_minutes
        # an answered ticket waiting for the customer: its resolution clock is paused
        paused = status == "pending" and first_response_age is not None
        if not active or paused:
            sla_due = sentinel
        elif first_response_age is None:
            # the earlier of the two deadlines lies more minutes before now
            sla_due = at(max(fr_due_age, res_due_age))
        else:
            sla_due = at(res_due_age)
        subject, search_text = subjects[int(rnd() * len(subjects))]
        thread = ""
        msg_age = last_age = age
        # the customer writes first and every other time; the assignee answers (the fourth
        # message of some threads is an internal note instead)
        length = _THREAD_SLOTS[int(rnd() * 100)]
        messages += length
        replies = 0
        for m in range(length):
            if m % 2 == 0 or not assignee:
                code, searched = customer_lines[int(rnd() * len(customer_lines))]
            elif m == 3 and r < 0.3:
                code, searched = notes[int(rnd() * len(notes))]
            else:
                code, searched = agent_lines[int(rnd() * len(agent_lines))]
                replies += 1
            thread += code + at(msg_age)
            search_text += searched
            last_age = msg_age
            msg_age = max(0, msg_age - 1 - int(rnd() * 240))
        threads.append((ticket_id, assignee, thread))
        updated_age = last_age
        for x in (first_response_age, solved_age, closed_age):
            if x is not None and x < updated_age:
                updated_age = x
        if r < 0.3:
            tags.append((ticket_id, _TAGS[int(rnd() * len(_TAGS))]))
        tickets.append(
            (
                ticket_id,
                subject,
                customer_id,
                _CHANNEL_SLOTS[int(rnd() * 100)],
                status,
                priority,
                _CATEGORIES[int(rnd() * len(_CATEGORIES))],
                tier,
                team.id,
                assignee,
                at(age),
                at(updated_age),
                "" if first_response_age is None else at(first_response_age),
                "" if solved_age is None else at(solved_age),
                "" if closed_age is None else at(closed_age),
                at(fr_due_age),
                at(res_due_age),
                sla_due,
                (1 + int(rnd() * 5) if not active and r > 0.7 else 0),
                at(updated_age) if paused else "",
                search_text,
                replies,
            )
        )
    return ChunkRows(tickets, threads, tags, messages, CODE_WIDTH + clock.width)


def _build_payload(plan: _Plan, chunk: int, clock: _Clock) -> Payload:
    rows = _make_chunk(plan, chunk, clock)
    data = (
        postgres_payload(rows, _LINES)
        if plan.postgres
        else sqlite_payload(plan.schema, rows, _LINES, max(_THREAD_SLOTS))
    )
    return Payload(len(rows.tickets), rows.messages, len(rows.tags), data)


# --- producing chunks, here or in worker processes --------------------------------------------


def _worker_count(plan: _Plan) -> int:
    """How many worker processes build chunks: none for a small load, on a single core, or
    where a worker cannot be forked safely (see `_can_fork`)."""
    if plan.count < PARALLEL_FROM or not _can_fork():
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(MAX_WORKERS, cpus, plan.chunks)


def _can_fork() -> bool:
    """Workers are forked: they start at once, with the plan already in memory, and without
    importing the caller's `__main__` again as `spawn` would.  Forking is unsafe while other
    threads run (one may hold a lock the child then waits for forever) and on macOS (system
    libraries); there the chunks are built in this process instead."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and sys.platform != "darwin"
        and threading.active_count() == 1
    )


class _Producer:
    """The chunk payloads in order.  With `workers` > 0, worker processes build them: chunk k
    goes to worker k mod `workers`, and each worker keeps `AHEAD` chunks in hand, so the main
    process finds the next chunk ready while memory stays bounded.  The workers start on their
    first chunks at once, while the main process prepares the store."""

    AHEAD = 2

    def __init__(self, plan: _Plan, workers: int) -> None:
        self.plan = plan
        self.processes: list[Any] = []
        self.pipes: list[Connection] = []
        self.sent = 0
        if workers:
            context = multiprocessing.get_context("fork")
            for n in range(workers):
                parent, child = context.Pipe()
                process = context.Process(
                    target=_worker_main, args=(child, plan), name=f"csm-generate-{n}", daemon=True
                )
                process.start()
                child.close()
                self.processes.append(process)
                self.pipes.append(parent)
            while self.sent < min(plan.chunks, workers * self.AHEAD):
                self._send_next()

    def __enter__(self) -> _Producer:
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        self.stop(graceful=error is None)

    def stop(self, *, graceful: bool = False) -> None:
        """End the workers: after a failure one may sit on a chunk nobody will read, so unless
        all went well they are stopped outright."""
        for pipe in self.pipes:
            if graceful:
                pipe.send(None)
            pipe.close()
        for process in self.processes:
            if graceful:
                process.join(timeout=10)
            if process.is_alive():
                process.terminate()
            process.join()
        self.pipes, self.processes = [], []

    def __iter__(self) -> Iterator[Payload]:
        return self._parallel() if self.pipes else self._local()

    def _send_next(self) -> None:
        self.pipes[self.sent % len(self.pipes)].send(self.sent)
        self.sent += 1

    def _local(self) -> Iterator[Payload]:
        clock = _Clock(self.plan)
        for chunk in range(self.plan.chunks):
            yield _build_payload(self.plan, chunk, clock)

    def _parallel(self) -> Iterator[Payload]:
        for chunk in range(self.plan.chunks):
            try:
                reply = self.pipes[chunk % len(self.pipes)].recv()
            except (EOFError, OSError):
                raise _WorkerFailed("a generator process ended unexpectedly") from None
            if isinstance(reply, str):
                raise _WorkerFailed(f"a generator process failed:\n{reply}")
            if self.sent < self.plan.chunks:
                self._send_next()
            yield reply


def _worker_main(pipe: Connection, plan: _Plan) -> None:
    # Ctrl-C reaches the whole process group; the main process decides what happens.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Nothing inherited from the main process becomes garbage here: keep the collector off it
    # (and off the pages it would otherwise copy on write).
    gc.freeze()
    try:
        clock = _Clock(plan)
        while (chunk := pipe.recv()) is not None:
            pipe.send(_build_payload(plan, chunk, clock))
    except (EOFError, BrokenPipeError):  # the main process is gone
        pass
    except BaseException:
        pipe.send(traceback.format_exc())


# --- writing ----------------------------------------------------------------------------------


def _stamp_sql(store: Store, first_id: int) -> str:
    """The statement that stamps the next contacts of solved tickets (services.repeat_contacts)
    in the store's dialect, its one parameter written in."""
    # PostgreSQL runs it before the indexes are rebuilt, so it joins by hashing (at 10M
    # tickets IS NOT DISTINCT FROM paired an estimated 414 million tickets)
    statement = repeat_contacts.stamp_all_statement(first_id, hashable=store.is_postgres)
    return str(
        statement.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True})
    )


__all__ = ["GenerateResult", "generate_tickets", "now_minute"]


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
