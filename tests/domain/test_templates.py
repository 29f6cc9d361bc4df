"""Reply templates render in a sandbox with strict placeholders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from csm_console.domain.frontmatter import split_front_matter
from csm_console.domain.outgoing import AUTO_TEMPLATES
from csm_console.domain.templates import (
    ArticleRef,
    TemplateProblem,
    placeholders,
    render,
    template_context,
)

SAMPLE_TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "sample_data" / "templates").glob("*.md")
)


def context(with_article: bool = False):  # type: ignore[no-untyped-def]
    return template_context(
        customer_name="Līga Bērziņa",
        ticket_id=1042,
        ticket_subject="Rēķins",
        ticket_priority="high",
        resolution_due=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
        agent_name="Olga",
        agent_signature="Olga\nBaltic Net",
        article=ArticleRef("Restart the router", "KB-0001") if with_article else None,
    )


@pytest.mark.parametrize("path", SAMPLE_TEMPLATES, ids=lambda p: p.name)
def test_every_sample_template_renders(path: Path) -> None:
    meta, body = split_front_matter(path.read_text("utf-8"), source=path.name)
    assert meta["language"] in {"en", "ru", "lv"} and meta["name"]
    text = render(body, context(with_article=True))
    # the automatic mails (acknowledgement, survey) are signed by no agent
    assert "{{" not in text and ("Olga" in text or meta["name"] in AUTO_TEMPLATES)


def test_unresolved_placeholders_are_named() -> None:
    with pytest.raises(TemplateProblem) as caught:
        render("See {{ article.title }} at {{ article.link }}, {{ customer.nickname }}", context())
    assert caught.value.missing == ("article.title", "article.link", "customer.nickname")
    assert "unresolved placeholders: article.title" in str(caught.value)


def test_values_render() -> None:
    text = render(
        "{{ customer.first_name }} #{{ ticket.id }} {{ ticket.resolution_due }}", context()
    )
    assert text == "Līga #1042 2026-11-24 09:30 UTC"
    assert placeholders("{{ customer.name }} {{ agent.signature }}") == (
        "customer.name",
        "agent.signature",
    )


@pytest.mark.parametrize(
    "body",
    [
        "{{ customer.name.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{% set x = customer.update({'name': 'x'}) %}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_sandbox_refuses_escapes(body: str) -> None:
    with pytest.raises(TemplateProblem):
        render(body, context())


def test_syntax_errors_give_the_line() -> None:
    with pytest.raises(TemplateProblem, match="template line 2"):
        render("ok\n{% if %}", context())
