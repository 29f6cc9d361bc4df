"""Writing first: the agent opens an e-mail ticket by writing to a customer (issue 15).

`WriteFirstScreen` asks for the address, the name (optional), the subject, the message and,
when more than one is configured, the mailbox to send from; `ctrl+s` sends, `escape` cancels
(asking first when something was typed).  `write_first` is the flow behind the console's key:
the dialog, then `services.tickets.create_ticket(send=True)` through the console's service
calls; a refusal (no mailbox configured, a bad address) is shown and the dialog comes back
with what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import WorkerCancelled

from csm_console.domain.mail import Mailbox
from csm_console.domain.model import Channel
from csm_console.domain.text import sanitize
from csm_console.errors import CsmError
from csm_console.services import tickets
from csm_console.services.records import TicketRow
from csm_console.tui.console import Console, ask
from csm_console.tui.failures import user_error
from csm_console.tui.keys import ContextFooter, text_box_key
from csm_console.tui.safe_text import SafeInput, SafeTextArea
from csm_console.tui.screens import ConfirmScreen


@dataclass(frozen=True)
class FirstMail:
    """What the agent typed: everything the dialog keeps when a send is refused."""

    email: str = ""
    name: str = ""
    subject: str = ""
    body: str = ""
    mailbox: str | None = None

    def typed(self) -> bool:
        return any(part.strip() for part in (self.email, self.name, self.subject, self.body))


FIELDS = (("email", "To"), ("name", "Name"), ("subject", "Subject"))
PLACEHOLDERS = {"email": "the customer's address", "name": "optional", "subject": ""}


class WriteFirstScreen(ModalScreen[FirstMail | None]):
    """The first mail of a new ticket: to whom, about what, and the message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="write.send"),
        Binding("escape", "cancel", "Cancel", id="write.cancel"),
    ]

    def __init__(
        self, mailboxes: tuple[Mailbox, ...], draft: FirstMail | None = None, error: str = ""
    ) -> None:
        super().__init__(classes="modal")
        self.mailboxes = mailboxes
        self.draft = draft or FirstMail()
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog write"):
            yield Label(Text("Write to a customer: a new e-mail ticket", style="bold"))
            for field, label in FIELDS:
                with Horizontal(classes="write-row", id=f"write-{field}-row"):
                    yield Label(label)
                    yield SafeInput(
                        value=getattr(self.draft, field),
                        placeholder=PLACEHOLDERS[field],
                        id=f"write-{field}",
                    )
            if len(self.mailboxes) > 1:
                with Horizontal(classes="write-row", id="write-from"):
                    yield Label("From")
                    yield OptionList(
                        *(
                            Option(Text(sanitize(f"{m.name}  <{m.address}>", single_line=True)))
                            for m in self.mailboxes
                        ),
                        id="write-mailbox",
                    )
            yield SafeTextArea(self.draft.body, id="write-body")
            yield Label(Text(sanitize(self.error, single_line=True)), id="write-error")
            send = text_box_key(self.app, "write.send") or "ctrl+s"
            yield Label(
                Text(f"tab: next field   {send}: send   escape: cancel", style="dim"),
                id="write-hint",
            )
        yield ContextFooter()

    def on_mount(self) -> None:
        if len(self.mailboxes) > 1:
            names = [m.name for m in self.mailboxes]
            chosen = self.draft.mailbox
            self.query_one("#write-mailbox", OptionList).highlighted = (
                names.index(chosen) if chosen in names else 0
            )
        self.query_one("#write-error", Label).display = bool(self.error)
        first_empty = next(
            (f for f, _ in FIELDS if f != "name" and not getattr(self.draft, f).strip()), None
        )
        target = f"#write-{first_empty}" if first_empty else "#write-body"
        self.query_one(target).focus()

    def typed(self) -> FirstMail:
        """What the fields hold now."""
        mailbox = None
        if len(self.mailboxes) > 1:
            index = self.query_one("#write-mailbox", OptionList).highlighted or 0
            mailbox = self.mailboxes[index].name
        values = {f: self.query_one(f"#write-{f}", SafeInput).value.strip() for f, _ in FIELDS}
        return FirstMail(
            body=self.query_one("#write-body", SafeTextArea).text, mailbox=mailbox, **values
        )

    @on(SafeInput.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_send(self) -> None:
        """Send (the service checks the address, subject and message)."""
        self.dismiss(self.typed())

    def action_cancel(self) -> None:
        """Cancel; when something was typed, only once the agent says so."""
        if not self.typed().typed():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard this message?", "Nothing has been sent."), answered
        )


async def write_first(console: Console) -> None:
    """The dialog, then the new ticket: sent from the chosen mailbox, opened, and named in a
    notification.  A refusal shows its message and the dialog again, as it was typed."""
    c = console
    mailboxes = c.store.mail.mailboxes
    draft: FirstMail | None = None
    error = ""
    while True:
        draft = await ask(c, WriteFirstScreen(mailboxes, draft, error))
        if draft is None:
            return
        sent = draft
        refused: list[CsmError] = []

        def create(sent: FirstMail = sent, refused: list[CsmError] = refused) -> TicketRow:
            try:
                return tickets.create_ticket(
                    c.store,
                    actor=c.actor,
                    customer_email=sent.email,
                    customer_name=sent.name or None,
                    subject=sent.subject,
                    body=sent.body,
                    channel=Channel.EMAIL,
                    send=True,
                    mailbox=sent.mailbox,
                )
            except Exception as caught:  # reported by the service call; kept for the dialog
                refused.append(user_error(caught))
                raise

        try:
            row = await c.run_service("", create).wait()
        except WorkerCancelled:  # the console is closing
            return
        if row is not None:
            written(c, row)
            return
        if not refused:
            return
        error = refused[0].message  # (the store away too: what was typed is never lost)


def written(console: Console, row: TicketRow) -> None:
    """The new ticket open, and a notification naming it."""
    email = sanitize(row.customer_email, single_line=True)
    name = sanitize(row.customer, single_line=True)
    to = f"{name} <{email}>" if name and name != email else email
    console.notify(
        f"#{row.id} written to {to}: queued",
        timeout=5,
        markup=False,
    )
    # the queue is not reloaded here: the new ticket is usually outside the view (it is
    # nobody's yet), and the detail follows the queue cursor after a reload
    console.open_ticket(row.id)
    if console.screen.has_class("narrow"):
        console.action_pane("detail")
