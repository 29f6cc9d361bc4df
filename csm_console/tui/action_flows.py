"""The console's action dialogs as straight-line flows: each asks its questions one after the
other (`ask` waits for a dialog's answer), reads what it needs from the services on the way
(`fetch`), and ends in one service call through the console's `run_service`.

Each flow runs in a worker of the `DIALOGS` group, started by the console's key action.  Two
actions ask nothing and are plain calls: taking the next ticket, and the dashboard (a screen
whose drill-down comes back as a query for the queue)."""

from __future__ import annotations

from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.templates import ArticleRef
from csm_console.domain.workflow import TRANSITIONS
from csm_console.services import agents, bulk, knowledge, presence, tickets
from csm_console.services.knowledge import ArticleView
from csm_console.services.records import TicketRow
from csm_console.services.views import View
from csm_console.tui.console import Console, ask, change_ticket, fetch
from csm_console.tui.dashboard import DashboardScreen
from csm_console.tui.failures import user_error
from csm_console.tui.formatting import STATUS_WORD
from csm_console.tui.marked_actions import MarkedActions
from csm_console.tui.screens import ArticleScreen, Choice, ConfirmScreen, PickerScreen, PromptScreen

SEND_STATUSES = [
    Choice(Status.PENDING, "pending", "waiting for the customer"),
    Choice(Status.OPEN, "open", "still ours to work"),
    Choice(Status.SOLVED, "solved", "done"),
]


class ActionFlows:
    """The dialogs behind the console's keys, for one console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.marked = MarkedActions(console)

    def targets(self) -> list[TicketRow]:
        """Marked tickets if any, else the current one."""
        marked = self.console.queue.list.marked_rows
        if marked:
            return marked
        row = self.console.need_ticket()
        return [row] if row else []

    # -- the queue

    def take_next(self) -> None:
        """Claim the next ticket for this agent and open it."""
        c = self.console

        def claimed(row: TicketRow) -> None:
            c.notify(f"took #{row.id}", timeout=3)
            c.queue.refresh_rows(keep_ticket=row.id)
            c.open_ticket(row.id)
            if c.screen.has_class("narrow"):
                c.action_pane("detail")

        c.run_service("", lambda: tickets.take_next(c.store, actor=c.actor), claimed)

    def go_back(self) -> None:
        """`escape`: back to the queue from another pane; in the queue, clear the marks."""
        c = self.console
        if c.focused_pane() not in (None, "queue"):
            c.action_pane("queue")
            return
        if c.queue.list.clear_marks():
            c.queue.refresh_rows()
            c.notify("marks cleared", timeout=2)

    def dashboard(self) -> None:
        """The lead's dashboard; a drill-down comes back as a query for the queue."""
        c = self.console
        c.push_screen(DashboardScreen(store=c.store, actor=c.actor), self._drilled)

    def _drilled(self, query: str | None) -> None:
        """Show the tickets behind a dashboard number: every ticket (the view "All"), filtered
        by the query, which stays in the filter bar to read and edit."""
        c = self.console
        c.relayout()  # the terminal may have been resized meanwhile
        if not query:
            return
        every = next((v for v in c.views if not v.query.strip()), View("All", ""))
        try:
            c.queue.show_filter(query, view=every)
        except Exception as caught:  # reported, never raised into the UI
            c.report(user_error(caught))
            return
        c.action_pane("queue")

    async def choose_view(self) -> None:
        c = self.console
        options = [Choice(view, view.name, view.query or "every ticket") for view in c.views]
        view: View | None = await ask(
            c, PickerScreen("Choose a view", options, initial=c.queue.view)
        )
        if view is not None:
            c.queue.set_view(view)

    # -- the ticket, or the marked tickets

    async def assign(self) -> None:
        targets = self.targets()
        if targets:
            await self.marked.assign(targets)

    async def set_status(self) -> None:
        c = self.console
        targets = self.targets()
        if not targets:
            return
        if len(targets) == 1:
            current = targets[0].status
            allowed = [s for s in Status if s in TRANSITIONS[current]]
            if not allowed:
                c.notify(
                    f"#{targets[0].id} is {current.value}: no status change is allowed",
                    severity="warning",
                )
                return
        else:
            allowed = [s for s in Status if s is not Status.NEW]
        options = [Choice(s, STATUS_WORD[s]) for s in allowed]
        status: Status | None = await ask(c, PickerScreen("Set status", options))
        if status is None:
            return
        if len(targets) > 1:
            await self.marked.confirm(
                f"Set {len(targets)} tickets to {STATUS_WORD[status]}?",
                targets,
                lambda versions: bulk.set_status_many(
                    c.store,
                    actor=c.actor,
                    ticket_ids=list(versions),
                    status=status,
                    versions=versions,
                ),
            )
            return
        row = targets[0]
        change_ticket(
            c, f"#{row.id} is {STATUS_WORD[status]}", row, tickets.change_status, status=status
        )

    async def set_priority(self) -> None:
        c = self.console
        row = c.need_ticket()
        if row is None:
            return
        options = [Choice(p, p.label) for p in reversed(Priority)]
        priority: Priority | None = await ask(
            c, PickerScreen("Set priority", options, initial=row.priority)
        )
        if priority is None:
            return
        label = f"#{row.id} priority {priority.label}"
        change_ticket(c, label, row, tickets.change_priority, priority=priority)

    async def add_tag(self) -> None:
        c = self.console
        row = c.need_ticket()
        if row is None:
            return
        tag = await ask(c, PromptScreen(f"Add tags to #{row.id}", placeholder="billing vip"))
        if not tag:
            return
        add = tag.replace(",", " ").split()
        change_ticket(c, f"#{row.id} tagged {tag}", row, tickets.tag_ticket, add=add)

    async def escalate(self) -> None:
        """To which higher tier, which of its teams (when it has several), and why."""
        c = self.console
        row = c.need_ticket()
        if row is None:
            return
        higher = [t for t in Tier if t.level > row.tier.level]
        if not higher:
            c.notify(f"#{row.id} is already at {row.tier.value}, the top tier", severity="warning")
            return
        tier: Tier | None = await ask(
            c, PickerScreen(f"Escalate #{row.id} to", [Choice(t, t.value) for t in higher])
        )
        if tier is None:
            return
        teams = await fetch(c, lambda: agents.list_teams(c.store, tier=tier))
        if teams is None:
            return
        team: str | None = teams[0].name if teams else None
        if len(teams) > 1:
            choices = [Choice(t.name, t.name, t.description) for t in teams]
            team = await ask(c, PickerScreen(f"Which {tier.value} team takes #{row.id}?", choices))
            if not team:
                return
        where = f"{tier.value}" + (f" ({team})" if team else "")
        reason = await ask(
            c,
            PromptScreen(
                f"Why escalate #{row.id} to {where}?", placeholder="the reason (required)"
            ),
        )
        if not reason:
            return
        change_ticket(
            c,
            f"#{row.id} escalated to {tier.value}" + (f", {team}" if team else ""),
            row,
            tickets.escalate,
            self._escalated,
            to_tier=tier,
            reason=reason,
            team=team,
        )

    def _escalated(self, row: TicketRow) -> None:
        """The ticket left this agent's tier: reload the queue so it leaves the view too."""
        self.console.queue.refresh_rows()
        self.console.open_ticket(row.id)

    # -- the reply

    async def send_anyway(self, ticket_id: int) -> bool:
        """False when a colleague is replying to the same customer and the operator holds
        theirs back."""
        c = self.console
        replying = [
            p.handle for p in c.others.get(ticket_id, []) if p.activity == presence.REPLYING
        ]
        return not replying or await ask(
            c,
            ConfirmScreen(
                f"{', '.join(replying)} {'is' if len(replying) == 1 else 'are'} replying to "
                f"#{ticket_id} too. Send yours anyway?",
                "Two answers to one customer confuse them; talk to your colleague first.",
            ),
        )

    async def status_after_reply(self, ticket_id: int) -> Status | None:
        """What the ticket becomes once the reply is sent (None: cancelled)."""
        return await ask(
            self.console,
            PickerScreen(
                f"Send the reply on #{ticket_id}, then the ticket is",
                SEND_STATUSES,
                initial=Status.PENDING,
            ),
        )

    def sent(self, ticket_id: int, row: TicketRow | None) -> None:
        """A reply or note went: the composer empties, the ticket shows what it is now, and
        the operator is back at the queue."""
        c = self.console
        c.reply_pane.clear_sent(ticket_id)
        if row is not None:
            c.after_change(row)
        c.action_pane("queue")

    async def send(self, ticket_id: int, mode: str, text: str) -> None:
        """A note goes at once; a reply asks what the ticket becomes, and first, when a
        colleague is replying to the same customer, whether to send at all."""
        c = self.console
        detail = c.detail
        if detail is None or detail.ticket.id != ticket_id:
            return
        version = detail.ticket.version

        def sent(row: TicketRow) -> None:
            self.sent(ticket_id, row)

        if mode == "note":
            c.run_service(
                f"note added to #{ticket_id}",
                lambda: tickets.add_note(
                    c.store, actor=c.actor, ticket_id=ticket_id, body=text, expected_version=version
                ),
                sent,
            )
            return
        if not await self.send_anyway(ticket_id):
            return
        status = await self.status_after_reply(ticket_id)
        if status is None:
            return
        files = c.reply_pane.files_for(ticket_id)
        with_files = f" with {len(files)} file{'s' if len(files) > 1 else ''}" if files else ""
        c.run_service(
            f"reply sent on #{ticket_id}{with_files}, now {STATUS_WORD[status]}",
            lambda: tickets.reply(
                c.store,
                actor=c.actor,
                ticket_id=ticket_id,
                body=text,
                status=status,
                expected_version=version,
                attachments=files,
            ),
            sent,
        )

    # -- the knowledge base

    async def open_article(self, article_id: int) -> None:
        """Read an article; its dialog can insert an excerpt or a reference into the reply."""
        c = self.console
        article = await fetch(c, lambda: knowledge.get_article(c.store, article_id=article_id))
        if article is None:
            return
        what = await ask(c, ArticleScreen(article.title, article.body, article.reference))
        if what:
            self.insert_article(article, what)

    async def insert(self, article_id: int, what: str) -> None:
        c = self.console
        article = await fetch(c, lambda: knowledge.get_article(c.store, article_id=article_id))
        if article is not None:
            self.insert_article(article, what)

    def insert_article(self, article: ArticleView, what: str) -> None:
        """An excerpt (on lines of its own) or a reference (at the caret) into the reply."""
        c = self.console
        if c.detail is None:
            c.notify("Open a ticket first.", severity="warning")
            return
        reply = c.reply_pane
        reply.article = ArticleRef(article.title, article.reference)
        reply.article_changed()
        if what == "reference":  # at the caret, inside the sentence being written
            reply.insert_inline(f"{article.title} ({article.reference})")
        else:
            reply.insert_block(article.excerpt())
        c.action_pane("reply")
        c.notify(f"inserted {what} of {article.reference}", timeout=3)

    # -- leaving

    async def quit(self) -> None:
        """Quit; with unsent drafts, only once the operator says so."""
        c = self.console
        if c.reply_pane.has_unsent():
            drafts = [(ticket_id, d.mode) for ticket_id, d in c.reply_pane.drafts.items()]
            named = ", ".join(f"{mode} on #{ticket_id}" for ticket_id, mode in drafts[:3])
            if len(drafts) > 3:
                named += f" and {len(drafts) - 3} more"
            kept = (
                "They are kept on this machine and offered back when you open their tickets again."
                if c.draft_box is not None
                else "Unsent drafts are lost when the console closes."
            )
            question = f"Quit with {'an unsent' if len(drafts) == 1 else 'unsent drafts:'} {named}?"
            if not await ask(c, ConfirmScreen(question, kept)):
                return
        c.exit()
