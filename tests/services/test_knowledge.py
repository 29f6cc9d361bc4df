"""Knowledge search on both stores: folding, inflection, ranking on a small hand-made corpus with
known answers, hostile queries, the index in step after edits and deletes, and `csm kb`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from csm_console.domain.article import ArticleDraft, article_markdown, parse_article
from csm_console.domain.search import (
    SearchTerm,
    hit_spans,
    index_text,
    plain_text,
    query_terms,
    stem_latvian,
)
from csm_console.errors import BadRecords, PermissionDenied
from csm_console.services import knowledge, setup
from csm_console.store.engine import Store
from tests.conftest import Cli, Desk
from tests.hostile import hostile_cases

# (external id, language, title, body): each question below has one right answer.
CORPUS = [
    ("EN-ROUTER", "en", "How to restart your router",
     "Unplug the router, wait thirty seconds and plug it back in. Restarting fixes most issues."),
    ("EN-PAY", "en", "Payment methods",
     "You can pay by card, by bank transfer or with automatic payments every month."),
    ("EN-MOVE", "en", "Moving house",
     "Tell us your new address two weeks before the move and we transfer the connection."),
    ("RU-PAY", "ru", "Способы оплаты счёта",
     "Оплатить счёт можно картой или банковским переводом. Оплата поступает за один день."),
    ("RU-LATE", "ru", "Оплата не поступила",
     "Если платёж не отображается, пришлите квитанцию. Обычно оплаты зачисляются за сутки."),
    ("RU-ROUTER", "ru", "Настройка роутера",
     "Подключите роутер к розетке и кабелю. Индикатор интернета должен гореть зелёным."),
    ("LV-BILL", "lv", "Kā saprast rēķinu",
     "Rēķins tiek izrakstīts katra mēneša pirmajā datumā. Rēķinu var apmaksāt portālā."),
    ("LV-NEW", "lv", "Jauns pieslēgums",
     "Lai pasūtītu jaunu pieslēgumu, aizpildiet pieteikumu. Pieslēguma ierīkošana aizņem nedēļu."),
    ("LV-ROUTER", "lv", "Maršrutētāja restartēšana",
     "Atvienojiet maršrutētāju no strāvas uz trīsdesmit sekundēm un pievienojiet atkal."),
]  # fmt: skip

QUESTIONS = [
    # (query, language filter or None, the article that must come first)
    ("router restart", None, "EN-ROUTER"),
    ("restarting my router", "en", "EN-ROUTER"),
    ("payments", "en", "EN-PAY"),
    ("оплата", "ru", "RU-PAY"),  # оплата finds оплаты (title) and Оплатить
    ("СЧЁТА", None, "RU-PAY"),  # ё folded, case folded, inflected
    ("платёж не отображается", None, "RU-LATE"),
    ("роутер", None, "RU-ROUTER"),  # роутера in the title
    ("rekins", None, "LV-BILL"),  # no diacritics, inflected (rēķinu in the title)
    ("Rēķins", "lv", "LV-BILL"),
    ("pieslēgums", None, "LV-NEW"),  # pieslēgumu / pieslēguma
    ("maršrutētājs", None, "LV-ROUTER"),  # maršrutētāja / maršrutētāju
    ("move address", None, "EN-MOVE"),
    # questions as people write them: the words around the subject are left out
    ("как оплатить счёт", None, "RU-PAY"),
    ("how do I pay by card", None, "EN-PAY"),
    ("kā saprast rēķinu", None, "LV-BILL"),
]


@pytest.fixture
def corpus(desk: Desk) -> Desk:
    for external_id, language, title, body in CORPUS:
        knowledge.save_article(
            desk.store,
            actor=desk.root,
            draft=ArticleDraft(title=title, body=body, language=language, external_id=external_id),
        )
    return desk


@pytest.mark.parametrize(("query", "language", "expected"), QUESTIONS)
def test_questions_find_their_article_first(
    corpus: Desk, query: str, language: str | None, expected: str
) -> None:
    hits = knowledge.search_articles(corpus.store, text=query, language=language)
    assert hits, query
    assert hits[0].external_id == expected, [(h.external_id, h.score) for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    if language:
        assert {h.language for h in hits} == {language}


def test_hits_are_marked_in_snippet_and_title(corpus: Desk) -> None:
    (hit, *_) = knowledge.search_articles(corpus.store, text="rekins")
    marked = [hit.snippet[s:e] for s, e in hit.snippet_spans]
    assert marked == ["Rēķins", "Rēķinu"]
    assert [hit.title[s:e] for s, e in hit.title_spans] == ["rēķinu"]


def test_every_word_first_then_any_word(corpus: Desk) -> None:
    both = knowledge.search_articles(corpus.store, text="router thirty")
    assert [h.external_id for h in both] == ["EN-ROUTER"]
    # no article has both words: any-word results rather than nothing
    either = knowledge.search_articles(corpus.store, text="router payments")
    assert {h.external_id for h in either} >= {"EN-ROUTER", "EN-PAY"}


def test_a_prefix_finds_while_typing(corpus: Desk) -> None:
    assert knowledge.search_articles(corpus.store, text="maršrut")[0].external_id == "LV-ROUTER"
    assert knowledge.search_articles(corpus.store, text="опла")[0].language == "ru"


def test_suggestions_for_a_ticket_prefer_its_language(corpus: Desk) -> None:
    hits = knowledge.suggest_articles(
        corpus.store,
        subject="Не работает роутер",
        body="Индикатор интернета не горит, что делать?",
        language="ru",
    )
    assert hits[0].external_id == "RU-ROUTER"


@pytest.mark.parametrize(
    "text",
    [
        *(case["text"] for case in hostile_cases()),
        'NOT refund AND "unterminated',
        "subject:secret",
        "C++",
        "20.04",
        "-",
        "*",
        "NEAR(a b)",
        "a:b:c",
        "'; DROP TABLE article; --",
        "router & | ! ( ) : * '",
        "😀 🙂",
        "x" * 10_000,
        "роутер " * 2_000,
        "%_\\",
        "\x00\x01\x1b[31m",
    ],
)
def test_any_input_is_results_or_nothing(corpus: Desk, text: str) -> None:
    hits = knowledge.search_articles(corpus.store, text=text)
    assert isinstance(hits, list)


def test_the_index_follows_edits_and_deletes(corpus: Desk) -> None:
    store = corpus.store
    assert knowledge.search_articles(store, text="zebra") == []
    view = knowledge.get_article(store, article_id="EN-MOVE")
    edited = ArticleDraft(
        title="Moving with a zebra",
        body="Zebras move house too.",
        language="en",
        external_id="EN-MOVE",
    )
    _, outcome = knowledge.save_article(store, actor=corpus.root, draft=edited, article_id=view.id)
    assert outcome == "updated"
    assert [h.id for h in knowledge.search_articles(store, text="zebra")] == [view.id]
    assert knowledge.search_articles(store, text="address") == []  # the old words are gone
    knowledge.delete_article(store, actor=corpus.root, article_id=view.id)
    assert knowledge.search_articles(store, text="zebra") == []
    again, outcome = knowledge.save_article(store, actor=corpus.root, draft=edited)
    assert outcome == "created"
    assert [h.id for h in knowledge.search_articles(store, text="zebras")] == [again.id]


def test_a_long_article_keeps_its_vector_in_its_row(corpus: Desk) -> None:
    """PostgreSQL (migration 0016): the search vector of an article well over 2 kB stays in
    the row (a search reads it for every match), not in the TOAST table; found all the same."""
    store = corpus.store
    if not store.is_postgres:
        pytest.skip("PostgreSQL only: SQLite's FTS5 index holds no vectors in the row")
    words = " ".join(f"word{n} tariff{n} cable{n}" for n in range(300))
    view, _ = knowledge.save_article(
        store,
        actor=corpus.root,
        draft=ArticleDraft(title="A long one", body=f"Zebra. {words}", language="en"),
    )
    with store.read() as session:
        storage, size = session.execute(
            text(
                "SELECT a.attstorage, pg_column_size(article.search_vector)"
                " FROM pg_attribute AS a, article"
                " WHERE a.attrelid = 'article'::regclass AND a.attname = 'search_vector'"
                " AND article.id = :id"
            ),
            {"id": view.id},
        ).one()
    assert storage == "m" and size > 2048
    assert [h.id for h in knowledge.search_articles(store, text="zebra tariff7")] == [view.id]


def test_only_leads_and_admins_edit(corpus: Desk) -> None:
    draft = ArticleDraft(title="T", body="B", language="en")
    with pytest.raises(PermissionDenied, match="needs: lead or admin"):
        knowledge.save_article(corpus.store, actor=corpus.olga, draft=draft)
    knowledge.save_article(corpus.store, actor=corpus.anna, draft=draft)


def test_import_is_all_or_nothing_and_reimport_updates(corpus: Desk) -> None:
    good = "---\ntitle: Fibre\nlanguage: lv\ntags: [fibre]\n---\nOptiskā šķiedra.\n"
    bad = "---\ntitle: Broken\nlanguage: de\n---\nText\n"
    with pytest.raises(BadRecords, match=r"bad\.md: language: unknown language 'de'"):
        knowledge.import_articles(
            corpus.store, actor=corpus.root, files=[("good.md", good), ("bad.md", bad)]
        )
    assert knowledge.search_articles(corpus.store, text="šķiedra") == []
    first = knowledge.import_articles(corpus.store, actor=corpus.root, files=[("fibre.md", good)])
    assert len(first.created) == 1
    second = knowledge.import_articles(corpus.store, actor=corpus.root, files=[("fibre.md", good)])
    assert (second.created, second.unchanged) == ((), first.created)
    changed = good.replace("Optiskā", "Jaunā optiskā")
    third = knowledge.import_articles(
        corpus.store, actor=corpus.root, files=[("fibre.md", changed)]
    )
    assert third.updated == first.created
    assert knowledge.get_article(corpus.store, article_id="fibre").body.startswith("Jaunā")


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stem"),
    [("rekins", "rekin"), ("rekinu", "rekin"), ("rekiniem", "rekin"), ("pieslegumu", "pieslegum"),
     ("kas", "kas"), ("maksajums", "maksajum")],
)  # fmt: skip
def test_latvian_suffixes(word: str, stem: str) -> None:
    assert stem_latvian(word) == stem


def test_stems_meet_across_forms() -> None:
    assert index_text("СЧЁТА оплаты", "ru") == "счет оплат"
    assert index_text("Rēķinu pieslēgums", "lv") == "rekin pieslegum"
    assert query_terms("счета") == [SearchTerm(("счет",), prefix=True)]
    assert query_terms("C++ 20.04") == [
        SearchTerm(("c",)),
        SearchTerm(("20",)),
        SearchTerm(("04",), prefix=True),
    ]
    assert query_terms("x " * 500) == [SearchTerm(("x",), prefix=True)]
    assert len(query_terms(" ".join(f"w{n}" for n in range(50)))) == 8
    # a Latin word may be English or Latvian: either stem; as the last word, only the shorter
    assert query_terms("payments rēķinu") == [
        SearchTerm(("payment",)),
        SearchTerm(("rekin",), prefix=True),
    ]
    assert query_terms("rēķinu payments") == [
        SearchTerm(("rekinu", "rekin")),
        SearchTerm(("payment",), prefix=True),
    ]
    assert hit_spans("Jūsu RĒĶINS", query_terms("rekins")) == [(5, 11)]


def test_stop_words_are_left_out_unless_they_are_all_there_is() -> None:
    assert query_terms("как оплатить счёт") == query_terms("оплатить счёт")
    assert query_terms("how do I pay my bill") == query_terms("pay bill")
    assert query_terms("kā samaksāt rēķinu") == query_terms("samaksāt rēķinu")
    assert query_terms("как") == [SearchTerm(("как",), prefix=True)]
    # words that mean something in one of the other languages stay
    assert len(query_terms("pie chart export")) == 3
    assert len(query_terms("bet limit")) == 2


def test_snippets_find_the_hit_when_folding_changes_lengths() -> None:
    """Ligatures and ß grow when folded, decomposed letters shrink: the snippet still shows
    the hit, marked, and nothing is read past the text."""
    import unicodedata

    from csm_console.domain.search import HitMarker
    from csm_console.services.knowledge import _excerpt

    marker = HitMarker(query_terms("router"))
    for body in (
        "\ufb01" * 400 + " restart the router now",
        "Straße " * 100 + " restart the router now",
        unicodedata.normalize("NFD", "Rēķins ir gatavs. " * 60) + " restart the router now",
    ):
        excerpt, spans = _excerpt(body, "Title", marker)
        assert [excerpt[s:e] for s, e in spans] == ["router"], excerpt[-60:]


def test_snippets_drop_single_mark_emphasis() -> None:
    text = "убедитесь, что ***Мобильные** **данные*** включены, а *Режим* _полёта_ snake_case 2 * 3"
    assert plain_text(text) == (
        "убедитесь, что Мобильные данные включены, а Режим полёта snake_case 2 * 3"
    )


def test_only_the_last_word_matches_as_a_prefix() -> None:
    # `work` is a whole word here (its stem), `rou` is being typed
    text = "Working: the router works, routing fails in the workshop"
    marked = [text[s:e] for s, e in hit_spans(text, query_terms("work rou"))]
    assert marked == ["Working", "router", "works", "routing"]
    marked = [text[s:e] for s, e in hit_spans(text, query_terms("rou work"))]
    assert marked == ["Working", "works", "workshop"]


def test_snippets_read_as_prose() -> None:
    markdown = "# Fees\n\n| Days | What |\n|---|---|\n| 7 | **A reminder** by [SMS](https://x) |\n"
    assert plain_text(markdown, "Fees").split() == [
        "Days",
        "What",
        "7",
        "A",
        "reminder",
        "by",
        "SMS",
    ]


def test_article_markdown_round_trips() -> None:
    draft = ArticleDraft(
        title="Ēdiens: «test»", body="Body\n", language="lv", tags=("a", "b"), external_id="X-1"
    )
    assert parse_article(article_markdown(draft), source="x.md") == draft
    with pytest.raises(ValueError, match=r"x\.md: unknown front matter key 'titel'"):
        parse_article("---\ntitel: T\n---\nB", source="x.md")
    with pytest.raises(ValueError, match=r"x\.md: title: required"):
        parse_article("---\nlanguage: en\n---\nB", source="x.md")


# --- csm kb ---------------------------------------------------------------------------------------


def kb(store: Store, *args: str, **options: Any) -> Any:
    return Cli(agent="root").on(store, "kb", *args, **options)


def test_kb_commands(corpus: Desk, tmp_path: Path) -> None:
    store = corpus.store
    found = kb(store, "search", "оплата", "--lang", "ru", "--format", "json")
    assert found.exit_code == 0, found.output
    first = json.loads(found.stdout)[0]
    assert set(first) >= {"id", "external_id", "title", "language", "score", "snippet"}
    assert first["external_id"] == "RU-PAY" and "**Оплатить**" in first["snippet"]
    shown = kb(store, "show", "LV-BILL")
    assert shown.exit_code == 0 and shown.stdout.startswith("---\ntitle: Kā saprast rēķinu\n")
    folder = tmp_path / "kb"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "wifi.md").write_text("---\ntitle: Wi-Fi\n---\nChannels and bands.\n")
    imported = kb(store, "import", str(folder))
    assert imported.exit_code == 0, imported.output
    assert "1 created" in imported.stderr
    assert kb(store, "import", str(folder), agent="olga").exit_code == 5
    added = kb(store, "add", "--title", "Fax", "--lang", "en", "--body", "No more fax.")
    assert added.exit_code == 0, added.output
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('No more fax.', 'Fax is back.'))\n"
    )
    edited = kb(store, "edit", added.stdout.strip(), env={"EDITOR": f"{sys.executable} {editor}"})
    assert edited.exit_code == 0, edited.output
    assert "updated" in edited.stderr
    assert kb(store, "search", "back", "--format", "json").stdout.count('"Fax"') == 1
    broken = tmp_path / "break.py"
    broken.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('language: en', 'language: xx'))\n"
    )
    refused = kb(store, "edit", added.stdout.strip(), env={"EDITOR": f"{sys.executable} {broken}"})
    assert refused.exit_code == 2
    assert "unknown language 'xx'" in refused.stderr and "your text is kept in" in refused.stderr
    kept = Path(refused.stderr.rsplit("kept in ", 1)[1].strip())
    assert "language: xx" in kept.read_text()
    missing = kb(store, "show", "NOPE")
    assert missing.exit_code == 3


def test_reindex_repairs_stale_stems(corpus: Desk) -> None:
    """Stems written by older stemming rules (here: forged) are found and rewritten; the
    index follows, and a second run changes nothing."""
    from sqlalchemy import update

    from csm_console.store.models import Article

    store = corpus.store
    with store.write() as session:
        session.execute(
            update(Article)
            .where(Article.external_id.in_(["RU-PAY", "LV-BILL"]))  # type: ignore[union-attr]
            .values(search_title="stale", search_text="stale")
        )
    assert knowledge.search_articles(store, text="rekins") == []
    assert [h.external_id for h in knowledge.search_articles(store, text="stale")] != []
    denied = kb(store, "reindex", agent="olga")
    assert denied.exit_code == 5, denied.output
    done = kb(store, "reindex")
    assert done.exit_code == 0, done.output
    assert "checked 9 articles: 2 reindexed" in done.stderr
    assert knowledge.search_articles(store, text="rekins")[0].external_id == "LV-BILL"
    assert knowledge.search_articles(store, text="stale") == []
    assert knowledge.reindex_articles(store, actor=corpus.root, batch=2) == (9, 0)


def test_suggestions_weigh_the_subject(desk: Desk) -> None:
    """The subject says what a ticket is about; the message around it (an account number, "the
    1st of next month", "a cheaper offer") must not outweigh it (issue 16, item 12)."""
    folder = setup.sample_directory() / "kb"
    files = [
        (p.name, p.read_text(encoding="utf-8"))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".md")
    ]
    knowledge.import_articles(desk.store, actor=desk.root, files=files)
    for subject, body, language, expected in (
        (
            "I want to cancel my contract",
            "Please cancel my contract BN-289607 from the 1st of next month. Another provider "
            "has a cheaper offer.",
            "en",
            "KB-0046",
        ),
        (
            "Хочу расторгнуть договор",
            "Прошу расторгнуть договор BN-594745 с 1-го числа следующего месяца. У другого "
            "оператора предложение дешевле.",
            "ru",
            "KB-0047",
        ),
    ):
        hits = knowledge.suggest_articles(desk.store, subject=subject, body=body, language=language)
        assert hits[0].external_id == expected, [(h.external_id, h.score) for h in hits]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert len({h.id for h in hits}) == len(hits) == 5
