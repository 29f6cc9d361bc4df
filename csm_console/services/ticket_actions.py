"""Apply a list of actions (`domain.actions`) to one ticket in one write transaction: the shared
runner behind automations (`services.automations`) and macros.

    result = apply_actions(store, actor=None, ticket_id=42, actions=parse_actions(lines),
                           source=Source("automation", "remind pending"))

Each action goes through the same in-session helper as its own use case (`tickets.apply_status`,
`apply_assignment`, `apply_priority`, `apply_escalation`, `apply_tags`, `add_note_in`,
`apply_reply`): the same workflow rules, the same audit events, the same outbox.  Either every
action applies or none does (the transaction rolls back, the error names the action).

- The actor: an agent (a macro), whose rights are checked as for the use cases, or None: the
  system (an automation, like the mail intake), which may act on any ticket.
- `source` names what acted: an audit event `automation`/`macro` (field `rule`, the name and the
  actions, like routing's `route` event), and every change carries `batch_id`.
- `assignee=least-loaded`: the active agent of the ticket's team and tier holding the fewest
  active tickets (ties: the lowest id).
- `notify=text`: an audit event `notify` whose new value is the text (the console turns it into
  a notification for the ticket's assignee); it changes nothing on the ticket.
- `dry_run`: the very same work in a transaction that is rolled back: the changes it would make
  (field, old, new), nothing written.
- A reply by the system (actor None) is a system message: no agent reply, no first response.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlmodel import Session, col

from csm_console.domain.actions import LEAST_LOADED, Action, ActionKind, describe
from csm_console.domain.mail import MailSettings
from csm_console.domain.model import Priority, Role, Tier
from csm_console.domain.rights import (
    Actor,
    check_can_act,
    check_can_assign_to,
    check_can_shape_teams,
)
from csm_console.domain.templates import render, template_context
from csm_console.domain.text import sanitize
from csm_console.errors import CsmError, NotFound, UsageError
from csm_console.services.clock import utcnow
from csm_console.services.ticket_core import (
    agent_by_handle,
    bump_version,
    check_can_hold,
    checked_body,
    lock_ticket,
    move_to_team,
    team_for_tier,
    team_name,
    ticket_scope,
    write_audit,
)
from csm_console.services.tickets import (
    add_note_in,
    apply_assignment,
    apply_escalation,
    apply_priority,
    apply_reply,
    apply_status,
    apply_tags,
)
from csm_console.services.variants import pick_variant
from csm_console.store.engine import Store
from csm_console.store.models import (
    ACTIVE_STATUS_VALUES,
    Agent,
    AuditEvent,
    Customer,
    ReplyTemplate,
    Ticket,
)

NOTIFY = "notify"  # the audit action of `notify=text`


@dataclass(frozen=True, slots=True)
class Source:
    """What takes the actions: `Source("automation", name)` or `Source("macro", name)`."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Change:
    """One change an action made (or would make): the field, its old and new value (a note's,
    a reply's or a notification's text as the new value)."""

    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        old = "—" if self.old is None else self.old
        new = "—" if self.new is None else self.new
        return f"{self.field}: {old} → {new}"


@dataclass(frozen=True, slots=True)
class ActionsResult:
    ticket_id: int
    changes: tuple[Change, ...]
    version: int  # the ticket's version after (in a dry run: as it was)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


class _DryRun(Exception):
    """Raised inside the write to roll a dry run back."""


def apply_actions(
    store: Store,
    *,
    actor: Actor | None,
    ticket_id: int,
    actions: Sequence[Action],
    source: Source | None = None,
    batch_id: str | None = None,
    expected_version: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ActionsResult:
    """Apply `actions` to ticket `ticket_id` in one write transaction (all or none); with
    `dry_run`, return what would change and write nothing."""
    now = now or utcnow()
    found: list[ActionsResult] = []
    try:
        with store.write() as session:
            ticket, fresh = lock_for_actions(
                session, actor=actor, ticket_id=ticket_id, expected_version=expected_version
            )
            version = ticket.version
            changes = run_actions(
                session,
                ticket,
                fresh,
                actions,
                mail=store.mail,
                now=now,
                source=source,
                batch_id=batch_id,
            )
            if dry_run:
                found.append(ActionsResult(ticket_id, tuple(changes), version, dry_run=True))
                raise _DryRun
            return ActionsResult(ticket_id, tuple(changes), ticket.version)
    except _DryRun:
        return found[0]


def lock_for_actions(
    session: Session, *, actor: Actor | None, ticket_id: int, expected_version: int | None
) -> tuple[Ticket, Actor | None]:
    """Lock the ticket for the actions: an agent's rights checked as `changing` checks them;
    the system (None) acts on any ticket."""
    if actor is not None:
        return lock_ticket(
            session,
            ticket_id=ticket_id,
            expected_version=expected_version,
            actor=actor,
            action="change",
        )
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    if expected_version is not None and ticket.version != expected_version:
        raise UsageError(f"#{ticket_id} changed since it was read (version {ticket.version})")
    return ticket, None


@contextmanager
def _recording(session: Session) -> Iterator[list[AuditEvent]]:
    """The audit events added to the session inside the block."""
    seen: list[AuditEvent] = []

    def added(_session: Session, instance: Any) -> None:
        if isinstance(instance, AuditEvent):
            seen.append(instance)

    event.listen(session, "transient_to_pending", added)
    try:
        yield seen
    finally:
        event.remove(session, "transient_to_pending", added)


def run_actions(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    actions: Sequence[Action],
    *,
    mail: MailSettings,
    now: datetime,
    source: Source | None = None,
    batch_id: str | None = None,
) -> list[Change]:
    """Apply `actions` to `ticket` inside a write that holds its lock (`lock_for_actions`);
    the changes made.  An action that cannot apply raises its error (`UsageError`,
    `PermissionDenied`, `NotFound`...) with the action named first (the caller's transaction
    then writes nothing)."""
    changes: list[Change] = []
    with _recording(session) as events:
        for action in actions:
            before = len(events)
            try:
                text = _apply(session, ticket, actor, action, mail=mail, now=now, batch_id=batch_id)
            except CsmError as error:  # its kind (and exit code) kept, the action named
                error.message = f"{action.kind.value}=: {error.message}"
                error.args = (error.message,)
                raise
            for audit in events[before:]:
                if audit.field is None and text is not None:
                    changes.append(Change(audit.action, None, text))
                elif audit.field is not None:
                    changes.append(Change(audit.field, audit.old_value, audit.new_value))
        if source is not None and changes:
            write_audit(
                session,
                ticket,
                actor,
                source.kind,
                now,
                field="rule",
                new=f"{source.name}: {describe(actions)}",
                batch_id=batch_id,
            )
    return changes


def _apply(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    action: Action,
    *,
    mail: MailSettings,
    now: datetime,
    batch_id: str | None,
) -> str | None:
    """One action; the text of a note, reply or notification (for its change line)."""
    kind = action.kind
    if kind is ActionKind.STATUS:
        apply_status(session, ticket, actor, action.status, now, batch_id=batch_id, mail=mail)
    elif kind is ActionKind.PRIORITY:
        apply_priority(session, ticket, actor, action.priority, now, batch_id=batch_id)
    elif kind is ActionKind.ESCALATE:
        if Tier(ticket.tier) != action.tier:
            apply_escalation(
                session, ticket, actor, action.tier, action.reason, now, batch_id=batch_id
            )
    elif kind is ActionKind.TEAM:
        _move_team(session, ticket, actor, action.value, now, batch_id=batch_id)
    elif kind is ActionKind.ASSIGNEE:
        _assign(session, ticket, actor, action, now, batch_id=batch_id)
    elif kind in (ActionKind.ADD_TAG, ActionKind.REMOVE_TAG):
        add = {action.value} if kind is ActionKind.ADD_TAG else set()
        remove = {action.value} if kind is ActionKind.REMOVE_TAG else set()
        apply_tags(session, ticket, actor, add, remove, now, batch_id=batch_id)
    elif kind is ActionKind.NOTE:
        body = checked_body(action.value)
        add_note_in(session, ticket, actor, body, now, batch_id=batch_id)
        return body
    elif kind is ActionKind.REPLY:
        body = checked_body(render_template(session, ticket, actor, action.value))
        apply_reply(session, ticket, actor, body, now, mail=mail, batch_id=batch_id)
        return body
    else:  # notify
        text = sanitize(action.value)
        write_audit(session, ticket, actor, NOTIFY, now, field=NOTIFY, new=text, batch_id=batch_id)
    return None


def _move_team(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    name: str,
    now: datetime,
    *,
    batch_id: str | None,
) -> None:
    """To another team of the ticket's tier; an assignee outside that team lets it go."""
    target = team_for_tier(session, Tier(ticket.tier), name)
    if target.id == ticket.team_id:
        return
    if actor is not None:
        check_can_act(actor, ticket_scope(session, ticket), "move")
        check_can_shape_teams(actor, [ticket.team_id, target.id], f"the team of #{ticket.id}")
    old_team = team_name(session, ticket.team_id)
    holder = session.get(Agent, ticket.assignee_id) if ticket.assignee_id is not None else None
    if holder is not None and holder.team_id != target.id and holder.role != Role.ADMIN.value:
        apply_assignment(session, ticket, actor, None, now, batch_id=batch_id)
    move_to_team(session, ticket, target.id)
    bump_version(ticket, now)
    write_audit(
        session,
        ticket,
        actor,
        "team",
        now,
        field="team",
        old=old_team,
        new=target.name,
        batch_id=batch_id,
    )


def _assign(
    session: Session,
    ticket: Ticket,
    actor: Actor | None,
    action: Action,
    now: datetime,
    *,
    batch_id: str | None,
) -> None:
    wanted = action.assignee
    if wanted is None:
        target = None
    elif wanted == LEAST_LOADED:
        target = least_loaded(session, ticket)
    else:
        target = agent_by_handle(session, wanted)
    if target is not None:
        check_can_hold(session, target, ticket)
    if actor is not None:
        check_can_assign_to(
            actor,
            ticket_scope(session, ticket),
            target_id=target.id if target else None,
            target_team_id=target.team_id if target else None,
        )
    apply_assignment(session, ticket, actor, target, now, batch_id=batch_id)


def least_loaded(session: Session, ticket: Ticket) -> Agent:
    """The active agent of the ticket's team and tier with the fewest active tickets."""
    load = (
        select(func.count())
        .where(
            col(Ticket.assignee_id) == col(Agent.id),
            col(Ticket.status).in_(ACTIVE_STATUS_VALUES),
        )
        .correlate(Agent)
        .scalar_subquery()
    )
    agent: Agent | None = session.execute(
        select(Agent)
        .where(
            col(Agent.active),
            col(Agent.team_id) == ticket.team_id,
            col(Agent.tier) == ticket.tier,
            col(Agent.role) != Role.ADMIN.value,
        )
        .order_by(load, col(Agent.id))
        .limit(1)
    ).scalar_one_or_none()
    if agent is None:
        team = team_name(session, ticket.team_id) or "(none)"
        raise UsageError(f"team {team} has no active {ticket.tier} agent to assign #{ticket.id} to")
    return agent


def render_template(session: Session, ticket: Ticket, actor: Actor | None, name: str) -> str:
    """Reply template `name` for the ticket, in the customer's language variant (else English,
    else any), signed by the actor, or by the system as the ticket's active assignee (or no
    one: the signature is empty)."""
    variants = {
        t.language: t.body
        for t in session.execute(
            select(ReplyTemplate).where(func.lower(col(ReplyTemplate.name)) == name.lower())
        ).scalars()
    }
    customer = session.get(Customer, ticket.customer_id)
    assert customer is not None and ticket.id is not None
    chosen = pick_variant(sorted(variants), customer.language)
    if chosen is None:
        raise NotFound(f"no reply template named {name!r}")
    signer_id = actor.id if actor is not None else ticket.assignee_id
    signer = session.get(Agent, signer_id) if signer_id is not None else None
    if signer is not None and not signer.active:
        signer = None  # a deactivated assignee signs nothing any more
    context = template_context(
        customer_name=customer.name,
        ticket_id=ticket.id,
        ticket_subject=ticket.subject,
        ticket_priority=Priority(ticket.priority).label,
        resolution_due=ticket.resolution_due,
        agent_name=signer.name if signer else "",
        agent_signature=(signer.signature or signer.name) if signer else "",
    )
    return render(variants[chosen], context)
