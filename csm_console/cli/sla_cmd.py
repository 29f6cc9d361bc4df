"""`csm sla ...`: the SLA policies (targets per priority, optionally per team or segment)."""

from __future__ import annotations

import typer

from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.domain.durations import format_duration, parse_duration
from csm_console.domain.model import Priority
from csm_console.errors import UsageError
from csm_console.services import sla

app = typer.Typer(help="SLA policies: list, set.", no_args_is_help=True)


@app.command("list")
def sla_list(ctx: typer.Context, format: str = typer.Option("table", "--format")) -> None:
    """Every policy: priority, team, segment, first response and resolution targets."""
    check_format(format)
    policies = sla.list_policies(state(ctx).store())
    if format == "json":
        emit_json(
            [
                {
                    "priority": p.priority.label,
                    "team": p.team,
                    "segment": p.segment,
                    "first_response_minutes": int(p.first_response.total_seconds() // 60),
                    "resolution_minutes": int(p.resolution.total_seconds() // 60),
                }
                for p in policies
            ]
        )
        return
    header = (
        f"{'priority':<9} {'team':<18} {'segment':<9} {'first response':>14} {'resolution':>11}"
    )
    out.print(header, markup=False)
    for p in policies:
        out.print(
            f"{p.priority.label:<9} {p.team or 'any':<18} {p.segment or 'any':<9} "
            f"{format_duration(p.first_response):>14} {format_duration(p.resolution):>11}",
            markup=False,
        )


@app.command("set")
def sla_set(
    ctx: typer.Context,
    priority: str = typer.Argument(..., help="low, normal, high or urgent."),
    first_response: str = typer.Option(..., "--first-response", help="e.g. 30m, 4h, 1d."),
    resolution: str = typer.Option(..., "--resolution", help="e.g. 8h, 2d."),
    team: str | None = typer.Option(None, "--team", help="Only for this team."),
    segment: str | None = typer.Option(
        None, "--segment", help="Only for standard, business or vip."
    ),
) -> None:
    """Set the targets (leads and admins); the due times of open tickets of that priority are
    recomputed (a target already met keeps its due time)."""
    try:
        chosen = Priority.parse(priority)
        first, last = parse_duration(first_response), parse_duration(resolution)
    except ValueError as error:
        raise UsageError(str(error)) from None
    st = state(ctx)
    change = sla.set_policy(
        st.store(),
        actor=st.actor(),
        priority=chosen,
        first_response=first,
        resolution=last,
        team=team,
        segment=segment,
    )
    scope = " ".join(
        part
        for part in (change.policy.team and f"team {change.policy.team}",
                     change.policy.segment and f"segment {change.policy.segment}")
        if part
    ) or "every team and segment"  # fmt: skip
    verb = "added" if change.created else "changed"
    info(
        f"policy {verb}: {chosen.label} ({scope}); "
        f"{change.recomputed} open ticket{'s' if change.recomputed != 1 else ''} got new due times"
    )
