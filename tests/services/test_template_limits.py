"""A render's work is bounded (issue 16, item 22): loops, string growth and output stop a
hostile template in well under a second; templates are checked at save time against long
sample values; a template that reached the store past those checks fails fast from the CLI."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from csm_console.domain.templates import TemplateProblem, check_template, render, template_context
from csm_console.services import setup
from csm_console.store.engine import Store
from tests.conftest import ROOT, run_csm

SUBJECT = ("Rēķins nav apmaksāts, lūdzu pārbaudiet " * 13)[:500]
LOOP = "{% for a in ticket.subject %}"
END = "{% endfor %}"
NESTED_4 = (
    LOOP.replace("a in", "a in")
    + LOOP.replace(" a ", " b ")
    + LOOP.replace(" a ", " c ")
    + LOOP.replace(" a ", " d ")
    + "x"
    + END * 4
)
NESTED_3_SILENT = LOOP + LOOP.replace(" a ", " b ") + LOOP.replace(" a ", " c ") + END * 3 + "Hello"
REPLACE_CHAIN = (
    '{{ ticket.subject | replace("", ticket.subject) | replace("", ticket.subject)'
    ' | replace("", ticket.subject) }}'
)
DOUBLING = (
    "{% set a = ticket.subject ~ ticket.subject %}"
    + "".join("{% set a = a ~ a %}" for _ in range(30))
    + "{{ a | length }}"
)
DOUBLING_PLUS = (
    "{% set a = ticket.subject + ticket.subject %}"
    + "".join("{% set a = a + a %}" for _ in range(30))
    + "{{ a | length }}"
)


def context(subject: str = SUBJECT) -> dict[str, dict[str, object]]:
    return template_context(
        customer_name="Anna Bērziņa",
        ticket_id=1042,
        ticket_subject=subject,
        ticket_priority="normal",
        resolution_due=datetime(2026, 1, 2, tzinfo=UTC),
        agent_name="Olga",
        agent_signature="Olga",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (NESTED_4, "would be longer than 50,000 characters"),
        (NESTED_4.replace("x", ""), "too much work"),
        (REPLACE_CHAIN, "'replace' would build more than 50,000 characters"),
        (
            "{{ ticket.subject | wordwrap(1, True, ticket.subject) }}",
            "'wordwrap' would build more than 50,000 characters",
        ),
        (DOUBLING, "builds a value of more than 50,000 characters"),
        (DOUBLING_PLUS, "builds a value of more than 50,000 characters"),
        ('{{ "x" | center(ticket.id * ticket.id) }}', "'center' was given 1085764"),
        ("{{ ticket.subject | indent(ticket.id * 2) }}", "'indent' was given 2084"),
        ('{{ ticket.subject.replace("", ticket.subject) }}', "is not a placeholder"),
        ("{% macro f(s) %}{{ f(s) }}{% endmacro %}{{ f(ticket.subject) }}", "placeholder: f"),
        ("{% set x %}{{ ticket.subject }}{% endset %}{{ x }}", "set ... endset"),
        (
            "{% for c in ticket.subject recursive %}{{ loop(ticket.subject) }}{% endfor %}",
            "sandbox",
        ),
    ],
    ids=[
        "4 loops",
        "4 silent loops",
        "replace chain",
        "wordwrap",
        "~ doubling",
        "+ doubling",
        "center",
        "indent",
        "str method",
        "macro",
        "set block",
        "recursive loop",
    ],
)
def test_a_hostile_render_fails_fast(body: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateProblem, match=message):
        render(body, context())
    assert time.monotonic() - started < 2.5


def test_ordinary_loops_and_filters_still_render() -> None:
    body = (
        "{% for w in ticket.subject %}{% if w == 'r' %}{{ w | upper }}{% endif %}{% endfor %}"
        " {{ customer.name | replace('a', 'ā') | center(20) | trim }}"
        " {{ (customer.first_name ~ '!') * 3 }}"
    )
    assert render(body, context("rēķins")) == "R Annā Bērziņā Anna!Anna!Anna!"


def test_save_checks_against_long_sample_values() -> None:
    # three silent loops finish on the short sample subject, but not on a 500-character one
    problems = check_template(NESTED_3_SILENT)
    assert len(problems) == 1
    assert "fails when rendered with long sample values" in problems[0]
    assert "too much work" in problems[0]
    assert check_template("{% for c in ticket.subject %}{{ c }}{% endfor %}") == []


@pytest.mark.slow
def test_a_stored_hostile_template_fails_fast_from_the_cli(tmp_path: Path) -> None:
    """A template written to the store past the save check (another client, an older csm):
    `templates render` and `tickets reply --template` end at once with exit 2."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    store = Store(url)
    setup.initialize(store)
    setup.load_sample(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET subject = :s WHERE id = 1001"), {"s": SUBJECT})
        conn.execute(text("UPDATE reply_template SET body = :b"), {"b": NESTED_4.replace("x", "")})
        name = conn.execute(text("SELECT name FROM reply_template LIMIT 1")).scalar_one()
    store.dispose()
    for args in (
        ["templates", "render", name, "--ticket", "1001"],
        ["tickets", "reply", "1001", "--template", name],
    ):
        started = time.monotonic()
        result = run_csm(*args, db=url, agent="admin", cwd=ROOT, timeout=60)
        assert result.returncode == 2, result.stderr
        assert "too much work" in result.stderr
        assert time.monotonic() - started < 20
