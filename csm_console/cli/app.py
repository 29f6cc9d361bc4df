"""`csm`'s Typer app: every command, loaded when used.  Errors become one line on stderr and a
documented exit code (`cli/guard.py`).  The entry point is `cli/main.py`'s `run`, which runs the
plain forms of `csm tickets list` without this module (`cli/quick.py`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

from csm_console import __version__
from csm_console.cli.guard import bad_utf8, fail, guarded, reader_gone
from csm_console.cli.state import CliState
from csm_console.errors import EXIT_CODES

try:  # Typer 0.29 coerces the plain option values without pydantic (cli/params.py)
    from csm_console.cli.params import plain_values

    plain_values()
except (ImportError, AttributeError):  # another Typer: its own coercion, as it comes
    pass

# Every command of `csm`, in the order of its help: the name, the module under csm_console.cli
# that defines it, and the module's attribute (a Typer app for a command group, a function for
# one command).  A module is imported only when one of its commands is used (or the help lists
# them all), so a command module imports its services at the top like any module, and
# `csm --version` loads none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("db_cmd", "init"),
    "demo": ("db_cmd", "demo"),
    "report": ("report_cmd", "report"),
    "db": ("db_cmd", "db_app"),
    "config": ("config_cmd", "app"),
    "tickets": ("tickets_cmd", "app"),
    "import": ("transfer_cmd", "import_app"),
    "export": ("transfer_cmd", "export_app"),
    "kb": ("kb_cmd", "app"),
    "templates": ("templates_cmd", "app"),
    "macros": ("macros_cmd", "app"),
    "agents": ("people_cmd", "agents_app"),
    "teams": ("people_cmd", "teams_app"),
    "customers": ("people_cmd", "customers_app"),
    "rules": ("rules_cmd", "app"),
    "automations": ("automations_cmd", "app"),
    "sla": ("sla_cmd", "app"),
    "calendars": ("calendars_cmd", "app"),
    "mail": ("mail_cmd", "app"),
    "worker": ("mail_fetch_cmd", "worker"),
    "dev": ("dev_cmd", "app"),
    "audit": ("audit_cmd", "app"),
}

# Commands that a module adds to a group another module defines: the group's name, then each
# command's name, module and function, or Typer app (named `..._app`) for a group of its own
# (`csm mail fetch` and `watch` live beside the intake's `csm mail` commands, in a module of
# their own).  Each module is imported when one of its commands is used (_LazyGroup).
GROUP_EXTRAS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "mail": (
        ("fetch", "mail_fetch_cmd", "fetch"),
        ("watch", "mail_fetch_cmd", "watch"),
        ("send", "outbox_cmd", "send"),
        ("outbox", "outbox_cmd", "outbox_app"),
    ),
    "tickets": (
        ("attachments", "ticket_mail", "attachments"),
        ("attachment", "ticket_mail", "attachment_app"),
        ("macro", "ticket_macro", "macro"),
    ),
}


def load_command(name: str) -> Any:
    """The Click command `name` of COMMANDS, built from its module as `add_typer` (a group) or
    `command` (a function) would have built it; a group's subcommands are built when used
    (_LazyGroup)."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(f"csm_console.cli.{module}"), attribute)
    holder = typer.Typer(rich_markup_mode=None)
    if isinstance(target, typer.Typer):
        shell = typer.Typer()  # the group itself (help, callback, options), no subcommands
        shell.info, shell.registered_callback = target.info, target.registered_callback
        holder.add_typer(shell, name=name, cls=_LazyGroup)
    else:
        holder.command(name)(target)
    holder.callback()(lambda: None)  # a group, even for one command
    command = typer.main.get_group(holder).commands[name]
    if isinstance(target, typer.Typer):
        assert isinstance(command, _LazyGroup)
        command.pending = _subcommands(holder, target, GROUP_EXTRAS.get(name, ()))
    return command


def _subcommands(
    holder: typer.Typer, target: typer.Typer, extras: tuple[tuple[str, str, str], ...]
) -> dict[str, Callable[[], Any]]:
    """How to build each subcommand of the group `target` (its own, then GROUP_EXTRAS'), in
    the order of its help, as Typer builds them for `holder`."""
    short, markup = holder.pretty_exceptions_short, holder.rich_markup_mode

    def command(info: CommandInfo) -> Callable[[], Any]:
        return lambda: typer.main.get_command_from_info(
            info, pretty_exceptions_short=short, rich_markup_mode=markup
        )

    def group(info: TyperInfo) -> Callable[[], Any]:
        return lambda: typer.main.get_group_from_info(
            info,
            pretty_exceptions_short=short,
            rich_markup_mode=markup,
            suggest_commands=holder.suggest_commands,
        )

    def extra(name: str, module: str, attribute: str) -> Callable[[], Any]:
        def build() -> Any:
            found = getattr(importlib.import_module(f"csm_console.cli.{module}"), attribute)
            if isinstance(found, typer.Typer):  # a group of its own (`csm mail outbox`)
                return group(TyperInfo(found, name=name))()
            return command(CommandInfo(name=name, callback=found))()

        return build

    built: dict[str, Callable[[], Any]] = {}
    for info in target.registered_commands:
        assert info.callback is not None
        built[info.name or typer.main.get_command_name(info.callback.__name__)] = command(info)
    for extra_name, module, attribute in extras:
        if not attribute.endswith("_app"):
            built.setdefault(extra_name, extra(extra_name, module, attribute))
    for group_info in target.registered_groups:
        instance = group_info.typer_instance
        group_name = group_info.name or (instance.info.name if instance else None)
        assert isinstance(group_name, str), "a command group of csm has a name"
        built[group_name] = group(group_info)
    for extra_name, module, attribute in extras:  # groups after groups, as `add_typer` puts them
        built.setdefault(extra_name, extra(extra_name, module, attribute))
    return built


class _LazyGroup(TyperGroup):
    """A command group of COMMANDS whose subcommands Typer builds only when one is used: to
    build one, Typer evaluates its function's annotations and builds its options, so
    `csm tickets list` builds `list` alone, not all 18 (nor imports the modules of `csm
    tickets attachments` and `macro`).  Listing them (the help, completion) builds them all."""

    pending: dict[str, Callable[[], Any]]

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.pending] or super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.pending:
            self.add_command(self.pending[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.pending:  # a typo: Typer suggests from all commands
            for name in self.pending:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


# What `csm --help` says of each command of COMMANDS: the first paragraph of its own help, so
# that listing the commands loads none of their modules (tests/cli/test_cli_help.py checks
# each against the command's help).  A command without an entry here is loaded to list it.
SUMMARIES: dict[str, str] = {
    "init": "Create the store's schema (or upgrade it), optionally loading the sample data.",
    "demo": "Open the console on a sample store of its own (created and seeded on first run), "
    "as the sample L1 operator `demo`.  Without a terminal it prints what the store holds.",
    "report": "The service metrics of a period: first response and resolution times (median, "
    "p90), FCR, CSAT, repeat contacts, SLA compliance, and the backlog now.",
    "db": "Schema migrations of the store.",
    "config": "Show the effective settings and where they come from.",
    "tickets": "List, show and work tickets.",
    "import": "Import tickets from JSON, NDJSON or CSV.",
    "export": "Export tickets as JSON, NDJSON or CSV.",
    "kb": "Knowledge base: search, show, import, add, edit, delete, reindex.",
    "templates": "Reply templates: list, show, add, edit, render for a ticket.",
    "macros": "Macros: a reply and actions applied with one key: list, show, add, edit, remove.",
    "agents": "Agents: list, add, bind, deactivate.",
    "teams": "Teams: list, add.",
    "customers": "Customers: list, show, set.",
    "rules": "Routing rules for new tickets: list, add, remove, move, test.",
    "automations": "Automations: act on tickets that match a condition (time terms such as "
    "`updated:>3d`): list, add, remove, enable, disable, test, run.",
    "sla": "SLA policies: list, set.",
    "calendars": "Business-hours calendars for SLA clocks: list, show, set, remove, use.",
    "worker": "The one long-running worker: fetch mail when mailboxes have an imap_url, send "
    "the outbox when smtp_url is set, and run the automations every minute, until Ctrl-C or "
    "SIGTERM.",
    "dev": "Developer tools: synthetic data for load tests.",
    "audit": "The audit trail: verify its hash chain.",
    "mail": "E-mail: take mail in (a mail server's pipe, files, IMAP), send the outbox; the "
    "quarantine.",
}


class _CsmGroup(TyperGroup):
    """Loads each command when it is used (COMMANDS), and runs every command under one error
    handler: no traceback for a user error."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and what each does (as Click lists them), from SUMMARIES: listing
        them loads none of their modules."""
        listed = [(name, self._listed(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in listed if command and not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in shown])

    def _listed(self, ctx: Any, name: str) -> Any:
        if name in SUMMARIES and name not in self.commands:
            return TyperCommand(name, help=SUMMARIES[name])  # a stand-in, for its help line
        return self.get_command(ctx, name)

    def make_context(self, info_name: Any, args: Any, *rest: Any, **kwargs: Any) -> Any:
        bad = bad_utf8(args)
        if bad is not None:  # bytes that were not UTF-8 (Python's surrogateescape)
            fail(f"the argument {bad!r} is not valid UTF-8 text", 2)
        try:  # `csm --help | head -1`: the help is written while the options are parsed
            return super().make_context(info_name, args, *rest, **kwargs)
        except BrokenPipeError:
            reader_gone()

    def invoke(self, ctx: Any) -> Any:
        return guarded(lambda: super(_CsmGroup, self).invoke(ctx), lambda: ctx.obj)


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
        typer.echo(f"csm {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        # the console's module (and with it the store) only when no command is given
        from csm_console.cli.console_cmd import has_terminal, open_console

        if not has_terminal():
            typer.echo(ctx.get_help())
            return
        state = ctx.obj
        open_console(state, state.store(), agent=state.settings().agent, theme=state.theme)


def run_app() -> None:
    """`csm` through Typer (`cli/main.py`'s `run` is the entry point)."""
    app(prog_name="csm")
