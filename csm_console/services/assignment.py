"""Whom an agent may give tickets to: the targets an assign picker offers, worked out before
anything is confirmed, with the same rules the writes apply (`domain.rights` for who may assign
to whom, `ticket_core.check_can_hold` for who may hold a ticket of its tier)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from csm_console.domain.rights import (
    Actor,
    check_can_act,
    check_can_assign_to,
)
from csm_console.errors import CsmError
from csm_console.services.agents import agent_view
from csm_console.services.records import AgentView
from csm_console.services.ticket_core import check_can_hold, reload_actor, ticket_scope
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Team, Ticket

MAX_TICKETS = 5000  # tickets one question may cover (more marks than a console can hold)


@dataclass(frozen=True, slots=True)
class AssignTargets:
    """What assigning `ticket_ids` may do: the agents that every assignable ticket may be given
    to, whether they may be unassigned, and the tickets that may not be assigned at all (with
    the reason, as the write would give it)."""

    ticket_ids: tuple[int, ...]  # the tickets that may be assigned
    agents: tuple[AgentView, ...]
    unassign: bool
    refused: tuple[tuple[int, str], ...]


def assign_targets(store: Store, *, actor: Actor, ticket_ids: Iterable[int]) -> AssignTargets:
    """The valid targets for assigning `ticket_ids` (each at most once; at most MAX_TICKETS)."""
    ids = list(dict.fromkeys(ticket_ids))[:MAX_TICKETS]
    with store.read() as session:
        fresh = reload_actor(session, actor)
        teams = {t.id: t.name for t in session.execute(select(Team)).scalars()}
        people = {a.id: a for a in session.execute(select(Agent)).scalars()}
        found = {
            t.id: t
            for t in session.execute(select(Ticket).where(col(Ticket.id).in_(ids))).scalars()
        }
        candidates = sorted((a for a in people.values() if a.active), key=lambda a: a.handle)
        assignable: list[int] = []
        refused: list[tuple[int, str]] = []
        allowed: set[int] | None = None  # ids of the agents every ticket so far may go to
        unassign = True
        for ticket_id in ids:
            ticket = found.get(ticket_id)
            if ticket is None:
                refused.append((ticket_id, f"ticket #{ticket_id} not found"))
                continue
            scope = ticket_scope(session, ticket)  # its agent and team: loaded above
            try:
                check_can_act(fresh, scope, "assign")
            except CsmError as refusal:
                refused.append((ticket_id, refusal.message))
                continue
            assignable.append(ticket_id)
            try:
                check_can_assign_to(fresh, scope, target_id=None, target_team_id=None)
            except CsmError:
                unassign = False
            fits = set()
            for agent in candidates:
                if allowed is not None and agent.id not in allowed:
                    continue
                try:
                    check_can_hold(session, agent, ticket)
                    check_can_assign_to(
                        fresh, scope, target_id=agent.id, target_team_id=agent.team_id
                    )
                except CsmError:
                    continue
                assert agent.id is not None
                fits.add(agent.id)
            allowed = fits
        agents = tuple(
            agent_view(a, teams.get(a.team_id) if a.team_id is not None else None)
            for a in candidates
            if allowed is not None and a.id in allowed
        )
    return AssignTargets(
        ticket_ids=tuple(assignable),
        agents=agents,
        unassign=unassign and bool(assignable),
        refused=tuple(refused),
    )
