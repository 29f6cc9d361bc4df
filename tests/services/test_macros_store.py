"""Macros in the store, on both stores: variants per language chosen like template variants,
checked before they are saved (nothing saved when refused), leads write, the picker's order
(the ticket's category first), rendering the reply for a ticket, removing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from csm_console.domain.actions import ActionKind, parse_action
from csm_console.domain.macros import MacroDraft, macro_markdown, make_macro, parse_macro
from csm_console.domain.templates import TemplateProblem
from csm_console.errors import BadRecords, NotFound, PermissionDenied, UsageError
from csm_console.services import macros, tickets
from csm_console.store.engine import Store
from csm_console.store.models import Macro
from tests.conftest import Desk

RESET = {
    "en": "Hello {{ customer.first_name }}, see the reset link for #{{ ticket.id }}.\n",
    "ru": "Здравствуйте, {{ customer.first_name }}! Ссылка для #{{ ticket.id }}.\n",
}


def _macro(name: str, language: str, reply: str = "", *actions: str, category: str | None = None):
    return make_macro(name=name, language=language, reply=reply, actions=actions, category=category)


def _count(store: Store) -> int:
    with store.read() as session:
        return int(session.execute(select(func.count()).select_from(Macro)).scalar_one())


@pytest.fixture
def stocked(desk: Desk) -> Desk:
    """`password-reset` (account; en, ru), `duplicate` (no reply; en), `billing-only` (ru)."""
    for language, reply in RESET.items():
        macros.save_macro(
            desk.store,
            actor=desk.anna,
            draft=_macro(
                "password-reset",
                language,
                reply,
                "status=pending",
                "tag+=password-reset",
                category="account",
            ),
        )
    macros.save_macro(
        desk.store,
        actor=desk.root,
        draft=_macro("duplicate", "en", "", "status=solved", "tag+=duplicate", "note=dup"),
    )
    macros.save_macro(
        desk.store,
        actor=desk.anna,
        draft=_macro("billing-only", "ru", "Счёт.\n", "priority=high", category="billing"),
    )
    return desk


def test_variants_are_chosen_like_template_variants(stocked: Desk) -> None:
    store = stocked.store
    ru = macros.get_macro(store, name="password-reset", language="ru")
    assert (ru.language, ru.variant) == ("ru", "ru")
    lv = macros.get_macro(store, name="password-reset", language="lv")
    assert (lv.language, lv.variant) == ("en", "en (no lv variant)")
    only = macros.get_macro(store, name="billing-only", language="lv")  # no en either: any
    assert (only.language, only.variant) == ("ru", "ru (no lv variant)")
    assert [a.kind for a in ru.actions] == [ActionKind.STATUS, ActionKind.ADD_TAG]
    with pytest.raises(NotFound, match="no macro named 'nope'"):
        macros.get_macro(store, name="nope", language="en")
    with pytest.raises(NotFound, match="has no lv variant"):
        macros.get_variant(store, name="password-reset", language="lv")


def test_the_picker_lists_one_per_name_the_tickets_category_first(stocked: Desk) -> None:
    store = stocked.store
    found = macros.macros_for(store, language="ru", category="billing")
    assert [(m.name, m.language) for m in found] == [
        ("billing-only", "ru"),  # the ticket's category
        ("duplicate", "en"),  # general (no category)
        ("password-reset", "ru"),
    ]
    account = macros.macros_for(store, language="lv", category="account")
    assert (account[0].name, account[0].variant) == ("password-reset", "en (no lv variant)")
    assert [m.name for m in macros.macros_for(store, language="en", text="DUP")] == ["duplicate"]
    # by what it does, too
    assert [m.name for m in macros.macros_for(store, language="en", text="priority=high")] == [
        "billing-only"
    ]
    assert len(macros.list_macros(store)) == 4


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "Bad Name"}, "name: lower-case letters"),
        ({"name": ""}, "name: required"),
        ({"name": "x" * 121}, "at most 120"),
        ({"language": "de"}, "language"),
        ({"category": "c" * 41}, "category"),
        ({"actions": ["assignee=@olga"]}, "assignee= is not allowed here"),
        ({"actions": ["reply=greeting"]}, "reply= is not allowed here"),
        ({"actions": ["status=sideways"]}, "action 1"),
        ({"actions": ["status=solved", "status=pending"]}, "more than one status"),
        ({"actions": ["tag+=x"] * 21}, "too many actions"),
        ({"actions": [f"note={'n' * 4001}"]}, "too long"),
        ({"reply": "{{ customer.nickname }}"}, "unknown placeholder customer.nickname"),
        ({"reply": "{{ ''.__class__ }}"}, "is not a placeholder"),
        ({"reply": "x" * 50_001}, "too long"),
        ({"reply": "", "actions": []}, "does nothing"),
    ],
)
def test_bad_macros_are_refused_and_nothing_is_saved(
    desk: Desk, fields: dict[str, object], expected: str
) -> None:
    values: dict[str, object] = {
        "name": "ok",
        "language": "en",
        "reply": "Hello",
        "actions": ["status=pending"],
        "category": None,
    }
    values.update(fields)
    with pytest.raises(ValueError, match=expected):
        make_macro(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "draft",
    [
        MacroDraft(name="ok", language="en", reply="{{ customer.nickname }}"),
        MacroDraft(name="ok", language="en"),  # does nothing
        MacroDraft(name="Bad Name", language="en", reply="Hi"),
        MacroDraft(name="ok", language="en", actions=(parse_action("assignee=@olga"),)),
    ],
)
def test_the_service_checks_a_hand_made_draft_again(desk: Desk, draft: MacroDraft) -> None:
    with pytest.raises(BadRecords):
        macros.save_macro(desk.store, actor=desk.anna, draft=draft)
    assert _count(desk.store) == 0


def test_only_leads_and_admins_write(stocked: Desk) -> None:
    draft = _macro("mine", "en", "Hi", "status=pending")
    with pytest.raises(PermissionDenied):
        macros.save_macro(stocked.store, actor=stocked.olga, draft=draft)
    with pytest.raises(PermissionDenied):
        macros.remove_macro(stocked.store, actor=stocked.olga, name="duplicate")
    assert _count(stocked.store) == 4


def test_edit_and_one_variant_per_name_and_language(stocked: Desk) -> None:
    store = stocked.store
    with pytest.raises(UsageError, match="exists already"):
        macros.save_macro(store, actor=stocked.anna, draft=_macro("duplicate", "en", "", "tag+=x"))
    view = macros.get_variant(store, name="duplicate", language="en")
    _, outcome = macros.save_macro(store, actor=stocked.anna, draft=view.draft, macro_id=view.id)
    assert outcome == "unchanged"
    changed = MacroDraft(
        name="duplicate", language="en", actions=view.actions[:1], category="general"
    )
    updated, outcome = macros.save_macro(store, actor=stocked.anna, draft=changed, macro_id=view.id)
    assert outcome == "updated" and [str(a) for a in updated.actions] == ["status=solved"]
    assert macros.get_macro(store, name="duplicate").category == "general"


def test_remove_one_variant_or_all(stocked: Desk) -> None:
    store = stocked.store
    assert macros.remove_macro(store, actor=stocked.anna, name="password-reset", language="ru") == [
        "ru"
    ]
    assert macros.get_macro(store, name="password-reset", language="ru").language == "en"
    with pytest.raises(NotFound, match="has no lv variant"):
        macros.remove_macro(store, actor=stocked.anna, name="password-reset", language="lv")
    assert macros.remove_macro(store, actor=stocked.anna, name="duplicate") == ["en"]
    with pytest.raises(NotFound):
        macros.remove_macro(store, actor=stocked.anna, name="duplicate")
    assert _count(store) == 2


def test_the_reply_is_rendered_in_the_customers_language(stocked: Desk) -> None:
    store = stocked.store
    ru_ticket = tickets.create_ticket(
        store,
        actor=stocked.olga,
        customer_email="maria@example.ru",
        customer_name="Мария Петрова",
        subject="Не могу войти",
        body="Здравствуйте, я забыла пароль.",
    ).id
    rendered = macros.render_macro(
        store, actor=stocked.olga, name="password-reset", ticket_id=ru_ticket
    )
    assert rendered.macro.variant == "ru"
    assert rendered.reply == f"Здравствуйте, Мария! Ссылка для #{ru_ticket}.\n"
    assert [str(a) for a in rendered.actions] == ["status=pending", "tag+=password-reset"]
    no_reply = macros.render_macro(store, actor=stocked.olga, name="duplicate", ticket_id=ru_ticket)
    assert no_reply.reply == "" and len(no_reply.actions) == 3
    # a reply the sandbox would refuse, put in the store by other means, is never rendered
    with store.write() as session:
        row = session.execute(select(Macro).where(Macro.name == "duplicate")).scalar_one()
        row.reply = "{{ article.link }}"
    with pytest.raises(TemplateProblem, match=r"article\.link"):
        macros.render_macro(store, actor=stocked.olga, name="duplicate", ticket_id=ru_ticket)


def test_the_file_form_round_trips() -> None:
    draft = _macro(
        "password-reset",
        "lv",
        "Labdien, {{ customer.first_name }}!",
        "status=pending",
        "tag+=password reset",
        "note=sent: the link",
        category="account",
    )
    text = macro_markdown(draft)
    assert parse_macro(text, source="x.md") == draft
    no_reply = _macro("dup", "en", "", "status=solved")
    assert parse_macro(macro_markdown(no_reply), source="x.md") == no_reply
    with pytest.raises(ValueError, match=r"x\.md: unknown front matter key 'action'"):
        parse_macro("---\nname: a\naction: [status=solved]\n---\n", source="x.md")
    with pytest.raises(ValueError, match=r"x\.md: the reply is refused:\n  line 10"):
        parse_macro(text.replace("{{ customer.first_name }}", "{{ nope }}"), source="x.md")
