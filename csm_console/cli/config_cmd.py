"""`csm config show|path`."""

from __future__ import annotations

import typer

from csm_console.channels.imap import display_imap_url
from csm_console.cli.output import emit_json, out
from csm_console.cli.state import state
from csm_console.config import LIMIT_KEYS
from csm_console.errors import ConfigError
from csm_console.store.engine import display_url, mask_url, parse_store_url

app = typer.Typer(
    help="Show the effective settings and where they come from.", no_args_is_help=True
)


@app.command("show")
def show(
    ctx: typer.Context,
    format: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Print each effective setting and its source (default, config file, environment, flag)."""
    settings = state(ctx).settings()
    try:  # the store meant (a file path made absolute), or as written when it does not parse
        store_url = display_url(parse_store_url(settings.database_url))
    except ConfigError:
        store_url = mask_url(settings.database_url)
    rows = [
        ("database_url", store_url, settings.sources["database_url"]),
        ("agent", settings.agent or "(none)", settings.sources["agent"]),
        ("theme", settings.theme, settings.sources["theme"]),
        (
            "keymap",
            ", ".join(f"{k}={v}" for k, v in settings.keymap.items()) or "(none)",
            settings.sources["keymap"],
        ),
        ("views", ", ".join(v.name for v in settings.views) or "(none)", settings.sources["views"]),
        ("console.bell", "true" if settings.bell else "false", settings.sources["bell"]),
    ]

    rows += [
        (key, str(getattr(settings.limits, name)), settings.sources[key])
        for key, _, name in LIMIT_KEYS
    ]
    boxes = [
        f"{m.name} {display_imap_url(m.imap_url)} {m.folder}" if m.imap_url else m.name
        for m in settings.mail.mailboxes
    ]
    rows.append(("mailboxes", ", ".join(boxes) or "(none)", settings.sources["mailboxes"]))
    if format == "json":
        emit_json({name: {"value": value, "source": source} for name, value, source in rows})
        return
    if format != "table":
        raise typer.BadParameter("use table or json", param_hint="--format")
    width = max(len(r[0]) for r in rows)
    for name, value, source in rows:
        out.print(f"{name:<{width}}  {value}  ({source})", markup=False)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the config file, the data dir and the default stores."""
    paths = state(ctx).settings().paths
    exists = "" if paths.config_file.exists() else "  (does not exist yet)"
    out.print(f"config file    {paths.config_file}{exists}", markup=False)
    out.print(f"data dir       {paths.data_dir}", markup=False)
    out.print(f"default store  {paths.default_store}", markup=False)
    out.print(f"demo store     {paths.demo_store}", markup=False)
