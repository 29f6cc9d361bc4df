"""The terminal: keyboard input that cannot take the console down, and NO_COLOR.

Textual's terminal drivers decode keyboard input as strict UTF-8: a single invalid byte (a
paste cut in the middle of a Cyrillic letter, a terminal set to another encoding) raises
UnicodeDecodeError in the input thread and closes the console, unsent drafts and all.  Until
Textual decodes leniently itself, the console swaps in a decoder that turns such bytes into
U+FFFD, which the composer shows as `�`.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable, Sequence
from typing import Any

from textual.filter import ANSIToTruecolor, LineFilter, Monochrome, NoColor

_DRIVERS = ("linux_driver", "linux_inline_driver")


def lenient_decoder(encoding: str) -> Callable[..., Any]:
    """What the drivers call `getincrementaldecoder`: the same decoder, replacing bad bytes."""
    return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")


def tolerate_invalid_input() -> None:
    """Make the terminal drivers replace invalid bytes instead of failing."""
    import importlib

    for name in _DRIVERS:
        try:
            driver = importlib.import_module(f"textual.drivers.{name}")
        except ImportError:  # e.g. Windows has its own driver, which reads text already
            continue
        if hasattr(driver, "getincrementaldecoder"):
            setattr(driver, "getincrementaldecoder", lenient_decoder)  # noqa: B010


_NO_COLOR = NoColor()


def colour_filters(filters: Sequence[LineFilter], *, no_color: bool) -> Sequence[LineFilter]:
    """The line filters for the screen.  Under NO_COLOR (no-color.org) Textual turns colours
    into greys, which still reach the terminal as colour codes; instead every colour becomes the
    terminal's own foreground and background, and the signals carried by colour are carried by
    bold, reverse and underline (app.tcss, `:nocolor`)."""
    if not no_color:
        return filters
    kept = [f for f in filters if not isinstance(f, Monochrome | ANSIToTruecolor | NoColor)]
    return [*kept, _NO_COLOR]
