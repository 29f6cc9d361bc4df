"""Full-text search over en/ru/lv text: the words that go into an index, and the words a query
looks for.  Pure functions; the store turns them into FTS5 or tsvector queries.

Both sides fold case and diacritics first (`Rēķins` → `rekins`, `СЧЁТА` → `счета`), then reduce
each word to a stem, so inflected forms meet:

- Cyrillic words: the Snowball Russian stemmer (`оплаты` → `оплат`).
- Latin words in a Latvian text: a light suffix stripper written here (Snowball has no Latvian
  stemmer): it removes one case ending, keeping at least three letters (`pieslēgumu` →
  `pieslegum`, `rēķiniem` → `rekin`).
- Other Latin words: the Snowball English stemmer (`payments` → `payment`).

A query cannot know whether a Latin word is English or Latvian, so it looks for either stem. Each
query stem matches as a prefix (`rek` finds `rēķins`), which also serves search as you type.
Any input is only words: quotes, operators, `C++`, `NOT x`, `subject:x` and emoji are separators
or letters, never syntax, and the input is capped, so no query can fail or run away.
"""

from __future__ import annotations

import re
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


def query_stems(text: str) -> list[tuple[str, ...]]:
    """For each word of a search (at most MAX_QUERY_WORDS, from the first MAX_QUERY_CHARS
    characters), the stems any of which a matching text must have as a prefix of a word."""
    found: list[tuple[str, ...]] = []
    for word in words(text[:MAX_QUERY_CHARS]):
        options: tuple[str, ...]
        if _CYRILLIC.search(word) or len(word) <= MIN_STEM or word.isdigit():
            options = (stem(word, "ru"),)
        else:
            options = tuple(dict.fromkeys((stem(word, "en"), stem(word, "lv"))))
        # a stem that extends another adds nothing to a prefix match: keep the shorter
        options = tuple(s for s in options if not any(o != s and s.startswith(o) for o in options))
        if options not in found:
            found.append(options)
        if len(found) == MAX_QUERY_WORDS:
            break
    return found


def hit_spans(text: str, stems: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) spans of the words in the original `text` that a search with `stems`
    matched: a word is a hit when it, or its stem, starts with one of the stems."""
    if not stems:
        return []
    wanted = tuple(s for options in stems for s in options)
    folded, origin = _fold_with_map(text)
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(folded):
        if any(c.startswith(wanted) for c in _word_forms(match.group())):
            start, end = match.span()
            spans.append((origin[start], origin[end - 1] + 1))
    return spans


# Snippets call hit_spans on whole articles, 20 per search, so the per-character fold and the
# per-word stems are cached (pure functions of one character or one word).


@lru_cache(maxsize=65_536)
def _word_forms(word: str) -> tuple[str, ...]:
    """A folded word and its stems in each language a text may be in."""
    return (word, stem(word, "ru"), stem(word, "en"), stem_latvian(word))


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return fold(ch) if not ch.isascii() else ch.lower()


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """`csm_console.domain.text.fold_with_map`, with each distinct character folded once."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = _fold_char(ch)
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


def article_index(title: str, tags: str, body: str, language: str | None) -> tuple[str, str]:
    """What the index stores for an article: the stems of its title, and of its tags and body."""
    return index_text(title, language), index_text(f"{tags.replace(',', ' ')}\n{body}", language)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|`+|^\s{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])\s+)", re.MULTILINE)


_MD_TABLE = re.compile(r"(?:\s*\|\s*(?::?-{3,}:?)?)+\s*\|?|-{3,}")


def plain_text(markdown: str, title: str = "") -> str:
    """Article text without Markdown marks, for snippets: no `#`, `**`, backticks or link
    targets, and without a first heading that only repeats the title."""
    lines = markdown.lstrip().split("\n", 1)
    if title and lines and lines[0].lstrip("# ").strip() == title.strip():
        markdown = lines[1] if len(lines) > 1 else ""
    text = _MD_MARKS.sub("", _MD_LINK.sub(r"\1", markdown))
    return _MD_TABLE.sub(" ", text)  # table rules and cell bars
