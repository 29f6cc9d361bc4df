"""A progress bar on stderr for long commands (import, export, reassign, generate), shown only
when stderr is a terminal: piped or redirected, nothing extra is written.

    with progress_bar() as progress:
        run_import(..., progress=progress)

The bar is Rich's, refreshed from the callback (no refresh thread, so that `dev generate` can
still fork its workers) at most ten times a second, and removed when the command ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from csm_console.services.progress import Progress, no_progress

REFRESH_SECONDS = 0.1


def showing() -> bool:
    """Whether a progress bar would be shown (stderr is a terminal)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A `Progress` callback that draws a bar on a terminal's stderr, else does nothing."""
    if not showing():
        yield no_progress
        return
    # Rich only when a bar is drawn: a command in a pipe or a cron job goes without it
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False),
        auto_refresh=False,
        transient=True,
        redirect_stdout=False,  # data stays on stdout, whatever the bar does
        redirect_stderr=False,
    )
    tasks: dict[str, TaskID] = {}
    last = [0.0]

    def report(step: str, done: int, total: int | None) -> None:
        task = tasks.get(step)
        if task is None:
            for earlier in tasks.values():  # one step at a time: the one before is done
                bar.update(earlier, visible=False)
            task = tasks[step] = bar.add_task(step, total=total)
        bar.update(task, completed=done, total=total)
        now = time.monotonic()
        if now - last[0] >= REFRESH_SECONDS or done == total:
            last[0] = now
            bar.refresh()

    with bar:
        yield report
