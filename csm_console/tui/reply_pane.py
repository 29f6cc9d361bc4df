"""The reply pane: a composer, the template picker (one per name, in the customer's language or
else English, the ticket's category first, type to filter) and a preview rendered with the
ticket's values, headed by the variant used."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from csm_console.domain.rights import Actor
from csm_console.domain.templates import ArticleRef, unresolved_placeholders
from csm_console.errors import UsageError
from csm_console.services import outbox, replies
from csm_console.services.drafts import DraftBox, SavedDraft
from csm_console.services.macros import MacroView
from csm_console.services.outbox import NewFile
from csm_console.services.records import TicketDetail
from csm_console.services.replies import Preview, TemplateView
from csm_console.store.engine import Store
from csm_console.tui.failures import user_error
from csm_console.tui.keys import text_box_hint, text_box_key
from csm_console.tui.safe_text import SafeInput, SafeTextArea, safe
from csm_console.tui.screens import ConfirmScreen, PromptScreen

# what the pane's hint line offers: the live keys of these bindings (keymap applied)
HINT = (
    ("app.send", "send"),
    ("reply.templates", "templates"),
    ("reply.knowledge", "knowledge"),
    ("reply.discard", "discard"),
    ("app.back", "back"),
)
TEMPLATE_NAME_WIDTH = 25  # the picker is 28 columns wide (app.tcss), less its scrollbar gutter
DRAFT_SAVE_DELAY = 0.4  # seconds after the last change before a draft is written to disk


def variant_line(template: TemplateView) -> Text:
    """The preview's first line: which language variant this is, a stand-in marked as such."""
    line = Text("variant: ", style="dim")
    line.append(
        template.variant,
        style="yellow" if template.wanted not in (None, template.language) else "dim",
    )
    line.append("\n")
    return line


@dataclass
class Draft:
    mode: str  # "reply" or "note"
    text: str


class ReplyPane(Vertical):
    """Compose a reply or an internal note.

    | key | action |
    |---|---|
    | `ctrl+s` | send (a reply then asks for the status: pending, open or solved) |
    | `ctrl+t` | pick a template; `enter` inserts it at the caret |
    | `ctrl+f` | search the knowledge base (`x` there inserts an excerpt at the caret) |
    | `ctrl+l` | discard the draft (asks first) |
    | `ctrl+o` | attach a file to the reply (asks for its path; sent with it by e-mail) |
    | `escape` | back to the queue |

    Only chords work here: every printable key types into the draft.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "templates", "Template", id="reply.templates"),
        Binding("ctrl+f", "app.knowledge", "Knowledge", id="reply.knowledge"),
        Binding("ctrl+l", "discard", "Discard draft", id="reply.discard"),
        Binding("ctrl+o", "attach", "Attach file", show=False, id="reply.attach"),
        Binding("down", "move_template(1)", "Next template", show=False, id="reply.next_template"),
        Binding(
            "up", "move_template(-1)", "Previous template", show=False, id="reply.previous_template"
        ),
    ]

    class DraftChanged(Message):
        """The composer's text changed (the console tells the others when a reply starts)."""

    @dataclass
    class SendRequested(Message):
        ticket_id: int
        mode: str
        text: str

    def __init__(
        self,
        *,
        store: Store,
        actor: Actor,
        id: str | None = None,
        draft_box: DraftBox | None = None,
    ) -> None:
        super().__init__(id=id)
        self.store = store
        self.actor = actor
        self.draft_box = draft_box  # where unsent drafts survive a crash (None: memory only)
        self._save_timer: Timer | None = None
        self._pending: dict[int, tuple[str, str]] = {}  # drafts waiting to be written
        self._disk = threading.Lock()
        self.detail: TicketDetail | None = None
        self.mode = "reply"
        self.templates: list[TemplateView] = []
        self.drafts: dict[int, Draft] = {}
        self.article: ArticleRef | None = None
        self.preview: Preview | None = None
        self.files: dict[int, list[NewFile]] = {}  # files attached to each ticket's reply
        # a macro chosen for a ticket's reply (tui/macro_flow.py): what its send also does,
        # shown in the status line; dropped when the draft is sent or discarded
        self.macros: dict[int, tuple[MacroView, Text]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="reply-title")
        yield SafeTextArea(id="composer", soft_wrap=True, show_line_numbers=False)
        yield Static(id="reply-status")
        with Horizontal(id="template-row"):
            with Vertical(id="template-picker"):
                yield SafeInput(placeholder="template filter", id="template-filter")
                yield OptionList(id="template-list")
            yield Static(id="template-preview")

    def on_mount(self) -> None:
        self._title()

    @property
    def composer(self) -> TextArea:
        return self.query_one("#composer", TextArea)

    # -- ticket and mode

    def show(self, detail: TicketDetail | None) -> None:
        previous = self.detail
        if previous is not None:
            self._keep_draft(previous.ticket.id)
            if detail is None or detail.ticket.id != previous.ticket.id:
                self._persist_now(previous.ticket.id)
        self.detail = detail
        if detail is None:
            self.composer.text = ""
            self._title()
            return
        draft = self.drafts.get(detail.ticket.id)
        switched = previous is None or previous.ticket.id != detail.ticket.id
        restored = None
        if switched and draft is None and self.draft_box is not None:
            restored = self._saved_draft(detail.ticket.id)
            if restored is not None:
                draft = self.drafts[detail.ticket.id] = Draft(restored.mode, restored.text)
        if switched:
            self.mode = draft.mode if draft else "reply"
            self.composer.text = draft.text if draft else ""
            self.article = None
            self.preview = None
            with self.prevent(Input.Changed):
                self.query_one("#template-filter", Input).value = ""
        if restored is not None:
            when = restored.saved_at.astimezone().strftime("%d %b %H:%M")
            send = text_box_key(self.app, "app.send")
            discard = text_box_key(self.app, "reply.discard")
            self._title(
                Text(
                    f"↺ your unsent {restored.mode} from {when}, kept on this machine: "
                    f"send it{f' ({send})' if send else ''}, "
                    f"or discard it{f' ({discard})' if discard else ''}",
                    style="bold yellow",
                )
            )
        else:
            self._title()
        self.load_templates(self.query_one("#template-filter", Input).value)

    def is_replying(self) -> bool:
        """Whether a reply to the customer (not a note) is being written."""
        return self.detail is not None and self.mode == "reply" and bool(self.composer.text.strip())

    @on(TextArea.Changed, "#composer")
    def _composer_changed(self) -> None:
        self.post_message(self.DraftChanged())
        if self.draft_box is not None and self.detail is not None:
            if self._save_timer is not None:
                self._save_timer.stop()
            ticket_id = self.detail.ticket.id
            self._save_timer = self.set_timer(
                DRAFT_SAVE_DELAY, lambda: self._persist(ticket_id, self.mode, self.composer.text)
            )

    def _saved_draft(self, ticket_id: int) -> SavedDraft | None:
        assert self.draft_box is not None
        try:
            with self._disk:  # after any write still under way for it
                pending = self._pending.get(ticket_id)
                if pending is not None:  # written soon: that is the draft, or its discard
                    mode, text = pending
                    return (
                        SavedDraft(ticket_id, mode, text, datetime.now(UTC))
                        if text.strip()
                        else None
                    )
                return self.draft_box.load(ticket_id)
        except Exception as caught:  # a broken drafts file must not stop the console
            self.app.notify(f"could not read kept drafts: {caught}", severity="warning")
            return None

    def _persist_now(self, ticket_id: int) -> None:
        """Write the ticket's draft at once (leaving the ticket: no timer is left to do it)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        draft = self.drafts.get(ticket_id)
        self._persist(ticket_id, draft.mode if draft else self.mode, draft.text if draft else "")

    def _persist(self, ticket_id: int, mode: str, text: str) -> None:
        """Write (or, when empty, discard) a draft on disk, off the event loop, in order."""
        if self.draft_box is None:
            return
        with self._disk:
            self._pending[ticket_id] = (mode, text)
        self._write_pending()

    @work(thread=True, group="draft-save")
    def _write_pending(self) -> None:
        assert self.draft_box is not None
        with self._disk:  # one writer at a time: a discard is never overtaken by an older save
            pending, self._pending = self._pending, {}
            for ticket_id, (mode, text) in pending.items():
                try:
                    self.draft_box.save(ticket_id, mode, text)
                except Exception as caught:  # the draft is still in memory; say so
                    self.app.call_from_thread(
                        self.app.notify,
                        f"could not keep the draft on disk: {caught}",
                        severity="warning",
                    )

    def start(self, mode: str) -> None:
        self.mode = mode
        self._title()
        self.composer.focus()

    def _keep_draft(self, ticket_id: int) -> None:
        text = self.composer.text
        if text.strip():
            self.drafts[ticket_id] = Draft(self.mode, text)
        else:
            self.drafts.pop(ticket_id, None)

    def has_unsent(self) -> bool:
        if self.detail is not None:
            self._keep_draft(self.detail.ticket.id)
        return bool(self.drafts)

    def clear_sent(self, ticket_id: int) -> None:
        """The draft of the ticket is done with (sent, or discarded): gone from memory and
        disk."""
        self.drafts.pop(ticket_id, None)
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self._persist(ticket_id, self.mode, "")  # an empty draft is discarded
        self.files.pop(ticket_id, None)
        self.macros.pop(ticket_id, None)
        if self.detail is not None and self.detail.ticket.id == ticket_id:
            self.composer.text = ""
            self.article = None
        self._title()

    def action_discard(self) -> None:
        """Throw the draft away, after a confirmation (its text is lost)."""
        detail = self.detail
        if detail is None or not self.composer.text.strip():
            self._title(Text("nothing to discard: the draft is empty", style="dim"))
            return
        ticket_id = detail.ticket.id
        what = "reply to" if self.mode == "reply" else "note on"

        def answered(yes: bool | None) -> None:
            if not yes or self.detail is None or self.detail.ticket.id != ticket_id:
                return
            self.clear_sent(ticket_id)
            self._title(Text(f"draft {what} #{ticket_id} discarded", style="yellow"))
            self.composer.focus()

        self.app.push_screen(
            ConfirmScreen(
                f"Discard your unsent {what} #{ticket_id}?",
                "Its text is lost: it is kept neither here nor on this machine.",
            ),
            answered,
        )

    def _title(self, note: Text | None = None) -> None:
        title = Text(no_wrap=True)
        if self.detail is None:
            title.append("Reply: open a ticket first", style="dim")
        else:
            word = "Reply to" if self.mode == "reply" else "Internal note on"
            title.append(f"{word} #{self.detail.ticket.id} ", style="bold")
            title.append_text(safe(self.detail.customer.name, "dim", single_line=True))
            if self.mode == "note":
                title.append("  (agents only)", style="yellow")
            files = self.files.get(self.detail.ticket.id, [])
            if files and self.mode == "reply":
                title.append(f"  + {len(files)} file{'s' if len(files) > 1 else ''}: ", style="dim")
                names = ", ".join(name for name, _, _ in files)
                title.append_text(safe(names, "dim", single_line=True))
        self.query_one("#reply-title", Static).update(title)
        macro = self.macros.get(self.detail.ticket.id) if self.detail is not None else None
        if note is None and macro is not None and self.mode == "reply":
            note = macro[1]
        self.query_one("#reply-status", Static).update(
            note or Text(text_box_hint(self.app, HINT), style="dim")
        )

    # -- sending

    def request_send(self) -> None:
        if self.detail is None:
            self.app.notify("Open a ticket first.", severity="warning")
            return
        text = self.composer.text
        if not text.strip():
            self._title(Text("✖ nothing to send: the draft is empty", style="bold red"))
            return
        left = unresolved_placeholders(text)
        if left:
            self._title(Text("✖ fill in before sending: " + ", ".join(left), style="bold red"))
            return
        self.post_message(self.SendRequested(self.detail.ticket.id, self.mode, text))

    # -- files

    def action_attach(self) -> None:
        """Ask for the path of a file to send with the reply (read at once, within
        `max_mail_size`)."""
        detail = self.detail
        if detail is None or self.mode != "reply":
            self.app.notify("Files go with a reply to an open ticket.", severity="warning")
            return
        ticket_id = detail.ticket.id

        def attach(path: str | None) -> None:
            if not path:
                return
            try:
                item = outbox.read_file(path, limit=self.store.mail.max_message)
                outbox.check_files(
                    [*self.files.get(ticket_id, []), item], limit=self.store.mail.max_message
                )
            except UsageError as error:
                self._title(Text(f"✖ {error.message}", style="bold red"))
                return
            self.files.setdefault(ticket_id, []).append(item)
            self._title()

        self.app.push_screen(
            PromptScreen(f"Attach a file to the reply on #{ticket_id}", placeholder="its path"),
            attach,
        )

    def files_for(self, ticket_id: int) -> list[NewFile]:
        return list(self.files.get(ticket_id, []))

    # -- templates

    def action_templates(self) -> None:
        self.query_one("#template-filter", Input).focus()

    @on(Input.Changed, "#template-filter")
    def _filter_templates(self, event: Input.Changed) -> None:
        self.load_templates(event.value)

    def action_move_template(self, delta: int) -> None:
        """Up and down in the template filter move through the list."""
        if not self.templates:
            return
        options = self.query_one("#template-list", OptionList)
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self.templates) - 1, current + delta))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move_template":
            # only while typing a filter; elsewhere (the composer) the arrows move the caret
            return self.query_one("#template-filter", Input).has_focus
        return True

    @work(thread=True, exclusive=True, group="templates")
    def load_templates(self, text: str) -> None:
        detail = self.detail
        if detail is None:
            return
        try:
            found = replies.templates_for(  # one per name: the customer's language, else en
                self.store,
                language=detail.customer.language,
                category=detail.ticket.category,
                text=text,
            )
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.app.call_from_thread(self.app.notify, error.message, severity="error")
            return
        if not get_current_worker().is_cancelled:  # a newer filter superseded this one
            self.app.call_from_thread(self._show_templates, found)

    def _show_templates(self, found: list[TemplateView]) -> None:
        self.templates = found
        options = self.query_one("#template-list", OptionList)
        prompts = []
        for template in found:
            name = Text(template.name, no_wrap=True)
            name.truncate(TEMPLATE_NAME_WIDTH, overflow="ellipsis")  # one line per template
            prompts.append(Option(name))
        options.set_options(prompts)
        if found:
            options.highlighted = 0
            self.render_preview(found[0])
        else:
            self.query_one("#template-preview", Static).update(
                Text("no template matches", style="dim")
            )

    @on(OptionList.OptionHighlighted, "#template-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.templates):
            self.render_preview(self.templates[event.option_index])

    @on(Input.Submitted, "#template-filter")
    def _submit_filter(self) -> None:
        self.insert_template()

    @on(OptionList.OptionSelected, "#template-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self.templates):
            self.insert_template(self.templates[event.option_index])

    @work(thread=True, exclusive=True, group="template-preview")
    def render_preview(self, template: TemplateView) -> None:
        detail = self.detail
        if detail is None:
            return
        try:
            result = replies.preview(
                self.store,
                actor=self.actor,
                template=template,
                ticket=detail.ticket,
                article=self.article,
            )
        except Exception as caught:  # reported, never raised into the UI
            error = user_error(caught)
            self.app.call_from_thread(self.app.notify, error.message, severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, result)

    def _show_preview(self, result: Preview) -> None:
        self.preview = result
        try:
            widget = self.query_one("#template-preview", Static)
        except NoMatches:  # the console is closing: the preview arrived after its widgets went
            return
        shown = variant_line(result.template)
        if result.ready and result.text is not None:
            widget.update(shown + safe(result.text))
        elif result.missing:
            widget.update(
                shown
                + Text(
                    "✖ unresolved: "
                    + ", ".join(result.missing)
                    + (
                        f"  (insert an article first: {text_box_key(self.app, 'reply.knowledge')})"
                        if any(m.startswith("article.") for m in result.missing)
                        else ""
                    ),
                    style="bold red",
                )
            )
        else:
            widget.update(shown + Text(f"✖ {result.error}", style="bold red"))

    def insert_template(self, template: TemplateView | None = None) -> None:
        """Put the highlighted template, rendered for this ticket, into the draft: at the caret
        when there is a draft already, so nothing written is lost."""
        if template is None:
            index = self.query_one("#template-list", OptionList).highlighted
            if not self.templates or index is None or not 0 <= index < len(self.templates):
                self._title(Text("✖ no template matches the filter", style="bold red"))
                return
            template = self.templates[index]
        preview = self.preview
        if preview is None or preview.template.id != template.id:
            self.render_preview(template)
            self._title(Text(f"rendering {template.name} … press enter again", style="dim"))
            return
        if not preview.ready or preview.text is None:
            missing = ", ".join(preview.missing) or (preview.error or "")
            self._title(
                Text(f"✖ template {preview.template.name} needs: {missing}", style="bold red")
            )
            return
        self.insert_block(preview.text)
        self.composer.focus()
        self._title(
            Text(
                f"inserted template {preview.template.name}, variant: {preview.template.variant}",
                style="green",
            )
        )

    def insert_block(self, text: str) -> None:
        """Insert text at the caret, on lines of its own (never glued to the words around
        it), and leave the caret at the end of it: typing goes on after the block."""
        composer = self.composer
        row, column = composer.cursor_location
        line = composer.document.get_line(row)
        before = "\n" if line[:column].strip() else ""
        after = "\n" if line[column:].strip() else ""
        end = composer.insert(before + text.rstrip("\n") + after).end_location
        if after:  # the caret goes before the line break that keeps the rest apart
            row = end[0] - 1
            end = (row, len(composer.document.get_line(row)))
        composer.move_cursor(end)

    def insert_inline(self, text: str) -> None:
        """Insert text at the caret inside the line, a space apart from the words around it,
        and leave the caret after it."""
        composer = self.composer
        row, column = composer.cursor_location
        line = composer.document.get_line(row)
        before = " " if line[:column][-1:].strip() else ""
        after = " " if line[column:][:1].strip() else ""
        end = composer.insert(before + text + after).end_location
        composer.move_cursor((end[0], end[1] - len(after)))

    def article_changed(self) -> None:
        """An article was inserted: the preview may use article.title and article.link now."""
        if self.preview is not None:
            self.render_preview(self.preview.template)
