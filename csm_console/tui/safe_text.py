"""Customer text on screen: sanitised and wrapped in `rich.text.Text`, never parsed as markup."""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from csm_console.domain.text import sanitize
from csm_console.tui.keys import typed_character


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


MAX_INPUT = 4000  # characters an input box keeps of a paste: more than any query or tag list


class SafeInput(Input):
    """An input box that never holds a control character: whatever is typed, pasted or set is
    sanitised to one line (Textual's own Input would draw an escape sequence as it is) and cut
    to MAX_INPUT characters, so a megabyte pasted by mistake costs nothing."""

    def validate_value(self, value: str) -> str:
        if len(value) > MAX_INPUT:
            value = value[:MAX_INPUT]
        if value.isascii() and value.isprintable():
            return value
        # controls go; line breaks and tabs become spaces one for one (typing `счёт ` must keep
        # its space: collapsing whitespace here would eat it)
        return sanitize(value).replace("\n", " ").replace("\t", " ")

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Every printable key types here (Textual misses `/` and `+`, which then showed as the
        console's keys in the footer)."""
        return super().check_consume_key(key, character or typed_character(key))


class SafeTextArea(TextArea):
    """The composer: whatever is typed, pasted or loaded is sanitised (line breaks and tabs
    stay), as Textual's own TextArea would draw an escape sequence as it is."""

    def edit(self, edit: Edit) -> EditResult:
        if edit.text and not (edit.text.isascii() and edit.text.isprintable()):
            edit.text = sanitize(edit.text)
        return super().edit(edit)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """Every printable key types here (Textual misses `/` and `+`)."""
        return super().check_consume_key(key, character or typed_character(key))

    def load_text(self, text: str) -> None:
        super().load_text(sanitize(text))
