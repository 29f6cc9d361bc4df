"""`csm init`, `csm demo` and `csm db upgrade|current`: creating and migrating stores."""

from __future__ import annotations

import typer

from csm_console.cli.console_cmd import has_terminal, open_console
from csm_console.cli.output import emit_json, info, out
from csm_console.cli.state import CliState, state
from csm_console.errors import UsageError
from csm_console.services import report_summary, setup
from csm_console.services.records import StoreSummary
from csm_console.store import migrate
from csm_console.store.engine import Store
from csm_console.store.grants import grants_sql

db_app = typer.Typer(help="Schema migrations of the store.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    sample: bool = typer.Option(False, "--sample", help="Load the sample support operation."),
    format: str = typer.Option("table", "--format", help="table or json (the summary)"),
) -> None:
    """Create the store's schema (or upgrade it), optionally loading the sample data."""
    st = state(ctx)
    store = st.store(check_schema=False, create=True)
    before, after = setup.initialize(store)
    if before != after:
        info(f"schema {before or 'empty'} → {after} in {store.display_url}")
    else:
        info(f"schema already at {after} in {store.display_url}")
    summary = setup.load_sample(store) if sample else setup.summarize(store)
    _print_summary(summary, format)


def demo(
    ctx: typer.Context,
    reset: bool = typer.Option(False, "--reset", help="Recreate the demo store from scratch."),
) -> None:
    """Open the console on a sample store of its own (created and seeded on first run), as the
    sample L1 operator `demo`.  Without a terminal it prints what the store holds."""
    st = state(ctx)
    path = st.settings().paths.demo_store
    if reset:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    try:
        setup.initialize(store)
        if setup.is_empty(store):
            info(f"creating the demo store {path} ...")
            setup.load_sample(store)
        if has_terminal():
            open_console(st, store, agent="demo", demo=True, theme=st.theme)
            return
        summary = setup.summarize(store)
    finally:
        store.dispose()
    _print_summary(summary, "table")
    info("no terminal here, so the console did not open; run `csm demo` in a terminal")


def _print_summary(summary: StoreSummary, format: str) -> None:
    if format == "json":
        emit_json(summary)
        return
    out.print(f"store       {summary.url}", markup=False)
    out.print(
        f"teams {summary.teams}  agents {summary.agents}  customers {summary.customers}  "
        f"templates {summary.templates}  articles {summary.articles}",
        markup=False,
    )
    out.print(
        f"tickets {summary.tickets}  messages {summary.messages}  audit events "
        f"{summary.audit_events}  breaching SLA now {summary.breaching}",
        markup=False,
    )
    if summary.tickets:
        out.print(
            "by status   " + "  ".join(f"{k} {v}" for k, v in summary.by_status.items()),
            markup=False,
        )


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply the schema migrations shipped with this csm."""
    store = state(ctx).store(check_schema=False, create=True)
    before, after = setup.initialize(store)
    info(
        f"schema {before or 'empty'} → {after}" if before != after else f"schema already at {after}"
    )


@db_app.command("rebuild-summary")
def rebuild_summary(ctx: typer.Context) -> None:
    """Compute the report's daily summary again from every ticket (after a restore, or a
    load that bypassed csm).  A report keeps it up to date by itself otherwise."""
    store = state(ctx).store()
    days = report_summary.rebuild(store)
    info(f"report summary rebuilt: {days} days")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the store's schema revision and the one this csm needs."""
    st: CliState = state(ctx)
    store = st.store(check_schema=False)
    revision = migrate.current_revision(store)
    out.print(f"store  {store.display_url}", markup=False)
    out.print(f"schema {revision or '(none)'}", markup=False)
    out.print(f"needs  {migrate.head_revision()}", markup=False)


@db_app.command("grants")
def grants(
    prefix: str = typer.Option(
        "csm", "--prefix", help="Group roles PREFIX_operator, PREFIX_lead, PREFIX_admin."
    ),
) -> None:
    """Print the SQL that gives agents' logins their privileges (PostgreSQL; run it as the
    store's owner, again after each upgrade).  Made from this csm's tables; reads no store."""
    try:
        sql = grants_sql(prefix)
    except ValueError as error:
        raise UsageError(str(error)) from None
    out.print(sql, markup=False, highlight=False, end="")
