"""Opening the console (`csm` with no subcommand, and `csm demo`)."""

from __future__ import annotations

import sys

from csm_console.cli.output import info
from csm_console.cli.state import CliState
from csm_console.errors import UsageError
from csm_console.services.acting import resolve_actor
from csm_console.services.drafts import DraftBox
from csm_console.services.views import all_views
from csm_console.store.engine import Store


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_console(
    st: CliState, store: Store, *, agent: str | None, demo: bool = False, theme: str | None = None
) -> None:
    """Run the Textual console on `store` as `agent` (Textual is imported only here)."""
    if not has_terminal():
        raise UsageError(
            "the console needs a terminal; for scripts use the subcommands (csm --help)"
        )

    settings = st.settings()
    actor = resolve_actor(store, agent)
    views = all_views(actor, [(v.name, v.query, v.sort) for v in settings.views])
    # Textual only for the console: every other command starts without it
    from csm_console.tui.app import CsmApp
    from csm_console.tui.terminal import tolerate_invalid_input

    tolerate_invalid_input()
    drafts = DraftBox(
        settings.paths.data_dir / "drafts.db", store=store.display_url, agent=actor.handle
    )
    app = CsmApp(
        draft_box=drafts,
        store=store,
        actor=actor,
        settings=settings,
        views=views,
        theme=theme or settings.theme,
        demo=demo,
    )
    app.run()
    if app.return_code:
        info("the console stopped with an error")
