"""What an automation or a macro does to a ticket, as plain data: the action vocabulary, its
text form (one action per line, `kind=value`) and the checks before one is saved.

    status=pending            set the status (the workflow's transition rules apply)
    priority=high             low, normal, high, urgent
    escalate=L2: reason       raise the tier, with the reason the escalation needs
    team=Billing              move to a team (its calendar recomputes the due times)
    assignee=@mara            assign; `assignee=none` unassigns; `assignee=least-loaded` gives
                              it to the least loaded active agent of the ticket's team
    tag+=vip / tag-=vip       add or remove a tag
    note=text                 add an internal note
    reply=template-name       send a public reply from a template (the customer's language
                              variant; on an e-mail ticket it leaves through the outbox)
    notify=text               tell the ticket's assignee (a console notification)

Nothing here touches the store: `services.ticket_actions` applies a list of actions to a
ticket in one transaction, `services.automations` and `services.macros` decide when.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from csm_console.domain.model import Priority, Status, Tier, parse_enum
from csm_console.domain.text import normalize_tag, sanitize

MAX_ACTIONS = 20  # per automation or macro
MAX_TEXT = 4000  # a note, a notification or an escalation reason
LEAST_LOADED = "least-loaded"
UNASSIGNED = "none"


class ActionKind(StrEnum):
    STATUS = "status"
    PRIORITY = "priority"
    ESCALATE = "escalate"
    TEAM = "team"
    ASSIGNEE = "assignee"
    ADD_TAG = "tag+"
    REMOVE_TAG = "tag-"
    NOTE = "note"
    REPLY = "reply"
    NOTIFY = "notify"


# what a macro may do besides its reply (the reply is the macro's own text, reviewed in the
# composer; moving a ticket between people and teams is a lead's or an automation's work)
MACRO_KINDS = frozenset(
    {
        ActionKind.STATUS,
        ActionKind.PRIORITY,
        ActionKind.ADD_TAG,
        ActionKind.REMOVE_TAG,
        ActionKind.NOTE,
    }
)


@dataclass(frozen=True, slots=True)
class Action:
    """One action; `value` is already checked and in its canonical form (a status value, a
    priority label, a tier, a tag, a team name, `@handle`/none/least-loaded, a template name,
    a text), `reason` is an escalation's reason."""

    kind: ActionKind
    value: str
    reason: str = ""

    def __str__(self) -> str:
        if self.kind is ActionKind.ESCALATE:
            return f"escalate={self.value}: {self.reason}"
        return f"{self.kind.value}={self.value}"

    @property
    def status(self) -> Status:
        assert self.kind is ActionKind.STATUS
        return Status(self.value)

    @property
    def priority(self) -> Priority:
        assert self.kind is ActionKind.PRIORITY
        return Priority.parse(self.value)

    @property
    def tier(self) -> Tier:
        assert self.kind is ActionKind.ESCALATE
        return Tier(self.value)

    @property
    def assignee(self) -> str | None:
        """The handle to assign to, None to unassign, LEAST_LOADED to pick one."""
        assert self.kind is ActionKind.ASSIGNEE
        if self.value == UNASSIGNED:
            return None
        return self.value if self.value == LEAST_LOADED else self.value.lstrip("@")


_KINDS = {k.value: k for k in ActionKind}
_ALIASES = {"tags+": "tag+", "tags-": "tag-", "assign": "assignee", "tier": "escalate"}


def parse_action(text: str) -> Action:
    """One action from its text form, or ValueError naming what is wrong."""
    line = sanitize(text, single_line=True).strip()
    head, eq, value = line.partition("=")
    name = head.strip().lower()
    name = _ALIASES.get(name, name)
    if not eq or name not in _KINDS:
        valid = ", ".join(f"{k}=..." for k in _KINDS)
        raise ValueError(f"bad action {line[:60]!r}; write one of {valid}")
    kind = _KINDS[name]
    value = value.strip()
    if not value:
        raise ValueError(f"{kind.value}= needs a value")
    return _checked(kind, value)


def _checked(kind: ActionKind, value: str) -> Action:
    if kind is ActionKind.STATUS:
        return Action(kind, parse_enum(Status, value.replace(" ", "_"), "status").value)
    if kind is ActionKind.PRIORITY:
        return Action(kind, Priority.parse(value).label)
    if kind is ActionKind.ESCALATE:
        tier, colon, reason = value.partition(":")
        reason = reason.strip()
        if not colon or not reason:
            raise ValueError("escalate= needs a tier and a reason: escalate=L2: why")
        return Action(kind, Tier.parse(tier).value, _text(reason, "reason"))
    if kind in (ActionKind.ADD_TAG, ActionKind.REMOVE_TAG):
        return Action(kind, normalize_tag(value))
    if kind is ActionKind.ASSIGNEE:
        lowered = value.lower()
        if lowered in (UNASSIGNED, LEAST_LOADED):
            return Action(kind, lowered)
        handle = value.lstrip("@")
        if (
            not handle
            or len(handle) > 40
            or not handle.replace(".", "").replace("-", "").replace("_", "").isalnum()
        ):
            raise ValueError(f"bad assignee {value[:40]!r}; write @handle, none or least-loaded")
        return Action(kind, "@" + handle.lower())
    if kind in (ActionKind.TEAM, ActionKind.REPLY):
        if len(value) > 120:
            raise ValueError(f"{kind.value}= is too long (at most 120 characters)")
        return Action(kind, value)
    return Action(kind, _text(value, kind.value))  # note, notify


def _text(value: str, what: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"the {what} is too long (at most {MAX_TEXT} characters)")
    return value


def parse_actions(
    lines: Iterable[str], *, allowed: Iterable[ActionKind] | None = None
) -> tuple[Action, ...]:
    """Actions from their text form (blank lines and `#` comments skipped), or ValueError
    naming the line that is wrong; `allowed` limits the kinds (a macro's `MACRO_KINDS`)."""
    kinds = frozenset(allowed) if allowed is not None else frozenset(ActionKind)
    actions = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            action = parse_action(line)
        except ValueError as exc:
            raise ValueError(f"action {number}: {exc}") from None
        if action.kind not in kinds:
            valid = ", ".join(sorted(k.value for k in kinds))
            raise ValueError(
                f"action {number}: {action.kind.value}= is not allowed here; valid: {valid}"
            )
        actions.append(action)
    if len(actions) > MAX_ACTIONS:
        raise ValueError(f"too many actions ({len(actions)}; at most {MAX_ACTIONS})")
    statuses = [a for a in actions if a.kind is ActionKind.STATUS]
    if len(statuses) > 1:
        raise ValueError("more than one status= action")
    return tuple(actions)


def actions_text(actions: Iterable[Action]) -> str:
    """The stored form: one action per line."""
    return "\n".join(str(a) for a in actions)


def describe(actions: Iterable[Action]) -> str:
    """One line for a table: `status=solved, tag+=auto-closed`."""
    return ", ".join(str(a) for a in actions)
