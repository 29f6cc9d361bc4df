"""How a long use case reports how far it got: a plain callback, no terminal below `cli/`.

A service that takes `progress` calls it as `progress(step, done, total)`: `step` names what it
is doing ("checking", "importing", "generating"), `done` counts what is finished of `total`
(None when not known).  The CLI shows it as a progress bar when stderr is a terminal.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]


def no_progress(step: str, done: int, total: int | None) -> None:
    """The default callback: reports nothing."""
