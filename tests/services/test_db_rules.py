"""The database enforces the rules for every login (issue 20), on the real PostgreSQL server with
real logins made from `csm db grants`: the issue's probes, tried with plain SQL as a hostile
operator would from psql, are each refused by the store (or, for the store's owner, found by
`csm audit verify`); and every command works through `csm` as each kind of agent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import exc, text

from csm_console.domain.model import Status
from csm_console.services import agents, ticket_reads, tickets
from csm_console.store import audit_chain, change_feed
from csm_console.store.change_feed import ChangeFeed
from csm_console.store.engine import Store
from csm_console.store.grants import WRITES
from tests.conftest import Cli, Desk
from tests.services.test_scope_matrix import HOLDER, TEAM_TIER, WHO, expected

pytestmark = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
LOGINS = {"olga": "operator", "petr": "operator", "anna": "lead", "root": "admin"}


@dataclass
class Logins:
    desk: Desk
    prefix: str
    stores: dict[str, Store]  # handle (or "nobody") -> a Store connected as that login

    def csm(self, who: str, *args: str, stdin: str | None = None) -> Any:
        return Cli().on(self.stores[who], *args, stdin=stdin)


_csm_owner = Cli(agent="root").on


@pytest.fixture
def logins(desk: Desk) -> Iterator[Logins]:
    store = desk.store
    prefix = f"csm_t{uuid.uuid4().hex[:6]}"
    made = Cli()("db", "grants", "--prefix", prefix)
    assert made.exit_code == 0, made.output
    names = {who: f"{prefix}_{who}" for who in [*LOGINS, "nobody"]}
    groups = [f"{prefix}_{g}" for g in ("admin", "lead", "operator")]
    admin = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        admin.exec_driver_sql(made.stdout)  # as the store's owner
        for who, name in names.items():
            group = LOGINS.get(who, "operator")
            admin.exec_driver_sql(f"CREATE ROLE {name} LOGIN IN ROLE {prefix}_{group}")
        for who in LOGINS:
            agents.bind_db_role(store, actor=desk.root, handle=who, db_role=names[who])
        stores = {who: Store(store.url.set(username=name, password=None)) for who, name in
                  names.items()}  # fmt: skip
        yield Logins(desk, prefix, stores)
    finally:
        for s in locals().get("stores", {}).values():
            s.dispose()
        admin.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY(:n)"),
            {"n": list(names.values())},
        )
        for who in LOGINS:
            agents.bind_db_role(store, actor=desk.root, handle=who, db_role=None)
        for name in [*names.values(), *groups]:
            admin.exec_driver_sql(f"DROP OWNED BY {name}")
            admin.exec_driver_sql(f"DROP ROLE {name}")
        admin.close()


def _ticket(desk: Desk, team: str, to: str | None = None, tier: str = "L1") -> int:
    from csm_console.domain.model import Tier

    row = tickets.create_ticket(
        desk.store,
        actor=desk.root,
        customer_email="c@example.com",
        subject=f"{team} {to}",
        body="b",
        tier=Tier(tier),
        team=team,
    )
    if to is not None:
        tickets.assign_ticket(desk.store, actor=desk.root, ticket_id=row.id, to=to)
    return row.id


def _refused(store: Store, sql: str, params: dict[str, Any], match: str) -> None:
    with pytest.raises(exc.DBAPIError, match=match), store.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_the_issues_probes_are_refused_by_the_store(logins: Logins) -> None:
    desk = logins.desk
    olga = logins.stores["olga"]
    technical = _ticket(desk, "Technical", tier="L2")
    own = _ticket(desk, "Frontline", to="olga")
    ids = {"tech": technical, "own": own, "anna": desk.anna.id, "ivan": desk.ivan.id,
           "olga": desk.olga.id, "root": desk.root.id}  # fmt: skip
    denied = "permission denied"
    rls = "row-level security"
    # history rewritten
    _refused(olga, "UPDATE audit_event SET actor_id = :root", ids, denied)
    _refused(olga, "DELETE FROM audit_event WHERE actor_id = :olga", ids, denied)
    _refused(
        olga,
        "INSERT INTO audit_event (ticket_id, actor_id, action, created_at) "
        "VALUES (:own, :anna, 'status', now())",
        ids,
        rls,
    )
    _refused(
        olga,
        "INSERT INTO message (ticket_id, author_kind, agent_id, internal, body, created_at) "
        "VALUES (:own, 'agent', :ivan, false, 'forged reply', now())",
        ids,
        rls,
    )
    _refused(olga, "DELETE FROM ticket WHERE id = :tech", ids, denied)
    _refused(olga, "DELETE FROM message", ids, denied)
    _refused(olga, "UPDATE agent SET role = 'admin' WHERE id = :olga", ids, denied)
    # another team's ticket: out of reach for changes, though readable
    with olga.engine.begin() as conn:
        moved = conn.execute(text("UPDATE ticket SET assignee_id = :olga WHERE id = :tech"), ids)
        assert moved.rowcount == 0
        assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 2
    assert ticket_reads.get_ticket(desk.store, ticket_id=technical).ticket.assignee is None
    for sql in (
        "INSERT INTO message (ticket_id, author_kind, agent_id, internal, body, created_at) "
        "VALUES (:tech, 'agent', :olga, false, 'hello', now())",
        "INSERT INTO ticket_tag (ticket_id, tag) VALUES (:tech, 'x')",
    ):
        _refused(olga, sql, ids, rls)
    # bad values
    _refused(olga, "UPDATE ticket SET priority = 0 WHERE id = :own", ids, "ck_ticket_priority")
    # a login bound to no agent sees nothing
    with logins.stores["nobody"].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 0
    # what a login may do by hand stays within the rules: a note as herself on her ticket
    with olga.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO message (ticket_id, author_kind, agent_id, internal, body, "
                "created_at) VALUES (:own, 'agent', :olga, true, 'by hand', now())"
            ),
            ids,
        )
    # a login may ask how far the audit is settled (the console's notifications do)
    with desk.store.engine.connect() as conn:
        newest = conn.execute(text("SELECT max(id) FROM audit_event")).scalar_one()
    with olga.engine.connect() as conn:
        assert audit_chain.settled_id(conn) == newest
    # the owner is above the grants, but not above the chain
    assert logins.csm("root", "audit", "verify").exit_code == 0
    with desk.store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text("UPDATE audit_event SET actor_id = :anna WHERE ticket_id = :own"), ids)
        conn.execute(text("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only"))
    broken = logins.csm("root", "audit", "verify")
    assert broken.exit_code == 7 and "broken at row #" in broken.stderr


def test_every_command_works_as_each_login(logins: Logins) -> None:
    desk = logins.desk
    mine = _ticket(desk, "Frontline", to="olga")
    spare = _ticket(desk, "Frontline")
    solved = _ticket(desk, "Frontline", to="olga")
    tickets.change_status(desk.store, actor=desk.root, ticket_id=solved, status=Status.SOLVED)
    technical = _ticket(desk, "Technical", tier="L2")

    def ok(who: str, *args: str, stdin: str | None = None) -> Any:
        result = logins.csm(who, *args, stdin=stdin)
        assert result.exit_code == 0, (who, args, result.output)
        return result

    # an operator
    ok("olga", "tickets", "list", "--format", "json")
    ok("olga", "tickets", "show", str(mine))
    ok("olga", "tickets", "reply", str(mine), "--body", "Hello", "--status", "pending")
    ok("olga", "tickets", "note", str(mine), "--body", "called")
    ok("olga", "tickets", "tag", str(mine), "--add", "refund,vip")
    ok("olga", "tickets", "tag", str(mine), "--remove", "vip")
    ok("olga", "tickets", "priority", str(mine), "--set", "high")
    ok("olga", "tickets", "status", str(mine), "--set", "on_hold")
    ok("olga", "tickets", "csat", str(solved), "--score", "5")
    ok("olga", "tickets", "status", str(solved), "--set", "closed")
    taken = ok("olga", "tickets", "next", "--format", "json")
    assert json.loads(taken.stdout)["id"] == spare
    ok("olga", "tickets", "escalate", str(spare), "--to", "L2", "--reason", "line fault")
    ok("olga", "tickets", "create", "--customer", "new@example.com", "--subject", "Hi",
       "--body", "text")  # fmt: skip
    ok("olga", "export", "tickets", "--format", "ndjson")
    ok("olga", "report")
    ok("olga", "audit", "verify")
    # refused by csm first, with its reason (exit 5), not by a database error
    refused = logins.csm("olga", "tickets", "status", str(technical), "--set", "solved")
    assert refused.exit_code == 5 and "operators work their own" in refused.stderr
    refused = logins.csm("olga", "tickets", "reply", str(technical), "--body", "x")
    assert refused.exit_code == 5, refused.output

    # an L2 operator takes the escalated ticket
    ok("petr", "tickets", "assign", str(spare), "--to", "petr")
    ok("petr", "tickets", "reply", str(spare), "--body", "On it")

    # a lead
    ok("anna", "tickets", "assign", str(mine), "--to", "ivan")
    ok("anna", "tickets", "reassign", "--query", "assignee:ivan", "--to", "olga", "--yes")
    ok("anna", "rules", "add", "r1", "--when", "refund", "--tag", "billing")
    ok("anna", "sla", "set", "urgent", "--first-response", "10m", "--resolution", "2h",
       "--team", "Frontline")  # fmt: skip
    ok("anna", "calendars", "set", "riga", "--text", "timezone: Europe/Riga; mon-fri: 09:00-18:00")
    ok("anna", "calendars", "use", "riga", "--team", "Frontline")
    ok("anna", "templates", "add", "--name", "thanks", "--body", "Thank you!")
    ok("anna", "kb", "add", "--title", "Router lights", "--body", "Red means no line.")
    record = {"subject": "Imported", "body": "b", "customer_email": "i@example.com",
              "team": "Frontline", "external_id": "FORM-1"}  # fmt: skip
    ok("anna", "import", "tickets", "-", stdin=json.dumps(record) + "\n")

    # an admin
    ok("root", "agents", "add", "mila", "--name", "Mila", "--email", "mila@example.com",
       "--role", "operator", "--tier", "L1", "--team", "Frontline")  # fmt: skip
    ok("root", "teams", "add", "Night", "--tier", "L1")
    ok("root", "sla", "set", "low", "--first-response", "1d", "--resolution", "5d")
    ok("root", "calendars", "set", "night", "--text", "timezone: UTC; mon-sun: 22:00-24:00")
    ok("root", "--as", "anna", "tickets", "note", str(mine), "--body", "as anna")
    ok("root", "audit", "verify")

    # and all of it chained intact, as the owner sees it, with nothing done outside csm
    assert _csm_owner(desk.store, "audit", "verify").exit_code == 0
    with desk.store.engine.connect() as conn:
        unaudited = "SELECT count(*) FROM audit_event WHERE action = 'unaudited'"
        assert conn.execute(text(unaudited)).scalar() == 0


def test_a_change_that_skips_csm_is_recorded_as_unaudited(logins: Logins) -> None:
    desk = logins.desk
    own = _ticket(desk, "Frontline", to="olga")
    other = _ticket(desk, "Technical", tier="L2")
    with logins.stores["olga"].engine.begin() as conn:  # within her reach, but by hand
        conn.execute(text("UPDATE ticket SET status = 'solved', priority = 4 WHERE id = :i"),
                     {"i": own})  # fmt: skip
    with desk.store.engine.begin() as conn:  # the owner, past every rule
        conn.execute(text("UPDATE ticket SET assignee_id = :p WHERE id = :i"),
                     {"p": desk.petr.id, "i": other})  # fmt: skip
        # a due time that csm recomputes is no change of the ticket
        conn.execute(text("UPDATE ticket SET sla_due = sla_due + interval '1 hour'"))
    with desk.store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ticket_id, actor_id, old_value, new_value FROM audit_event "
                "WHERE action = 'unaudited' ORDER BY id"
            )
        ).all()
    login = logins.stores["olga"].url.username
    owner = desk.store.url.username
    assert [tuple(r) for r in rows] == [
        (own, desk.olga.id, "status, priority", f"login {login}"),
        (other, None, "assignee_id", f"login {owner}"),
    ]
    shown = logins.csm("olga", "tickets", "show", str(own))
    assert f"login {login} changed status, priority outside csm" in shown.stdout
    assert logins.csm("root", "audit", "verify").exit_code == 0  # chained like the rest


def test_the_unaudited_check_is_called_only_for_a_change_of_a_watched_column(desk: Desk) -> None:
    """0013's deferred check runs for each ticket an UPDATE changed a watched column of, and for
    no other (migration 0022's WHEN): a recount of due times calls it for no ticket at all."""
    own = _ticket(desk, "Frontline", to="olga")
    _ticket(desk, "Technical", tier="L2")
    calls = text(
        "SELECT coalesce(pg_stat_get_xact_function_calls('csm_unaudited'::regproc::oid), 0)"
    )
    with desk.store.engine.begin() as conn:
        conn.execute(text("SET LOCAL track_functions = 'pl'"))
        conn.execute(text("SET CONSTRAINTS ticket_unaudited IMMEDIATE"))  # called as it goes
        tickets_changed = conn.execute(
            text("UPDATE ticket SET sla_due = sla_due + interval '1 hour'")
        ).rowcount
        assert tickets_changed == 2 and conn.execute(calls).scalar_one() == 0
        conn.execute(text("UPDATE ticket SET priority = 4 WHERE id = :i"), {"i": own})
        assert conn.execute(calls).scalar_one() == 1
    with desk.store.engine.connect() as conn:
        recorded = conn.execute(
            text("SELECT ticket_id, old_value FROM audit_event WHERE action = 'unaudited'")
        ).all()
    assert [tuple(r) for r in recorded] == [(own, "priority")]


def test_every_table_says_who_writes_it(logins: Logins) -> None:
    """`csm db grants` covers every table of the store: none is left to the owner by
    oversight (`store.grants.WRITES` must name each new table)."""
    with logins.desk.store.engine.connect() as conn:
        tables = set(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            ).scalars()
        )
        tables = {t for t in tables if not t.startswith("article_search")}
    assert tables <= set(WRITES), sorted(tables - set(WRITES))


def test_row_security_mirrors_the_scope_of_the_services(logins: Logins) -> None:
    """The scope matrix again, as plain SQL through each login: the rows an UPDATE reaches are
    exactly the tickets the services let that agent act on (expectation: test_scope_matrix)."""
    desk = logins.desk
    wrong = []
    for who in ("olga", "petr", "anna", "root"):
        for team in TEAM_TIER:
            for holder in (None, "other", "own"):
                if holder == "own" and team != WHO[who][1]:
                    continue  # an agent holds tickets of their own team's tier only
                other = "boris" if who == "petr" and team == "Technical" else HOLDER[team]
                to = who if holder == "own" else other if holder == "other" else None
                ticket_id = _ticket(desk, team, to=to, tier=TEAM_TIER[team].value)
                with logins.stores[who].engine.begin() as conn:
                    reached = conn.execute(
                        text("UPDATE ticket SET priority = priority WHERE id = :i"),
                        {"i": ticket_id},
                    ).rowcount
                if bool(reached) != expected(who, team, holder):
                    wrong.append(f"{who} on {team}/{holder}: {'reached' if reached else 'not'}")
    assert not wrong, "\n".join(wrong)


def test_the_outbox_is_in_reach_only_for_tickets_in_reach(logins: Logins) -> None:
    """An operator's login may not queue mail to the customer of another team's ticket, nor a
    lead's retry or cancel its mail (migration 0015); on her own ticket she may queue."""
    desk = logins.desk
    olga = logins.stores["olga"]
    ids = {"tech": _ticket(desk, "Technical", tier="L2"), "own": _ticket(desk, "Frontline", "olga")}
    with desk.store.engine.begin() as conn:
        for name, ticket in list(ids.items()):
            message = conn.execute(
                text("SELECT min(id) FROM message WHERE ticket_id = :t"), {"t": ticket}
            ).scalar()
            ids[f"{name}_message"] = message
    insert = (
        "INSERT INTO outgoing_mail (ticket_id, message_id, kind, mailbox, mail_id, recipient, "
        'subject, state, attempts, next_attempt_at, created_at, "references", server_reply) '
        "VALUES (:t, :m, 'reply', 'support', :mail_id, 'victim@example.com', 'hi', 'queued', 0, "
        "now(), now(), '', '')"
    )
    forged = {"t": ids["tech"], "m": ids["tech_message"], "mail_id": f"forged-{uuid.uuid4()}"}
    _refused(olga, insert, forged, "row-level security")
    with desk.store.engine.begin() as conn:  # the owner (the mail worker) queued one there
        conn.execute(text(insert), {**forged, "mail_id": f"queued-{uuid.uuid4()}"})
    with logins.stores["anna"].engine.begin() as conn:  # a lead of another team
        cancelled = conn.execute(
            text("UPDATE outgoing_mail SET state = 'cancelled' WHERE ticket_id = :tech"), ids
        )
        assert cancelled.rowcount == 0
    with olga.engine.begin() as conn:
        conn.execute(
            text(insert),
            {"t": ids["own"], "m": ids["own_message"], "mail_id": f"own-{uuid.uuid4()}"},
        )
        assert conn.execute(text("SELECT count(*) FROM outgoing_mail")).scalar() == 2


def test_an_operators_writes_count_for_the_change_feed_and_only_the_owner_sets_it(
    logins: Logins,
) -> None:
    """The change feed's counter (migration 0021): an operator's login counts her writes
    through the trigger (its definer's rights) and her console's feed, on her login, sees them;
    the counter itself she can read but not set, reset or count by hand."""
    desk = logins.desk
    mine = _ticket(desk, "Frontline", to="olga")
    olga = logins.stores["olga"]
    with desk.store.engine.begin() as conn:  # the test store was emptied: its shards back
        conn.execute(text(change_feed.SEED_SQL))
    feed = ChangeFeed(olga)  # olga's console
    try:
        assert not feed.wait(0.05), feed.problem
        before = _change_mark(olga)
        tagged = logins.csm("olga", "tickets", "tag", str(mine), "--add", "wifi")
        assert tagged.exit_code == 0, tagged.output
        assert _change_mark(olga) == before + 1
        seen = any(feed.wait(0.5) for _ in range(8))
        assert seen, feed.problem
        # petr (L2) reaches no row of this ticket: a write that changed nothing counts nothing
        with logins.stores["petr"].engine.begin() as conn:
            moved = conn.execute(text("UPDATE ticket SET priority = 1 WHERE id = :id"),
                                 {"id": mine})  # fmt: skip
            assert moved.rowcount == 0
        assert _change_mark(olga) == before + 1
    finally:
        feed.close()
    denied = "permission denied"
    for who in ("olga", "root"):  # not even an admin's login
        for sql in (
            "UPDATE change_mark SET version = 0",
            "DELETE FROM change_mark",
            "INSERT INTO change_mark (shard, version) VALUES (99, 0)",
            "TRUNCATE change_mark",
        ):
            _refused(logins.stores[who], sql, {}, denied)
    _refused(olga, "SELECT csm_mark_change()", {}, "only be called as triggers")


def _change_mark(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(change_feed.MARK_SQL)).scalar_one())
