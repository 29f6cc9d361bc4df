"""Label-value pairs that flow over as many lines as the width needs, each pair kept whole.

A grid of fields folds a value inside a word when its column is narrow (`cancella`/`tion`,
`unassign`/`ed`); here a pair that does not fit on the current line starts the next one, and a
pair wider than a whole line is cut with an ellipsis.  A list value (tags) shows the items that
fit and how many more there are (`billing, vip +3`), never a silent cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from csm_console.tui.safe_text import safe

GAP = 3  # spaces between two pairs on a line


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: Text | None = None  # one value; or
    items: Sequence[str] = ()  # a list (sanitised here), shown as many as fit


class FieldFlow:
    """A Rich renderable: `label value   label value …` wrapped between pairs only."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields = list(fields)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        line = Text(no_wrap=True, overflow="ellipsis")
        for field in self.fields:
            pair = _pair(field, width)  # as it shows on a line of its own
            if line.cell_len and line.cell_len + GAP + pair.cell_len > width:
                yield line
                line = Text(no_wrap=True, overflow="ellipsis")
            elif line.cell_len:
                line.append(" " * GAP)
            pair.truncate(width, overflow="ellipsis")  # wider than a whole line
            line.append_text(pair)
        if line.cell_len:
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((_pair(f, options.max_width).cell_len for f in self.fields), default=1)
        return Measurement(min(widest, options.max_width), options.max_width)


def _pair(field: Field, room: int) -> Text:
    """`label value`; a list as many items as fit in `room` (at least one), then `+N`."""
    pair = Text(field.label + " ", style="dim")
    if field.value is not None:
        return pair.append_text(field.value)
    items = [safe(item, single_line=True).plain for item in field.items]
    if not items:
        return pair.append("—")
    for shown in range(len(items), 0, -1):
        rest = len(items) - shown
        text = ", ".join(items[:shown]) + (f" +{rest}" if rest else "")
        if pair.cell_len + cell_len(text) <= room or shown == 1:
            return pair.append(text)
    return pair  # pragma: no cover - the loop always returns
