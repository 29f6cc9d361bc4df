"""Agents and teams: who is acting, and who may hold what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from csm_console.domain.model import ACTIVE_STATUSES, Role, Tier
from csm_console.domain.query import parse_query
from csm_console.domain.rights import Actor
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import reassign
from csm_console.services.records import AgentView
from csm_console.services.ticket_core import agent_by_handle
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Team, Ticket

_HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_DB_ROLE = re.compile(r"[^\x00-\x1f\x7f]{1,63}")  # any role name (it is only ever a parameter)


def _agent_by_handle(session: Session, handle: str) -> Agent | None:
    return session.execute(
        select(Agent).where(func.lower(col(Agent.handle)) == handle.strip().lower())
    ).scalar_one_or_none()


def bind_db_role(store: Store, *, actor: Actor, handle: str, db_role: str | None) -> str | None:
    """Bind an agent to a PostgreSQL login (None: unbind); admins only.  Returns the old one."""
    if db_role is not None and not _DB_ROLE.fullmatch(db_role):
        raise UsageError(f"bad database role {db_role!r}: 1 to 63 printable characters")
    with store.write() as session:
        _require_admin(session, actor, "bind database logins")
        agent = _agent_by_handle(session, handle)
        if agent is None:
            raise NotFound(f"no agent with handle {handle!r}")
        if db_role is not None:
            if (
                store.is_postgres
                and not session.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": db_role}
                ).first()
            ):
                raise NotFound(
                    f"no database role {db_role!r} on this server; create it first "
                    "(see README, Identity on PostgreSQL)"
                )
            holder = session.execute(
                select(Agent).where(col(Agent.db_role) == db_role)
            ).scalar_one_or_none()
            if holder is not None and holder.id != agent.id:
                raise UsageError(f"the database role {db_role} is agent {holder.handle}'s already")
        old = agent.db_role
        agent.db_role = db_role
        return old


def list_agents(store: Store, *, include_inactive: bool = True) -> list[AgentView]:
    with store.read() as session:
        statement = (
            select(Agent, col(Team.name))
            .outerjoin(Team, col(Team.id) == col(Agent.team_id))
            .order_by(col(Agent.handle))
        )
        if not include_inactive:
            statement = statement.where(col(Agent.active).is_(True))
        return [agent_view(a, team) for a, team in session.execute(statement)]


def agent_view(agent: Agent, team: str | None) -> AgentView:
    """An agent row as plain data, with the name of its team."""
    assert agent.id is not None
    return AgentView(
        id=agent.id,
        handle=agent.handle,
        name=agent.name,
        email=agent.email,
        role=agent.role,
        tier=agent.tier,
        team=team,
        active=agent.active,
        db_role=agent.db_role,
    )


def get_agent(store: Store, handle: str) -> AgentView:
    for agent in list_agents(store):
        if agent.handle.lower() == handle.strip().lower():
            return agent
    raise NotFound(f"no agent with handle {handle!r}")


@dataclass(frozen=True, slots=True)
class TeamView:
    id: int
    name: str
    tier: str
    description: str


def list_teams(store: Store, *, tier: Tier | None = None) -> list[TeamView]:
    """Teams, optionally only those serving `tier`, in the order they were set up."""
    with store.read() as session:
        statement = select(Team).order_by(col(Team.id))
        if tier is not None:
            statement = statement.where(col(Team.tier) == tier.value)
        return [
            TeamView(id=t.id or 0, name=t.name, tier=t.tier, description=t.description)
            for t in session.execute(statement).scalars()
        ]


def _is_bootstrap(session: Any) -> bool:
    return int(session.execute(select(func.count()).select_from(Agent)).scalar_one()) == 0


def add_team(
    store: Store, *, actor: Actor | None, name: str, tier: Tier, description: str = ""
) -> TeamView:
    """Add a team (admins only)."""
    clean = name.strip()
    if not clean or len(clean) > 80:
        raise UsageError("a team name needs 1 to 80 characters")
    with store.write() as session:
        if not _is_bootstrap(session):
            _require_admin(session, actor, "add teams")
        exists = session.execute(
            select(Team).where(func.lower(col(Team.name)) == clean.lower())
        ).scalar_one_or_none()
        if exists is not None:
            raise UsageError(f"team {exists.name} already exists")
        team = Team(name=clean, tier=tier.value, description=description)
        session.add(team)
        session.flush()
        assert team.id is not None
        return TeamView(id=team.id, name=team.name, tier=team.tier, description=description)


def add_agent(
    store: Store,
    *,
    actor: Actor | None,
    handle: str,
    name: str,
    email: str,
    role: Role,
    tier: Tier,
    team: str | None = None,
    signature: str = "",
) -> AgentView:
    """Add an agent.  On an empty store the first agent must be an admin and needs no actor
    (the bootstrap); after that only an admin may add agents."""
    clean = handle.strip().lower()
    if not _HANDLE.fullmatch(clean):
        raise UsageError(f"bad handle {handle!r}: 2–40 lowercase letters, digits, . _ -")
    if "@" not in email or len(email) > 200:
        raise UsageError(f"bad e-mail {email!r}")
    if not name.strip():
        raise UsageError("an agent needs a name")
    with store.write() as session:
        if _is_bootstrap(session):
            if role != Role.ADMIN:
                raise UsageError("the first agent of a store must be an admin (--role admin)")
        else:
            _require_admin(session, actor, "add agents")
        if session.execute(select(Agent).where(col(Agent.handle) == clean)).first() is not None:
            raise UsageError(f"agent {clean} already exists")
        team_row: Team | None = None
        if team:
            team_row = session.execute(
                select(Team).where(func.lower(col(Team.name)) == team.strip().lower())
            ).scalar_one_or_none()
            if team_row is None:
                raise NotFound(f"no team named {team!r}")
            if team_row.tier != tier.value:
                raise UsageError(f"team {team_row.name} serves {team_row.tier}, not {tier.value}")
        elif role != Role.ADMIN:
            raise UsageError("operators and leads need a --team")
        agent = Agent(
            handle=clean,
            name=name.strip(),
            email=email.strip(),
            role=role.value,
            tier=tier.value,
            team_id=team_row.id if team_row else None,
            signature=signature,
        )
        session.add(agent)
        session.flush()
        return agent_view(agent, team_row.name if team_row else None)


def open_ticket_count(store: Store, handle: str) -> int:
    with store.read() as session:
        agent = agent_by_handle(session, handle)
        return int(
            session.execute(
                select(func.count())
                .select_from(Ticket)
                .where(
                    col(Ticket.assignee_id) == agent.id,
                    col(Ticket.status).in_([s.value for s in ACTIVE_STATUSES]),
                )
            ).scalar_one()
        )


@dataclass(frozen=True)
class Deactivation:
    agent: AgentView
    moved: int = 0  # open tickets handed over first
    batch_id: str | None = None  # their reassignment batch (undoable)


def deactivate(
    store: Store, *, actor: Actor, handle: str, reassign_to: str | None = None
) -> Deactivation:
    """Mark an agent inactive.  Only admins may; refused while the agent still holds open
    tickets, unless `reassign_to` names who takes them first (one undoable batch)."""
    with store.read() as session:
        _require_admin(session, actor, "deactivate agents")
    get_agent(store, handle)  # NotFound before anything moves
    moved = None
    if reassign_to:
        query = parse_query(f"assignee:{handle.strip().lower()} status:new,open,pending,on_hold")
        moved = reassign.apply(store, actor=actor, query=query, to=reassign_to, max_tickets=10**9)
    held = open_ticket_count(store, handle)
    if held:
        raise UsageError(
            f"{handle} still holds {held} open ticket{'s' if held != 1 else ''}; "
            "reassign them first (--reassign-to HANDLE)"
        )
    with store.write() as session:
        _require_admin(session, actor, "deactivate agents")
        agent = session.execute(
            select(Agent).where(func.lower(col(Agent.handle)) == handle.strip().lower())
        ).scalar_one()
        agent.active = False
    return Deactivation(
        get_agent(store, handle),
        moved.changed if moved else 0,
        moved.batch_id if moved and moved.changed else None,
    )


def _require_admin(session: Any, actor: Actor | None, what: str) -> None:
    if actor is None:
        raise UsageError(f"to {what}, act as an admin (--as HANDLE)")
    agent = session.get(Agent, actor.id)
    if agent is None or not agent.active or agent.role != Role.ADMIN.value:
        raise PermissionDenied(f"{actor.describe()} may not {what}; needs: admin")
