"""Reply templates: pick the customer's language variant for a ticket, preview it with the
ticket's values, add and edit them (leads and admins), render the reply that would be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from csm_console.domain.model import Language
from csm_console.domain.outgoing import AUTO_TEMPLATES
from csm_console.domain.rights import Actor, check_can_edit_knowledge
from csm_console.domain.templates import (
    ArticleRef,
    TemplateDraft,
    TemplateProblem,
    check_template,
    missing_placeholders,
    render,
    template_context,
)
from csm_console.domain.text import fold
from csm_console.errors import BadRecords, NotFound
from csm_console.services.records import TicketRow
from csm_console.services.ticket_core import reload_actor
from csm_console.services.ticket_reads import get_ticket
from csm_console.services.variants import (
    exact_variant,
    fit,
    pick_variant,
    save_variant,
    variants_of,
)
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Customer, ReplyTemplate, Ticket

WHAT = "reply template"
LANGUAGES = tuple(language.value for language in Language)


@dataclass(frozen=True, slots=True)
class TemplateView:
    id: int
    name: str
    category: str | None
    language: str
    body: str
    wanted: str | None = None  # the language asked for, when the variant was picked for one

    @property
    def variant(self) -> str:
        """Which variant this is: `ru`, or `en (no ru variant)` when it stands in for one."""
        if self.wanted and self.wanted != self.language:
            return f"{self.language} (no {self.wanted} variant)"
        return self.language

    @property
    def draft(self) -> TemplateDraft:
        return TemplateDraft(
            name=self.name, language=self.language, body=self.body, category=self.category
        )


def _view(t: ReplyTemplate, wanted: str | None = None) -> TemplateView:
    return TemplateView(
        id=t.id or 0,
        name=t.name,
        category=t.category,
        language=t.language,
        body=t.body,
        wanted=wanted,
    )


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
    statement = select(ReplyTemplate).order_by(col(ReplyTemplate.name), col(ReplyTemplate.language))
    if language:
        statement = statement.where(col(ReplyTemplate.language) == language)
    with store.read() as session:
        templates = [_view(t) for t in session.execute(statement).scalars()]
    return _rank(templates, category=category, text=text)


def templates_for(
    store: Store, *, language: str | None, category: str | None = None, text: str = ""
) -> list[TemplateView]:
    """One template per name, the variant for a customer who speaks `language` (falling back to
    English, then to any), ranked as `list_templates` ranks them.  The automatic mails' texts
    (`auto-acknowledgement` ...) are not offered for a reply."""
    statement = select(ReplyTemplate).order_by(col(ReplyTemplate.name), col(ReplyTemplate.language))
    with store.read() as session:
        by_name: dict[str, dict[str, TemplateView]] = {}
        for t in session.execute(statement).scalars():
            if t.name not in AUTO_TEMPLATES:
                by_name.setdefault(t.name, {})[t.language] = _view(t, language)
    chosen = []
    for variants in by_name.values():
        picked = pick_variant(variants, language)
        if picked is not None:
            chosen.append(variants[picked])
    return _rank(chosen, category=category, text=text)


def _rank(templates: list[TemplateView], *, category: str | None, text: str) -> list[TemplateView]:
    needle = fold(text.strip())
    if needle:
        templates = [t for t in templates if needle in fold(t.name) or needle in fold(t.body)]

    def rank(t: TemplateView) -> tuple[int, int, str]:
        place = fit(
            name_hit=bool(needle) and needle in fold(t.name), category=t.category, wanted=category
        )
        return (*place, t.name)

    return sorted(templates, key=rank)


def get_template(store: Store, *, name: str, language: str | None = None) -> TemplateView:
    """The variant of template `name` for `language`: that language, else English, else any
    (`.variant` says which).  A name with a language suffix (`billing-refund-ru`, as templates
    were named before variants shared a name) still finds its variant."""
    name = name.strip()
    with store.read() as session:
        rows = _variants(session, name)
        if not rows:
            bare, dash, suffix = name.rpartition("-")
            if dash and suffix in LANGUAGES and (rows := _variants(session, bare)):
                if suffix in rows:
                    return _view(rows[suffix], language or suffix)
                raise NotFound(
                    f"reply template {bare!r} has no {suffix} variant "
                    f"(there are: {', '.join(sorted(rows))})"
                )
        picked = pick_variant(rows, language)
        if picked is None:
            raise NotFound(f"no reply template named {name!r}")
        return _view(rows[picked], language)


def get_variant(store: Store, *, name: str, language: str) -> TemplateView:
    """Exactly the `language` variant of `name`, for editing: NotFound names the ones there are."""
    name = name.strip()
    with store.read() as session:
        rows = _variants(session, name)
        return _view(exact_variant(rows, what=WHAT, name=name, language=language))


def _variants(session: Session, name: str) -> dict[str, ReplyTemplate]:
    return variants_of(session, ReplyTemplate, name)


def save_template(
    store: Store,
    *,
    actor: Actor,
    draft: TemplateDraft,
    template_id: int | None = None,
    now: datetime | None = None,
) -> tuple[TemplateView, str]:
    """Add a template variant, or update the one with `template_id` (leads and admins).  A body
    that `check_template` refuses is refused with every problem and its line.  Returns the
    template and what happened: created, updated or unchanged."""
    problems = check_template(draft.body)
    if problems:
        raise BadRecords(
            f"template {draft.name} ({draft.language}) is refused:\n  " + "\n  ".join(problems),
            problems,
        )
    now = now or datetime.now(UTC)
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor), "reply templates")
        row, happened = save_variant(
            session,
            ReplyTemplate,
            what=WHAT,
            command="csm templates",
            name=draft.name,
            language=draft.language,
            fields={"category": draft.category, "body": draft.body},
            variant_id=template_id,
            now=now,
        )
        return _view(row), happened


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template rendered for a ticket: the reply that would be sent, and the variant used."""

    template: TemplateView
    ticket_id: int
    text: str


def render_for_ticket(
    store: Store,
    *,
    actor: Actor,
    name: str,
    ticket_id: int,
    article: ArticleRef | None = None,
) -> Rendered:
    """Render template `name` for ticket `ticket_id`, in the customer's language variant (else
    English).  Raises `TemplateProblem` naming the placeholders it cannot fill: never a reply
    with a hole in it."""
    detail = get_ticket(store, ticket_id=ticket_id, other_limit=0)
    template = get_template(store, name=name, language=detail.customer.language)
    result = preview(store, actor=actor, template=template, ticket=detail.ticket, article=article)
    if not result.ready or result.text is None:
        why = (
            "unresolved placeholder"
            + ("s" if len(result.missing) > 1 else "")
            + ": "
            + ", ".join(result.missing)
            if result.missing
            else result.error or "it does not render"
        )
        raise TemplateProblem(
            f"template {template.name} ({template.variant}) cannot be used for #{ticket_id}: {why}",
            result.missing,
        )
    return Rendered(template=template, ticket_id=ticket_id, text=result.text)


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
