"""Agents and teams: who is acting, and who may hold what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from csm_console.domain.model import Role, Tier
from csm_console.domain.rights import Actor
from csm_console.errors import NotFound, UsageError
from csm_console.services.records import AgentView
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Team


def resolve_actor(store: Store, handle: str | None) -> Actor:
    """The acting agent for `handle` (from --as, CSM_AGENT or the config file)."""
    if not handle:
        raise UsageError(
            'no acting agent: pass --as HANDLE, set CSM_AGENT, or set agent = "HANDLE" in the'
            " config file"
        )
    with store.read() as session:
        row = session.execute(
            select(Agent, col(Team.name))
            .outerjoin(Team, col(Team.id) == col(Agent.team_id))
            .where(func.lower(col(Agent.handle)) == handle.strip().lower())
        ).one_or_none()
        if row is None:
            raise NotFound(f"no agent with handle {handle!r} in {store.display_url}")
        agent, team = row
        assert agent.id is not None
        return Actor(
            id=agent.id,
            handle=agent.handle,
            name=agent.name,
            role=Role(agent.role),
            tier=Tier(agent.tier),
            team_id=agent.team_id,
            team=team,
            active=agent.active,
        )


def list_agents(store: Store, *, include_inactive: bool = True) -> list[AgentView]:
    with store.read() as session:
        statement = (
            select(Agent, col(Team.name))
            .outerjoin(Team, col(Team.id) == col(Agent.team_id))
            .order_by(col(Agent.handle))
        )
        if not include_inactive:
            statement = statement.where(col(Agent.active).is_(True))
        return [
            AgentView(
                id=a.id,
                handle=a.handle,
                name=a.name,
                email=a.email,
                role=a.role,
                tier=a.tier,
                team=team,
                active=a.active,
            )
            for a, team in session.execute(statement)
        ]


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
