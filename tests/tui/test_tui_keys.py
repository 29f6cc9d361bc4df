"""The composer, the keys, the footer and the help screen (issue 16, items 1-4, 7 and 8),
driven through Textual's Pilot against a real SQLite store with the sample."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from csm_console.services import knowledge
from csm_console.services.drafts import DraftBox
from csm_console.store.engine import Store
from csm_console.tui.keys import ContextFooter, declared_bindings, help_groups, typed_character
from csm_console.tui.reply_pane import ReplyPane
from csm_console.tui.screens import (
    ArticleScreen,
    ConfirmScreen,
    HelpScreen,
    MessageScreen,
    PickerScreen,
    PromptScreen,
)
from tests.tui_support import drive, make_app, sample_store, settle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = sample_store(tmp_path / "keys.db")
    yield store
    store.dispose()


def footer(app: Any) -> list[tuple[str, str]]:
    """(key as shown, description) of every footer key on the current screen."""
    return [(k.key_display, k.description) for k in app.screen.query(FooterKey)]


def footer_keys(app: Any) -> list[str]:
    return [k.key for k in app.screen.query(FooterKey)]


def status_line(app: Any) -> str:
    return str(app.query_one("#reply-status", Static).render())


async def open_third_ticket_and_reply(pilot: Any) -> ReplyPane:
    await pilot.press("j", "j")
    await pilot.pause(0.3)  # the detail follows the cursor once it rests
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    return pilot.app.query_one(ReplyPane)


def test_typed_character_knows_every_printable_key() -> None:
    """Textual's own key_to_character misses `slash` and `plus`, so a text box let `/` and `+`
    through to the console's bindings in the footer (they type instead)."""
    assert typed_character("slash") == "/"
    assert typed_character("plus") == "+"
    assert typed_character("question_mark") == "?"
    assert typed_character("space") == " "
    assert typed_character("f") == "f"
    assert typed_character("ctrl+s") is None
    assert typed_character("escape") is None
    assert typed_character("f1") is None


def test_composer_shows_only_chords_and_reaches_the_knowledge_base(store: Store) -> None:
    """Item 1: in the composer `f` types; the footer and the pane's hint show only keys that
    work there, and the knowledge base is one chord (ctrl+f) away."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        reply = await open_third_ticket_and_reply(pilot)
        assert reply.composer.has_focus
        keys = footer_keys(app)
        assert keys, "the composer has a footer"
        for key in keys:
            assert typed_character(key) is None, f"{key} would type into the draft"
        shown = dict(footer(app))
        assert shown.get("^f") == "Knowledge" and shown.get("f1") == "Help"
        assert shown.get("^l") and shown.get("esc") and shown.get("^s") == "Send"
        hint = status_line(app)
        assert "ctrl+f knowledge" in hint and " f " not in f" {hint} "
        await pilot.press(*"Dear customer,")
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert app.knowledge_pane.search_box.has_focus
        await pilot.press(*"rekins", "enter")
        await settle(pilot)
        assert app.knowledge_pane.hits
        await pilot.press("x")
        await settle(pilot)
        assert reply.composer.has_focus
        text = reply.composer.text
        assert text.startswith("Dear customer,\n"), text
        assert "rekins" not in text.split("\n")[0]

    drive(app, script)


def test_template_leaves_the_caret_after_the_inserted_block(store: Store) -> None:
    """Item 2: typing after inserting a template goes after it, not before the greeting."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        reply = await open_third_ticket_and_reply(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert reply.preview is not None and reply.preview.text
        block = reply.preview.text.rstrip("\n")
        assert reply.composer.has_focus and reply.composer.text.startswith(block[:20])
        await pilot.press(*"XYZ")
        assert reply.composer.text == block + "XYZ"
        # into a draft: at the caret, on lines of its own, and the caret after it
        reply.composer.text = "first line\nlast line"
        reply.composer.move_cursor((0, len("first line")))
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"XYZ")
        assert reply.composer.text == f"first line\n{block}XYZ\nlast line"

    drive(app, script)


def test_knowledge_excerpt_goes_in_at_the_caret(store: Store) -> None:
    """Item 3: an excerpt lands where the caret is (not after the signature), the caret after
    it; a reference goes in at the caret too."""
    app = make_app(store)
    article = knowledge.get_article(store, article_id="KB-0001")
    excerpt = article.excerpt().rstrip("\n")
    reference = f"{article.title} ({article.reference})"

    async def script(pilot: Any) -> None:
        reply = await open_third_ticket_and_reply(pilot)
        reply.composer.text = "Hello,\n\nBest regards,\nDemo"
        reply.composer.move_cursor((0, len("Hello,")))
        app.flows.insert_article(article, "excerpt")
        await settle(pilot)
        assert reply.composer.has_focus
        await pilot.press(*"XYZ")
        assert reply.composer.text == f"Hello,\n{excerpt}XYZ\n\nBest regards,\nDemo"
        reply.composer.text = "see  for details"
        reply.composer.move_cursor((0, len("see ")))
        app.flows.insert_article(article, "reference")
        await settle(pilot)
        assert reply.composer.text == f"see {reference} for details"
        assert reply.composer.cursor_location == (0, len("see " + reference))

    drive(app, script)


def test_discard_draft_asks_first_and_the_restored_notice_names_the_keys(
    store: Store, tmp_path: Path
) -> None:
    """Item 4: a key discards the draft, after a confirmation; the notice of a restored draft
    says which keys send or discard it."""
    box = DraftBox(tmp_path / "drafts.db", store=store.display_url, agent="demo")
    app = make_app(store, draft_box=box)

    async def script(pilot: Any) -> None:
        ticket_id = app.queue.list.window.rows[2].id
        box.save(ticket_id, "reply", "kept from yesterday")  # by an earlier console
        reply = await open_third_ticket_and_reply(pilot)
        assert reply.detail is not None and reply.detail.ticket.id == ticket_id
        assert reply.composer.text == "kept from yesterday"
        notice = status_line(app)
        assert "ctrl+s" in notice and "ctrl+l" in notice, notice
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert reply.composer.text == "kept from yesterday"
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause(0.6)
        await settle(pilot)
        assert reply.composer.text == ""
        assert not reply.has_unsent()
        assert box.load(ticket_id) is None
        assert "discarded" in status_line(app)

    drive(app, script)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120", "80"])
def test_footer_shows_what_matters_and_always_help(store: Store, size: tuple[int, int]) -> None:
    """Item 7: at 120 and 80 columns the footer fits (nothing cut), shows reply, note,
    template, knowledge and quit in the queue, and always help."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        width = size[0]

        def fits() -> None:
            keys = list(app.screen.query(FooterKey))
            assert keys
            for key in keys:
                assert key.region.width > 0 and key.region.right <= width, (
                    key.key_display,
                    key.description,
                    key.region,
                )

        fits()
        shown = {k for k, _ in footer(app)}
        assert {"r", "i", "t", "f", "?", "q"} <= shown, shown
        if width >= 120:
            assert {"h", "D", "n"} <= shown, shown
        await pilot.press("r")
        await settle(pilot)
        fits()
        assert ("f1", "Help") in footer(app)
        await pilot.press("escape", "2")
        await settle(pilot)
        fits()
        assert "?" in {k for k, _ in footer(app)}

    drive(app, script, size=size)


def test_help_is_grouped_by_context_without_duplicates(store: Store) -> None:
    """Item 8: the help screen has a section per context, each key once, every binding id of
    the console (dialogs included) in it."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        groups = help_groups(app)
        titles = [title for title, _ in groups]
        assert titles[0] == "Everywhere" and "Dialogs" in titles and "Reply" in titles
        assert "Other" not in titles, "every binding id belongs to a context"
        ids: list[str] = []
        for title, rows in groups:
            assert rows, title
            seen = set()
            for row in rows:
                assert (row.keys, row.description) not in seen, (title, row)
                seen.add((row.keys, row.description))
                ids.extend(row.ids)
        assert len(ids) == len(set(ids)), "each binding id once"
        for wanted in (
            "picker.cancel",
            "confirm.yes",
            "confirm.no",
            "prompt.cancel",
            "message.close",
            "article.close",
            "article.insert_excerpt",
            "help.close",
            "reply.discard",
            "reply.knowledge",
            "dashboard.drill",
        ):
            assert wanted in ids, wanted
        backs = [r for _, rows in groups for r in rows if r.description == "Back"]
        assert len(backs) <= 2, backs
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert not any(d == "Quit" for _, d in footer(app))

    drive(app, script)


def test_dialogs_show_their_own_keys_never_quit(store: Store) -> None:
    """Item 8: a dialog's footer shows the dialog's keys; `q Quit` of the console below is
    not shown where `q` only closes the dialog (or types into its filter)."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        for screen in (
            MessageScreen("Result", "done"),
            ArticleScreen("Title", "body", "KB-1"),
            ConfirmScreen("Sure?"),
            PickerScreen("Pick", []),
            PromptScreen("Why?"),
            HelpScreen(help_groups(app)),
        ):
            app.push_screen(screen)
            await settle(pilot)
            assert screen.query(ContextFooter), type(screen).__name__
            shown = footer(app)
            assert shown, type(screen).__name__
            assert all(d != "Quit" for _, d in shown), (type(screen).__name__, shown)
            if screen.query(Input):
                for key in footer_keys(app):
                    assert typed_character(key) is None, (type(screen).__name__, key)
            screen.dismiss(None)
            await settle(pilot)

    drive(app, script)


CONSOLE_DOCS = ("console.md", "dashboard.md")


def test_docs_name_every_binding_id() -> None:
    """The console's written docs (not only the generated key table) stay true: every binding id
    is named there (literally, as a range `first` … `last`, or as `prefix.*`)."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    readme = "".join(docs.joinpath(p).read_text(encoding="utf-8") for p in CONSOLE_DOCS)
    ids = [b.id for b in declared_bindings() if b.id]
    covered = {i for i in ids if f"`{i}`" in readme}
    for first, last in re.findall(r"`([\w.]+)` … `([\w.]+)`", readme):
        if first in ids and last in ids:
            covered.update(ids[ids.index(first) : ids.index(last) + 1])
    for prefix in re.findall(r"`(\w+)\.\*`", readme):
        covered.update(i for i in ids if i.startswith(prefix + "."))
    assert [i for i in ids if i not in covered] == []


def test_keymap_rebinds_a_dialog_key(store: Store) -> None:
    """Dialog ids are binding ids like any other: the keymap check knows them (no "unknown
    binding ids" warning) and the rebound key works in the dialog."""
    from csm_console.config import load_settings

    settings = load_settings(env={"CSM_CONFIG_FILE": ""})
    settings.keymap["picker.cancel"] = "ctrl+g"
    app = make_app(store, settings=settings)

    async def script(pilot: Any) -> None:
        assert not any("unknown binding ids" in n.message for n in app._notifications)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert ("^g", "Cancel") in footer(app)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not isinstance(app.screen, PickerScreen)

    drive(app, script)


def _every_binding_id() -> set[str]:
    """The id of every binding of every widget, screen or app class of the console (nested
    classes included), found through the class hierarchy, not through `keys.py`'s own scan."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import csm_console.tui as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    found: set[str] = set()
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(f"{package.__name__}."):
            found.update(
                b.id for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding) and b.id
            )
    return found


def test_help_screen_lists_every_binding_id(store: Store) -> None:
    """Issue 17: the help screen (`?`) lists every binding id of the console, the dialogs'
    included, and the keymap check knows them all."""
    app = make_app(store)
    wanted = _every_binding_id()
    assert {"picker.cancel", "confirm.yes", "help.close", "app.escalate"} <= wanted

    async def script(pilot: Any) -> None:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        listed = {i for _, rows in app.screen.groups for row in rows for i in row.ids}
        assert wanted - listed == set(), "missing from the help screen"
        assert {row[2] for row in app.binding_rows()} >= wanted

    drive(app, script)


def test_a_cursor_move_handled_after_the_screens_are_gone_does_nothing(store: Store) -> None:
    """Quitting right after `G`: a queue highlight may be handled when the console has no
    screen left; following the cursor must then do nothing (it raised ScreenStackError)."""
    app = make_app(store)

    async def script(pilot: Any) -> None:
        await pilot.press("G")

    drive(app, script)
    assert not app.screen_stack
    assert app.focused_pane() is None
    app.ticket._follow(1)  # what a late highlight does
