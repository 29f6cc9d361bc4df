"""`csm calendars ...`: business-hours calendars, and which team counts SLA time by which."""

from __future__ import annotations

import typer

from csm_console.cli.files import read_body_text
from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.domain.text import sanitize
from csm_console.errors import UsageError
from csm_console.services import calendars

app = typer.Typer(
    help="Business-hours calendars for SLA clocks: list, show, set, remove, use.",
    no_args_is_help=True,
)

EXAMPLE = "timezone: Europe/Riga; mon-fri: 09:00-18:00; holidays: 2026-12-24, 2026-12-25"


@app.command("list")
def calendars_list(ctx: typer.Context, format: str = typer.Option("table", "--format")) -> None:
    """Every calendar: name, timezone, the teams that use it, and its hours."""
    check_format(format)
    views = calendars.list_calendars(state(ctx).store())
    if format == "json":
        emit_json(
            [
                {
                    "name": v.name,
                    "timezone": v.calendar.timezone,
                    "teams": list(v.teams),
                    "definition": v.definition,
                }
                for v in views
            ]
        )
        return
    if not views:
        info(
            "no calendars; SLA clocks count wall time. Add one: "
            f'csm calendars set NAME --text "{EXAMPLE}"'
        )
    rows = [
        (
            v.name,
            v.calendar.timezone,
            sanitize(", ".join(v.teams), single_line=True) or "no team",
            "; ".join(v.definition.splitlines()[1:]),
        )
        for v in views
    ]
    if rows:
        widths = [
            max(len(row[i]) for row in [("name", "timezone", "teams", ""), *rows]) for i in range(3)
        ]
        for row in [("name", "timezone", "teams", "hours"), *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            out.print("  ".join([*cells, row[3]]), markup=False)


@app.command("show")
def calendars_show(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """The calendar in its text form (what `set --file` reads), then the teams that use it."""
    view = calendars.get_calendar(state(ctx).store(), name)
    out.print(view.definition, markup=False)
    info(f"used by: {sanitize(', '.join(view.teams), single_line=True) or 'no team'}")


@app.command("set")
def calendars_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name such as riga-office."),
    text: str | None = typer.Option(
        None,
        "--text",
        help=f"The calendar, lines separated by ';' (e.g. {EXAMPLE!r}); - for stdin.",
    ),
    file: str | None = typer.Option(
        None, "--file", help="A file with the calendar, one line each."
    ),
) -> None:
    """Add or replace a calendar (leads and admins).  The open tickets of the teams that use it
    get new due times."""
    if (text is None) == (file is None):
        raise UsageError(
            'give the calendar with --text "..." (or --text - for stdin) or --file; '
            f'e.g. --text "{EXAMPLE}"'
        )

    if text == "-":
        definition = read_body_text(ctx, None)
    elif text is not None:
        definition = text.replace(";", "\n")
    else:
        assert file is not None
        definition = read_body_text(ctx, file)
    st = state(ctx)
    change = calendars.set_calendar(st.store(), actor=st.actor(), name=name, definition=definition)
    assert change.calendar is not None
    verb = "added" if change.created else "changed"
    teams = sanitize(", ".join(change.calendar.teams), single_line=True) or (
        "no team yet (csm calendars use NAME --team T)"
    )
    info(
        f"calendar {verb}: {change.calendar.name}, used by {teams}; "
        + _recomputed(change.recomputed)
    )


@app.command("remove")
def calendars_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a calendar that no team uses (leads and admins)."""
    st = state(ctx)
    calendars.remove_calendar(st.store(), actor=st.actor(), name=name)
    info(f"calendar removed: {name}")


@app.command("use")
def calendars_use(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The calendar, or `none` for wall time."),
    team: str = typer.Option(..., "--team", help="The team whose SLA clocks use it."),
) -> None:
    """Have a team's SLA clocks count the calendar's working time (`none`: wall time).  The
    team's open tickets get new due times."""
    st = state(ctx)
    chosen = None if name.strip().lower() == "none" else name
    change = calendars.use_calendar(st.store(), actor=st.actor(), team=team, name=chosen)
    what = f"calendar {change.calendar.name}" if change.calendar else "wall time (no calendar)"
    shown = sanitize(team, single_line=True)
    info(f"team {shown} now counts {what}; {_recomputed(change.recomputed)}")


def _recomputed(count: int) -> str:
    return f"{count} open ticket{'s' if count != 1 else ''} got new due times"
