"""Assigning, and acting on marked tickets, from the console: the picker offers the agents the
services say the tickets may go to (`services.assignment`), the confirmation names the tickets
and, before anything is written, those that will be refused; the result names a batch only when
something changed, and the tickets not done stay marked."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from csm_console.errors import PermissionDenied
from csm_console.services import assignment, bulk, tickets
from csm_console.services.bulk import BulkResult
from csm_console.services.records import TicketRow
from csm_console.tui.console import Console, ask, change_ticket, fetch
from csm_console.tui.screens import Choice, ConfirmScreen, MessageScreen, PickerScreen

LISTED = 12  # tickets a confirmation lists by name


class MarkedActions:
    """The dialogs of `a` (assign) and of the bulk changes, for one console (flows that run in
    a worker of the `DIALOGS` group, see `tui.action_flows`)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def assign(self, targets: list[TicketRow]) -> None:
        """Offer the agents the services say these tickets may go to; say which tickets may
        not be assigned before anything is confirmed."""
        c = self.console
        ids = [row.id for row in targets]
        found = await fetch(
            c, lambda: assignment.assign_targets(c.store, actor=c.actor, ticket_ids=ids)
        )
        if found is None:
            return
        if not found.ticket_ids:  # refused before anything is asked or confirmed
            c.report(PermissionDenied(_refusals(found.refused)))
            return
        options: list[Choice[str]] = []
        if found.unassign:
            options.append(Choice("", "nobody", "unassign"))
        options += [
            Choice(a.handle, a.handle, f"{a.name} · {a.role} · {a.tier} · {a.team}")
            for a in found.agents
        ]
        if not options:
            c.notify("Nobody may take these tickets from you.", severity="warning")
            return
        assignable = [row for row in targets if row.id in found.ticket_ids]
        title = (
            f"Assign {len(assignable)} marked tickets to"
            if len(assignable) > 1
            else f"Assign #{assignable[0].id} to"
        )
        handle = await ask(c, PickerScreen(title, options))
        if handle is not None:  # None: cancelled; "": nobody
            await self._assign(assignable, handle or None, found.refused)

    async def _assign(
        self,
        targets: list[TicketRow],
        handle: str | None,
        refused: Sequence[tuple[int, str]] = (),
    ) -> None:
        c = self.console
        if len(targets) == 1 and not refused:
            row = targets[0]
            label = f"#{row.id} → {handle or 'nobody'}"
            change_ticket(c, label, row, tickets.assign_ticket, to=handle)
            return
        await self.confirm(
            f"Assign {len(targets)} ticket{'s' if len(targets) > 1 else ''} to "
            f"{handle or 'nobody'}?",
            targets,
            lambda versions: bulk.assign_many(
                c.store, actor=c.actor, ticket_ids=list(versions), to=handle, versions=versions
            ),
            refused,
        )

    async def confirm(
        self,
        question: str,
        targets: list[TicketRow],
        call: Callable[[dict[int, int]], BulkResult],
        refused: Sequence[tuple[int, str]] = (),
    ) -> None:
        versions = {row.id: row.version for row in targets}
        listing = "\n".join(f"#{row.id}  {row.subject[:60]}" for row in targets[:LISTED])
        if len(targets) > LISTED:
            listing += f"\n… and {len(targets) - LISTED} more"
        if refused:  # said before confirming; these stay marked
            listing += "\n\nnot included, and staying marked:\n" + _refusals(refused)
        if await ask(self.console, ConfirmScreen(question, listing)):
            self.console.run_service("", lambda: call(versions), self.done)

    def done(self, result: BulkResult) -> None:
        """The changed tickets are unmarked; the refused ones stay marked, to act on again."""
        c = self.console
        c.queue.list.unmark([*result.changed, *result.unchanged])
        still = len(c.queue.list.marks)
        c.queue.refresh_rows()
        head = result.summary()
        if result.changed:  # a batch id only names changes: none, no batch
            head += f"   (batch {result.batch_id})"
        lines = [head]
        if result.changed:
            lines.append("changed: " + ", ".join(f"#{i}" for i in result.changed))
        if result.unchanged:
            lines.append("already so: " + ", ".join(f"#{i}" for i in result.unchanged))
        for ticket_id, reason in result.refused:
            lines.append(f"refused #{ticket_id}: {reason}")
        if still:
            lines.append(f"{still} still marked")
        c.push_screen(MessageScreen("Bulk result", "\n".join(lines)))
        if c.detail is not None:
            c.open_ticket(c.detail.ticket.id)


def _refusals(refused: Sequence[tuple[int, str]], limit: int = 5) -> str:
    """`#12: reason` lines, at most `limit` of them."""
    lines = [f"#{ticket_id}: {reason}" for ticket_id, reason in refused[:limit]]
    if len(refused) > limit:
        lines.append(f"… and {len(refused) - limit} more")
    return "\n".join(lines)
