"""Who may do what.  Pure rules; the services enforce them for the console and the CLI alike,
and on PostgreSQL the row-level security policies of `store.grants` mirror the ticket scope.

The scope of ticket work (reply, note, status changes, priority, tags, CSAT, assign, escalate):

- An admin acts on every ticket.
- Everyone acts on the tickets assigned to them.
- A lead acts on every ticket of their team.
- An operator acts on the unassigned tickets of their own tier and team.

A ticket of no team belongs to the team of whoever works its tier.  Escalating hands a ticket
on to a higher tier's team; that team, and the agents in it, are the lead's escalation targets
(a lead's routing rule may send tickets there, but assign them only within the lead's team).
Assigning to somebody else, and bulk reassignment, need a lead (within their team) or an admin.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from csm_console.domain.model import Role, Tier
from csm_console.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Actor:
    """The agent on whose behalf a service acts (plain data, safe outside a session)."""

    id: int
    handle: str
    name: str
    role: Role
    tier: Tier
    team_id: int | None
    team: str | None
    active: bool = True

    def describe(self) -> str:
        team = f", {self.team}" if self.team else ""
        return f"{self.handle} ({self.role.value}, {self.tier.value}{team})"


@dataclass(frozen=True, slots=True)
class TicketScope:
    """What the rights depend on: who holds the ticket, and which team it belongs to."""

    id: int
    assignee_id: int | None
    assignee: str | None
    team_id: int | None
    team: str | None
    tier: Tier


def in_team(actor: Actor, ticket: TicketScope) -> bool:
    """The ticket belongs to the actor's team (a ticket of no team: to every team of its tier)."""
    if ticket.team_id is None:
        return ticket.tier == actor.tier
    return ticket.team_id == actor.team_id


def may_act(actor: Actor, ticket: TicketScope) -> bool:
    """The scope of ticket work (see the module's docstring); mirrored by the RLS policies."""
    if not actor.active:
        return False
    if actor.role == Role.ADMIN or ticket.assignee_id == actor.id:
        return True
    if actor.role == Role.LEAD:
        return in_team(actor, ticket)
    return ticket.assignee_id is None and ticket.tier == actor.tier and in_team(actor, ticket)


def check_can_act(actor: Actor, ticket: TicketScope, action: str) -> None:
    """Raise `PermissionDenied`, naming the missing right, unless `actor` may work `ticket`."""
    if not actor.active:
        raise PermissionDenied(f"{actor.handle} is inactive and may not {action}")
    if may_act(actor, ticket):
        return
    where = f"an {ticket.tier.value} ticket of team {ticket.team or '(none)'}"
    holder = f"assigned to {ticket.assignee}" if ticket.assignee_id is not None else "unassigned"
    need = f"lead of team {ticket.team or '(none)'} or admin"
    if actor.role == Role.LEAD:
        raise PermissionDenied(
            f"{actor.describe()} may not {action} #{ticket.id}: {where}, {holder}; leads work "
            f"their own team's tickets; needs: {need}"
        )
    if ticket.assignee_id is None:
        need = f"an {ticket.tier.value} operator of team {ticket.team or '(none)'}, or {need}"
    raise PermissionDenied(
        f"{actor.describe()} may not {action} #{ticket.id}: {where}, {holder}; operators work "
        f"their own tickets and the unassigned ones of their tier and team; needs: {need}"
    )


def check_can_assign_to(
    actor: Actor, ticket: TicketScope, *, target_id: int | None, target_team_id: int | None
) -> None:
    """Rights for (re)assigning: besides acting on the ticket, giving it to someone else."""
    check_can_act(actor, ticket, "assign")
    if actor.role == Role.ADMIN:
        return
    if target_id is None or target_id == actor.id:
        return  # taking a ticket, or releasing it
    if actor.role == Role.LEAD:
        if target_team_id == actor.team_id and (
            ticket.team_id is None or ticket.team_id == actor.team_id
        ):
            return
        raise PermissionDenied(
            f"{actor.describe()} may not assign #{ticket.id} outside team {actor.team}; "
            "leads assign within their own team; needs: admin"
        )
    raise PermissionDenied(
        f"{actor.describe()} may not assign #{ticket.id} to someone else; operators may take or"
        f" release tickets only; needs: lead of team {ticket.team or '(none)'} or admin"
    )


def check_can_bulk(actor: Actor) -> None:
    if actor.role not in (Role.LEAD, Role.ADMIN):
        raise PermissionDenied(
            f"{actor.describe()} may not make bulk changes; needs: lead or admin"
        )


def check_can_edit_knowledge(actor: Actor, what: str = "the knowledge base") -> None:
    """Articles and reply templates are shared by everyone: leads and admins edit them."""
    if not actor.active or actor.role not in (Role.LEAD, Role.ADMIN):
        raise PermissionDenied(f"{actor.describe()} may not edit {what}; needs: lead or admin")


def check_can_route(
    actor: Actor,
    *,
    team_id: int | None,
    team: str | None,
    team_tier: Tier | None,
    assignee: str | None,
    assignee_team_id: int | None,
) -> None:
    """A routing rule sends every ticket it matches somewhere: an admin's anywhere; a lead's to
    their own team or a team their tickets escalate to (a higher tier), and to an agent of
    their own team only, as an assignment by the lead would."""
    check_can_bulk(actor)
    if actor.role == Role.ADMIN:
        return
    escalation = team_tier is not None and team_tier.level > actor.tier.level
    if team_id is not None and team_id != actor.team_id and not escalation:
        raise PermissionDenied(
            f"{actor.describe()} may not route tickets to team {team}: leads route to their "
            "own team or to a team of a higher tier (escalation); needs: admin"
        )
    if assignee is not None and (assignee_team_id is None or assignee_team_id != actor.team_id):
        raise PermissionDenied(
            f"{actor.describe()} may not route tickets to {assignee}, who is outside team "
            f"{actor.team or '(none)'}; leads assign within their own team; needs: admin"
        )


def check_can_shape_teams(actor: Actor, team_ids: Collection[int | None], what: str) -> None:
    """SLA policies and calendars change the due times of the teams they apply to (`None`:
    every team): a lead shapes only their own team's, an admin anyone's."""
    check_can_bulk(actor)
    if actor.role == Role.ADMIN or all(t is not None and t == actor.team_id for t in team_ids):
        return
    raise PermissionDenied(
        f"{actor.describe()} may not change {what}: it applies beyond team "
        f"{actor.team or '(none)'}; leads change their own team's only; needs: admin"
    )


def check_can_automate(actor: Actor, *, condition_teams: list[set[str]]) -> None:
    """An automation acts on every ticket its condition matches, without anyone at the keys: an
    admin's on any; a lead's only on their own team's tickets, so the condition must hold a
    `team:` term naming that team alone (`condition_teams`: the values of each of the
    condition's positive `team:` terms, lower-cased).  Where it sends tickets is checked as a
    routing rule's is (`check_can_route`)."""
    check_can_bulk(actor)
    if actor.role == Role.ADMIN:
        return
    own = (actor.team or "").lower()
    if not own or {own} not in condition_teams:
        raise PermissionDenied(
            f"{actor.describe()} may not add an automation over other teams' tickets: a lead's "
            f"condition names their own team (add team:{actor.team or '...'}); needs: admin"
        )
