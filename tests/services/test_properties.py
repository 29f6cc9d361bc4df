"""Property tests (hypothesis): the query parser, the search-query builder, folding, hit marking
and the sanitiser take any text without an unexpected exception, and queries built from any
text run on a real store.  Hostile text is generated: control characters, NUL, bidi overrides,
escape sequences, query syntax, FTS syntax, emoji, mixed scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_console.domain.article import ArticleDraft
from csm_console.domain.query import QueryError, Sort, parse_query
from csm_console.domain.search import HitMarker, query_terms, stem, stem_latvian
from csm_console.domain.text import fold, fold_each, sanitize
from csm_console.errors import UsageError
from csm_console.services import knowledge, ticket_reads, tickets
from csm_console.store.engine import Store
from tests.conftest import STORE_KINDS, _truncate_postgres, build_desk, make_sqlite_store

settings.register_profile(
    "csm", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("csm")

# Pieces that break naive code: query syntax of FTS5, tsquery and our own language, SQL,
# terminal escapes, bidi and zero-width characters, combining marks, and the three alphabets.
HOSTILE_PIECES = [
    '"', "'", "*", "-", "+", "^", ":", "(", ")", "&", "|", "!", "<->", "NOT", "AND", "OR",
    "NEAR(", "{search_title}", "subject:", "status:", "is:", "sla:", "due<", "created:>",
    "#", "%", "_", "\\", "; DROP TABLE ticket; --", "\x00", "\x1b[31m", "\x1b]0;x\x07",
    "\x9b2J", "\u202e", "\u200f", "\ufeff", "\u0301", "и\u0306", "ё", "Ё", "й", "ß", "İ",
    "Rēķins", "СЧЁТА", "maršrutētājs", "C++", "20.04", "😀", "👩‍👩‍👧", "\n", "\t", " ",
]  # fmt: skip

hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=12)), max_size=24
).map("".join)


@given(st.one_of(st.text(), hostile_text))
def test_fold_is_the_same_fast_or_whole(text: str) -> None:
    assert fold(text) == fold_each(text)


@given(hostile_text)
def test_sanitized_text_has_no_control_characters(text: str) -> None:
    clean = sanitize(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", clean)
    assert sanitize(clean) == clean
    line = sanitize(text, single_line=True)
    assert "\n" not in line and "\t" not in line


@given(hostile_text)
def test_query_terms_are_only_letters_and_digits(text: str) -> None:
    terms = query_terms(text)
    assert len(terms) <= 8
    for term in terms:
        assert term.stems
        for option in term.stems:
            assert option and all(ch.isalnum() for ch in option), option
    assert [t.prefix for t in terms] == [False] * (len(terms) - 1) + [True] * bool(terms)


@given(hostile_text, hostile_text)
def test_hit_spans_lie_inside_the_text_in_order(query: str, text: str) -> None:
    spans = HitMarker(query_terms(query)).spans(text)
    ends = [0]
    for start, end in spans:
        assert ends[-1] <= start < end <= len(text)
        ends.append(end)


SEARCH_WORDS = [
    "rēķins", "rēķinu", "Rēķiniem", "apmaksa", "apmaksāt", "router", "routers", "routing",
    "rou", "re", "restart", "restarting", "оплата", "оплаты", "ОПЛАТИТЬ", "счёт", "счета",
    "СЧЁТА", "опл", "pieslēgums", "pieslēgumu", "not", "nothing", "Straße", "strasse",
    "Wi-Fi", "wifi", "ﬁle", "\ufb01", "Re\u0304k\u0327ins", "ǅ",
]  # fmt: skip
words_in_three_languages = st.lists(
    st.sampled_from(SEARCH_WORDS),
    min_size=1,
    max_size=12,
).map(" ".join)


@given(words_in_three_languages, st.one_of(words_in_three_languages, hostile_text))
def test_hit_marker_keeps_to_its_definition(query: str, text: str) -> None:
    """The marker's shortcuts (cached judgements, the first-letter filter, the candidate
    regex of `first`) find exactly the words the plain definition finds."""
    terms = query_terms(query)
    expected = []
    for match in re.finditer(r"(?:[^\W_]|[\u0300-\u036f])+", text):
        word = fold(match.group())
        forms = (word, stem(word, "ru"), stem(word, "en"), stem_latvian(word))
        if any(
            form.startswith(s) if prefix else form == s
            for term in terms
            for s, prefix in term.patterns()
            for form in forms
        ):
            expected.append(match.span())
    marker = HitMarker(terms)
    assert marker.spans(text) == expected
    assert marker.spans(text) == expected  # judged from the cache the second time
    first = marker.first(text)
    assert first is None or 0 <= first < len(text)  # an offset into the text, never past it
    if len(fold(text)) != len(text) or fold(text) == text.lower():
        assert first == (expected[0][0] if expected else None)


@given(hostile_text)
def test_query_language_raises_only_its_own_error(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as exc:
        assert str(exc)


@pytest.fixture(scope="module", params=STORE_KINDS)
def shared_desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One store per kind for the whole module (hypothesis runs many examples per test)."""
    if request.param == "sqlite":
        store = make_sqlite_store(Path(tmp_path_factory.mktemp("props")) / "store.db")
    else:
        store = Store(request.getfixturevalue("postgres_template_url"))
        _truncate_postgres(store)
    desk = build_desk(store)

    for title, body, language in (
        ("Rēķina apmaksa", "Rēķinu var apmaksāt portālā.", "lv"),
        ("Оплата счёта", "Оплатить счёт можно картой.", "ru"),
        ("Router restart", "Unplug the router, wait and plug it back in.", "en"),
    ):
        knowledge.save_article(
            store, actor=desk.root, draft=ArticleDraft(title=title, body=body, language=language)
        )
    tickets.create_ticket(
        store,
        actor=desk.olga,
        subject="Роутер \x1b[31m не работает",
        body="Rēķins 😀 NOT x",
        customer_email="c@example.com",
    )
    try:
        yield store
    finally:
        store.dispose()


@settings(max_examples=60)
@given(text=hostile_text)
def test_any_search_text_runs_on_the_store(shared_desk: Store, text: str) -> None:
    for hit in knowledge.search_articles(shared_desk, text=text, limit=5):
        for start, end in hit.snippet_spans:
            assert 0 <= start < end <= len(hit.snippet)
    knowledge.search_articles(shared_desk, text=text, language="ru", any_word=True)


@settings(max_examples=60)
@given(text=hostile_text)
def test_any_parsed_query_runs_on_the_store(shared_desk: Store, text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    try:
        ticket_reads.list_tickets(shared_desk, actor=None, query=query, sort=Sort(), limit=5)
    except UsageError as exc:  # for example `me` without an acting agent
        assert str(exc)
