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
# What JSON output writes as `\uXXXX` escapes although `json.dumps` leaves it raw: every control
# character above (C0 is escaped by `json.dumps` already), line and paragraph separators, and
# lone surrogates (which no encoding can write).
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)


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


def escape_json_controls(encoded: str) -> str:
    """`encoded` (the output of `json.dumps(..., ensure_ascii=False)`) with every character that
    a terminal would act on written as a `\\uXXXX` escape: the same JSON value, lossless, and
    harmless on a terminal.  Such characters only occur inside JSON strings, where an escape
    means the same character."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")
_DEFUSED = re.compile(r"'+[=+\-@\t\r]")


def defuse_formula(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text instead of running it: a cell starting with
    `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (a plain negative number such as `-12.5`
    stays as it is).  Cells that already start with quotes before such a character get one more,
    so that `restore_formula` gives back exactly the original."""
    if _FORMULA_START.match(cell) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def restore_formula(cell: str) -> str:
    """The inverse of `defuse_formula`: a cell of quotes then `=`, `+`, `-`, `@`, tab or CR
    loses one quote."""
    return cell[1:] if _DEFUSED.match(cell) else cell


_FOLD_EXTRA = str.maketrans({"ё": "е", "ß": "ss", "ı": "i", "ł": "l", "ø": "o", "đ": "d"})


_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# й is a letter of its own in Russian, not и with a mark: shield it from the mark stripping.
_SHIELD_SHORT_I = str.maketrans({"й": "\ue000"})
_UNSHIELD_SHORT_I = str.maketrans({"\ue000": "й"})


def fold_each(text: str) -> str:
    """`fold` computed on the whole text at once (the definition; `fold` is its fast form)."""
    text = text.casefold().translate(_FOLD_EXTRA)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text.translate(_SHIELD_SHORT_I))
    return _COMBINING_MARKS.sub("", decomposed).translate(_UNSHIELD_SHORT_I)


class _FoldTable(dict[int, str]):
    """Each character's fold, computed on first use.  Folding works character by character
    (case folding, decomposition, dropping the marks), so a text folds the same through this
    table as it does whole (`fold_each`), four times faster.  At most _FOLD_CACHE characters
    are kept, so that hostile text cannot grow the table without bound."""

    def __missing__(self, code: int) -> str:
        folded = fold_each(chr(code))
        if len(self) < _FOLD_CACHE:
            self[code] = folded
        return folded


_FOLD_CACHE = 20_000
_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Fold case and diacritics for matching: `Rēķins` → `rekins`, `СЧЁТА` → `счета`."""
    return text.lower() if text.isascii() else text.translate(_FOLD_TABLE)


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else full_name


_LATVIAN_MARKS = frozenset("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
# Latvian words without diacritics that are common in a customer's mail and are not English
_LATVIAN_WORDS = frozenset(
    {"un", "ir", "ar", "nav", "vai", "kas", "ka", "jau", "es", "mani", "mums", "jums", "tas"}
    | {"uz", "pie", "labdien", "sveiki", "paldies", "ludzu", "lai", "varat", "kad", "kur"}
)
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def guess_language(text: str) -> str:
    """A cheap guess among en/ru/lv for a customer's text.

    Only the text the customer wrote counts: quoted history (`domain.quoted`) and a signature
    below a `-- ` line are left out.  Then words are counted, not letters, so that a Russian
    name in an English signature, or `Rīga` in an English address, does not decide: ru when at
    least a quarter of the words are Cyrillic, lv when at least a fifth of the Latin words have
    Latvian letters or are common Latvian words, otherwise en.
    """
    from csm_console.domain.quoted import split_quoted  # here: most sanitising needs none

    own = split_quoted(text[:20_000])[0]
    signature = _SIGNATURE.search(own)
    if signature is not None and own[: signature.start()].strip():
        own = own[: signature.start()]
    words = _LETTER_RUN.findall(own)
    cyrillic = [w for w in words if "\u0400" <= w[0] <= "\u04ff"]
    if len(cyrillic) * 4 >= len(words) and sum(len(w) for w in cyrillic) >= 3:
        return "ru"
    latin = len(words) - len(cyrillic)
    latvian = sum(
        1 for w in words if any(ch in _LATVIAN_MARKS for ch in w) or w.lower() in _LATVIAN_WORDS
    )
    if latvian and latvian * 5 >= latin:
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


def snippet(
    text: str,
    spans_of: Callable[[str], list[tuple[int, int]]],
    *,
    width: int = 160,
) -> tuple[str, list[tuple[int, int]]]:
    """A one-line, sanitised excerpt of about `width` characters around the first hit, and the
    hit spans inside it (offsets into the excerpt), for highlighting.  The hits are what
    `spans_of` finds in the sanitised text."""
    flat = sanitize(text, single_line=True)
    spans = spans_of(flat)
    anchor = spans[0][0] if spans else 0
    start = max(0, anchor - width // 3)
    if start > 0:  # begin at a word: the text's start, or after a space shortly before
        space = flat.rfind(" ", 0, start)
        if start - space < 20:
            start = space + 1
    end = min(len(flat), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    ]
    return prefix + flat[start:end] + suffix, inside
