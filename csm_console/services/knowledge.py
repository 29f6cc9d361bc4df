"""Knowledge search, first version: folded substring matching with a simple rank.

Every word must occur (prefix and inflection tolerant, because it is a substring match on text
folded for case and diacritics); titles weigh more than bodies.  Any input is just words: no
query syntax can fail.  The knowledge issue replaces the matching with FTS5 / tsvector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlmodel import col

from csm_console.domain.text import find_spans, fold, search_terms, snippet
from csm_console.errors import NotFound
from csm_console.store.engine import Store
from csm_console.store.models import Article
from csm_console.store.ticket_query import like_pattern

CANDIDATES = 300


@dataclass(frozen=True, slots=True)
class ArticleHit:
    id: int
    external_id: str | None
    title: str
    language: str
    score: float
    snippet: str
    snippet_spans: tuple[tuple[int, int], ...]
    title_spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    external_id: str | None
    title: str
    body: str
    tags: tuple[str, ...]
    language: str
    updated_at: datetime

    @property
    def reference(self) -> str:
        """How a reply cites the article."""
        return self.external_id or f"KB-{self.id}"

    def excerpt(self, limit: int = 600) -> str:
        """The first paragraph of prose (not a heading), for quoting in a reply."""
        for paragraph in self.body.split("\n\n"):
            text = paragraph.strip()
            if text and not text.startswith("#"):
                return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
        return self.title


def article_search_text(title: str, tags: str, body: str) -> str:
    return fold(f"{title}\n{tags}\n{body}")


def search_articles(
    store: Store, *, text: str, language: str | None = None, limit: int = 20
) -> list[ArticleHit]:
    terms = search_terms(text)
    if not terms:
        return []
    conditions: list[ColumnElement[bool]] = [
        col(Article.search_text).like(like_pattern(term), escape="\\") for term in terms
    ]
    if language:
        conditions.append(col(Article.language) == language)
    statement = (
        select(
            col(Article.id),
            col(Article.external_id),
            col(Article.title),
            col(Article.body),
            col(Article.language),
        )
        .where(and_(*conditions))
        .order_by(col(Article.id))
        .limit(CANDIDATES)
    )
    with store.read() as session:
        rows = list(session.execute(statement))
    hits = []
    for row in rows:
        folded_title = fold(row.title)
        folded_body = fold(row.body)
        score = sum(3.0 * folded_title.count(t) + min(folded_body.count(t), 10) for t in terms)
        excerpt, spans = snippet(row.body, terms)
        hits.append(
            ArticleHit(
                id=row.id,
                external_id=row.external_id,
                title=row.title,
                language=row.language,
                score=score,
                snippet=excerpt,
                snippet_spans=tuple(spans),
                title_spans=tuple(find_spans(row.title, terms)),
            )
        )
    hits.sort(key=lambda h: (-h.score, h.id))
    return hits[:limit]


def get_article(store: Store, *, article_id: int) -> ArticleView:
    with store.read() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        assert article.id is not None
        return ArticleView(
            id=article.id,
            external_id=article.external_id,
            title=article.title,
            body=article.body,
            tags=tuple(t for t in article.tags.split(",") if t),
            language=article.language,
            updated_at=article.updated_at,
        )
