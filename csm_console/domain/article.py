"""A knowledge-base article as a Markdown file with front matter: parsing and writing it.

---
title: How to restart your router
id: KB-0042            # optional: the article's id in the source, for re-imports
language: en           # en, ru or lv (default en)
tags: [router, wifi]   # or "router, wifi"
---
Markdown body...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from csm_console.domain.frontmatter import document_body, front_matter_language, split_front_matter
from csm_console.domain.text import normalize_tag

MAX_TITLE = 300
MAX_ARTICLE_BODY = 200_000
MAX_ARTICLE_ID = 120
KNOWN_KEYS = ("title", "id", "language", "tags")


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    body: str
    language: str
    tags: tuple[str, ...] = ()
    external_id: str | None = None


def parse_article(text: str, *, source: str) -> ArticleDraft:
    """An article from Markdown with front matter; ValueError names `source` and the field."""
    meta, body = split_front_matter(text, source=source, known=KNOWN_KEYS)
    title = str(meta.get("title") or "").strip()
    if not title:
        raise ValueError(f"{source}: title: required (a `title:` line in the front matter)")
    if len(title) > MAX_TITLE or "\n" in title:
        raise ValueError(f"{source}: title: one line of at most {MAX_TITLE} characters")
    body = document_body(body, source=source, kind="article", limit=MAX_ARTICLE_BODY)
    language = front_matter_language(meta, source=source)
    external_id = meta.get("id")
    if external_id is not None:
        external_id = str(external_id).strip() or None
        if external_id is not None and len(external_id) > MAX_ARTICLE_ID:
            raise ValueError(f"{source}: id: at most {MAX_ARTICLE_ID} characters")
    return ArticleDraft(
        title=title,
        body=body + "\n",
        language=language,
        tags=_tags(meta.get("tags"), source),
        external_id=external_id,
    )


def _tags(value: Any, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f"{source}: tags: a list, or words separated by commas")
    try:
        return tuple(dict.fromkeys(normalize_tag(str(t)) for t in items))
    except ValueError as exc:
        raise ValueError(f"{source}: tags: {exc}") from None


def article_markdown(draft: ArticleDraft) -> str:
    """The Markdown file of an article, which `parse_article` reads back unchanged."""
    meta: dict[str, Any] = {"title": draft.title}
    if draft.external_id:
        meta["id"] = draft.external_id
    meta["language"] = draft.language
    meta["tags"] = list(draft.tags)
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{header}---\n{draft.body}"
