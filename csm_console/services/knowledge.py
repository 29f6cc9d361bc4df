"""Knowledge search: ranked full-text search over the articles, in en/ru/lv, on both stores.

The words of an article become stems and the words of a query become terms
(`csm_console.domain.search`); the store indexes the article stems
(`csm_console.store.search_index`: FTS5 + bm25 on SQLite, a tsvector with a GIN index + ts_rank
on PostgreSQL).  A query asks for every word first and, when that finds nothing, for any word.
Each term is passed as data (quoted letters and digits), never as query syntax, so no input can
make the search fail.

Ranking is the store's (`search_index.ranked`, bounded to the newest matches, so a word that
appears in half of 100,000 articles costs a bounded amount of work).  Snippets
and highlight spans are computed here on the article text, for the console to style (never
markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from csm_console.domain.article import ArticleDraft, parse_article
from csm_console.domain.model import as_id
from csm_console.domain.rights import Actor, check_can_edit_knowledge
from csm_console.domain.search import (
    HitMarker,
    article_index,
    plain_text,
    query_terms,
)
from csm_console.domain.text import sanitize, snippet
from csm_console.errors import BadRecords, NotFound, NothingToDo, UsageError
from csm_console.services.ticket_core import reload_actor
from csm_console.store import search_index
from csm_console.store.engine import Store
from csm_console.store.models import Article

MAX_LIMIT = 100
SUBJECT_WEIGHT = 1.0  # a suggestion's score for the ticket's subject alone, added to its score


@dataclass(frozen=True, slots=True)
class ArticleHit:
    """One search result.  `title` and `snippet` are sanitised single lines; the spans are the
    (start, end) offsets of the hits in them, for the console to style."""

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


def search_articles(
    store: Store,
    *,
    text: str,
    language: str | None = None,
    limit: int = 20,
    any_word: bool = False,
) -> list[ArticleHit]:
    """The best articles for `text`, best first: every word must match, or, when that finds
    nothing (or with `any_word`), any word.  Never raises on any input."""
    terms = query_terms(text)
    if not terms:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    with store.read() as session:
        ranked = search_index.ranked(session, terms, language, limit, any_word=any_word)
        if not ranked and not any_word and len(terms) > 1:
            ranked = search_index.ranked(session, terms, language, limit, any_word=True)
        if not ranked:
            return []
        rows = {r.id: r for r in hit_rows(session, [article_id for article_id, _ in ranked])}
    hits = []
    marker = HitMarker(terms)
    for article_id, score in ranked:
        row = rows[article_id]
        excerpt, spans = _excerpt(row.body, row.title, marker)
        title = sanitize(row.title, single_line=True)
        hits.append(
            ArticleHit(
                id=row.id,
                external_id=row.external_id,
                title=title,
                language=row.language,
                score=round(score, 4),
                snippet=excerpt,
                snippet_spans=tuple(spans),
                title_spans=tuple(marker.spans(title)),
            )
        )
    return hits


def hit_rows(session: Session, ids: Sequence[int]) -> list[Any]:
    """What a result shows of each article (id, external id, title, body, language)."""
    return list(
        session.execute(
            select(
                col(Article.id),
                col(Article.external_id),
                col(Article.title),
                col(Article.body),
                col(Article.language),
            ).where(col(Article.id).in_(list(ids)))
        )
    )


def _excerpt(body: str, title: str, marker: HitMarker) -> tuple[str, list[tuple[int, int]]]:
    """A snippet of the article's prose around its first hit.  Only the lines around that hit
    (at most about 600 characters) are turned into plain text and searched for hits."""
    hit = marker.first(body) or 0
    start = max(body.rfind("\n", 0, max(0, hit - 150)) + 1, hit - 300)
    if start > 0 and body[start - 1] not in "\n ":  # mid-word: from the next word on
        space = body.find(" ", start, hit)
        start = space + 1 if space >= 0 else hit
    line_end = body.find("\n", hit + 300)
    end = min(len(body) if line_end < 0 else line_end, hit + 600)
    flat = sanitize(plain_text(body[start:end], title if start == 0 else ""), single_line=True)
    excerpt, spans = snippet(flat, marker.spans)
    if start > 0 and not excerpt.startswith("…"):
        excerpt = "…" + excerpt
        spans = [(a + 1, b + 1) for a, b in spans]
    if end < len(body) and not excerpt.endswith("…"):
        excerpt += "…"
    return excerpt, spans


def suggest_articles(
    store: Store, *, subject: str, body: str, language: str | None, limit: int = 5
) -> list[ArticleHit]:
    """Articles for a ticket: any word of its subject and first message, the subject weighing
    more (it says what the ticket is about; the message also has greetings, account numbers and
    side remarks), in the customer's language first, then in any language."""
    hits = _suggested(store, subject, body, language, limit)
    if len(hits) < limit and language:
        seen = {h.id for h in hits}
        more = _suggested(store, subject, body, None, limit)
        hits += [h for h in more if h.id not in seen][: limit - len(hits)]
    return hits


def _suggested(
    store: Store, subject: str, body: str, language: str | None, limit: int
) -> list[ArticleHit]:
    """The best `limit` articles for subject and message together, each one's score raised by
    SUBJECT_WEIGHT times its score for the subject alone."""
    pool = max(limit * 4, 20)  # enough candidates that the subject can lift one into the top
    both = search_articles(
        store, text=f"{subject} {body}", language=language, limit=pool, any_word=True
    )
    about = search_articles(store, text=subject, language=language, limit=pool, any_word=True)
    subject_score = {h.id: h.score for h in about}
    weighed = {
        h.id: replace(h, score=round(h.score + SUBJECT_WEIGHT * subject_score.get(h.id, 0.0), 4))
        for h in both
    }
    for h in about:  # a subject match beyond the pool of the whole text
        weighed.setdefault(h.id, replace(h, score=round(SUBJECT_WEIGHT * h.score, 4)))
    return sorted(weighed.values(), key=lambda h: (-h.score, -h.id))[:limit]


def _view(article: Article) -> ArticleView:
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


def _find(session: Session, ref: str | int) -> Article | None:
    """By id (`42`), or by external id (`KB-0042`)."""
    text_ref = str(ref).strip()
    article: Article | None = None
    number = as_id(text_ref)
    if number is not None:
        article = session.get(Article, number)
    if article is None and len(text_ref) <= 200:  # longer is no external id
        article = session.execute(
            select(Article).where(col(Article.external_id) == text_ref)
        ).scalar_one_or_none()
    return article


def get_article(store: Store, *, article_id: int | str) -> ArticleView:
    """An article by id or external id."""
    with store.read() as session:
        article = _find(session, article_id)
        if article is None:
            raise NotFound(f"no article {article_id!r} (give its id or external id)")
        return _view(article)


def draft_of(view: ArticleView) -> ArticleDraft:
    return ArticleDraft(
        title=view.title,
        body=view.body,
        language=view.language,
        tags=view.tags,
        external_id=view.external_id,
    )


def _apply_draft(article: Article, draft: ArticleDraft, now: datetime) -> bool:
    """Copy the draft onto the row (terms included); False when nothing changed."""
    tags = ",".join(draft.tags)
    new = (draft.title, draft.body, tags, draft.language, draft.external_id)
    old = (article.title, article.body, article.tags, article.language, article.external_id)
    if new == old and article.id is not None:
        return False
    article.title, article.body, article.tags, article.language = new[:4]
    article.external_id = draft.external_id
    article.search_title, article.search_text = article_index(
        draft.title, tags, draft.body, draft.language
    )
    article.updated_at = now
    return True


def save_article(
    store: Store,
    *,
    actor: Actor,
    draft: ArticleDraft,
    article_id: int | None = None,
    now: datetime | None = None,
) -> tuple[ArticleView, str]:
    """Add an article, or update the one with `article_id` (or with the draft's external id).
    Returns the article and what happened: created, updated or unchanged."""
    now = now or datetime.now(UTC)
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor))
        article = _find(session, article_id) if article_id is not None else None
        if article_id is not None and article is None:
            raise NotFound(f"no article {article_id}")
        if article is None and draft.external_id:
            article = _find(session, draft.external_id)
        if draft.external_id:
            holder = session.execute(
                select(Article).where(col(Article.external_id) == draft.external_id)
            ).scalar_one_or_none()
            if holder is not None and article is not None and holder.id != article.id:
                raise UsageError(
                    f"the id {draft.external_id!r} belongs to article {holder.id} already"
                )
        outcome = "updated"
        if article is None:
            article = Article(title="", body="", tags="", language="en", updated_at=now)
            outcome = "created"
        changed = _apply_draft(article, draft, now)
        session.add(article)
        session.flush()
        return _view(article), outcome if changed else "unchanged"


@dataclass(frozen=True)
class ArticleImport:
    created: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def import_articles(
    store: Store, *, actor: Actor, files: Sequence[tuple[str, str]], now: datetime | None = None
) -> ArticleImport:
    """Import Markdown files (name, text), all or nothing.  An article is matched by the
    front matter's `id`, else by the file name without `.md`, which becomes its id: importing
    the same folder again updates the articles instead of copying them."""
    now = now or datetime.now(UTC)
    drafts: list[ArticleDraft] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, content in files:
        try:
            draft = parse_article(content, source=name)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if draft.external_id is None:
            stem = name.rsplit("/", 1)[-1].removesuffix(".md")
            draft = replace(draft, external_id=stem[:120])
        assert draft.external_id is not None
        first = seen.setdefault(draft.external_id, name)
        if first != name:
            problems.append(f"{name}: id {draft.external_id!r} is also the id of {first}")
            continue
        drafts.append(draft)
    if problems:
        raise BadRecords(
            f"{len(problems)} bad file{'s' if len(problems) > 1 else ''}; nothing was imported"
            + (f" ({problems[0]})" if len(problems) == 1 else ""),
            problems,
        )
    if not drafts:
        raise NothingToDo("nothing to do: no Markdown files (*.md) to import")
    created: list[int] = []
    updated: list[int] = []
    unchanged: list[int] = []
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor))
        for draft in drafts:
            article = _find(session, draft.external_id or "")
            if article is None:
                article = Article(title="", body="", tags="", language="en", updated_at=now)
                _apply_draft(article, draft, now)
                session.add(article)
                session.flush()
                assert article.id is not None
                created.append(article.id)
            else:
                assert article.id is not None
                (updated if _apply_draft(article, draft, now) else unchanged).append(article.id)
    return ArticleImport(tuple(created), tuple(updated), tuple(unchanged))


def delete_article(store: Store, *, actor: Actor, article_id: int | str) -> ArticleView:
    with store.write() as session:
        check_can_edit_knowledge(reload_actor(session, actor))
        article = _find(session, article_id)
        if article is None:
            raise NotFound(f"no article {article_id!r}")
        view = _view(article)
        session.delete(article)
        return view


def reindex_articles(store: Store, *, actor: Actor, batch: int = 500) -> tuple[int, int]:
    """Recompute the search stems of every article, for when the stemming rules changed (a new
    release of this program or of PyStemmer).  Only articles whose stems differ are written, a
    batch per transaction, and the index follows them.  Returns (articles, changed)."""
    with store.read() as session:
        check_can_edit_knowledge(reload_actor(session, actor))
    seen = changed = 0
    after = 0
    while True:
        with store.write() as session:
            articles = (
                session.execute(
                    select(Article)
                    .where(col(Article.id) > after)
                    .order_by(col(Article.id))
                    .limit(batch)
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            for article in articles:
                stems = article_index(article.title, article.tags, article.body, article.language)
                if stems != (article.search_title, article.search_text):
                    article.search_title, article.search_text = stems
                    changed += 1
        if not articles:
            return seen, changed
        seen += len(articles)
        after = articles[-1].id or after
