"""Knowledge search, reply templates and bulk actions on the sample operation (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csm_console.domain.model import Status
from csm_console.domain.query import Sort, parse_query
from csm_console.domain.templates import ArticleRef
from csm_console.services import bulk, knowledge, replies, setup, ticket_reads, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sample(store: Store) -> Store:
    setup.load_sample(store, now=NOW)
    return store


@pytest.mark.parametrize(
    ("text", "language", "expect_in_title"),
    [
        ("rekins", "lv", "rēķin"),
        ("СЧЁТ", "ru", "сч"),
        ("router restart", "en", "router"),
    ],
)
def test_knowledge_search_folds_and_ranks(
    sample: Store, text: str, language: str, expect_in_title: str
) -> None:
    hits = knowledge.search_articles(sample, text=text, language=language)
    assert hits, text
    assert all(h.language == language for h in hits)
    assert expect_in_title in hits[0].title.lower() or hits[0].title_spans
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        for start, end in hit.snippet_spans:
            assert 0 <= start < end <= len(hit.snippet)


@pytest.mark.parametrize(
    "text",
    [
        'NOT refund AND "unterminated',
        "subject:secret",
        "C++ 20.04",
        "-",
        "😀",
        "'; DROP TABLE article; --",
        "x" * 10_000,
        "%_",
    ],
)
def test_any_input_is_just_words(sample: Store, text: str) -> None:
    knowledge.search_articles(sample, text=text)  # never raises


def test_article_view(sample: Store) -> None:
    hit = knowledge.search_articles(sample, text="router")[0]
    article = knowledge.get_article(sample, article_id=hit.id)
    assert article.title == hit.title and article.body and article.reference.startswith("KB-")


def test_templates_filter_and_preview(sample: Store) -> None:
    demo = resolve_actor(sample, "demo")
    lv = replies.list_templates(sample, language="lv", category="billing")
    assert lv and all(t.language == "lv" for t in lv)
    assert lv[0].category == "billing"
    assert replies.list_templates(sample, language="en", text="ROUTER")
    ticket = ticket_reads.list_tickets(
        sample,
        actor=demo,
        query=parse_query("language:lv"),
        sort=Sort.parse("sla"),
        limit=1,
        now=NOW,
    ).items[0]
    preview = replies.preview(sample, actor=demo, template=lv[0], ticket=ticket)
    assert preview.ready and preview.text and "{{" not in preview.text
    needs_article = replies.get_template(sample, name="hardware-router-restart-en")
    blocked = replies.preview(sample, actor=demo, template=needs_article, ticket=ticket)
    assert not blocked.ready and "article.link" in blocked.missing
    ok = replies.preview(
        sample,
        actor=demo,
        template=needs_article,
        ticket=ticket,
        article=ArticleRef("Restart", "KB-0001"),
    )
    assert ok.ready


def test_bulk_assign_reports_changed_unchanged_refused(sample: Store) -> None:
    anna = resolve_actor(sample, "anna")  # L1 lead of Frontline
    page = ticket_reads.list_tickets(
        sample,
        actor=anna,
        query=parse_query("team:Frontline status:new,open tier:L1"),
        sort=Sort.parse("id"),
        limit=3,
        now=NOW,
    )
    other_team = ticket_reads.list_tickets(
        sample,
        actor=anna,
        query=parse_query("-team:Frontline"),
        sort=Sort.parse("id"),
        limit=1,
        now=NOW,
    ).items[0]
    ids = [t.id for t in page.items]
    tickets.assign_ticket(sample, actor=anna, ticket_id=ids[0], to="janis")
    result = bulk.assign_many(
        sample, actor=anna, ticket_ids=[*ids, other_team.id, ids[1]], to="janis"
    )
    assert result.unchanged == [ids[0]]
    assert result.changed == ids[1:]
    assert [tid for tid, _ in result.refused] == [other_team.id]
    assert "needs" in result.refused[0][1]
    assert result.summary() == "2 changed, 1 already so, 1 refused"
    detail = ticket_reads.get_ticket(sample, ticket_id=ids[1])
    assert any(a.batch_id == result.batch_id for a in detail.audit)


def test_bulk_status_guarded_by_versions(sample: Store) -> None:
    demo = resolve_actor(sample, "demo")
    mine = ticket_reads.list_tickets(
        sample,
        actor=demo,
        query=parse_query("assignee:me status:open"),
        sort=Sort.parse("id"),
        limit=2,
        now=NOW,
    ).items
    assert len(mine) == 2
    versions = {t.id: t.version for t in mine}
    tickets.add_note(sample, actor=demo, ticket_id=mine[0].id, body="changed meanwhile")
    result = bulk.set_status_many(
        sample, actor=demo, ticket_ids=versions, status=Status.PENDING, versions=versions
    )
    assert result.changed == [mine[1].id]
    assert (
        result.refused[0][0] == mine[0].id and "changed since you read it" in result.refused[0][1]
    )
