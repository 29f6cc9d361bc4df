"""`csm agents|teams|customers ...`: the people of the desk."""

from __future__ import annotations

import typer

from csm_console.cli.output import check_format, emit_json, info, out, plain
from csm_console.cli.state import state
from csm_console.domain.model import Role, Tier, parse_enum
from csm_console.domain.rights import Actor
from csm_console.domain.text import sanitize
from csm_console.errors import NotFound, PermissionDenied, UsageError
from csm_console.services import agents, customers

agents_app = typer.Typer(help="Agents: list, add, bind, deactivate.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams: list, add.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers: list, show, set.", no_args_is_help=True)


@agents_app.command("list")
def agents_list(ctx: typer.Context, format: str = typer.Option("table", "--format")) -> None:
    """Every agent with role, tier, team and whether active."""
    rows = agents.list_agents(state(ctx).store())
    if check_format(format) == "json":
        emit_json(rows)
        return
    for a in rows:
        flag = ("" if a.active else "  (inactive)") + (
            f"  [login {a.db_role}]" if a.db_role else ""
        )
        out.print(
            f"{a.handle:<12} {a.role:<9} {a.tier}  {a.team or '—':<20} "
            f"{sanitize(a.name, single_line=True)}{flag}",
            markup=False,
        )


@agents_app.command("add")
def agents_add(
    ctx: typer.Context,
    handle: str = typer.Argument(...),
    name: str = typer.Option(..., "--name"),
    email: str = typer.Option(..., "--email"),
    role: str = typer.Option(..., "--role", help="operator, lead or admin"),
    tier: str = typer.Option(..., "--tier", help="L1, L2 or L3"),
    team: str | None = typer.Option(None, "--team", help="Required for operators and leads."),
    db_role: str | None = typer.Option(
        None, "--db-role", help="PostgreSQL: the database login that is this agent."
    ),
) -> None:
    """Add an agent.  On an empty store the first `--role admin` needs no acting agent."""
    st = state(ctx)
    store = st.store()
    try:
        chosen_role = parse_enum(Role, role, "role")
        chosen_tier = Tier.parse(tier)
    except ValueError as error:
        raise UsageError(str(error)) from None
    try:
        actor: Actor | None = st.actor()
    except (UsageError, NotFound, PermissionDenied):  # an empty store: the first admin
        actor = None
    added = agents.add_agent(
        store,
        actor=actor,
        handle=handle,
        name=name,
        email=email,
        role=chosen_role,
        tier=chosen_tier,
        team=team,
    )
    out.print(added.handle, markup=False)
    info(f"added {added.handle} ({added.role}, {added.tier}, {added.team or 'no team'})")
    if db_role:
        agents.bind_db_role(store, actor=actor or st.actor(), handle=added.handle, db_role=db_role)
        info(f"{added.handle} is the database login {db_role}")


@agents_app.command("bind")
def agents_bind(
    ctx: typer.Context,
    handle: str = typer.Argument(...),
    db_role: str | None = typer.Option(
        None, "--db-role", help="The PostgreSQL login that is this agent."
    ),
    unbind: bool = typer.Option(False, "--unbind", help="Remove the agent's login."),
) -> None:
    """Bind an agent to a PostgreSQL login (admins): connected as that login, csm acts as the
    agent, and only an admin may use --as for someone else."""
    if (db_role is None) == (not unbind):
        raise UsageError("give --db-role ROLE, or --unbind")
    st = state(ctx)
    old = agents.bind_db_role(st.store(), actor=st.actor(), handle=handle, db_role=db_role)
    if db_role:
        info(f"{handle} is the database login {db_role}" + (f" (was {old})" if old else ""))
    else:
        info(f"{handle} has no database login" + (f" (was {old})" if old else ""))


@agents_app.command("deactivate")
def agents_deactivate(
    ctx: typer.Context,
    handle: str = typer.Argument(...),
    reassign_to: str | None = typer.Option(
        None, "--reassign-to", metavar="HANDLE", help="Move their open tickets to this agent first."
    ),
) -> None:
    """Mark an agent inactive; refused while they hold open tickets, unless --reassign-to."""
    st = state(ctx)
    done = agents.deactivate(st.store(), actor=st.actor(), handle=handle, reassign_to=reassign_to)
    if done.moved:
        info(f"moved {done.moved} open tickets to {reassign_to} (batch {done.batch_id})")
    info(f"{done.agent.handle} is inactive")


@teams_app.command("list")
def teams_list(ctx: typer.Context, format: str = typer.Option("table", "--format")) -> None:
    """Every team and the tier it serves."""
    rows = agents.list_teams(state(ctx).store())
    if check_format(format) == "json":
        emit_json(rows)
        return
    for t in rows:
        out.print(
            f"{t.name:<22} {t.tier}  {sanitize(t.description, single_line=True)}", markup=False
        )


@teams_app.command("add")
def teams_add(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    tier: str = typer.Option(..., "--tier", help="L1, L2 or L3"),
    description: str = typer.Option("", "--description"),
) -> None:
    """Add a team (admins only; on an empty store, before the first agent, anyone)."""
    st = state(ctx)
    try:
        chosen = Tier.parse(tier)
    except ValueError as error:
        raise UsageError(str(error)) from None
    actor = st.known_actor()
    team = agents.add_team(st.store(), actor=actor, name=name, tier=chosen, description=description)
    out.print(team.name, markup=False)


@customers_app.command("list")
def customers_list(
    ctx: typer.Context,
    search: str = typer.Option("", "--search", help="Part of the name or e-mail."),
    limit: int = typer.Option(100, "--limit", min=1),
    format: str = typer.Option("table", "--format"),
) -> None:
    """Customers with their language, segment and number of tickets."""
    rows = customers.list_customers(state(ctx).store(), text=search, limit=limit)
    if check_format(format) == "json":
        emit_json([{**_plain(c), "tickets": n} for c, n in rows])
        return
    width = max([len(c.email) for c, _ in rows] or [0])  # e-mails line up, however long
    for c, n in rows:
        out.print(
            f"{c.email:<{width}}  {c.language}  {c.segment:<9} {n:>4} ticket{'' if n == 1 else 's'}"
            f"  {sanitize(c.name, single_line=True)}",
            markup=False,
        )


@customers_app.command("show")
def customers_show(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    format: str = typer.Option("table", "--format"),
) -> None:
    """A customer's card and their tickets, newest first."""
    customer, rows = customers.get_customer(state(ctx).store(), email=email)
    if check_format(format) == "json":
        emit_json(
            {
                **_plain(customer),
                "tickets": [
                    {
                        "id": r.id,
                        "subject": r.subject,
                        "status": r.status.value,
                        "created_at": r.created_at.isoformat(),
                    }
                    for r in rows
                ],
            }
        )
        return
    out.print(f"{sanitize(customer.name, single_line=True)} <{customer.email}>", markup=False)
    out.print(
        f"language {customer.language} · segment {customer.segment} · phone "
        f"{customer.phone or '—'} · company {sanitize(customer.company or '—')} · "
        f"prefers {customer.preferred_channel}",
        markup=False,
    )
    width = max((len(str(r.id)) + 1 for r in rows), default=0)  # ids right-aligned
    for r in rows:
        number = f"#{r.id}"
        out.print(
            f"  {number:>{width}}  {r.status.value:<8} {sanitize(r.subject, single_line=True)}",
            markup=False,
        )


def _plain(value: object) -> dict[str, object]:
    data = plain(value)
    assert isinstance(data, dict)
    return data


@customers_app.command("set")
def customers_set(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    surveys: bool | None = typer.Option(
        None,
        "--surveys/--no-surveys",
        help="Send satisfaction surveys to this customer, or never (their opt-out).",
    ),
) -> None:
    """Change a customer's preferences (audited)."""
    if surveys is None:
        raise UsageError("nothing to set: give --surveys or --no-surveys")
    st = state(ctx)
    customer, changed = customers.set_surveys(
        st.store(), actor=st.actor(), email=email, allowed=surveys
    )
    what = "no surveys" if customer.no_surveys else "surveys"
    info(f"{customer.email}: {what}" + ("" if changed else " (already so)"))
