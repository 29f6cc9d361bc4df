"""`csm automations ...`: time-based automations (leads and admins edit them; `run` runs them
once, as `csm worker` does every minute)."""

from __future__ import annotations

import typer

from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.domain.actions import describe
from csm_console.domain.text import sanitize
from csm_console.services import automations
from csm_console.services.automations import (
    MAX_AUTOMATIONS,
    MAX_MAX,
    AutomationView,
    TestReport,
)

app = typer.Typer(
    help="Automations: act on tickets that match a condition (time terms such as "
    "`updated:>3d`): list, add, remove, enable, disable, test, run.",
    no_args_is_help=True,
)

MAX_LIMIT = 1000


def _clean(text: str) -> str:
    return sanitize(text, single_line=True)


def _record(v: AutomationView) -> dict[str, object]:
    return {
        "position": v.position,
        "name": v.name,
        "enabled": v.enabled,
        "condition": v.condition,
        "actions": [str(a) for a in v.actions],
        "max": v.max_tickets,
        "last_run_at": v.last_run_at,
        "last_run": v.last_run,
    }


@app.command("list")
def automations_list(
    ctx: typer.Context, format: str = typer.Option("table", "--format", help="table or json.")
) -> None:
    """The automations in the order they run, with what the last eventful run did (or its
    stop)."""
    check_format(format)
    views = automations.list_automations(state(ctx).store())
    if format == "json":
        emit_json([_record(v) for v in views])
        return
    if not views:
        info("no automations; add one with `csm automations add`")
    for v in views:
        state_word = "on" if v.enabled else "off"
        last = (
            f"{v.last_run_at:%Y-%m-%d %H:%M} {v.last_run}"
            if v.last_run_at and v.last_run
            else "never acted"
        )
        out.print(
            f"{v.position:>3}. {_clean(v.name)} [{state_word}, max {v.max_tickets}]: when "
            f"{_clean(v.condition)}  →  {_clean(describe(v.actions))}  (last: {_clean(last)})",
            markup=False,
        )


@app.command("add")
def automations_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the automation (shown in the audit)."),
    when: str = typer.Option(
        ...,
        "--when",
        help="The condition, in the query language (e.g. 'status:pending updated:>3d').",
    ),
    do: list[str] = typer.Option(
        [],
        "--do",
        metavar="ACTION",
        help="An action (repeatable), e.g. status=solved, tag+=chased, reply=TEMPLATE, "
        "assignee=least-loaded, escalate=L2: reason, notify=text.",
    ),
    max_tickets: int = typer.Option(
        automations.DEFAULT_MAX,
        "--max",
        min=1,
        max=MAX_MAX,
        help="Act on none, and say so, when more tickets than this would be acted on in a run.",
    ),
    position: int | None = typer.Option(
        None, "--position", min=1, max=MAX_AUTOMATIONS, help="1 = runs first (default: last)."
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Save it switched off."),
) -> None:
    """Add an automation (leads and admins); checked first: the condition, every action, the
    teams, agents and templates they name.  Nothing is saved when anything is wrong."""
    st = state(ctx)
    view = automations.add_automation(
        st.store(),
        actor=st.actor(),
        name=name,
        condition=when,
        actions=do,
        max_tickets=max_tickets,
        position=position,
        enabled=not disabled,
    )
    info(f"automation {_clean(view.name)!r} added at position {view.position}")


@app.command("remove")
def automations_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove an automation (what it did stays in the audit)."""
    st = state(ctx)
    automations.remove_automation(st.store(), actor=st.actor(), name=name)
    info(f"automation {_clean(name)!r} removed")


@app.command("enable")
def automations_enable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Switch an automation on."""
    st = state(ctx)
    changed = automations.set_enabled(st.store(), actor=st.actor(), name=name, enabled=True)
    info(f"automation {_clean(name)!r} " + ("enabled" if changed else "was enabled already"))


@app.command("disable")
def automations_disable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Switch an automation off (it keeps its place and what it has fired on)."""
    st = state(ctx)
    changed = automations.set_enabled(st.store(), actor=st.actor(), name=name, enabled=False)
    info(f"automation {_clean(name)!r} " + ("disabled" if changed else "was disabled already"))


def _test_record(report: TestReport) -> dict[str, object]:
    return {
        "name": report.name,
        "condition": report.condition,
        "actions": [str(a) for a in report.actions],
        "matched": report.matched,
        "max": report.max_tickets,
        "stopped": report.stopped,
        "already_acted_on": report.already,
        "tickets": [
            {
                "id": t.ticket_id,
                "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in t.changes],
                "skipped": t.reason,
            }
            for t in report.tickets
        ],
    }


@app.command("test")
def automations_test(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="An automation (default: --when and --do)."),
    when: str | None = typer.Option(None, "--when", help="A condition to try instead."),
    do: list[str] = typer.Option([], "--do", metavar="ACTION", help="Actions to try instead."),
    limit: int = typer.Option(
        20, "--limit", min=1, max=MAX_LIMIT, help="Show the changes of this many tickets."
    ),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Which tickets it would act on now and what would change on each; changes nothing."""
    check_format(format)
    report = automations.test(
        state(ctx).store(), name=name, condition=when, actions=do, limit=limit
    )
    if format == "json":
        emit_json(_test_record(report))
        return
    head = f"{report.matched} ticket(s) would be acted on"
    if report.already:
        head += f"; {report.already} more match but were acted on already"
    out.print(head, markup=False)
    if report.stopped:
        out.print(
            f"stop: more than its max of {report.max_tickets}: a run would act on none",
            markup=False,
        )
    for t in report.tickets:
        if t.reason:
            out.print(f"#{t.ticket_id}: skipped: {_clean(t.reason)}", markup=False)
            continue
        changes = "; ".join(_clean(str(c)) for c in t.changes) or "nothing would change"
        out.print(f"#{t.ticket_id}: {changes}", markup=False)
    if report.matched > len(report.tickets):
        info(f"(the first {len(report.tickets)} shown; --limit shows more)")


@app.command("run")
def automations_run(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help="Only these (default: every enabled one)."),
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Run the automations once now (for cron and tests; `csm worker` runs them every minute).
    Exit 0 also when one stops at its max (it says so)."""
    check_format(format, ("text", "json"))
    report = automations.run(state(ctx).store(), names=names or ())
    if format == "json":
        emit_json(
            [
                {
                    "name": r.name,
                    "acted": list(r.acted),
                    "skipped": [{"id": s.ticket_id, "reason": s.reason} for s in r.skipped],
                    "rearmed": r.rearmed,
                    "stopped": r.stopped,
                }
                for r in report.runs
            ]
        )
        return
    for line in automations.describe_run(report):
        out.print(line, markup=False)
    info(f"{len(report.runs)} automation(s) run, {report.acted} ticket(s) acted on")
