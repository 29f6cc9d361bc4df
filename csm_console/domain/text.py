"""Text hygiene for hostile customer input, and folding for search.

`sanitize` makes text safe to put on a terminal: it removes control sequences (ESC/CSI/OSC/DCS,
C0 except tab and newline, DEL, C1) and bidirectional overrides.  `fold` makes text comparable:
case folded, diacritics stripped, ё → е, so that `rekins` finds `Rēķins` and `счета` finds `СЧЁТА`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] ... BEL or ST),
# and two-character escapes.  Their 8-bit C1 forms are covered too.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]                     # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, SOS, PM, APC
    | \x1b[ -/]*[0-~]                                   # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 controls except TAB and LF, DEL, C1 controls, lone ESC, and bidi/zero-width tricks.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_LINE_ENDINGS = re.compile(r"\r\n?")


def sanitize(text: str, *, single_line: bool = False) -> str:
    """Return `text` with every terminal control sequence removed.

    With `single_line`, newlines and tabs become single spaces (for table cells and titles).
    """
    text = _LINE_ENDINGS.sub("\n", text)
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if single_line:
        text = " ".join(text.split())
    return text


_FOLD_EXTRA = str.maketrans({"ё": "е", "ß": "ss", "ı": "i", "ł": "l", "ø": "o", "đ": "d"})


_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# й is a letter of its own in Russian, not и with a mark: shield it from the mark stripping.
_SHIELD_SHORT_I = str.maketrans({"й": "\ue000"})
_UNSHIELD_SHORT_I = str.maketrans({"\ue000": "й"})


def fold(text: str) -> str:
    """Fold case and diacritics for matching: `Rēķins` → `rekins`, `СЧЁТА` → `счета`."""
    text = text.casefold().translate(_FOLD_EXTRA)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text.translate(_SHIELD_SHORT_I))
    return _COMBINING_MARKS.sub("", decomposed).translate(_UNSHIELD_SHORT_I)


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else full_name


_LATVIAN_MARKS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")


def guess_language(text: str) -> str:
    """A cheap guess among en/ru/lv: Cyrillic means ru, Latvian diacritics mean lv."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    if cyrillic >= 3:
        return "ru"
    if any(ch in _LATVIAN_MARKS for ch in text):
        return "lv"
    return "en"


_TAG_ALLOWED = re.compile(r"[^\w\-.]+")


def normalize_tag(tag: str) -> str:
    """Tags are lowercase words: `Billing Issue` → `billing-issue`; raises on an empty tag."""
    cleaned = _TAG_ALLOWED.sub("-", sanitize(tag, single_line=True).strip().lower()).strip("-.")
    if not cleaned:
        raise ValueError(f"bad tag {tag!r}: tags are words like billing or vip-callback")
    if len(cleaned) > 40:
        raise ValueError(f"tag {tag[:50]!r} is too long (at most 40 characters)")
    return cleaned


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """`fold(text)` plus, for each folded character, the index of the original character it came
    from, so that hits found in folded text can be highlighted in the original."""
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        piece = fold(ch) if not ch.isascii() else ch.lower()
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str, *, max_terms: int = 8, max_length: int = 300) -> list[str]:
    """Folded words of a free-text search: punctuation, operators and quotes are just separators,
    so no input is ever a syntax error."""
    words: list[str] = []
    for word in _WORD.findall(fold(text[:max_length])):
        if word not in words:
            words.append(word)
        if len(words) == max_terms:
            break
    return words


def find_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """(start, end) spans in the original `text` where any folded term occurs, merged."""
    if not terms:
        return []
    folded, origin = fold_with_map(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term) - 1
            spans.append((origin[start], origin[end] + 1))
            start = folded.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def snippet(
    text: str,
    terms: list[str],
    *,
    width: int = 160,
    spans_of: Callable[[str], list[tuple[int, int]]] | None = None,
) -> tuple[str, list[tuple[int, int]]]:
    """A one-line, sanitised excerpt of about `width` characters around the first hit of any
    term, and the hit spans inside it (offsets into the excerpt), for highlighting.  Hits are
    folded substrings of `terms`, or what `spans_of` finds in the sanitised text."""
    flat = sanitize(text, single_line=True)
    spans = spans_of(flat) if spans_of is not None else find_spans(flat, terms)
    anchor = spans[0][0] if spans else 0
    start = max(0, anchor - width // 3)
    if start > 0:
        space = flat.rfind(" ", 0, start)
        if space != -1 and start - space < 20:
            start = space + 1
    end = min(len(flat), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    ]
    return prefix + flat[start:end] + suffix, inside
