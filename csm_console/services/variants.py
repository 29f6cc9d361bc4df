"""Things kept as language variants under one name: reply templates and macros.

Both are stored one row per (name, language); a customer gets the variant of their language
(else English, else any: `pick_variant`), a lead adds, edits and removes one variant at a time,
and a picker offers the ticket's category first.  The rules for all of that are here once;
`replies` and `macros` say only what a variant holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from csm_console.domain.model import Language
from csm_console.errors import NotFound, UsageError
from csm_console.store.models import Macro, ReplyTemplate

Variant = TypeVar("Variant", ReplyTemplate, Macro)

FALLBACK_LANGUAGE = Language.EN.value

GENERAL_CATEGORIES = (None, "", "general", "other")  # offered after the ticket's own category


def pick_variant(languages: Iterable[str], wanted: str | None) -> str | None:
    """The variant to use for a customer who speaks `wanted`: that language, else English,
    else the first there is (in the order given)."""
    have = list(languages)
    for choice in (wanted, FALLBACK_LANGUAGE):
        if choice and choice in have:
            return choice
    return have[0] if have else None


def variants_of(session: Session, kind: type[Variant], name: str) -> dict[str, Variant]:
    """The variants of `name`, by language."""
    found = session.execute(
        select(kind).where(col(kind.name) == name).order_by(col(kind.language))
    ).scalars()
    return {row.language: row for row in found}


def exact_variant(rows: Mapping[str, Variant], *, what: str, name: str, language: str) -> Variant:
    """Exactly the `language` variant among `rows` (the variants of `what` `name`), for
    editing: NotFound names the ones there are."""
    if language not in rows:
        if not rows:
            raise NotFound(f"no {what} named {name[:120]!r}")
        raise NotFound(
            f"{what} {name[:120]!r} has no {language} variant "
            f"(there are: {', '.join(sorted(rows))})"
        )
    return rows[language]


def save_variant(
    session: Session,
    kind: type[Variant],
    *,
    what: str,
    command: str,
    name: str,
    language: str,
    fields: Mapping[str, object],
    variant_id: int | None,
    now: datetime,
) -> tuple[Variant, str]:
    """Add the `language` variant of `name` (`variant_id` None), or update the row
    `variant_id` to that name, language and `fields`.  Returns the row and what happened:
    created, updated or unchanged.  `what` and `command` name it in errors (`reply template`,
    `csm templates`)."""
    holder = variants_of(session, kind, name).get(language)
    if variant_id is None:
        if holder is not None:
            raise UsageError(
                f"{what} {name} ({language}) exists already; "
                f"use `{command} edit {name} --lang {language}`"
            )
        created = kind.model_validate(
            {"name": name, "language": language, "updated_at": now, **fields}
        )
        session.add(created)
        session.flush()
        return created, "created"
    row = session.get(kind, variant_id)
    if row is None:
        raise NotFound(f"no {what} {variant_id}")
    if holder is not None and holder.id != row.id:
        raise UsageError(f"{what} {name} ({language}) exists already")
    wanted = {"name": name, "language": language, **fields}
    if all(getattr(row, key) == value for key, value in wanted.items()):
        return row, "unchanged"
    for key, value in wanted.items():
        setattr(row, key, value)
    row.updated_at = now
    session.add(row)
    session.flush()
    return row, "updated"


def remove_variants(
    session: Session, kind: type[Variant], *, what: str, name: str, language: str | None
) -> list[str]:
    """Remove the `language` variant of `name`, or every variant; returns the languages
    removed (NotFound when there is none)."""
    rows = variants_of(session, kind, name)
    if not rows:
        raise NotFound(f"no {what} named {name[:120]!r}")
    if language:
        exact_variant(rows, what=what, name=name, language=language)
    languages = [language] if language else sorted(rows)
    session.execute(delete(kind).where(col(kind.name) == name, col(kind.language).in_(languages)))
    return languages


def fit(*, name_hit: bool, category: str | None, wanted: str | None) -> tuple[int, int]:
    """Where a variant stands in a picker: a name that matches the typed text first, then the
    ticket's own category, then general ones, then the rest."""
    if wanted and category == wanted:
        place = 0
    elif category in GENERAL_CATEGORIES:
        place = 1
    else:
        place = 2
    return (0 if name_hit else 1), place
