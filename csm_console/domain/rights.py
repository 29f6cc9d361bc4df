"""Who may do what.  Pure rules; the services enforce them for the console and the CLI alike.

- An operator acts on their own tickets and on unassigned ones.
- A lead acts on every ticket of their team (and their own and unassigned ones).
- An admin acts everywhere.
- Assigning to somebody else, and bulk reassignment, need a lead (within their team) or an admin.
"""

from __future__ import annotations

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


def check_can_act(actor: Actor, ticket: TicketScope, action: str) -> None:
    """Raise `PermissionDenied`, naming the missing right, unless `actor` may work `ticket`."""
    if not actor.active:
        raise PermissionDenied(f"{actor.handle} is inactive and may not {action}")
    if actor.role == Role.ADMIN:
        return
    if ticket.assignee_id is None or ticket.assignee_id == actor.id:
        return
    if actor.role == Role.LEAD and ticket.team_id is not None and ticket.team_id == actor.team_id:
        return
    owner = f"it is assigned to {ticket.assignee}"
    if actor.role == Role.LEAD:
        need = f"lead of team {ticket.team or '(none)'} or admin"
        raise PermissionDenied(
            f"{actor.describe()} may not {action} #{ticket.id}: {owner} in team "
            f"{ticket.team or '(none)'}; needs: {need}"
        )
    raise PermissionDenied(
        f"{actor.describe()} may not {action} #{ticket.id}: {owner}; operators work their own "
        f"and unassigned tickets; needs: lead of team {ticket.team or '(none)'} or admin"
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
