"""Who is acting.  On PostgreSQL the acting agent is the one bound to the database login, and
only an admin may act as someone else; a login bound to nobody may choose only when it owns the
store.  Real login roles on the test server, through the services and the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import agents
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk

pytestmark = pytest.mark.parametrize(
    "store", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def logins(desk: Desk) -> Iterator[dict[str, str]]:
    """Login roles for olga (an operator), root (an admin) and nobody (bound to no agent), with
    the rights every agent's login needs on the store's tables."""
    suffix = uuid.uuid4().hex[:6]
    names = {who: f"csm_t_{suffix}_{who}" for who in ("olga", "root", "nobody")}
    with desk.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names.values():
            conn.execute(text(f"CREATE ROLE {name} LOGIN"))
            conn.execute(
                text(
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}"
                )
            )
            conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}"))
    try:
        yield names
    finally:
        with desk.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = ANY(:names)"
                ),
                {"names": list(names.values())},
            )
            for name in names.values():
                conn.execute(text(f"DROP OWNED BY {name}"))
                conn.execute(text(f"DROP ROLE {name}"))


def _as_login(store: Store, login: str) -> Store:
    return Store(store.url.set(username=login, password=None))


_csm = Cli().on


def test_the_acting_agent_is_the_database_login(desk: Desk, logins: dict[str, str]) -> None:
    store = desk.store
    agents.bind_db_role(store, actor=desk.root, handle="olga", db_role=logins["olga"])
    agents.bind_db_role(store, actor=desk.root, handle="root", db_role=logins["root"])
    olga, root, nobody = (_as_login(store, logins[w]) for w in ("olga", "root", "nobody"))
    try:
        assert resolve_actor(olga, None).handle == "olga"
        assert resolve_actor(olga, "olga").handle == "olga"
        with pytest.raises(PermissionDenied, match=r"is agent olga; only an admin may act as"):
            resolve_actor(olga, "anna")
        assert resolve_actor(root, None).handle == "root"
        assert resolve_actor(root, "anna").handle == "anna"  # an admin may
        with pytest.raises(NotFound):
            resolve_actor(root, "ghost")
        with pytest.raises(PermissionDenied, match="is no agent's; an admin binds it"):
            resolve_actor(nobody, "anna")
        # the store's owner (here a superuser) picks the agent, and must pick one
        assert resolve_actor(store, "anna").handle == "anna"
        with pytest.raises(UsageError, match="choose the acting agent with --as"):
            resolve_actor(store, None)

        # the same through the CLI
        listed = _csm(olga, "tickets", "list", "--format", "json")
        assert listed.exit_code == 0, listed.output
        refused = _csm(olga, "--as", "anna", "tickets", "list")
        assert refused.exit_code == 5 and "only an admin" in refused.stderr
        assert _csm(nobody, "--as", "olga", "tickets", "list").exit_code == 5
        shown = _csm(root, "agents", "list", "--format", "json")
        assert shown.exit_code == 0, shown.output
        assert logins["olga"] in shown.stdout
    finally:
        for s in (olga, root, nobody):
            s.dispose()


def test_only_admins_bind_logins_and_a_login_is_one_agents(
    desk: Desk, logins: dict[str, str]
) -> None:
    store = desk.store
    with pytest.raises(PermissionDenied):
        agents.bind_db_role(store, actor=desk.anna, handle="olga", db_role=logins["olga"])
    agents.bind_db_role(store, actor=desk.root, handle="olga", db_role=logins["olga"])
    with pytest.raises(UsageError, match="is agent olga's already"):
        agents.bind_db_role(store, actor=desk.root, handle="ivan", db_role=logins["olga"])
    with pytest.raises(NotFound, match="no database role"):
        agents.bind_db_role(store, actor=desk.root, handle="ivan", db_role="csm_no_such_role")
    with pytest.raises(UsageError, match="bad database role"):
        agents.bind_db_role(store, actor=desk.root, handle="ivan", db_role="x\x00y")
    with pytest.raises(NotFound, match="no database role"):  # only ever a parameter
        agents.bind_db_role(store, actor=desk.root, handle="ivan", db_role="x; DROP ROLE y")
    assert (
        agents.bind_db_role(store, actor=desk.root, handle="olga", db_role=None) == (logins["olga"])
    )
    bound = _csm(store, "--as", "root", "agents", "bind", "ivan", "--db-role", logins["olga"])
    assert bound.exit_code == 0, bound.output
    olga_login = _as_login(store, logins["olga"])
    try:
        assert resolve_actor(olga_login, None).handle == "ivan"
    finally:
        olga_login.dispose()


def test_a_bound_login_is_me_without_as(desk: Desk, logins: dict[str, str]) -> None:
    """`--view 'My tickets'` and `assignee:me` need no --as when the login is an agent's."""
    from csm_console.domain.model import Priority
    from csm_console.services import tickets

    store = desk.store
    agents.bind_db_role(store, actor=desk.root, handle="olga", db_role=logins["olga"])
    made = {}
    for subject, holder in (("Mine", "olga"), ("Not mine", "ivan")):
        row = tickets.create_ticket(
            store,
            actor=desk.root,
            customer_email="liga@example.lv",
            subject=subject,
            body="x",
            priority=Priority.NORMAL,
        )
        tickets.assign_ticket(store, actor=desk.root, ticket_id=row.id, to=holder)
        made[holder] = row.id
    olga = _as_login(store, logins["olga"])
    try:
        for args in (
            ("--view", "My tickets"),
            ("--query", "assignee:me"),
            ("--view", "My tickets", "--query", "status:open"),
        ):
            listed = _csm(olga, "tickets", "list", "--format", "ids", *args)
            assert (listed.exit_code, listed.stdout) == (0, f"{made['olga']}\n"), (
                args,
                listed.output,
            )
        exported = _csm(olga, "export", "tickets", "--query", "assignee:me", "--format", "ndjson")
        assert exported.exit_code == 0, exported.output
        assert [line for line in exported.stdout.splitlines() if line] and "Not mine" not in (
            exported.stdout
        )
        # the store's owner is no agent: it still has to say who it is for "me"
        owner = _csm(store, "tickets", "list", "--query", "assignee:me")
        assert owner.exit_code == 2 and "--as" in owner.stderr
    finally:
        olga.dispose()
