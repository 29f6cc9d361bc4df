"""Knowledge search: search as you type, ranked hits with highlighted snippets; open an article,
insert an excerpt or a reference into the reply.  With an empty search box it suggests articles
for the open ticket's subject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from csm_console.services import knowledge
from csm_console.services.knowledge import ArticleHit
from csm_console.services.records import TicketDetail
from csm_console.store.engine import Store
from csm_console.tui.failures import user_error
from csm_console.tui.safe_text import SafeInput, highlighted, safe

HIT_STYLE = "bold reverse"


class KnowledgePane(Vertical):
    """Search the knowledge base.

    | key | action |
    |---|---|
    | `enter` `↓` | in the search box: go to the results |
    | `enter` | open the article |
    | `x` | insert an excerpt into the reply, at its caret, on lines of its own |
    | `l` | insert a reference into the reply, at its caret |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "to_results", "Results", show=False, id="knowledge.to_results"),
        Binding("x", "insert('excerpt')", "Insert excerpt", id="knowledge.insert_excerpt"),
        Binding("l", "insert('reference')", "Insert reference", id="knowledge.insert_reference"),
    ]

    @dataclass
    class Insert(Message):
        """Put an article into the reply: `what` is "excerpt" or "reference"."""

        article_id: int
        what: str

    @dataclass
    class Open(Message):
        article_id: int

    def __init__(self, *, store: Store, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.hits: list[ArticleHit] = []
        self.detail: TicketDetail | None = None

    def compose(self) -> ComposeResult:
        yield SafeInput(
            placeholder="search the knowledge base (any words, any language)", id="kb-search"
        )
        yield Static(id="kb-status")
        yield OptionList(id="kb-results")

    @property
    def search_box(self) -> Input:
        return self.query_one("#kb-search", Input)

    def show(self, detail: TicketDetail | None) -> None:
        self.detail = detail
        if not self.search_box.value.strip():
            self.search("")

    @on(Input.Changed, "#kb-search")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#kb-search")
    def action_to_results(self) -> None:
        if self.hits:
            self.query_one("#kb-results", OptionList).focus()

    @work(thread=True, exclusive=True, group="kb-search")
    def search(self, text: str) -> None:
        suggest = not text.strip()
        detail = self.detail
        if suggest and detail is None:
            self.app.call_from_thread(self._show, [], "type to search")
            return
        try:
            if suggest:
                assert detail is not None
                first = next((m.body for m in detail.messages if m.author_kind == "customer"), "")
                hits = knowledge.suggest_articles(
                    self.store,
                    subject=detail.ticket.subject,
                    body=first,
                    language=detail.customer.language,
                )
            else:
                hits = knowledge.search_articles(self.store, text=text)
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.app.call_from_thread(self._show, [], f"✖ {error.message}")
            return
        label = f"suggested for #{detail.ticket.id}" if suggest and detail else f"{len(hits)} found"
        if not get_current_worker().is_cancelled:  # superseded results are dropped
            self.app.call_from_thread(self._show, hits, label)

    def _show(self, hits: list[ArticleHit], label: str) -> None:
        self.hits = hits
        self.query_one("#kb-status", Static).update(Text(label, style="dim"))
        options = self.query_one("#kb-results", OptionList)
        prompts = []
        for hit in hits:
            title = highlighted(safe(hit.title, single_line=True).plain, hit.title_spans, HIT_STYLE)
            title.stylize("bold")
            title.append(f"  {hit.language} {hit.external_id or ''}", style="dim")
            body = highlighted(hit.snippet, hit.snippet_spans, HIT_STYLE)
            body.stylize("dim")
            prompt = Text(no_wrap=False)
            prompt.append_text(title)
            prompt.append("\n")
            prompt.append_text(body)
            prompts.append(Option(prompt))
        options.set_options(prompts)
        if hits:
            options.highlighted = 0

    def _current(self) -> ArticleHit | None:
        index = self.query_one("#kb-results", OptionList).highlighted
        return self.hits[index] if index is not None and 0 <= index < len(self.hits) else None

    @on(OptionList.OptionSelected, "#kb-results")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.hits):
            self.post_message(self.Open(self.hits[event.option_index].id))

    def action_insert(self, what: str) -> None:
        hit = self._current()
        if hit is None:
            self.app.notify("No article highlighted.", severity="warning")
            return
        self.post_message(self.Insert(hit.id, what))
