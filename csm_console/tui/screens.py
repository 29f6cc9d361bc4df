"""Modal screens: pickers with type-to-filter, prompts, confirmation, article, help."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from csm_console.domain.text import sanitize
from csm_console.tui.keys import ContextFooter, KeyRow
from csm_console.tui.safe_text import SafeInput

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    value: T
    label: str
    detail: str = ""


class PickerScreen(ModalScreen[T | None], Generic[T]):
    """Pick one of a list; typing filters it (fuzzy), `enter` picks, `escape` cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
    ]

    def __init__(
        self,
        title: str,
        choices: Sequence[Choice[T]],
        *,
        initial: T | None = None,
        placeholder: str = "type to filter",
    ) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.choices = list(choices)
        self.initial = initial
        self.placeholder = placeholder
        self.shown: list[Choice[T]] = list(self.choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text, style="bold"))
            yield SafeInput(placeholder=self.placeholder, id="picker-filter")
            yield OptionList(id="picker-options")
            yield Label(Text("enter: choose   escape: cancel", style="dim"))
        yield ContextFooter()

    def on_mount(self) -> None:
        self._fill("")
        if self.initial is not None:
            for index, choice in enumerate(self.shown):
                if choice.value == self.initial:
                    self.query_one(OptionList).highlighted = index
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        if query:
            matcher = Matcher(query)
            scored = [(matcher.match(c.label + " " + c.detail), c) for c in self.choices]
            self.shown = [c for score, c in sorted(scored, key=lambda s: -s[0]) if score > 0]
        else:
            self.shown = list(self.choices)
        prompts = []
        for choice in self.shown:
            prompt = Text(sanitize(choice.label, single_line=True), no_wrap=True)
            if choice.detail:
                prompt.append("  " + sanitize(choice.detail, single_line=True), style="dim")
            prompts.append(Option(prompt))
        options.set_options(prompts)
        if self.shown:
            options.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    @on(Input.Submitted, "#picker-filter")
    def _submit(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.shown):
            self.dismiss(self.shown[index].value)

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index].value)

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PromptScreen(ModalScreen[str | None]):
    """One line of text; `required` refuses an empty answer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(
        self, title: str, *, placeholder: str = "", required: bool = True, value: str = ""
    ) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.placeholder = placeholder
        self.required = required
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text, style="bold"))
            yield SafeInput(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(Text("enter: done   escape: cancel", style="dim"), id="prompt-hint")
        yield ContextFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.query_one("#prompt-hint", Label).update(
                Text("✖ this needs an answer", style="bold red")
            )
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__(classes="modal")
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question, style="bold"))
            if self.detail:
                yield Static(Text(sanitize(self.detail)))
            yield Label(Text("y: yes    n / escape: no", style="dim"))
        yield ContextFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class MessageScreen(ModalScreen[None]):
    """Details of a result or an error, shown as text (never markup)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close the message", id="message.close"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self.title_text, style="bold"))
            with VerticalScroll():
                yield Static(Text(sanitize(self.body)))
            yield Label(Text("enter / escape: close", style="dim"))
        yield ContextFooter()

    def action_close(self) -> None:
        self.dismiss(None)


class ArticleScreen(ModalScreen[str | None]):
    """A knowledge-base article; `x` inserts an excerpt, `l` a reference, into the reply."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close the article", id="article.close"),
        Binding("x", "insert('excerpt')", "Insert excerpt", id="article.insert_excerpt"),
        Binding("l", "insert('reference')", "Insert reference", id="article.insert_reference"),
    ]

    def __init__(self, title: str, body: str, reference: str) -> None:
        super().__init__(classes="modal")
        self.title_text = title
        self.body = body
        self.reference = reference

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Label(
                Text(
                    f"{sanitize(self.title_text, single_line=True)}  ({self.reference})",
                    style="bold",
                )
            )
            with VerticalScroll():
                yield Markdown(sanitize(self.body))
            yield Label(
                Text("x: insert excerpt   l: insert reference   escape: close", style="dim")
            )
        yield ContextFooter()

    def action_insert(self, what: str) -> None:
        self.dismiss(what)

    def action_close(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the console by the context it works in, generated from the live bindings
    (keymap applied)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close"),
    ]

    def __init__(self, groups: list[tuple[str, list[KeyRow]]]) -> None:
        super().__init__(classes="modal")
        self.groups = groups

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column("key", no_wrap=True)
        table.add_column("action")
        table.add_column("id", style="dim")
        for number, (title, rows) in enumerate(self.groups):
            if number:
                table.add_row()
            table.add_row(Text(title, style="bold underline"))
            for row in rows:
                table.add_row(Text(row.keys), Text(row.description), Text(", ".join(row.ids)))
        with Vertical(classes="dialog wide tall"):
            yield Label(Text("Keys  (rebind any id in [keymap] of the config file)", style="bold"))
            with VerticalScroll():
                yield Static(table)
            yield Label(Text("escape: close", style="dim"))
        yield ContextFooter()

    def action_close(self) -> None:
        self.dismiss(None)


def choices(values: Sequence[Any], label: Any = str) -> list[Choice[Any]]:
    return [Choice(v, label(v)) for v in values]
