"""A table of one-line cells written as plain text, without Rich, where that gives Rich's text.

`csm tickets list` in a script (stdout not a terminal) paid about a tenth of its start-up for
importing Rich's console and laying its table out (issue 18).  Not on a terminal, Rich writes no
styles, so its table is plain text; this writes the same text when it is certain to: every cell
is narrow text (each character one column wide, from scripts and signs known to be: no East
Asian wide characters, no combining or format characters; so its width is its length), and the
table fits the width.  Otherwise the
caller uses Rich (`fits` says which).  tests/cli/test_plain_table.py holds the two side by side.

The layout is the one `csm tickets list` asks of Rich: no borders, two spaces between columns,
each column its given width, a cell longer than that cut with an ellipsis.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO

from csm_console.domain.sla import ClockState

# categories of characters that are not one column wide (marks, format and control characters,
# unassigned code points, line and paragraph separators)
_NOT_ONE_COLUMN = frozenset({"Mn", "Me", "Mc", "Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
# Where a character that is none of those is one column wide for Rich too (the test checks
# every one of them): below the Hangul Jamo (Latin, Greek, Cyrillic ...), then general
# punctuation (`–`), currency signs (`€`), letterlike symbols (`№`) and arrows
_ONE_COLUMN_RANGES = (
    (0, 0x10FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
)
# and the signs csm writes itself: the SLA clock's (`✖ -2h`), the dash of no value
_OWN_SIGNS = frozenset({*(state.symbol for state in ClockState), "—", "…"})


def narrow(text: str) -> bool:
    """Every character of `text` takes one column (so Rich's width of it is its length)."""
    return (text.isascii() and text.isprintable()) or all(_one_column(c) for c in text)


def _one_column(char: str) -> bool:
    if char in _OWN_SIGNS:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _ONE_COLUMN_RANGES) and (
        unicodedata.category(char) not in _NOT_ONE_COLUMN
    )


def output_width(stream: TextIO | None = None) -> int | None:
    """The width Rich's console gives `stream` (stdout) when it is not a terminal, or None when
    it is one (or looks like one to Rich: FORCE_COLOR, TTY_COMPATIBLE), or the width is odd."""
    stream = stream or sys.stdout
    environ = os.environ
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible == "1" or (compatible != "0" and environ.get("FORCE_COLOR") is not None):
        return None
    try:
        if compatible != "0" and stream.isatty():
            return None
    except ValueError:  # closed
        return None
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) or None  # COLUMNS=0: Rich's answer is its own
    width = 0
    for descriptor in (0, 1, 2):  # as Rich asks: stdin, stdout, stderr
        try:
            width = os.get_terminal_size(descriptor).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


def fits(
    widths: Sequence[int], rows: Iterable[Sequence[str]], headers: Sequence[str], width: int
) -> bool:
    """Whether `write` gives Rich's text for this table: narrow cells, and it fits `width`."""
    total = sum(widths) + 2 * (len(widths) - 1)
    return total <= width and all(narrow(cell) for row in (headers, *rows) for cell in row)


def lines(
    widths: Sequence[int],
    right: Sequence[bool],
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> Iterable[str]:
    """The table's lines, trailing spaces removed: a header line, then a line per row; column
    i is `widths[i]` wide, right-aligned where `right[i]`."""
    for row in (headers, *rows):
        cells = []
        for text, wide, to_right in zip(row, widths, right, strict=True):
            text = text.rstrip() if to_right else text  # as Rich justifies to the right
            cell = text if len(text) <= wide else text[: wide - 1] + "…"
            cells.append(cell.rjust(wide) if to_right else cell.ljust(wide))
        yield "  ".join(cells).rstrip()
