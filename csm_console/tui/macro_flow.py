"""Macros in the console (`m`): the picker (the existing `PickerScreen`: type to filter; one
macro per name in the customer's language, else English; the ticket's category first).

- A macro with a reply: the reply, rendered for the ticket, goes into the composer for review;
  its actions are remembered for that ticket (`ReplyPane.macros`) and named in the composer's
  status line.  Sending the reply applies them in the same transaction as the reply
  (`services.macros.apply_macro`); discarding the draft drops them.
- A macro without a reply on the open ticket: applied after a confirmation.
- On marked tickets: a macro without a reply applies to each of them after the usual
  confirmation, with the usual report (`MarkedActions`); a macro with a reply is offered for
  one ticket at a time only (its reply is reviewed).
"""

from __future__ import annotations

from rich.text import Text

from csm_console.domain.actions import ActionKind, describe
from csm_console.domain.model import Status
from csm_console.services import macros
from csm_console.services.bulk import BulkResult
from csm_console.services.macros import MacroResult, MacroRun, MacroView
from csm_console.services.records import TicketRow
from csm_console.tui.action_flows import ActionFlows
from csm_console.tui.console import Console, ask, expected_version, fetch
from csm_console.tui.formatting import STATUS_WORD
from csm_console.tui.screens import Choice, ConfirmScreen, PickerScreen


def short_summary(macro: MacroView) -> str:
    """What a macro does, short enough for one line of the picker: a note as `note`."""
    parts = ["reply"] if macro.has_reply else []
    parts += ["note" if a.kind is ActionKind.NOTE else str(a) for a in macro.actions]
    return ", ".join(parts)


def macro_choices(found: list[MacroView]) -> list[Choice[MacroView]]:
    """One line per macro: its name, then its variant, category and what it does."""
    return [
        Choice(m, m.name, f"{m.variant} · {m.category or 'general'} · {short_summary(m)}")
        for m in found
    ]


def on_send_line(macro: MacroView) -> Text:
    """The composer's status line while a macro waits for the reply to be sent."""
    line = Text("on send, macro ", style="bold yellow")
    line.append(macro.name, style="bold")
    line.append(": reply", style="yellow")
    if macro.actions:
        line.append(", " + describe(macro.actions), style="yellow")
    return line


def as_bulk(run: MacroRun) -> BulkResult:
    """A macro run as the marked tickets' report shows every bulk change."""
    return BulkResult(
        batch_id=run.batch_id,
        changed=run.changed,
        unchanged=run.unchanged,
        refused=run.refused,
        refusal_codes=run.refusal_codes,
    )


class MacroFlow:
    """The flows behind `m` and behind sending a reply a macro filled, for one console."""

    def __init__(self, console: Console, flows: ActionFlows) -> None:
        self.console = console
        self.flows = flows

    async def pick(self) -> None:
        c = self.console
        marked = c.queue.list.marked_rows
        if marked:
            await self._on_marked(marked)
            return
        row = c.need_ticket()
        if row is None:
            return
        if c.detail is None or c.detail.ticket.id != row.id:
            await c.open_ticket(row.id).wait()
        detail = c.detail
        if detail is None or detail.ticket.id != row.id:
            return
        language = detail.customer.language
        found = await fetch(
            c, lambda: macros.macros_for(c.store, language=language, category=row.category)
        )
        if found is None:
            return
        if not found:
            c.notify("No macros yet: a lead adds them with `csm macros add`.", severity="warning")
            return
        macro: MacroView | None = await ask(
            c, PickerScreen(f"Macro for #{row.id}", macro_choices(found))
        )
        if macro is None:
            return
        if not macro.has_reply:
            if await ask(
                c,
                ConfirmScreen(f"Apply macro {macro.name} to #{row.id}?", macro.summary),
            ):
                self._apply(row, macro)
            return
        rendered = await fetch(
            c, lambda: macros.render_for(c.store, actor=c.actor, macro=macro, ticket_id=row.id)
        )
        if rendered is None or c.detail is None or c.detail.ticket.id != row.id:
            return
        pane = c.reply_pane
        c.action_pane("reply")
        pane.start("reply")
        pane.macros[row.id] = (macro, on_send_line(macro))
        pane.insert_block(rendered.reply)
        pane.start("reply")  # the status line names the macro now
        c.notify(f"macro {macro.name}: review the reply, then send it", timeout=3)

    def _apply(self, row: TicketRow, macro: MacroView) -> None:
        c = self.console
        version = expected_version(c, row)
        c.run_service(
            f"macro {macro.name} applied to #{row.id}",
            lambda: macros.apply_macro(
                c.store, actor=c.actor, ticket_id=row.id, macro=macro, expected_version=version
            ),
            self._applied,
        )

    def _applied(self, result: MacroResult) -> None:
        if result.row is not None:
            self.console.after_change(result.row)

    async def _on_marked(self, marked: list[TicketRow]) -> None:
        c = self.console
        found = await fetch(c, lambda: macros.macros_for(c.store, language=None))
        if found is None:
            return
        without_reply = [m for m in found if not m.has_reply]
        if not without_reply:
            c.notify(
                "No macro without a reply: a macro's reply is reviewed one ticket at a time.",
                severity="warning",
            )
            return
        macro: MacroView | None = await ask(
            c,
            PickerScreen(
                f"Macro for {len(marked)} marked tickets (no reply)", macro_choices(without_reply)
            ),
        )
        if macro is None:
            return
        await self.flows.marked.confirm(
            f"Apply macro {macro.name} to {len(marked)} tickets? ({macro.summary})",
            marked,
            lambda versions: as_bulk(
                macros.apply_many(
                    c.store,
                    actor=c.actor,
                    ticket_ids=list(versions),
                    name=macro.name,
                    versions=versions,
                    without_reply=True,
                )
            ),
        )

    async def send(self, ticket_id: int, mode: str, text: str) -> None:
        """A reply a macro filled: the reply and the macro's actions in one transaction (its
        `status=` decides what the ticket becomes, else the usual question).  Anything else
        is sent as usual."""
        c = self.console
        chosen = c.reply_pane.macros.get(ticket_id)
        detail = c.detail
        if chosen is None or mode != "reply" or detail is None or detail.ticket.id != ticket_id:
            await self.flows.send(ticket_id, mode, text)
            return
        macro = chosen[0]
        version = detail.ticket.version
        if not await self.flows.send_anyway(ticket_id):
            return
        status: Status | None = None
        if not any(a.kind is ActionKind.STATUS for a in macro.actions):
            status = await self.flows.status_after_reply(ticket_id)
            if status is None:
                return
        files = c.reply_pane.files_for(ticket_id)

        def sent(result: MacroResult) -> None:
            self.flows.sent(ticket_id, result.row)

        now = f", now {STATUS_WORD[status]}" if status else ""
        c.run_service(
            f"reply sent on #{ticket_id} with macro {macro.name}{now}",
            lambda: macros.apply_macro(
                c.store,
                actor=c.actor,
                ticket_id=ticket_id,
                macro=macro,
                reply=text,
                status=status,
                attachments=files,
                expected_version=version,
            ),
            sent,
        )
