"""`csm rules ...`: the routing rules that shape new tickets (leads and admins edit them)."""

from __future__ import annotations

import typer

from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.domain.model import Channel, Language, Priority, Segment, Tier, parse_enum
from csm_console.domain.routing import IncomingTicket, RoutingRule, RuleActions
from csm_console.domain.text import sanitize
from csm_console.errors import NotFound, UsageError
from csm_console.services import routing

app = typer.Typer(
    help="Routing rules for new tickets: list, add, remove, move, test.", no_args_is_help=True
)


def _line(position: int, name: str, condition: str, actions: str) -> str:
    return f"{position:>3}. {sanitize(name, single_line=True)}: when {condition}  →  {actions}"


@app.command("list")
def rules_list(ctx: typer.Context, format: str = typer.Option("table", "--format")) -> None:
    """The rules in the order they are tried; the first that matches a new ticket fires."""
    check_format(format)
    views = routing.list_rules(state(ctx).store())
    if format == "json":
        emit_json(
            [
                {
                    "position": v.position,
                    "name": v.rule.name,
                    "condition": v.rule.condition,
                    "team": v.rule.actions.team,
                    "tier": v.rule.actions.tier.value if v.rule.actions.tier else None,
                    "priority": v.rule.actions.priority.label
                    if v.rule.actions.priority is not None
                    else None,
                    "category": v.rule.actions.category,
                    "add_tags": list(v.rule.actions.add_tags),
                    "assign_to": v.rule.actions.assign_to,
                }
                for v in views
            ]
        )
        return
    if not views:
        info("no routing rules; add one with `csm rules add`")
    for v in views:
        out.print(
            _line(v.position, v.rule.name, sanitize(v.rule.condition, single_line=True),
                  v.rule.actions.describe()),
            markup=False,
        )  # fmt: skip


@app.command("add")
def rules_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the rule (shown in the audit)."),
    when: str = typer.Option(
        ...,
        "--when",
        help="The condition, in the query language (e.g. 'language:ru счёт'), or \"*\".",
    ),
    team: str | None = typer.Option(None, "--team", help="Set the team (and its tier)."),
    tier: str | None = typer.Option(None, "--tier", help="Set the tier (its first team)."),
    priority: str | None = typer.Option(None, "--priority", help="Set the priority."),
    category: str | None = typer.Option(None, "--category", help="Set the category."),
    tag: list[str] = typer.Option([], "--tag", help="Add a tag (repeatable)."),
    assign: str | None = typer.Option(None, "--assign", metavar="HANDLE", help="Assign to."),
    position: int | None = typer.Option(None, "--position", min=1, help="1 = tried first."),
) -> None:
    """Add a rule (checked first: the condition, the team, the agent)."""
    try:
        actions = RuleActions(
            team=team,
            tier=Tier.parse(tier) if tier else None,
            priority=Priority.parse(priority) if priority else None,
            category=category.strip().lower() if category else None,
            add_tags=tuple(tag),
            assign_to=assign,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    view = routing.add_rule(
        st.store(),
        actor=st.actor(),
        rule=RoutingRule(name=name, condition=when, actions=actions),
        position=position,
    )
    info(f"rule {view.rule.name!r} added at position {view.position}")


@app.command("remove")
def rules_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a rule."""
    st = state(ctx)
    routing.remove_rule(st.store(), actor=st.actor(), name=name)
    info(f"rule {name!r} removed")


@app.command("move")
def rules_move(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    to: int = typer.Option(..., "--to", min=1, help="The new position (1 = tried first)."),
) -> None:
    """Move a rule up or down the order."""
    st = state(ctx)
    where = routing.move_rule(st.store(), actor=st.actor(), name=name, position=to)
    info(f"rule {name!r} is now at position {where}")


@app.command("test")
def rules_test(
    ctx: typer.Context,
    subject: str = typer.Option(..., "--subject"),
    body: str = typer.Option("", "--body"),
    channel: str = typer.Option("email", "--channel"),
    language: str = typer.Option("en", "--language", "--lang"),
    segment: str = typer.Option("standard", "--segment"),
    customer: str = typer.Option("", "--customer", help="The customer's e-mail."),
    priority: str = typer.Option("normal", "--priority"),
) -> None:
    """Which rule would fire for such a ticket, and what it would set.  Writes nothing; exit 3
    when no rule matches."""
    try:
        ticket = IncomingTicket(
            subject=subject,
            body=body,
            channel=parse_enum(Channel, channel, "channel").value,
            language=parse_enum(Language, language, "language").value,
            segment=parse_enum(Segment, segment, "segment").value,
            priority=Priority.parse(priority),
            tier=Tier.L1,
            customer_email=customer,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    rule = routing.test_rules(state(ctx).store(), ticket)
    if rule is None:
        raise NotFound("no rule matches; the ticket would keep what it was created with")
    out.print(f"{sanitize(rule.name, single_line=True)}: {rule.actions.describe()}", markup=False)
