"""Full-text search over en/ru/lv text: the words that go into an index, and the words a query
looks for.  Pure functions; the store turns them into FTS5 or tsvector queries.

Both sides fold case and diacritics first (`Rēķins` → `rekins`, `СЧЁТА` → `счета`), then reduce
each word to a stem, so inflected forms meet:

- Cyrillic words: the Snowball Russian stemmer (`оплаты` → `оплат`).
- Latin words in a Latvian text: a light suffix stripper written here (Snowball has no Latvian
  stemmer): it removes one case ending, keeping at least three letters (`pieslēgumu` →
  `pieslegum`, `rēķiniem` → `rekin`).
- Other Latin words: the Snowball English stemmer (`payments` → `payment`).

A query cannot know whether a Latin word is English or Latvian, so it looks for either stem. A
query word matches the words with the same stem; the last word of a query also matches as a
prefix (`rek` finds `rēķins`), for search as you type.  Exact stems for the other words keep the
search both precise (`not` does not find `nothing`) and fast: a prefix makes the index merge
the lists of every word that starts with it.
Any input is only words: quotes, operators, `C++`, `NOT x`, `subject:x` and emoji are separators
or letters, never syntax, and the input is capped, so no query can fail or run away.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from csm_console.domain.text import fold

MAX_QUERY_CHARS = 300  # what a query reads of its input
MAX_QUERY_WORDS = 8
MIN_STEM = 3  # shorter words are kept whole

_WORD = re.compile(r"[^\W_]+")  # letters and digits: punctuation and symbols separate words
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Latvian case endings after folding (ā→a, ē→e, ī→i, ū→u, š→s), longest first.
_LV_ENDINGS = tuple(
    sorted(
        {
            # noun and plain adjective case endings only: definite adjective endings such as
            # -ajam would cut nouns in -ājs short (maršrutētājam → marsrutet, not marsrutetaj)
            "iem", "am", "em", "im", "um", "as", "es", "is", "os", "us", "ai", "ei",
            "a", "e", "i", "u", "s", "o",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip


@lru_cache(maxsize=4)
def _snowball(language: str) -> object:
    import Stemmer  # PyStemmer: the Snowball stemmers in C

    return Stemmer.Stemmer(language, 50_000)


def _stem_with(language: str, word: str) -> str:
    stemmer = _snowball(language)
    stem: str = stemmer.stemWord(word)  # type: ignore[attr-defined]
    return stem


def stem_latvian(word: str) -> str:
    """Strip one Latvian case ending from a folded word, keeping at least MIN_STEM letters."""
    for ending in _LV_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def stem(word: str, language: str | None) -> str:
    """The stem of one folded word of a text in `language` (en, ru, lv or unknown)."""
    if len(word) <= MIN_STEM or word.isdigit():
        return word
    if _CYRILLIC.search(word):
        return _stem_with("russian", word)
    if language == "lv":
        return stem_latvian(word)
    return _stem_with("english", word)


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return _WORD.findall(fold(text))


_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def index_text(text: str, language: str | None) -> str:
    """What an index stores for a text: its stems, space-separated, in order; a hyphenated word
    is also stored joined (`Wi-Fi` → `wi fi wifi`), so that `wifi` finds it."""
    stems = [stem(word, language) for word in words(text)]
    joined = [stem(m.group().replace("-", ""), language) for m in _HYPHENATED.finditer(fold(text))]
    return " ".join(stems + joined)


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One word of a search: a matching text has a word whose stem is one of `stems` (the
    word's stem in English or in Latvian: a query cannot tell which), or, for the last word of
    a search (`prefix`: it may still be being typed), a word whose stem starts with one."""

    stems: tuple[str, ...]
    prefix: bool = False

    def patterns(self) -> tuple[tuple[str, bool], ...]:
        """(stem, matches as a prefix) pairs; a stem shorter than MIN_STEM only matches whole
        (as a prefix `wi` or `и` would be everywhere)."""
        return tuple((s, self.prefix and len(s) >= MIN_STEM) for s in self.stems)


# Words a question is made of that say nothing about its subject ("how do I pay my bill",
# "как оплатить счёт", "kā samaksāt rēķinu"), folded.  A query leaves them out, unless it has
# nothing else; articles keep them (they cost little in the index).  One list serves all three
# languages, so a word that means something in another of them is not in it (`pie`, `bet`,
# `man`, `день`).
_STOP_WORDS = """
    a an the is are am was were be been i me my mine you your we our us it its this that these
    those to of in on at by for from with about as and or but if not no do does did have has had
    how what why when where which who whom can could would should will there here please hi
    hello thanks thank
    а и в во на не нет но или что как почему где когда кто я меня мне мой моя мое мои ты вы вас
    вам ваш ваша у с со по к ко от до за из для это этот эта эти то ли же бы уже еще очень можно
    нужно есть был была было были будет мы нас нам наш они их он она оно его ее здравствуйте
    спасибо пожалуйста добрый
    un ir nav bija ka kas ko kur kad kapec vai ar par uz no pec lidz mans mana mani musu
    tu jus jums jusu vins vina tas ta sis si to lai ja ari jau vel loti labdien paldies
    ludzu sveiki
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def query_terms(text: str) -> list[SearchTerm]:
    """The terms of a search: one per distinct word (at most MAX_QUERY_WORDS, from the first
    MAX_QUERY_CHARS characters) that is not a stop word (unless they all are); the last one
    matches as a prefix too."""
    found: list[tuple[str, ...]] = []
    folded = words(text[:MAX_QUERY_CHARS])
    meaningful = [word for word in folded if word not in STOP_WORDS] or folded
    for word in meaningful:
        options: tuple[str, ...]
        if _CYRILLIC.search(word) or len(word) <= MIN_STEM or word.isdigit():
            options = (stem(word, "ru"),)
        else:
            options = tuple(dict.fromkeys((stem(word, "en"), stem(word, "lv"))))
        if options not in found:
            found.append(options)
        if len(found) == MAX_QUERY_WORDS:
            break
    if not found:
        return []
    # as a prefix, a stem that extends another adds nothing: keep the shorter
    last = tuple(s for s in found[-1] if not any(o != s and s.startswith(o) for o in found[-1]))
    return [SearchTerm(options) for options in found[:-1]] + [SearchTerm(last, prefix=True)]


class HitMarker:
    """Finds the words a search for `terms` matched, in any number of texts (the titles and
    snippets of one result list): a word is a hit when it, or its stem in some language, is a
    term's stem, or starts with one where the term matches as a prefix.  Each distinct word is
    folded and judged once."""

    def __init__(self, terms: Sequence[SearchTerm]) -> None:
        patterns = [pattern for term in terms for pattern in term.patterns()]
        self._whole = frozenset(stem for stem, as_prefix in patterns if not as_prefix)
        self._prefixes = tuple(stem for stem, as_prefix in patterns if as_prefix)
        self._judged: dict[str, bool] = {}
        stems = sorted({stem for stem, _ in patterns}, key=len, reverse=True)
        self._initials = frozenset(stem[0] for stem in stems)
        # where a folded word starts with a stem: the candidates `first` checks word by word
        self._candidates = re.compile(r"(?<![^\W_])(?:" + "|".join(stems) + ")") if stems else None

    def _is_hit(self, word: str) -> bool:
        hit = self._judged.get(word)
        if hit is None:
            folded = fold(word)
            # every stemmer here keeps a word's first letter, so no other word can match
            hit = folded[:1] in self._initials and any(
                form in self._whole or form.startswith(self._prefixes)
                for form in _word_forms(folded)
            )
            self._judged[word] = hit
        return hit

    def first(self, text: str) -> int | None:
        """Where the first matched word of `text` starts (an offset into `text`)."""
        if self._candidates is None:
            return None
        folded = fold(text)
        if len(folded) != len(text):  # folding moved the offsets (ß, ligatures, NFD): word by word
            return next(
                (m.start() for m in _TEXT_WORD.finditer(text) if self._is_hit(m.group())), None
            )
        for candidate in self._candidates.finditer(folded):
            word = _TEXT_WORD.match(folded, candidate.start())
            if word and self._is_hit(word.group()):
                return candidate.start()
        return None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each matched word in `text`."""
        if not self._whole and not self._prefixes:
            return []
        return [m.span() for m in _TEXT_WORD.finditer(text) if self._is_hit(m.group())]


# A word of original text: letters and digits, with any combining marks (which fold away).
_TEXT_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def hit_spans(text: str, terms: Sequence[SearchTerm]) -> list[tuple[int, int]]:
    """(start, end) spans of the words of `text` that a search for `terms` matched."""
    return HitMarker(terms).spans(text)


@lru_cache(maxsize=65_536)
def _word_forms(word: str) -> tuple[str, ...]:
    """A folded word and its stems in each language a text may be in."""
    return (word, stem(word, "ru"), stem(word, "en"), stem_latvian(word))


def article_index(title: str, tags: str, body: str, language: str | None) -> tuple[str, str]:
    """What the index stores for an article: the stems of its title, and of its tags and body."""
    return index_text(title, language), index_text(f"{tags.replace(',', ' ')}\n{body}", language)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|`+|^\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s+)", re.MULTILINE)


_MD_TABLE = re.compile(r"(?:\s*\|\s*(?::?-{3,}:?)?)+\s*\|?|-{3,}")
# single-mark emphasis (`*word*`, `_word_`) left after `**` and `__` are gone; not the `_` in
# snake_case or a lone `*` between spaces
_MD_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=[^\s*_])|(?<=[^\s*_])[*_](?![\w*])")


def plain_text(markdown: str, title: str = "") -> str:
    """Article text without Markdown marks, for snippets: no `#`, `**`, backticks or link
    targets, and without a first heading that only repeats the title."""
    lines = markdown.lstrip().split("\n", 1)
    if title and lines and lines[0].lstrip("# ").strip() == title.strip():
        markdown = lines[1] if len(lines) > 1 else ""
    text = _MD_EMPHASIS.sub("", _MD_MARKS.sub("", _MD_LINK.sub(r"\1", markdown)))
    return _MD_TABLE.sub(" ", text)  # table rules and cell bars
