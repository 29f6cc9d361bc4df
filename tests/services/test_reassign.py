"""Bulk reassignment and undo, on SQLite and PostgreSQL."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import false, func, select, true, update

from csm_console.domain.query import Query, Sort, parse_query
from csm_console.domain.rights import Actor
from csm_console.errors import Conflict, PermissionDenied, UsageError
from csm_console.services import reassign, setup, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, AuditEvent, Ticket
from tests.conftest import Cli


@pytest.fixture
def desk(store: Store) -> Store:
    setup.load_sample(store)
    return store


def holders(store: Store, query: str) -> dict[int, str | None]:
    rows = ticket_reads.iter_tickets(
        store, actor=None, query=parse_query(query), sort=Sort.parse("id")
    )
    return {r.id: r.assignee for r in rows}


csm = Cli().on


def test_dry_run_changes_nothing_then_apply_then_rerun(desk: Store) -> None:
    before = holders(desk, "assignee:elina")
    assert before
    dry = csm(
        desk, "tickets", "reassign", "--query", "assignee:elina", "--to", "janis", agent="anna"
    )
    assert dry.exit_code == 0, dry.output
    assert f"dry run: {len(before)} tickets would go to janis" in dry.stderr
    assert holders(desk, "assignee:elina") == before
    applied = csm(
        desk,
        "tickets",
        "reassign",
        "--query",
        "assignee:elina",
        "--to",
        "janis",
        "--yes",
        agent="anna",
    )
    assert applied.exit_code == 0, applied.output
    batch = applied.stdout.strip()
    assert batch.startswith("reassign-")
    assert holders(desk, "assignee:elina") == {}
    assert set(holders(desk, "assignee:janis")) >= set(before)
    with desk.read() as session:
        events = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.batch_id == batch, AuditEvent.field == "assignee")
        ).scalar_one()
        versions = dict(
            list(
                session.execute(
                    select(Ticket.id, Ticket.version).where(Ticket.id.in_(list(before)))
                )
            )
        )
    assert events == len(before)
    again = csm(
        desk,
        "tickets",
        "reassign",
        "--query",
        "assignee:elina",
        "--to",
        "janis",
        "--yes",
        agent="anna",
    )
    assert again.exit_code == 0 and "nothing left to reassign" in again.stderr
    detail = ticket_reads.get_ticket(desk, ticket_id=next(iter(before)))
    assert detail.ticket.version == versions[detail.ticket.id]  # not applied twice


def test_refusals_change_nothing(desk: Store) -> None:
    before = holders(desk, "assignee:elina")
    cases = [
        ("demo", "janis", "may not make bulk changes; needs: lead or admin"),
        ("anna", "olga", "not in team Frontline"),
        ("svetlana", "olga", "outside team Frontline RU"),
        ("admin", "sergey", "works L2 and may not hold the L1 tickets"),
        ("admin", "elina", "inactive"),
    ]
    for actor, target, message in cases:
        result = csm(
            desk,
            "tickets",
            "reassign",
            "--query",
            "assignee:elina",
            "--to",
            target,
            "--yes",
            agent=actor,
        )
        assert result.exit_code in (2, 5), result.output
        assert message in result.stderr, (actor, target, result.stderr)
    too_many = csm(
        desk,
        "tickets",
        "reassign",
        "--query",
        "assignee:elina",
        "--to",
        "janis",
        "--max",
        "2",
        "--yes",
        agent="anna",
    )
    assert too_many.exit_code == 2 and "more than --max 2" in too_many.stderr
    assert holders(desk, "assignee:elina") == before


def _frontline_to_laura(desk: Store, monkeypatch: pytest.MonkeyPatch) -> tuple[Actor, Query, int]:
    """Chunks of 5, and the Frontline work not with laura (more than two chunks of it): the
    acting admin, the query and how many tickets it plans to move to laura."""
    monkeypatch.setattr(reassign, "CHUNK", 5)
    admin = resolve_actor(desk, "admin")
    query = parse_query("team:Frontline status:new,open,pending,on_hold -assignee:laura")
    total = reassign.plan(desk, actor=admin, query=query, to="laura").count
    assert total > 10
    return admin, query, total


def test_chunks_survive_a_crash_and_a_rerun_finishes(
    desk: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, query, total = _frontline_to_laura(desk, monkeypatch)

    def crash(chunks: int, changed: int) -> None:
        if chunks == 2:
            raise KeyboardInterrupt  # the job dies between two chunks

    with pytest.raises(KeyboardInterrupt):
        reassign.apply(desk, actor=admin, query=query, to="laura", after_chunk=crash)
    assert reassign.plan(desk, actor=admin, query=query, to="laura").count == total - 10
    finished = reassign.apply(desk, actor=admin, query=query, to="laura")
    assert finished.changed == total - 10
    assert reassign.plan(desk, actor=admin, query=query, to="laura").count == 0


def test_a_stale_edit_after_the_batch_is_a_conflict(desk: Store) -> None:
    anna = resolve_actor(desk, "anna")
    row = next(
        iter(
            ticket_reads.iter_tickets(
                desk, actor=None, query=parse_query("assignee:elina"), sort=Sort.parse("id")
            )
        )
    )
    reassign.apply(desk, actor=anna, query=parse_query("assignee:elina"), to="janis")
    with pytest.raises(Conflict, match="anna set assignee elina → janis"):
        tickets.add_note(
            desk, actor=anna, ticket_id=row.id, body="stale", expected_version=row.version
        )


def test_undo_reverts_what_nobody_touched_and_says_why_for_the_rest(desk: Store) -> None:
    anna = resolve_actor(desk, "anna")
    before = holders(desk, "assignee:elina")
    result = reassign.apply(desk, actor=anna, query=parse_query("assignee:elina"), to="janis")
    touched = sorted(before)[0]
    tickets.add_note(desk, actor=anna, ticket_id=touched, body="worked on it meanwhile")
    undone = csm(desk, "tickets", "undo", result.batch_id, agent="anna")
    assert undone.exit_code == 4, undone.output  # the rest is undone; the skip sets the code
    reverted = sorted(int(x) for x in undone.stdout.split())
    assert reverted == sorted(set(before) - {touched})
    assert f"#{touched} skipped: changed since the batch" in undone.stderr
    assert holders(desk, "assignee:elina") == dict.fromkeys(reverted, "elina")
    missing = csm(desk, "tickets", "undo", "reassign-nope", agent="anna")
    assert missing.exit_code == 3
    refused = csm(desk, "tickets", "undo", result.batch_id, agent="demo")
    assert refused.exit_code == 5


def test_service_refusals(desk: Store) -> None:
    demo = resolve_actor(desk, "demo")
    with pytest.raises(PermissionDenied):
        reassign.plan(desk, actor=demo, query=parse_query("assignee:elina"), to="janis")
    admin = resolve_actor(desk, "admin")
    with desk.write() as session:
        session.execute(update(Agent).where(Agent.handle == "janis").values(active=False))
    with pytest.raises(UsageError, match="inactive"):
        reassign.plan(desk, actor=admin, query=parse_query("assignee:elina"), to="janis")


def test_a_chunk_skips_tickets_changed_since_the_survey_and_audits_the_rest(
    desk: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reassign, "CHUNK", 5)
    admin = resolve_actor(desk, "admin")
    query = parse_query("team:Frontline status:new,open,pending,on_hold -assignee:laura")
    before = {
        r.id: (r.assignee, r.status, r.version)
        for r in ticket_reads.iter_tickets(desk, actor=None, query=query, sort=Sort.parse("id"))
    }
    assert len(before) > 10
    late = sorted(before)[-1]  # in the last chunk: it stops matching while the job runs

    def meanwhile(chunks: int, changed: int) -> None:
        if chunks == 1:
            with desk.write() as session:
                session.execute(
                    update(Ticket)
                    .where(Ticket.id == late)
                    .values(
                        assignee_id=select(Agent.id)
                        .where(Agent.handle == "laura")
                        .scalar_subquery()
                    )
                )

    result = reassign.apply(desk, actor=admin, query=query, to="laura", after_chunk=meanwhile)
    assert result.changed == len(before) - 1
    with desk.read() as session:
        events = list(
            session.execute(
                select(
                    AuditEvent.ticket_id,
                    AuditEvent.field,
                    AuditEvent.old_value,
                    AuditEvent.new_value,
                    AuditEvent.version,
                )
                .where(AuditEvent.batch_id == result.batch_id)
                .order_by(AuditEvent.ticket_id, AuditEvent.id)
            )
        )
        versions = dict(list(session.execute(select(Ticket.id, Ticket.version))))
    assert late not in {e.ticket_id for e in events}
    by_field = {(e.ticket_id, e.field): e for e in events}
    for ticket_id, (holder, status, version) in before.items():
        if ticket_id == late:
            continue
        moved = by_field[(ticket_id, "assignee")]
        assert (moved.old_value, moved.new_value) == (holder, "laura")
        assert moved.version == version + 1 == versions[ticket_id]
        opened = by_field.get((ticket_id, "status"))
        if status == "new":
            assert opened is not None and (opened.old_value, opened.new_value) == ("new", "open")
        else:
            assert opened is None
    assert reassign.plan(desk, actor=admin, query=query, to="laura").count == 0


def test_a_move_into_another_team_recounts_the_clocks_in_its_calendar(store: Store) -> None:
    """As one assignment would (`ticket_core.move_to_team`): the same ticket moved by
    `tickets assign` and by a bulk reassign ends with the same clocks, counted in the new
    team's office hours."""
    from datetime import UTC, datetime, timedelta

    from csm_console.domain.model import Priority, Status
    from csm_console.services import calendars
    from tests.conftest import build_desk

    desk = build_desk(store)
    office = "timezone: Europe/Riga\nmon-fri: 09:00-18:00\n"
    calendars.set_calendar(store, actor=desk.root, name="riga", definition=office)
    calendars.use_calendar(store, actor=desk.root, team="Frontline South", name="riga")
    created = datetime(2026, 3, 27, 14, 0, tzinfo=UTC)  # Friday 16:00 in Riga
    pairs: list[tuple[int, int]] = []
    for paused in (False, True):
        twins = []
        for tag in ("bulk", "single"):
            ticket_id = tickets.create_ticket(
                store,
                actor=desk.olga,
                customer_email="liga@example.lv",
                subject="Router",
                body="no internet",
                priority=Priority.NORMAL,
                team="Frontline",
                tags=[tag],
                now=created,
            ).id
            if paused:  # a pause in Frontline's wall time: recounted in Riga's hours
                tickets.reply(
                    store,
                    actor=desk.olga,
                    ticket_id=ticket_id,
                    body="Please restart it",
                    status=Status.PENDING,
                    now=created + timedelta(hours=1),
                )
                tickets.change_status(
                    store,
                    actor=desk.olga,
                    ticket_id=ticket_id,
                    status=Status.OPEN,
                    now=datetime(2026, 3, 30, 7, 0, tzinfo=UTC),  # Monday 10:00 in Riga
                )
            twins.append(ticket_id)
        pairs.append((twins[0], twins[1]))
    for _, single in pairs:
        tickets.assign_ticket(store, actor=desk.root, ticket_id=single, to="rita")
    result = reassign.apply(store, actor=desk.root, query=parse_query("tag:bulk"), to="rita")
    assert result.changed == 2

    def clocks(ticket_id: int) -> tuple[object, ...]:
        with store.read() as session:
            t = session.get(Ticket, ticket_id)
            assert t is not None
            return (
                t.team_id,
                t.paused_seconds,
                t.first_response_due,
                t.resolution_due,
                t.sla_due,
                t.first_response_seconds,
                t.resolution_seconds,
            )

    plain, paused_pair = pairs
    # 4 working hours from Friday 16:00 EET: Friday 16-18, then Monday 09-11 EEST (08:00 UTC)
    assert clocks(plain[0])[2] == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert clocks(paused_pair[0])[1] == 2 * 3600  # Fri 17-18 and Mon 09-10 in Riga's hours
    for bulk, single in pairs:
        assert clocks(bulk) == clocks(single)
    assert reassign.undo(store, actor=desk.root, batch_id=result.batch_id).reverted


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_one_statement_chunks_write_what_the_statement_by_statement_road_writes(
    desk: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a chunk is one statement (`store.bulk_moves`); the road that reads the
    tickets first (`_move_rows`, kept for clocks recounted in another calendar) must leave the
    same tickets and the same audit rows: the same batch moved each way, undone in between."""
    monkeypatch.setattr(reassign, "CHUNK", 7)
    admin = resolve_actor(desk, "admin")
    query = parse_query("team:Frontline tier:L1 status:new,open,pending,on_hold")

    def state() -> dict[int, Any]:
        with desk.read() as session:
            rows = session.execute(select(Ticket.id, Ticket.assignee_id, Ticket.team_id,
                                          Ticket.status, Ticket.version))  # fmt: skip
            return {r.id: tuple(r[1:]) for r in rows}

    order = {"assignee": 1, "team": 2, "status": 3}

    def moved(before: dict[int, Any], batch: str) -> tuple[list[Any], dict[int, Any]]:
        """The batch's audit rows (each ticket's in the order of its changes) and the tickets
        it changed, with versions counted from before the batch."""
        after = state()
        with desk.read() as session:
            events = session.execute(
                select(AuditEvent.ticket_id, AuditEvent.actor_id, AuditEvent.action,
                       AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value,
                       AuditEvent.version, AuditEvent.id)
                .where(AuditEvent.batch_id == batch)
            ).all()  # fmt: skip
        ids = {(e.ticket_id, e.field): e.id for e in events}
        for ticket_id in {e.ticket_id for e in events}:  # a ticket's changes in their order
            mine = sorted((ids[k], order[k[1]]) for k in ids if k[0] == ticket_id)
            assert [rank for _, rank in mine] == sorted(rank for _, rank in mine)
        rows = sorted(
            (*e[:6], e.version - before[e.ticket_id][3])
            for e in sorted(events, key=lambda e: (e.ticket_id, order[e.field]))
        )
        changed = {
            i: (*after[i][:3], after[i][3] - v[3]) for i, v in before.items() if after[i] != v
        }
        return rows, changed

    in_one: list[int] = []
    one_statement = reassign.bulk_moves.move_chunk_postgres

    def spy(*args: Any, **kwargs: Any) -> tuple[int, int]:
        moved, left = one_statement(*args, **kwargs)
        in_one.append(moved)
        return moved, left

    monkeypatch.setattr(reassign.bulk_moves, "move_chunk_postgres", spy)
    before = state()
    one = reassign.apply(desk, actor=admin, query=query, to="olga")
    assert sum(in_one) == one.changed  # each ticket moved by the one statement
    by_statement = moved(before, one.batch_id)
    assert reassign.undo(desk, actor=admin, batch_id=one.batch_id).reverted
    again = state()
    # every ticket to the road that reads the tickets first, as if each changed calendar
    monkeypatch.setattr(reassign, "_calendars", lambda *_: ([false()], [true()]))
    two = reassign.apply(desk, actor=admin, query=query, to="olga")
    assert two.changed == one.changed > 10 and sum(in_one) == one.changed
    by_rows = moved(again, two.batch_id)
    assert by_statement == by_rows
    assert {e[3] for e in by_statement[0]} == {"assignee", "team", "status"}


@pytest.mark.parametrize("who", ["actor", "target"])
def test_an_agent_made_inactive_during_the_job_stops_it_at_the_next_chunk(
    desk: Store, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    admin, query, total = _frontline_to_laura(desk, monkeypatch)
    handle = "admin" if who == "actor" else "laura"

    def deactivate(chunks: int, changed: int) -> None:
        if chunks == 1:
            with desk.write() as session:
                session.execute(update(Agent).where(Agent.handle == handle).values(active=False))

    error = PermissionDenied if who == "actor" else UsageError
    with pytest.raises(error, match="inactive"):
        reassign.apply(desk, actor=admin, query=query, to="laura", after_chunk=deactivate)
    with desk.write() as session:
        session.execute(update(Agent).where(Agent.handle == handle).values(active=True))
    assert reassign.plan(desk, actor=admin, query=query, to="laura").count == total - 5


def test_the_chunks_grow_after_the_first_two_while_they_are_quick(
    desk: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first two chunks take `CHUNK` tickets, then each takes twice as many as the one
    before, up to `CHUNK_MAX` times `CHUNK`, while a chunk takes under half the budget (a
    generous one here, so the growth does not depend on the machine's speed)."""
    admin, query, total = _frontline_to_laura(desk, monkeypatch)  # chunks of 5
    monkeypatch.setattr(reassign, "CHUNK_MAX", 4)
    monkeypatch.setattr(reassign, "CHUNK_BUDGET", 3600.0)
    done: list[int] = [0]
    reassign.apply(
        desk, actor=admin, query=query, to="laura", after_chunk=lambda _c, n: done.append(n)
    )
    sizes = [b - a for a, b in pairwise(done)]
    assert sum(sizes) == total > 20
    expected = [5, 5, 10, 20, *[20] * len(sizes)]
    assert sizes[:-1] == expected[: len(sizes) - 1]
    assert 0 < sizes[-1] <= expected[len(sizes) - 1]


def test_the_pace_halves_a_chunk_that_took_longer_than_the_budget() -> None:
    pace = reassign._Pace(grows=True)
    sizes = []
    for seconds in (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.2, 0.3, 0.3, 0.3, 0.01):
        pace.took(seconds)
        sizes.append(pace.size // reassign.CHUNK)
    # the first chunk only warms up; then doubling up to CHUNK_MAX, holding within the budget,
    # halving past it (never below CHUNK), and doubling again
    assert sizes == [1, 2, 4, 8, 8, 8, 8, 4, 2, 1, 2]
    fixed = reassign._Pace(grows=False)
    for _ in range(3):
        fixed.took(0.01)
    assert fixed.size == reassign.CHUNK
