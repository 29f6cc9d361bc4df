"""The report's summary under agents' own PostgreSQL logins (row-level security): only the
store's owner computes it again, from every ticket; an agent's login may not write it (grants),
reads it only when it reads every ticket (the same policy as `ticket`), and gets its marked
days counted from the tickets it sees, storing nothing.  Real logins from `csm db grants`
(the fixture of test_db_rules), and a test-only restrictive policy that shows one login part
of the tickets, as a narrower read policy would."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, text

from csm_console.domain.metrics import GroupBy, Report
from csm_console.errors import PermissionDenied
from csm_console.services import metrics, report_summary
from csm_console.store.engine import Store
from tests.services.test_db_rules import Logins, logins  # noqa: F401  (a fixture)
from tests.services.test_metrics import NOW, PERIOD, build

pytestmark = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
SUMMARY = ("report_count", "report_time", "report_dirty_day")


def _summary(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the summary's tables, as the owner sees them (ids left out)."""
    found = {}
    with store.engine.connect() as conn:
        for table in SUMMARY:
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings()
            found[table] = sorted(
                tuple(str(v) for k, v in row.items() if k != "id") for row in rows
            )
    return found


def _report(store: Store, **options: Any) -> Report:
    return metrics.report(store, period=PERIOD, now=NOW, by=GroupBy.DAY, **options)


def _mark_a_day(store: Store) -> str:
    """A SQL shell's change to a ticket solved in the period (its days get marked)."""
    with store.engine.begin() as conn:
        solved = conn.execute(
            text(
                "UPDATE ticket SET csat_score = 1 WHERE id = (SELECT min(id) FROM ticket "
                "WHERE solved_at >= :since AND solved_at < :until) RETURNING solved_at"
            ),
            {"since": PERIOD.since, "until": PERIOD.until},
        ).scalar_one()
    return str(solved.date())


def test_an_agents_login_never_writes_the_summary(logins: Logins) -> None:  # noqa: F811
    owner = logins.desk.store
    build(logins.desk)
    _report(owner)  # the owner computes the period's marked days
    day = _mark_a_day(owner)
    assert report_summary.marked(owner, first=day, last=day) == [day]
    before = _summary(owner)
    olga = logins.stores["olga"]
    with owner.engine.begin() as conn:  # olga's login sees only Frontline's tickets
        conn.exec_driver_sql(
            f"CREATE POLICY test_part ON ticket AS RESTRICTIVE FOR SELECT TO {logins.prefix}_olga "
            "USING (team_id = (SELECT id FROM team WHERE name = 'Frontline'))"
        )
    try:
        for who in ("olga", "petr", "nobody"):
            login = logins.stores[who]
            assert not report_summary.may_refresh(login)
            kept, counted = _report(login), _report(login, from_summary=False)
            assert _summary(owner) == before, f"{who}'s report wrote the summary"
            if who != "olga":  # the whole view (petr) or none (nobody): as its own recount
                assert (kept.rows, kept.total) == (counted.rows, counted.total), who
            # the marked day: counted from the tickets the login sees
            assert [r for r in kept.rows if r.key == day] == [
                r for r in counted.rows if r.key == day
            ], who
        with olga.engine.connect() as conn:  # her view of the tickets is part of them
            seen = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        with owner.engine.connect() as conn:
            assert seen < conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
    finally:
        with owner.engine.begin() as conn:
            conn.exec_driver_sql("DROP POLICY test_part ON ticket")
    # the owner's report computes the day again, from every ticket: the recount's numbers
    assert report_summary.may_refresh(owner)
    kept, counted = _report(owner), _report(owner, from_summary=False)
    assert (kept.rows, kept.total) == (counted.rows, counted.total)
    assert report_summary.marked(owner, first=day, last=day) == []


def test_agents_logins_may_not_write_the_summary(logins: Logins) -> None:  # noqa: F811
    """Not even an admin's login: a login that row security could show part of the tickets
    must not store their sums for everybody.  Ticket changes still mark their days (the
    trigger marks them as its definer, the owner)."""
    build(logins.desk)
    for who in ("olga", "anna", "root"):
        store = logins.stores[who]
        for sql in (
            "DELETE FROM report_dirty_day",
            "INSERT INTO report_dirty_day (day, marks) VALUES ('2026-11-17', 1)",
            "DELETE FROM report_count",
            "UPDATE report_count SET n = n + 1",
            "DELETE FROM report_time",
            "INSERT INTO report_time (day, population, value, n) VALUES ('2026-11-17', "
            "'solved', 1, 1)",
        ):
            with (
                pytest.raises(exc.ProgrammingError, match="permission denied"),
                store.engine.begin() as conn,
            ):
                conn.execute(text(sql))
        assert not report_summary.may_refresh(store)
        with pytest.raises(PermissionDenied, match="only the store's owner"):
            report_summary.rebuild(store)
    # an operator's own ticket change marks its days all the same
    with logins.desk.store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM report_dirty_day")
    with logins.stores["olga"].engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ticket SET csat_score = 2 WHERE id = (SELECT min(id) FROM ticket "
                "WHERE solved_at IS NOT NULL AND assignee_id = (SELECT csm_agent_id()))"
            )
        )
    assert report_summary.marked_days(logins.desk.store) > 0


def test_the_summary_is_read_by_the_logins_that_read_every_ticket(
    logins: Logins,  # noqa: F811
) -> None:
    """Its read policy is `ticket`'s: a login bound to no agent sees no sums either."""
    build(logins.desk)
    _report(logins.desk.store)
    with logins.desk.store.engine.connect() as conn:
        policies = dict(
            conn.execute(
                text(
                    "SELECT tablename, qual FROM pg_policies WHERE policyname = 'csm_read' "
                    "AND tablename IN ('ticket', 'report_count', 'report_time')"
                )
            ).all()
        )
    assert policies["report_count"] == policies["report_time"] == policies["ticket"]
    for who, sees in (("petr", True), ("nobody", False)):
        with logins.stores[who].engine.connect() as conn:
            for table in ("ticket", "report_count", "report_time"):
                n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                assert bool(n) is sees, (who, table)
