"""Reply templates in the store, on both stores: checked when saved (placeholders, syntax, the
sandbox), language variants that share a name with an English fallback, rendering for a ticket,
migration 0004, and `csm templates`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from csm_console.domain.templates import (
    ArticleRef,
    TemplateDraft,
    TemplateProblem,
    check_template,
    parse_template,
    render,
    template_markdown,
)
from csm_console.errors import BadRecords, NotFound, PermissionDenied, UsageError
from csm_console.services import replies, ticket_reads, tickets
from csm_console.store import migrate
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk, PostgresServer

GREETING = {
    "en": "Hello {{ customer.first_name }},\n\nabout #{{ ticket.id }}.\n\n{{ agent.signature }}\n",
    "ru": "Здравствуйте, {{ customer.first_name }}!\n\n#{{ ticket.id }}\n\n{{ agent.signature }}\n",
}


def _draft(name: str, language: str, body: str, category: str | None = "general") -> TemplateDraft:
    return TemplateDraft(name=name, language=language, body=body, category=category)


@pytest.fixture
def templates(desk: Desk) -> Desk:
    """`greeting` in en and ru, `only-ru` in ru alone, `needs-article` in en."""
    for language, body in GREETING.items():
        replies.save_template(desk.store, actor=desk.anna, draft=_draft("greeting", language, body))
    replies.save_template(
        desk.store, actor=desk.root, draft=_draft("only-ru", "ru", "Только по-русски.\n")
    )
    replies.save_template(
        desk.store,
        actor=desk.root,
        draft=_draft("needs-article", "en", "See {{ article.title }}: {{ article.link }}\n"),
    )
    return desk


def _ticket(desk: Desk, email: str, subject: str, body: str) -> int:
    row = tickets.create_ticket(
        desk.store,
        actor=desk.olga,
        customer_email=email,
        customer_name="Мария Петрова",
        subject=subject,
        body=body,
    )
    return row.id


# --- checked when saved -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hi\n{{ customer.nickname }}", "line 2: unknown placeholder customer.nickname"),
        ("{{ foo }}", "line 1: unknown placeholder foo"),
        ("ok\n\n{% if %}", "line 3: syntax error"),
        ("{{ ''.__class__ }}", "line 1: ''.__class__ is not a placeholder"),
        ("{{ customer.name.__class__.__mro__ }}", "customer.name.__class__.__mro__ is not"),
        ("{{ customer.name.upper() }}", "customer.name.upper is not a placeholder"),
        ("{{ cycler.__init__.__globals__ }}", "cycler.__init__.__globals__ is not"),
        ("{{ customer }}", "customer alone is not a placeholder"),
        ('{{ ticket.subject | attr("__class__") }}', "the filter 'attr' is not allowed"),
        ('{{ ticket.subject | map(attribute="x") | first }}', "the filter 'map' is not allowed"),
        ('Hi\n{% include "x" %}', "line 2: {% include %} is not allowed"),
        ('{% extends "base" %}', "{% extends %} is not allowed"),
        ('{% from "x" import y %}', "{% from ... import %} is not allowed"),
        ("{{ ticket.id / 0 }}", "fails when rendered with sample values: template failed"),
        # nothing may build a huge reply (each would have been 200 MB)
        ('{{ "x" * 200000000 }}', "the number 200000000 is too large"),
        ("{{ customer.name | center(200000000) }}", "is too large"),
        ("{{ customer.name * (ticket.id * ticket.id) }}", "repetition that large"),
        (
            "{% for a in customer.name * 50 %}{% for b in customer.name * 50 %}x{% endfor %}"
            "{% endfor %}",
            "would be",
        ),
    ],
)
def test_check_template_names_the_problem_and_line(body: str, expected: str) -> None:
    problems = check_template(body)
    assert len(problems) == 1 and problems[0].startswith("line ") and expected in problems[0]


def test_good_templates_pass_the_check() -> None:
    for body in (
        *GREETING.values(),
        "{{ ticket.subject | upper }} {{ article.link }}",
        # names a template binds itself are not placeholders
        "{% set n = customer.first_name %}Hi {{ n }}",
        "{% for w in ticket.subject.split %}{{ w }}{% endfor %}".replace(".split", ""),
        "{% with who = agent.name %}{{ who }}{% endwith %}",
    ):
        assert check_template(body) == [], body


def test_render_never_returns_half_a_reply() -> None:
    from datetime import UTC, datetime

    from csm_console.domain.templates import template_context

    context = template_context(
        customer_name="Ann Lee",
        ticket_id=7,
        ticket_subject="x",
        ticket_priority="normal",
        resolution_due=datetime(2026, 1, 1, tzinfo=UTC),
        agent_name="Olga",
        agent_signature="Olga",
    )
    with pytest.raises(TemplateProblem, match="template failed"):
        render("Dear {{ customer.name }},\n{{ ticket.id / 0 }}", context)
    with pytest.raises(TemplateProblem, match="sandbox"):
        render("Dear {{ customer.name }}, {{ ''.__class__.__mro__ }}", context)


def test_template_file_round_trips_and_refuses_bad_bodies() -> None:
    draft = _draft("greeting", "ru", GREETING["ru"], "general")
    assert parse_template(template_markdown(draft), source="t.md") == draft
    bad = template_markdown(_draft("greeting", "en", "Hi\n{{ customer.nick }}\n"))
    # the line of the file ($EDITOR shows it), not of the body: front matter is 5 lines
    with pytest.raises(ValueError, match=r"t\.md: the template is refused:\n  line 7: unknown"):
        parse_template(bad, source="t.md")
    with pytest.raises(ValueError, match="name: lower-case"):
        parse_template("---\nname: Bad Name\n---\nx\n", source="t.md")


def test_saving_refuses_unknown_placeholders_and_sandbox_escapes(desk: Desk) -> None:
    for body, named in (
        ("Hello\n{{ customer.nickname }}\n", "line 2: unknown placeholder customer.nickname"),
        ("{{ ''.__class__ }}\n", "''.__class__ is not a placeholder"),
        ("{% for %}\n", "line 1: syntax error"),
    ):
        with pytest.raises(BadRecords) as caught:
            replies.save_template(desk.store, actor=desk.anna, draft=_draft("bad", "en", body))
        assert any(named in p for p in caught.value.problems), caught.value.problems
    assert replies.list_templates(desk.store) == []  # nothing was saved


def test_only_leads_and_admins_save(templates: Desk) -> None:
    with pytest.raises(PermissionDenied, match="may not edit reply templates"):
        replies.save_template(
            templates.store, actor=templates.olga, draft=_draft("x", "en", "Hi.\n")
        )


def test_one_variant_per_name_and_language(templates: Desk) -> None:
    store = templates.store
    with pytest.raises(UsageError, match=r"greeting \(ru\) exists already"):
        replies.save_template(store, actor=templates.anna, draft=_draft("greeting", "ru", "x\n"))
    ru = replies.get_variant(store, name="greeting", language="ru")
    same, outcome = replies.save_template(
        store, actor=templates.anna, draft=ru.draft, template_id=ru.id
    )
    assert outcome == "unchanged" and same.id == ru.id
    changed = _draft("greeting", "ru", "Добрый день!\n{{ agent.signature }}\n")
    _, outcome = replies.save_template(
        store, actor=templates.anna, draft=changed, template_id=ru.id
    )
    assert outcome == "updated"
    assert replies.get_template(store, name="greeting", language="ru").body.startswith("Добрый")
    clash = _draft("greeting", "en", "x\n")  # moving the ru variant onto the en one
    with pytest.raises(UsageError, match="exists already"):
        replies.save_template(store, actor=templates.anna, draft=clash, template_id=ru.id)
    with pytest.raises(NotFound, match="has no lv variant"):
        replies.get_variant(store, name="greeting", language="lv")


# --- variants and fallback ----------------------------------------------------------------------


def test_language_picks_the_variant_falling_back_to_english(templates: Desk) -> None:
    store = templates.store
    ru = replies.get_template(store, name="greeting", language="ru")
    assert (ru.language, ru.variant) == ("ru", "ru")
    lv = replies.get_template(store, name="greeting", language="lv")
    assert (lv.language, lv.variant) == ("en", "en (no lv variant)")
    only = replies.get_template(store, name="only-ru", language="lv")  # no en either: any
    assert (only.language, only.variant) == ("ru", "ru (no lv variant)")
    assert replies.get_template(store, name="greeting").language == "en"
    legacy = replies.get_template(store, name="greeting-ru")  # the old suffixed names still work
    assert legacy.language == "ru"
    with pytest.raises(NotFound):
        replies.get_template(store, name="nope", language="en")


def test_the_picker_shows_one_template_per_name(templates: Desk) -> None:
    found = replies.templates_for(templates.store, language="lv")
    assert sorted((t.name, t.language) for t in found) == [
        ("greeting", "en"),
        ("needs-article", "en"),
        ("only-ru", "ru"),
    ]
    ru = {t.name: t.variant for t in replies.templates_for(templates.store, language="ru")}
    assert ru == {"greeting": "ru", "needs-article": "en (no ru variant)", "only-ru": "ru"}
    every = replies.list_templates(templates.store)
    assert len(every) == 4  # every variant, for `csm templates list`


def test_render_for_a_ticket_uses_the_customers_language(templates: Desk) -> None:
    store = templates.store
    number = _ticket(
        templates, "maria@example.ru", "Не работает интернет", "Здравствуйте, у меня нет связи."
    )
    assert ticket_reads.get_ticket(store, ticket_id=number).customer.language == "ru"
    result = replies.render_for_ticket(
        store, actor=templates.olga, name="greeting", ticket_id=number
    )
    assert result.template.variant == "ru"
    assert result.text.startswith("Здравствуйте, Мария!") and f"#{number}" in result.text
    with pytest.raises(TemplateProblem) as caught:
        replies.render_for_ticket(
            store, actor=templates.olga, name="needs-article", ticket_id=number
        )
    assert caught.value.missing == ("article.title", "article.link")
    assert "needs-article (en (no ru variant))" in str(caught.value)
    ok = replies.render_for_ticket(
        store,
        actor=templates.olga,
        name="needs-article",
        ticket_id=number,
        article=ArticleRef("Router", "KB-0001"),
    )
    assert ok.text == "See Router: KB-0001\n"


# --- migration 0004 -----------------------------------------------------------------------------

_OLD_TEMPLATES = [
    ("billing-refund-en", "en"),
    ("billing-refund-ru", "ru"),
    ("mixed-ru", "en"),  # suffix is not its language: kept
    ("hello", "en"),
    ("hello-en", "en"),  # would collide with `hello` in en: kept
]


def _migrate_variants(store: Store) -> None:
    migrate.upgrade(store, "0003")
    with store.engine.begin() as conn:
        for number, (name, language) in enumerate(_OLD_TEMPLATES, start=1):
            conn.execute(
                text(
                    "INSERT INTO reply_template (id, name, category, language, body, updated_at) "
                    "VALUES (:id, :name, NULL, :language, 'x', '2026-01-01T00:00:00+00:00')"
                ),
                {"id": number, "name": name, "language": language},
            )
    migrate.upgrade(store)
    names = "SELECT name, language FROM reply_template ORDER BY id"
    with store.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(names))] == [
            ("billing-refund", "en"),
            ("billing-refund", "ru"),
            ("mixed-ru", "en"),
            ("hello", "en"),
            ("hello-en", "en"),
        ]
    assert migrate.downgrade(store, "0003") == "0003"
    with store.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(names))] == [
            ("billing-refund-en", "en"),
            ("billing-refund-ru", "ru"),
            ("mixed-ru-en", "en"),
            ("hello-en-2", "en"),  # `hello-en` is taken: names must be unique again
            ("hello-en", "en"),
        ]
    migrate.upgrade(store)


def test_migration_0004_renames_variants_on_sqlite(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    _migrate_variants(store)
    store.dispose()


@pytest.mark.postgres
def test_migration_0004_renames_variants_on_postgres(postgres_server: PostgresServer) -> None:
    store = Store(postgres_server.create_database("variants"))
    _migrate_variants(store)
    store.dispose()


# --- csm templates ------------------------------------------------------------------------------


csm = Cli(agent="root").on


def _editor(tmp_path: Path, name: str, old: str, new: str) -> dict[str, str]:
    script = tmp_path / f"{name}.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        f"p.write_text(p.read_text().replace({old!r}, {new!r}))\n"
    )
    return {"EDITOR": f"{sys.executable} {script}"}


def test_templates_commands(templates: Desk, tmp_path: Path) -> None:
    store = templates.store
    listed = csm(store, "templates", "list", "--lang", "ru", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [(t["name"], t["language"]) for t in json.loads(listed.stdout)] == [
        ("greeting", "ru"),
        ("only-ru", "ru"),
    ]
    table = csm(store, "templates", "list", "--category", "general")
    assert table.exit_code == 0 and table.stdout.count("greeting") == 2
    shown = csm(store, "templates", "show", "greeting", "--lang", "lv")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("---\nname: greeting\ncategory: general\nlanguage: en\n---\n")
    assert "variant: en (no lv variant)" in shown.stderr

    added = csm(
        store, "templates", "add", "--name", "thanks", "--lang", "lv", "--body", "Paldies!\n"
    )
    assert added.exit_code == 0, added.output
    assert added.stdout == "thanks\n" and "thanks (lv) created" in added.stderr
    refused = csm(store, "templates", "add", "--name", "x", "--body", "Hi\n{{ customer.nick }}")
    assert refused.exit_code == 2
    assert "line 2: unknown placeholder customer.nick" in refused.stderr
    sandbox = csm(store, "templates", "add", "--name", "x", "--body", "{{ ''.__class__ }}")
    assert sandbox.exit_code == 2 and "''.__class__ is not a placeholder" in sandbox.stderr
    operator = csm(store, "templates", "add", "--name", "y", "--body", "Hi", agent="olga")
    assert operator.exit_code == 5

    fresh = _editor(tmp_path, "fresh", "Write the reply here.", "Thanks for waiting.")
    new = csm(store, "templates", "add", "--name", "waiting", env=fresh)
    assert new.exit_code == 0, new.output
    assert "Thanks for waiting." in replies.get_template(store, name="waiting").body
    edit = _editor(tmp_path, "edit", "Только по-русски.", "Только по-русски!")
    edited = csm(store, "templates", "edit", "only-ru", "--lang", "ru", env=edit)
    assert edited.exit_code == 0 and "only-ru (ru) updated" in edited.stderr
    broken = _editor(tmp_path, "broken", "Только", "{{ customer.nickname }}")
    kept = csm(store, "templates", "edit", "only-ru", "--lang", "ru", env=broken)
    assert kept.exit_code == 2 and "line 6: unknown placeholder customer.nickname" in kept.stderr
    assert "your text is kept in" in kept.stderr
    assert csm(store, "templates", "edit", "only-ru").exit_code == 3  # no en variant

    number = _ticket(templates, "maria@example.ru", "Нет интернета", "Здравствуйте, нет связи.")
    rendered = csm(store, "templates", "render", "greeting", "--ticket", str(number))
    assert rendered.exit_code == 0, rendered.output
    assert rendered.stdout.startswith("Здравствуйте, Мария!") and "variant: ru" in rendered.stderr
    hole = csm(store, "templates", "render", "needs-article", "--ticket", str(number))
    assert hole.exit_code == 2 and "article.title, article.link" in hole.stderr
    assert hole.stdout == ""  # never half a reply

    sent = csm(store, "tickets", "reply", str(number), "--template", "greeting", agent="olga")
    assert sent.exit_code == 0, sent.output
    thread = ticket_reads.get_ticket(store, ticket_id=number).messages
    assert thread[-1].body.startswith("Здравствуйте, Мария!")
    blocked = csm(store, "tickets", "reply", str(number), "--template", "needs-article")
    assert blocked.exit_code == 2 and "article.link" in blocked.stderr
