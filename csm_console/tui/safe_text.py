"""Customer text on screen: sanitised and wrapped in `rich.text.Text`, never parsed as markup."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text

from csm_console.domain.text import sanitize


def safe(text: str | None, style: str | Style = "", *, single_line: bool = False) -> Text:
    """A `Text` of `text` with control sequences removed; markup-like brackets stay literal."""
    return Text(sanitize(text or "", single_line=single_line), style=style, no_wrap=single_line)


def highlighted(text: str, spans: Iterable[tuple[int, int]], style: str | Style) -> Text:
    """Sanitised single-line `text` with `spans` (offsets into it) styled, as spans not markup."""
    result = Text(text, no_wrap=True)
    for start, end in spans:
        result.stylize(style, start, end)
    return result


def fit(text: Text, width: int) -> Text:
    """Exactly `width` cells: cut with an ellipsis, or padded."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis", pad=True)
    return text
