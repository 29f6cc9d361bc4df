"""Keyboard input that cannot take the console down.

Textual's terminal drivers decode keyboard input as strict UTF-8: a single invalid byte (a
paste cut in the middle of a Cyrillic letter, a terminal set to another encoding) raises
UnicodeDecodeError in the input thread and closes the console, unsent drafts and all.  Until
Textual decodes leniently itself, the console swaps in a decoder that turns such bytes into
U+FFFD, which the composer shows as `�`.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable
from typing import Any

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
