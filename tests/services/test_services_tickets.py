"""Ticket use cases on real stores (SQLite file in WAL mode, and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from csm_console.domain.model import Channel, Priority, Status, Tier
from csm_console.domain.query import Sort, parse_query
from csm_console.errors import Conflict, NotFound, PermissionDenied, QueueEmpty, UsageError
from csm_console.services import ticket_reads
from csm_console.services import tickets as svc
from csm_console.store.models import AuditEvent, Customer
from tests.conftest import NOW, Desk


def new_ticket(
    desk: Desk,
    subject: str = "Router is down",
    *,
    priority: Priority = Priority.NORMAL,
    email: str = "liga@example.lv",
    minutes_ago: int = 0,
    **kwargs: object,
):
    return svc.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email=email,
        subject=subject,
        body=kwargs.pop("body", "It blinks red since morning."),  # type: ignore[arg-type]
        priority=priority,
        now=NOW - timedelta(minutes=minutes_ago),
        **kwargs,  # type: ignore[arg-type]
    )


def audit(desk: Desk, ticket_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    with desk.store.read() as session:
        return [
            (e.action, e.field, e.old_value, e.new_value)
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
            ).scalars()
        ]


def test_create_sets_due_times_from_policy_and_creates_customer(desk: Desk) -> None:
    row = new_ticket(
        desk,
        priority=Priority.HIGH,
        customer_name="Līga Bērziņa",
        tags=["Billing", "vip callback"],
        channel=Channel.CHAT,
    )
    assert row.status is Status.NEW and row.version == 1
    assert row.first_response_due == NOW + timedelta(minutes=60)
    assert row.resolution_due == NOW + timedelta(minutes=480)
    assert row.sla_due == row.first_response_due
    assert row.team == "Frontline" and row.tier is Tier.L1 and row.assignee is None
    assert row.tags == ("billing", "vip-callback")
    assert row.customer == "Līga Bērziņa"
    with desk.store.read() as session:
        customer = session.execute(select(Customer)).scalar_one()
        assert customer.language == "en"
    assert audit(desk, row.id) == [("create", None, None, None)]


def test_vip_segment_gets_its_own_targets(desk: Desk) -> None:
    with desk.store.write() as session:
        session.add(
            Customer(
                name="Big Co",
                email="ceo@big.example",
                language="lv",
                preferred_channel="phone",
                segment="vip",
                lookup="big co",
            )
        )
    row = new_ticket(desk, email="ceo@big.example")
    assert row.first_response_due == NOW + timedelta(minutes=60)


def test_create_refuses_bad_input_and_keeps_nothing(desk: Desk) -> None:
    with pytest.raises(UsageError, match="e-mail"):
        new_ticket(desk, email="not-an-email")
    with pytest.raises(UsageError, match="subject is empty"):
        new_ticket(desk, subject="   ")
    with pytest.raises(UsageError, match="body is empty"):
        new_ticket(desk, body=" \n ")
    with desk.store.read() as session:
        assert session.execute(select(Customer)).first() is None


def test_operator_takes_and_releases_but_cannot_give_away(desk: Desk) -> None:
    row = new_ticket(desk)
    taken = svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=row.id, to="olga", now=NOW)
    assert taken.assignee == "olga" and taken.status is Status.OPEN and taken.version == 2
    with pytest.raises(PermissionDenied, match="needs: lead of team Frontline or admin"):
        svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=row.id, to="ivan")
    with pytest.raises(PermissionDenied, match="assigned to olga"):
        svc.assign_ticket(desk.store, actor=desk.ivan, ticket_id=row.id, to="ivan")
    released = svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=row.id, to=None)
    assert released.assignee is None and released.status is Status.OPEN
    assert ("assign", "assignee", "olga", None) in audit(desk, row.id)


def test_lead_assigns_within_team_only(desk: Desk) -> None:
    row = new_ticket(desk)
    assert (
        svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=row.id, to="ivan").assignee
        == "ivan"
    )
    with pytest.raises(PermissionDenied, match="outside team Frontline"):
        svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=row.id, to="rita")
    moved = svc.assign_ticket(desk.store, actor=desk.root, ticket_id=row.id, to="rita")
    assert moved.assignee == "rita" and moved.team == "Frontline South"
    with pytest.raises(PermissionDenied, match="team Frontline South"):
        svc.assign_ticket(desk.store, actor=desk.anna, ticket_id=row.id, to="olga")


def test_assignment_refuses_inactive_or_wrong_tier_targets(desk: Desk) -> None:
    row = new_ticket(desk)
    with pytest.raises(UsageError, match="inactive"):
        svc.assign_ticket(desk.store, actor=desk.root, ticket_id=row.id, to="gone")
    with pytest.raises(UsageError, match="works L2"):
        svc.assign_ticket(desk.store, actor=desk.root, ticket_id=row.id, to="petr")
    with pytest.raises(NotFound):
        svc.assign_ticket(desk.store, actor=desk.root, ticket_id=row.id, to="nobody")
    with pytest.raises(NotFound, match="#999"):
        svc.assign_ticket(desk.store, actor=desk.root, ticket_id=999, to="olga")
    with pytest.raises(PermissionDenied, match="inactive"):
        svc.assign_ticket(desk.store, actor=desk.gone, ticket_id=row.id, to="gone")


def test_take_next_claims_most_urgent_then_empty(desk: Desk) -> None:
    low_old = new_ticket(desk, "old low", priority=Priority.LOW, minutes_ago=400)  # due -> +80m
    urgent = new_ticket(desk, "urgent", priority=Priority.URGENT, minutes_ago=10)  # due -> +20m
    normal = new_ticket(desk, "normal", priority=Priority.NORMAL)  # due -> +240m
    svc.escalate(desk.store, actor=desk.root, ticket_id=normal.id, to_tier=Tier.L2, reason="x")
    claimed = [svc.take_next(desk.store, actor=desk.ivan, now=NOW).id for _ in range(2)]
    assert claimed == [urgent.id, low_old.id]
    with pytest.raises(QueueEmpty, match="queue is empty"):
        svc.take_next(desk.store, actor=desk.ivan, now=NOW)
    assert svc.take_next(desk.store, actor=desk.petr, now=NOW).id == normal.id


def test_take_next_respects_team(desk: Desk) -> None:
    new_ticket(desk, "for Frontline")
    with pytest.raises(QueueEmpty):
        svc.take_next(desk.store, actor=desk.rita, now=NOW)


def test_status_transitions_and_reopen_count(desk: Desk) -> None:
    row = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=row.id, to="olga")
    solved = svc.change_status(
        desk.store, actor=desk.olga, ticket_id=row.id, status=Status.SOLVED, now=NOW
    )
    assert solved.solved_at == NOW and solved.sla_due is None
    reopened = svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.OPEN)
    assert (
        reopened.reopen_count == 1 and reopened.solved_at is None and reopened.sla_due is not None
    )
    svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.SOLVED)
    svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.CLOSED)
    with pytest.raises(UsageError, match="closed ticket is final"):
        svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.OPEN)
    assert ("reopen", "status", "solved", "open") in audit(desk, row.id)


def test_new_cannot_jump_to_closed(desk: Desk) -> None:
    row = new_ticket(desk)
    with pytest.raises(UsageError, match="allowed from here: open, pending, on_hold, solved"):
        svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.CLOSED)


def test_escalate_moves_up_unassigns_and_notes_reason(desk: Desk) -> None:
    row = new_ticket(desk)
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=row.id, to="olga")
    with pytest.raises(UsageError, match="needs a reason"):
        svc.escalate(desk.store, actor=desk.olga, ticket_id=row.id, to_tier=Tier.L2, reason=" ")
    with pytest.raises(UsageError, match="higher tier"):
        svc.escalate(desk.store, actor=desk.olga, ticket_id=row.id, to_tier=Tier.L1, reason="x")
    up = svc.escalate(
        desk.store,
        actor=desk.olga,
        ticket_id=row.id,
        to_tier=Tier.L2,
        reason="line fault needs a technician",
    )
    assert (up.tier, up.team, up.assignee) == (Tier.L2, "Technical", None)
    detail = ticket_reads.get_ticket(desk.store, ticket_id=row.id)
    note = detail.messages[-1]
    assert note.internal and "line fault needs a technician" in note.body and note.author == "olga"
    events = audit(desk, row.id)
    assert ("escalate", "tier", "L1", "L2") in events
    assert ("escalate", "assignee", "olga", None) in events


def test_reply_sets_first_response_once(desk: Desk) -> None:
    row = new_ticket(desk)
    first = svc.reply(
        desk.store, actor=desk.olga, ticket_id=row.id, body="Hello!", now=NOW + timedelta(minutes=5)
    )
    assert first.first_response_at == NOW + timedelta(minutes=5) and first.status is Status.OPEN
    assert first.sla_due == first.resolution_due
    second = svc.reply(
        desk.store,
        actor=desk.olga,
        ticket_id=row.id,
        body="Any news?",
        status=Status.PENDING,
        now=NOW + timedelta(minutes=50),
    )
    assert second.first_response_at == NOW + timedelta(minutes=5)
    assert second.status is Status.PENDING
    svc.add_note(desk.store, actor=desk.olga, ticket_id=row.id, body="called the customer")
    detail = ticket_reads.get_ticket(desk.store, ticket_id=row.id)
    assert [(m.author_kind, m.internal) for m in detail.messages] == [
        ("customer", False),
        ("agent", False),
        ("agent", False),
        ("agent", True),
    ]


def test_note_does_not_count_as_first_response(desk: Desk) -> None:
    row = new_ticket(desk)
    noted = svc.add_note(desk.store, actor=desk.olga, ticket_id=row.id, body="internal only")
    assert noted.first_response_at is None and noted.status is Status.NEW


def test_tags_are_normalised_and_audited(desk: Desk) -> None:
    row = new_ticket(desk, tags=["refund"])
    tagged = svc.tag_ticket(
        desk.store, actor=desk.olga, ticket_id=row.id, add=["Billing", "VIP"], remove=["refund"]
    )
    assert tagged.tags == ("billing", "vip")
    same = svc.tag_ticket(desk.store, actor=desk.olga, ticket_id=row.id, add=["billing"])
    assert same.version == tagged.version  # nothing changed, nothing bumped
    with pytest.raises(UsageError, match="bad tag"):
        svc.tag_ticket(desk.store, actor=desk.olga, ticket_id=row.id, add=["!!!"])
    assert ("untag", "tags", "refund", None) in audit(desk, row.id)


def test_priority_change_recomputes_due_times(desk: Desk) -> None:
    row = new_ticket(desk)
    up = svc.change_priority(
        desk.store, actor=desk.olga, ticket_id=row.id, priority=Priority.URGENT
    )
    assert up.first_response_due == NOW + timedelta(minutes=30)
    assert up.resolution_due == NOW + timedelta(minutes=240)
    assert ("priority", "priority", "normal", "urgent") in audit(desk, row.id)


def test_a_met_first_response_keeps_its_due_time(desk: Desk) -> None:
    row = new_ticket(desk)  # normal: first response due in 240 minutes
    svc.reply(
        desk.store, actor=desk.olga, ticket_id=row.id, body="On it.", now=NOW + timedelta(hours=1)
    )
    up = svc.change_priority(
        desk.store, actor=desk.olga, ticket_id=row.id, priority=Priority.URGENT
    )
    assert up.first_response_due == NOW + timedelta(minutes=240)  # met in time, stays met
    assert up.resolution_due == NOW + timedelta(minutes=240)  # still running: urgent's target


def test_csat_only_on_solved_and_in_range(desk: Desk) -> None:
    row = new_ticket(desk)
    with pytest.raises(UsageError, match="solved"):
        svc.record_csat(desk.store, actor=desk.olga, ticket_id=row.id, score=5)
    svc.change_status(desk.store, actor=desk.olga, ticket_id=row.id, status=Status.SOLVED)
    with pytest.raises(UsageError, match="1 to 5"):
        svc.record_csat(desk.store, actor=desk.olga, ticket_id=row.id, score=6)
    rated = svc.record_csat(
        desk.store, actor=desk.olga, ticket_id=row.id, score=4, comment="Paldies!"
    )
    assert rated.csat_score == 4
    assert ticket_reads.get_ticket(desk.store, ticket_id=row.id).csat_comment == "Paldies!"


def test_stale_version_is_a_conflict_naming_who_changed_what(desk: Desk) -> None:
    row = new_ticket(desk)
    svc.change_status(
        desk.store,
        actor=desk.anna,
        ticket_id=row.id,
        status=Status.PENDING,
        expected_version=row.version,
    )
    with pytest.raises(Conflict) as caught:
        svc.reply(
            desk.store,
            actor=desk.olga,
            ticket_id=row.id,
            body="my draft",
            expected_version=row.version,
        )
    message = str(caught.value)
    assert "anna set status new → pending" in message
    assert f"version {row.version}, now {row.version + 1}" in message
    detail = ticket_reads.get_ticket(desk.store, ticket_id=row.id)
    assert [m.body for m in detail.messages] == ["It blinks red since morning."]
    for write in (
        lambda v: svc.assign_ticket(
            desk.store, actor=desk.olga, ticket_id=row.id, to="olga", expected_version=v
        ),
        lambda v: svc.change_priority(
            desk.store,
            actor=desk.olga,
            ticket_id=row.id,
            priority=Priority.HIGH,
            expected_version=v,
        ),
        lambda v: svc.tag_ticket(
            desk.store, actor=desk.olga, ticket_id=row.id, add=["x"], expected_version=v
        ),
        lambda v: svc.add_note(
            desk.store, actor=desk.olga, ticket_id=row.id, body="n", expected_version=v
        ),
        lambda v: svc.escalate(
            desk.store,
            actor=desk.olga,
            ticket_id=row.id,
            to_tier=Tier.L2,
            reason="r",
            expected_version=v,
        ),
    ):
        with pytest.raises(Conflict):
            write(row.version)


def test_versions_bump_and_audit_carries_them(desk: Desk) -> None:
    row = new_ticket(desk)
    v2 = svc.assign_ticket(
        desk.store, actor=desk.olga, ticket_id=row.id, to="olga", expected_version=1
    )
    v3 = svc.reply(desk.store, actor=desk.olga, ticket_id=row.id, body="hi", expected_version=2)
    assert (v2.version, v3.version) == (2, 3)
    with desk.store.read() as session:
        versions = sorted(
            {
                e.version
                for e in session.execute(
                    select(AuditEvent).where(AuditEvent.ticket_id == row.id)
                ).scalars()
            }
        )
    assert versions == [1, 2, 3]


def test_detail_has_customer_card_and_other_tickets(desk: Desk) -> None:
    a = new_ticket(desk, "first", minutes_ago=30)
    b = new_ticket(desk, "second", minutes_ago=20)
    c = new_ticket(desk, "third", minutes_ago=10)
    detail = ticket_reads.get_ticket(desk.store, ticket_id=b.id)
    assert detail.customer.email == "liga@example.lv"
    assert detail.other_ticket_count == 2
    assert [t.id for t in detail.other_tickets] == [c.id, a.id]
    with pytest.raises(NotFound):
        ticket_reads.get_ticket(desk.store, ticket_id=12345)


# ----------------------------------------------------------------------------- the queue read


def ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [t.id for t in page.items]


def all_pages(desk: Desk, query: str, sort: str, limit: int = 3) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = ticket_reads.list_tickets(
            desk.store,
            actor=desk.olga,
            query=parse_query(query),
            sort=Sort.parse(sort),
            cursor=cursor,
            limit=limit,
            now=NOW,
        )
        seen += ids(page)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize(
    "sort",
    [
        "sla",
        "-sla",
        "priority",
        "created",
        "-created",
        "updated",
        "id",
        "-id",
        "-priority",
        "-updated",
    ],
)
def test_keyset_pages_cover_everything_in_order(desk: Desk, sort: str) -> None:
    made = [
        new_ticket(desk, f"t{i}", priority=Priority((i % 4) + 1), minutes_ago=i * 7 % 50)
        for i in range(11)
    ]
    svc.change_status(desk.store, actor=desk.olga, ticket_id=made[0].id, status=Status.SOLVED)
    seen = all_pages(desk, "", sort)
    assert sorted(seen) == sorted(t.id for t in made)
    one_page = ticket_reads.list_tickets(
        desk.store,
        actor=desk.olga,
        query=parse_query(""),
        sort=Sort.parse(sort),
        limit=100,
        now=NOW,
    )
    assert ids(one_page) == seen
    rows = one_page.items
    key = Sort.parse(sort)
    values = {
        "sla": lambda r: r.sla_due or NOW + timedelta(days=10**5),
        "priority": lambda r: int(r.priority),
        "created": lambda r: r.created_at,
        "updated": lambda r: r.updated_at,
        "id": lambda r: r.id,
    }[key.key.value]
    ordered = sorted(rows, key=lambda r: (values(r), r.id), reverse=key.descending)
    assert [r.id for r in ordered] == seen


def test_query_filters(desk: Desk) -> None:
    a = new_ticket(
        desk,
        "Не проходит оплата СЧЁТА",
        priority=Priority.URGENT,
        minutes_ago=120,
        email="oleg@example.ru",
        tags=["billing"],
    )
    b = new_ticket(desk, "Rēķins nav apmaksāts", email="liga@example.lv", category="billing")
    c = new_ticket(desk, "Router 100%_done", priority=Priority.LOW, email="john@example.com")
    svc.assign_ticket(desk.store, actor=desk.olga, ticket_id=b.id, to="olga")

    def q(text: str) -> list[int]:
        return sorted(all_pages(desk, text, "id", limit=50))

    assert q("счета") == [a.id]  # ё folded, case folded
    assert q("rekins") == [b.id]  # diacritics folded
    assert q("оплата счёта") == [a.id]
    assert q("100%_done") == [c.id] and q("0%_d") == [c.id] and q("100%x") == []
    assert q("assignee:me") == [b.id]
    assert q("assignee:none") == [a.id, c.id]
    assert q("-assignee:olga") == [a.id, c.id]
    assert q("priority:>=high") == [a.id]
    assert q("priority:low,urgent") == [a.id, c.id]
    assert q("sla:breached") == [a.id]  # urgent: 30 min target, created 2 h ago
    assert q("-sla:breached") == [b.id, c.id]
    assert q("sla:due<5h") == [a.id, b.id]
    assert q("tag:billing") == [a.id] and q("-tag:billing") == [b.id, c.id]
    assert q("category:billing") == [b.id] and q("category:none") == [a.id, c.id]
    assert q("customer:oleg@example.ru") == [a.id]
    assert q("customer:LIGA") == [b.id]
    assert q("team:frontline tier:L1 status:new,open") == [a.id, b.id, c.id]
    assert q("tier:>=L2") == []
    assert q("created:<1h") == [b.id, c.id]
    assert q("created:>1h") == [a.id]
    assert q("created:>=2026-11-20") == [a.id, b.id, c.id]
    assert q("created:<2026-11-20") == []
    assert q(f"id:{a.id},#{c.id}") == [a.id, c.id]
    assert q("channel:email language:ru") == [a.id]
    assert (
        ticket_reads.count_tickets(
            desk.store, actor=desk.olga, query=parse_query("status:open"), now=NOW
        )
        == 1
    )
    everything = parse_query("team:frontline")
    for at_most, expected in [(None, 3), (5, 3), (3, 3), (2, 3), (1, 2), (0, 1)]:
        found = ticket_reads.count_tickets(
            desk.store, actor=desk.olga, query=everything, now=NOW, at_most=at_most
        )
        assert found == expected, at_most  # capped: at most `at_most + 1`, "more than"


def test_hostile_query_text_is_only_data(desk: Desk) -> None:
    new_ticket(desk, "ok")
    for text in ["'; DROP TABLE ticket; --", '"unterminated', "a\\b", "%", "_", "C++"]:
        ticket_reads.list_tickets(
            desk.store, actor=desk.olga, query=parse_query(text), sort=Sort.parse("sla"), now=NOW
        )
    assert ticket_reads.count_tickets(desk.store, actor=None, query=parse_query(""), now=NOW) == 1


def test_bad_cursor_is_a_clear_error(desk: Desk) -> None:
    from csm_console.errors import QueryError

    new_ticket(desk)
    with pytest.raises(QueryError, match="cursor"):
        ticket_reads.list_tickets(
            desk.store,
            actor=None,
            query=parse_query(""),
            sort=Sort.parse("sla"),
            cursor="garbage",
            now=NOW,
        )
