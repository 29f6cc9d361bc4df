"""Reply templates: pick one for a ticket, preview it with the ticket's values."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from csm_console.domain.rights import Actor
from csm_console.domain.templates import (
    ArticleRef,
    TemplateProblem,
    missing_placeholders,
    render,
    template_context,
)
from csm_console.domain.text import fold
from csm_console.errors import NotFound
from csm_console.services.records import TicketRow
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, ReplyTemplate, Ticket


@dataclass(frozen=True, slots=True)
class TemplateView:
    id: int
    name: str
    category: str | None
    language: str
    body: str


@dataclass(frozen=True, slots=True)
class Preview:
    """A template rendered for one ticket: the text, or what is missing, or why it failed."""

    template: TemplateView
    text: str | None
    missing: tuple[str, ...]
    error: str | None

    @property
    def ready(self) -> bool:
        return self.text is not None


def list_templates(
    store: Store,
    *,
    language: str | None = None,
    category: str | None = None,
    text: str = "",
) -> list[TemplateView]:
    """Templates for a language and category, best matches first.

    With a category, that category's templates come first, then general ones (no category or
    `general`), then the rest.  `text` filters by folded substring of the name or body.
    """
    statement = select(ReplyTemplate).order_by(col(ReplyTemplate.name))
    if language:
        statement = statement.where(col(ReplyTemplate.language) == language)
    with store.read() as session:
        templates = [
            TemplateView(
                id=t.id or 0, name=t.name, category=t.category, language=t.language, body=t.body
            )
            for t in session.execute(statement).scalars()
        ]
    needle = fold(text.strip())
    if needle:
        templates = [t for t in templates if needle in fold(t.name) or needle in fold(t.body)]

    def rank(t: TemplateView) -> tuple[int, int, str]:
        by_name = 0 if needle and needle in fold(t.name) else 1  # a name match beats a body one
        if category and t.category == category:
            fit = 0
        elif t.category in (None, "", "general", "other"):
            fit = 1
        else:
            fit = 2
        return by_name, fit, t.name

    return sorted(templates, key=rank)


def get_template(store: Store, *, name: str) -> TemplateView:
    with store.read() as session:
        t = session.execute(
            select(ReplyTemplate).where(col(ReplyTemplate.name) == name.strip())
        ).scalar_one_or_none()
        if t is None:
            raise NotFound(f"no reply template named {name!r}")
        return TemplateView(
            id=t.id or 0, name=t.name, category=t.category, language=t.language, body=t.body
        )


def preview(
    store: Store,
    *,
    actor: Actor,
    template: TemplateView,
    ticket: TicketRow,
    article: ArticleRef | None = None,
) -> Preview:
    """Render `template` for `ticket` as `actor` would send it."""
    with store.read() as session:
        agent = session.get(Agent, actor.id)
        row = session.execute(
            select(col(Customer.name))
            .join(Ticket, col(Ticket.customer_id) == col(Customer.id))
            .where(col(Ticket.id) == ticket.id)
        ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"ticket #{ticket.id} not found")
    context = template_context(
        customer_name=str(row),
        ticket_id=ticket.id,
        ticket_subject=ticket.subject,
        ticket_priority=ticket.priority.label,
        resolution_due=ticket.resolution_due,
        agent_name=agent.name if agent else actor.name,
        agent_signature=agent.signature if agent else actor.name,
        article=article,
    )
    try:
        missing = missing_placeholders(template.body, context)
        if missing:
            return Preview(template, None, missing, None)
        return Preview(template, render(template.body, context), (), None)
    except TemplateProblem as problem:
        return Preview(template, None, problem.missing, problem.message)
