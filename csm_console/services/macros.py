"""Macros: list, show, add, edit and remove them (leads and admins write), pick the customer's
language variant for a ticket exactly as reply templates do (`variants.pick_variant`), render
a macro's reply for a ticket with the templates' sandbox (`replies.preview`), and apply one.

A macro is stored like a reply template: one `macro` row per (name, language), with its
reply (a template body, '' for none) and its actions (one `kind=value` per line, only the
kinds `domain.actions.MACRO_KINDS` allows).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.resources.abc import Traversable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from csm_console.domain.actions import MACRO_KINDS, Action, ActionKind, describe, parse_actions
from csm_console.domain.macros import MacroDraft, make_macro, parse_macro
from csm_console.domain.model import Status
from csm_console.domain.rights import Actor, check_can_edit_knowledge
from csm_console.domain.templates import TemplateProblem, unresolved_placeholders
from csm_console.domain.text import fold
from csm_console.errors import BadRecords, Conflict, NotFound, PermissionDenied, UsageError
from csm_console.services import outbox
from csm_console.services.clock import utcnow
from csm_console.services.records import TicketRow
from csm_console.services.replies import TemplateView, preview
from csm_console.services.ticket_actions import Change, Source, lock_for_actions, run_actions
from csm_console.services.ticket_core import checked_body, reload_actor
from csm_console.services.ticket_reads import get_ticket, row_by_id
from csm_console.services.tickets import apply_reply
from csm_console.services.variants import (
    exact_variant,
    fit,
    pick_variant,
    remove_variants,
    save_variant,
    variants_of,
)
from csm_console.store.engine import Store
from csm_console.store.models import Macro

WHAT = "macro"  # in messages


@dataclass(frozen=True, slots=True)
class MacroView:
    id: int
    name: str
    category: str | None
    language: str
    reply: str
    actions: tuple[Action, ...]
    wanted: str | None = None  # the language asked for, when the variant was picked for one

    @property
    def variant(self) -> str:
        """Which variant this is: `ru`, or `en (no ru variant)` when it stands in for one."""
        if self.wanted and self.wanted != self.language:
            return f"{self.language} (no {self.wanted} variant)"
        return self.language

    @property
    def has_reply(self) -> bool:
        return bool(self.reply.strip())

    @property
    def summary(self) -> str:
        """What it does, on one line: `reply, status=pending, tag+=password-reset`."""
        parts = ["reply"] if self.has_reply else []
        if self.actions:
            parts.append(describe(self.actions))
        return ", ".join(parts)

    @property
    def draft(self) -> MacroDraft:
        return MacroDraft(
            name=self.name,
            language=self.language,
            reply=self.reply,
            actions=self.actions,
            category=self.category,
        )

    @property
    def template(self) -> TemplateView:
        """The reply as a template variant, to render it as reply templates are rendered."""
        return TemplateView(
            id=self.id,
            name=self.name,
            category=self.category,
            language=self.language,
            body=self.reply,
            wanted=self.wanted,
        )


def stored_actions(text: str) -> tuple[Action, ...]:
    """A row's actions (checked when saved; checked again: the store may be older)."""
    return parse_actions(text.splitlines(), allowed=MACRO_KINDS)


def _view(row: Macro, wanted: str | None = None) -> MacroView:
    return MacroView(
        id=row.id or 0,
        name=row.name,
        category=row.category,
        language=row.language,
        reply=row.reply,
        actions=stored_actions(row.actions),
        wanted=wanted,
    )


def _variants(session: Session, name: str) -> dict[str, Macro]:
    return variants_of(session, Macro, name)


def list_macros(
    store: Store, *, language: str | None = None, category: str | None = None
) -> list[MacroView]:
    """Every macro variant (of one language, of one category), by name and language."""
    statement = select(Macro).order_by(col(Macro.name), col(Macro.language))
    if language:
        statement = statement.where(col(Macro.language) == language)
    if category:
        statement = statement.where(col(Macro.category) == category)
    with store.read() as session:
        return [_view(m) for m in session.execute(statement).scalars()]


def macros_for(
    store: Store, *, language: str | None, category: str | None = None, text: str = ""
) -> list[MacroView]:
    """One macro per name, the variant for a customer who speaks `language` (falling back as
    template variants do), the ticket's `category` first, then general ones, then the rest;
    `text` filters by folded substring of the name, the category or what it does."""
    with store.read() as session:
        by_name: dict[str, dict[str, Macro]] = {}
        for m in session.execute(
            select(Macro).order_by(col(Macro.name), col(Macro.language))
        ).scalars():
            by_name.setdefault(m.name, {})[m.language] = m
        chosen = []
        for variants in by_name.values():
            picked = pick_variant(variants, language)
            if picked is not None:
                chosen.append(_view(variants[picked], language))
    needle = fold(text.strip())
    if needle:
        chosen = [
            m
            for m in chosen
            if needle in fold(m.name)
            or needle in fold(m.category or "")
            or needle in fold(m.summary)
            or needle in fold(m.reply)
        ]

    def rank(m: MacroView) -> tuple[int, int, str]:
        name_hit = bool(needle) and needle in fold(m.name)
        return (*fit(name_hit=name_hit, category=m.category, wanted=category), m.name)

    return sorted(chosen, key=rank)


def get_macro(store: Store, *, name: str, language: str | None = None) -> MacroView:
    """The variant of macro `name` for `language`: that language, else English, else any
    (`.variant` says which)."""
    name = name.strip()
    with store.read() as session:
        rows = _variants(session, name)
        picked = pick_variant(rows, language)
        if picked is None:
            raise NotFound(f"no macro named {name[:120]!r}")
        return _view(rows[picked], language)


def get_variant(store: Store, *, name: str, language: str) -> MacroView:
    """Exactly the `language` variant of `name`, for editing."""
    name = name.strip()
    with store.read() as session:
        return _view(
            exact_variant(_variants(session, name), what=WHAT, name=name, language=language)
        )


def check_draft(draft: MacroDraft) -> MacroDraft:
    """A draft checked again (it may have been built by hand): BadRecords names the problem."""
    try:
        return make_macro(
            name=draft.name,
            language=draft.language,
            reply=draft.reply,
            actions=[str(a) for a in draft.actions],
            category=draft.category,
            source=f"macro {draft.name[:120]} ({draft.language})",
        )
    except ValueError as exc:
        raise BadRecords(str(exc), [str(exc)]) from None


def save_macro(
    store: Store,
    *,
    actor: Actor,
    draft: MacroDraft,
    macro_id: int | None = None,
    now: datetime | None = None,
) -> tuple[MacroView, str]:
    """Add a macro variant, or update the one with `macro_id` (leads and admins).  Checked
    before anything is written.  Returns the macro and what happened: created, updated or
    unchanged."""
    draft = check_draft(draft)
    now = now or datetime.now(UTC)
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor), "macros")
        row, happened = save_variant(
            session,
            Macro,
            what=WHAT,
            command="csm macros",
            name=draft.name,
            language=draft.language,
            fields={
                "category": draft.category,
                "reply": draft.reply,
                "actions": draft.actions_text,
            },
            variant_id=macro_id,
            now=now,
        )
        return _view(row), happened


def remove_macro(
    store: Store, *, actor: Actor, name: str, language: str | None = None
) -> list[str]:
    """Remove a macro's variant in `language`, or every variant; returns the languages removed
    (NotFound when there is none)."""
    name = name.strip()
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor), "macros")
        return remove_variants(session, Macro, what=WHAT, name=name, language=language)


@dataclass(frozen=True, slots=True)
class RenderedMacro:
    """A macro for one ticket: its variant for the customer's language, the reply rendered
    for the ticket ('' when the macro has none), and its actions."""

    macro: MacroView
    ticket_id: int
    reply: str

    @property
    def actions(self) -> tuple[Action, ...]:
        return self.macro.actions


def render_macro(store: Store, *, actor: Actor, name: str, ticket_id: int) -> RenderedMacro:
    """Macro `name` for ticket `ticket_id`: the customer's language variant (else English),
    its reply rendered as a reply template is.  Raises `TemplateProblem` naming what it cannot
    fill: never a reply with a hole in it."""
    detail = get_ticket(store, ticket_id=ticket_id, other_limit=0)
    macro = get_macro(store, name=name, language=detail.customer.language)
    return render_for(store, actor=actor, macro=macro, ticket_id=ticket_id)


def render_for(store: Store, *, actor: Actor, macro: MacroView, ticket_id: int) -> RenderedMacro:
    """`macro` (a variant already chosen) rendered for ticket `ticket_id`."""
    if not macro.has_reply:
        return RenderedMacro(macro=macro, ticket_id=ticket_id, reply="")
    detail = get_ticket(store, ticket_id=ticket_id, other_limit=0)
    result = preview(store, actor=actor, template=macro.template, ticket=detail.ticket)
    if result.text is None:
        why = (
            "unresolved placeholders: " + ", ".join(result.missing)
            if result.missing
            else result.error or "it does not render"
        )
        raise TemplateProblem(
            f"macro {macro.name} ({macro.variant}) cannot be used for #{ticket_id}: {why}",
            result.missing,
        )
    return RenderedMacro(macro=macro, ticket_id=ticket_id, reply=result.text)


# -- applying a macro: its reply through the reply path, then its actions through the action
#    runner (`services.ticket_actions`), in one transaction per ticket


@dataclass(frozen=True, slots=True)
class MacroResult:
    """A macro applied to one ticket (or, in a dry run, what it would do): the variant used,
    the reply sent ('' for none) and every change (field, old, new)."""

    ticket_id: int
    macro: MacroView
    reply: str
    changes: tuple[Change, ...]
    version: int  # the ticket's version after (in a dry run: as it was)
    dry_run: bool = False
    row: TicketRow | None = None  # the ticket after (None in a dry run)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def new_batch_id() -> str:
    return f"macro-{uuid.uuid4().hex}"


class _DryRun(Exception):
    """Raised inside the write to roll a dry run back."""


def _status_action(actions: Iterable[Action]) -> Status | None:
    return next((a.status for a in actions if a.kind is ActionKind.STATUS), None)


def apply_macro(
    store: Store,
    *,
    actor: Actor,
    ticket_id: int,
    macro: MacroView,
    reply: str | None = None,
    status: Status | None = None,
    attachments: Sequence[outbox.NewFile] = (),
    batch_id: str | None = None,
    expected_version: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> MacroResult:
    """Apply `macro` (a variant already chosen) to ticket `ticket_id` in ONE write transaction:
    the reply (`reply`: the text the operator reviewed; None renders the macro's own for the
    ticket) as a public reply through the reply path (`tickets.apply_reply`: on an e-mail
    ticket its mail is queued in the same transaction), then the actions through
    `ticket_actions.run_actions`.  All or nothing.  The macro's `status=` (else `status`) is
    the status the reply leaves the ticket in.  With `dry_run`, the same work rolled back:
    what would change, nothing written."""
    now = now or utcnow()
    batch_id = batch_id or new_batch_id()  # its reply and actions: one change in the audit
    if reply is None:
        reply = render_for(store, actor=actor, macro=macro, ticket_id=ticket_id).reply
    body = ""
    if reply.strip():
        body = checked_body(reply)
        left = unresolved_placeholders(body)
        if left:
            raise UsageError(
                f"the reply still has placeholders ({', '.join(left[:3])}); fill them in first"
            )
    files = outbox.check_files(attachments, limit=store.mail.max_message) if body else []
    after = _status_action(macro.actions) or status
    found: list[MacroResult] = []
    try:
        with store.write() as session:
            ticket, fresh = lock_for_actions(
                session, actor=actor, ticket_id=ticket_id, expected_version=expected_version
            )
            version = ticket.version
            changes: list[Change] = []
            if body:
                before = ticket.status
                apply_reply(
                    session,
                    ticket,
                    fresh,
                    body,
                    now,
                    mail=store.mail,
                    status=after,
                    files=files,
                    batch_id=batch_id,
                )
                changes.append(Change("reply", None, body))
                if ticket.status != before:
                    changes.append(Change("status", before, ticket.status))
            changes += run_actions(
                session,
                ticket,
                fresh,
                macro.actions,
                mail=store.mail,
                now=now,
                source=Source("macro", macro.name),
                batch_id=batch_id,
            )
            result = MacroResult(
                ticket_id, macro, body, tuple(changes), version if dry_run else ticket.version
            )
            if dry_run:
                found.append(replace(result, dry_run=True))
                raise _DryRun
            return replace(result, row=row_by_id(session, ticket_id))
    except _DryRun:
        return found[0]


@dataclass
class MacroRun:
    """A macro applied to several tickets, each in its own transaction, under one batch id:
    what each ticket got, and the ones refused (with why and the exit code)."""

    batch_id: str
    name: str
    results: list[MacroResult] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    refusal_codes: list[int] = field(default_factory=list)

    @property
    def changed(self) -> list[int]:
        return [r.ticket_id for r in self.results if r.changed]

    @property
    def unchanged(self) -> list[int]:
        return [r.ticket_id for r in self.results if not r.changed]

    def summary(self) -> str:
        verb = "would change" if any(r.dry_run for r in self.results) else "changed"
        parts = [f"{len(self.changed)} {verb}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


def apply_many(
    store: Store,
    *,
    actor: Actor,
    ticket_ids: Iterable[int],
    name: str,
    versions: dict[int, int] | None = None,
    dry_run: bool = False,
    without_reply: bool = False,
    after_each: Callable[[int], None] | None = None,
) -> MacroRun:
    """Apply macro `name` to each ticket (once each, in the order given), each in its own
    transaction: the variant for that ticket's customer, its reply rendered for that ticket.
    A ticket it cannot apply to is refused with the reason; the others go on.  With
    `without_reply` (the console's marked tickets) a macro that has a reply is refused: its
    reply is for review in the composer, one ticket at a time."""
    run = MacroRun(batch_id=new_batch_id(), name=name.strip())
    get_macro(store, name=name)  # NotFound before any ticket is tried
    known = versions or {}
    for done, ticket_id in enumerate(dict.fromkeys(ticket_ids), 1):
        try:
            language = get_ticket(store, ticket_id=ticket_id, other_limit=0).customer.language
            macro = get_macro(store, name=name, language=language)
            if without_reply and macro.has_reply:
                raise UsageError(
                    f"macro {macro.name} ({macro.variant}) has a reply: open the ticket and "
                    "apply it there, to review the reply"
                )
            run.results.append(
                apply_macro(
                    store,
                    actor=actor,
                    ticket_id=ticket_id,
                    macro=macro,
                    batch_id=run.batch_id,
                    expected_version=known.get(ticket_id),
                    dry_run=dry_run,
                )
            )
        except (PermissionDenied, UsageError, Conflict, NotFound) as refusal:
            run.refused.append((ticket_id, refusal.message))
            run.refusal_codes.append(refusal.exit_code)
        if after_each is not None:
            after_each(done)
    return run


def add_samples(session: Session, files: Iterable[Traversable | Path], now: datetime) -> int:
    """The sample store's macros (`sample_data/macros/*.md`), inside `load_sample`'s
    transaction; a file that does not parse stops the load with its name and problem."""
    count = 0
    for path in files:
        try:
            draft = parse_macro(path.read_text(encoding="utf-8"), source=path.name)
        except ValueError as exc:
            raise BadRecords(str(exc), [str(exc)]) from None
        session.add(
            Macro(
                name=draft.name,
                category=draft.category,
                language=draft.language,
                reply=draft.reply,
                actions=draft.actions_text,
                updated_at=now,
            )
        )
        count += 1
    return count
