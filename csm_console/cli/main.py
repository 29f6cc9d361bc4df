"""`csm`: the entry point.  Errors become one line on stderr and a documented exit code."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from csm_console.cli import (
    calendars_cmd,
    config_cmd,
    db_cmd,
    dev_cmd,
    kb_cmd,
    people_cmd,
    report_cmd,
    rules_cmd,
    sla_cmd,
    templates_cmd,
    tickets_cmd,
    transfer_cmd,
)
from csm_console.cli.state import CliState
from csm_console.errors import EXIT_CODES, CsmError, StoreUnavailable


class _CsmGroup(TyperGroup):
    """Runs every command under one error handler: no traceback for a user error."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CsmError as error:
            _fail(error.message, error.exit_code)
        except BrokenPipeError:
            # `csm ... | head`: the reader went away; that is not an error.
            sys.stderr.close()
            raise SystemExit(0) from None
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as error:
            if type(error).__module__.startswith(("typer", "click")):
                raise  # usage errors and typer.Exit: the runner prints the usage, exits 2 (or 0)
            # A store error comes from SQLAlchemy, so it is loaded by then: never import it here
            # (`csm --version` ends with typer.Exit and would pay for importing it).
            if "sqlalchemy" in sys.modules:
                from sqlalchemy import exc

                if isinstance(error, exc.OperationalError | exc.InterfaceError):
                    _fail(
                        StoreUnavailable(f"store error: {str(error.orig).splitlines()[0]}").message,
                        6,
                    )
            if os.environ.get("CSM_DEBUG"):
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            _fail(
                "unexpected error (a bug; please report it; CSM_DEBUG=1 shows the traceback): "
                f"{type(error).__name__}: {first}",
                1,
            )
        finally:
            obj = ctx.obj
            if isinstance(obj, CliState):
                obj.close()


def _fail(message: str, code: int) -> None:
    from csm_console.domain.text import sanitize  # a message may quote customer text

    typer.echo(f"csm: {sanitize(message)}", err=True)
    raise SystemExit(code)


app = typer.Typer(
    cls=_CsmGroup,
    name="csm",
    help="csm: a keyboard-first console and CLI for customer-service teams.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()),
)


@app.callback()
def main(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        metavar="URL",
        help="Store URL (sqlite:///PATH or postgresql://...). "
        "Default: CSM_DATABASE_URL, the config file, then a SQLite file in the user data dir.",
    ),
    as_agent: str | None = typer.Option(
        None, "--as", metavar="HANDLE", help="Act as this agent (default: CSM_AGENT, config file)."
    ),
    config: str | None = typer.Option(
        None,
        "--config",
        metavar="PATH",
        help="Config file (default: CSM_CONFIG_FILE, then the user config dir).",
    ),
    theme: str | None = typer.Option(
        None,
        "--theme",
        metavar="NAME",
        help="Console theme: csm-dark, csm-light, csm-contrast "
        "or a Textual theme (default: CSM_THEME, the config file, csm-dark).",
    ),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    ctx.obj = CliState(config_file=config, database_url=db, agent=as_agent, theme=theme)
    if version:
        from csm_console import __version__

        typer.echo(f"csm {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        from csm_console.cli.console_cmd import has_terminal, open_console

        if not has_terminal():
            typer.echo(ctx.get_help())
            return
        state = ctx.obj
        open_console(state, state.store(), agent=state.settings().agent, theme=state.theme)


db_cmd.register(app)
report_cmd.register(app)
app.add_typer(config_cmd.app, name="config")
app.add_typer(tickets_cmd.app, name="tickets")
app.add_typer(transfer_cmd.import_app, name="import")
app.add_typer(transfer_cmd.export_app, name="export")
app.add_typer(kb_cmd.app, name="kb")
app.add_typer(templates_cmd.app, name="templates")
app.add_typer(people_cmd.agents_app, name="agents")
app.add_typer(people_cmd.teams_app, name="teams")
app.add_typer(people_cmd.customers_app, name="customers")
app.add_typer(rules_cmd.app, name="rules")
app.add_typer(sla_cmd.app, name="sla")
app.add_typer(calendars_cmd.app, name="calendars")
app.add_typer(dev_cmd.app, name="dev")


def run() -> None:
    app(prog_name="csm")
