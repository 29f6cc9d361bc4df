"""Who is acting: the agent a command or the console acts as (`resolve_actor`), and, for reads
that only need it for "me" (`assignee:me`, the view My tickets), the agent when one is known.

Read in SQLAlchemy Core on `store.tables`, so that a process that only reads (`csm tickets
list`, on SQLite with `--as` or on PostgreSQL, where the login says who is acting) loads
neither the ORM nor the models: on PostgreSQL that was 0.2 to 0.5 s of every such command.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, RowMapping

from csm_console.domain.model import Role, Tier
from csm_console.domain.rights import Actor
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.store.engine import Store
from csm_console.store.tables import agent, team

_ACTOR = select(
    agent.c.id,
    agent.c.handle,
    agent.c.name,
    agent.c.role,
    agent.c.tier,
    agent.c.team_id,
    team.c.name.label("team"),
    agent.c.active,
).select_from(agent.outerjoin(team, team.c.id == agent.c.team_id))


def _actor(values: RowMapping) -> Actor:
    return Actor(
        id=int(values["id"]),
        handle=str(values["handle"]),
        name=str(values["name"]),
        role=Role(values["role"]),
        tier=Tier(values["tier"]),
        team_id=values["team_id"],
        team=values["team"],
        active=bool(values["active"]),
    )


def _by_handle(conn: Connection, handle: str) -> Actor | None:
    row = conn.execute(_ACTOR.where(func.lower(agent.c.handle) == handle.strip().lower())).first()
    return _actor(row._mapping) if row is not None else None


def _login(conn: Connection) -> tuple[str, Actor | None]:
    """The PostgreSQL login of the connection, and the agent bound to it (if any)."""
    login = str(conn.execute(text("SELECT session_user")).scalar_one())
    row = conn.execute(_ACTOR.where(agent.c.db_role == login)).first()
    return login, _actor(row._mapping) if row is not None else None


def resolve_actor(store: Store, handle: str | None) -> Actor:
    """The acting agent.

    - SQLite: the agent named by `handle` (from --as, CSM_AGENT or the config file); the store
      file's permissions decide who may open it at all.
    - PostgreSQL: the agent bound to the database login (`agent.db_role`).  `handle` may name
      someone else only when that agent is an admin.  A login bound to no agent may name any
      agent only when it could change the data anyway: a superuser, or the database's owner
      (the set-up login, batch jobs); any other login is refused.
    """
    with store.connection() as conn:
        if store.is_postgres:
            return _for_login(conn, handle)
        if not handle:
            raise UsageError(
                "no acting agent: pass --as HANDLE, set CSM_AGENT, or set agent = "
                '"HANDLE" in the config file'
            )
        found = _by_handle(conn, handle)
        if found is None:
            raise NotFound(f"no agent with handle {handle!r} in {store.display_url}")
        return found


def _for_login(conn: Connection, handle: str | None) -> Actor:
    login, bound = _login(conn)
    wanted = _by_handle(conn, handle) if handle else None
    if handle and wanted is None:
        raise NotFound(f"no agent with handle {handle!r}")
    if bound is not None:
        if wanted is None or wanted.id == bound.id:
            return bound
        if bound.role == Role.ADMIN and bound.active:
            return wanted
        raise PermissionDenied(
            f"the database login {login} is agent {bound.handle}; only an admin may act as "
            f"someone else (--as {wanted.handle})"
        )
    powerful = conn.execute(
        text(
            "SELECT r.rolsuper OR pg_has_role(session_user, d.datdba, 'MEMBER') "
            "FROM pg_roles r, pg_database d "
            "WHERE r.rolname = session_user AND d.datname = current_database()"
        )
    ).scalar_one()
    if not powerful:
        raise PermissionDenied(
            f"the database login {login} is no agent's; an admin binds it with "
            f"`csm agents bind HANDLE --db-role {login}`"
        )
    if wanted is None:
        raise UsageError(
            f"the database login {login} is no agent's (it owns the store): choose the acting "
            'agent with --as HANDLE, CSM_AGENT, or agent = "HANDLE" in the config file'
        )
    return wanted


def login_actor(store: Store) -> Actor | None:
    """The agent bound to the store's PostgreSQL login, if any."""
    with store.connection() as conn:
        return _login(conn)[1]


def known_actor(store: Store, handle: str | None) -> Actor | None:
    """The acting agent when one is known: the one `handle` names, else on PostgreSQL the
    agent bound to the login; None when neither says who is acting."""
    if handle:
        return resolve_actor(store, handle)
    return login_actor(store) if store.is_postgres else None
