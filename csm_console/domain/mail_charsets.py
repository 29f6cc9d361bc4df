"""Bytes of unknown or doubtful charset → text, and RFC 2047 headers → text.

Real mail declares charsets that do not exist (`cp-1251`, `x-unknown`), declares the wrong one
(`iso-8859-1` on Russian text), or declares none (raw 8-bit bytes in a Subject).  Single-byte
charsets decode *any* bytes without an error, so "it decoded" proves nothing: each candidate's
text is scored for plausibility (`implausibility`) and the cleanest one wins.

The score counts what a decoding into the wrong charset produces and real text in our languages
(English, Russian, Latvian, and the neighbours' Latin letters) does not:

- C1 control characters (latin-1 on windows-125x punctuation), box-drawing characters (koi8-r
  on cp1251 text), the replacement character;
- Cyrillic letters outside the Russian alphabet (Ђ, џ, Ї ... cp1251 on UTF-8 or on koi8-r);
- words that mix Latin and Cyrillic letters (cp1251 on Latvian text: `Rзнins`);
- Cyrillic words whose case is neither lower, Title nor UPPER (koi8-r read as cp1251: `рТЙЧЕФ`);
- Latin words made mostly of accented letters (cp1251 read as latin-1: `Ïðèâåò`), and letters
  no customer of ours writes (ð, þ).

A decoding that scores 0 is clean.  The declared charset wins when it is clean; otherwise the
first clean candidate of the configured list wins (utf-8 always first: valid UTF-8 is the
strongest evidence there is); when none is clean, the least implausible one.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Names that mean "no idea": decode as if no charset were declared.
_UNKNOWN = frozenset(
    {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset", "none"}
    | {"8bit", "7bit", "binary", "x-binaryenc", "us-ascii", "ascii", "ansi_x3.4-1968", "us"}
)
_ALIASES = {
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode20utf7": "utf-7",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-sjis": "shift_jis",
    "ks_c_5601-1987": "cp949",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-cp866": "cp866",
    "ibm866": "cp866",
    "utf-8-bom": "utf-8-sig",
    # what senders mean by latin-1 is nearly always windows-1252 (as browsers assume)
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
}
_WINDOWS = re.compile(
    r"^(?:x-)?(?:cp|win|windows|ms|ansi)[-_ ]?(12\d\d|8[56]\d|874|932|936|949|950)$"
)
_ISO = re.compile(r"^(?:x-)?iso[-_ ]?8859[-_ ]?(\d{1,2})(?:[-_ ]?[ie])?$")
_KOI = re.compile(r"^(?:x-)?koi8[-_ ]?([rut])$")
# codecs that are not charsets of text on the wire: escapes, IDNA, always-failing, quadratic
_REFUSED = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"})

_CHARSET_CACHE: dict[str, str | None] = {}


def normalize_charset(name: str | None) -> str | None:
    """The Python codec for a charset name as found in mail, or None when the name says nothing
    usable (missing, `x-unknown`, `us-ascii` on 8-bit bytes ...) or names no text charset."""
    if name is None:
        return None
    key = name.strip().strip("\"'").split("*", 1)[0].strip().lower()[:40]
    if key in _CHARSET_CACHE:
        return _CHARSET_CACHE[key]
    found = _lookup(key)
    if len(_CHARSET_CACHE) < 500:  # hostile mail must not grow the cache without bound
        _CHARSET_CACHE[key] = found
    return found


def _lookup(key: str) -> str | None:
    if key in _UNKNOWN:
        return None
    candidates = [_ALIASES.get(key, key)]
    for pattern, form in ((_WINDOWS, "cp{}"), (_ISO, "iso-8859-{}"), (_KOI, "koi8-{}")):
        match = pattern.match(key)
        if match:
            candidates.append(form.format(match.group(1)))
    if key.startswith("x-"):
        candidates.append(key[2:])
    for candidate in candidates:
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError, UnicodeError):  # surrogates from 8-bit bytes too
            continue
        if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
            return None
        return info.name
    return None


_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
# Latin letters our customers write: Latvian, Lithuanian, Estonian, German, French, Spanish,
# Polish, Scandinavian.  Others (ð, þ, ì, ò ...) are what a wrong decoding makes.
_LATIN_OK = frozenset(
    "āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽąęėįųĄĘĖĮŲõäöüÕÄÖÜßéèêëàâçîïôûùÿœæÉÈÊËÀÂÇÎÏÔÛÙŸŒÆ"
    "ñáíóúÑÁÍÓÚåøÅØłńśźżćŁŃŚŹŻĆ"
)
_LATVIAN = frozenset("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
_WORD = re.compile(r"[^\W\d_]+")
# C1 controls, the replacement character, box drawing, and symbols that wrong decodings make
_ODD_CHARS = re.compile("[\x80-\x9f\ufffd\u2500-\u259f¤¦¨¯´¸¹³]")
_SAMPLE = 6000  # characters scored: plenty of evidence, bounded time


def implausibility(text: str) -> int:
    """How much `text` looks like a wrong decoding (0: clean).  See the module's docstring."""
    sample = text[:_SAMPLE]
    if sample.isascii():
        return 0
    score = 3 * len(_ODD_CHARS.findall(sample))
    for word in _WORD.findall(sample):
        if word.isascii():
            continue
        score += _word_score(word)
    return score


def _word_score(word: str) -> int:
    cyrillic = latin = accented = odd = 0
    for ch in word:
        if "\u0400" <= ch <= "\u04ff":
            cyrillic += 1
            if ch not in _RUSSIAN:
                odd += 1
        elif ch.isascii():
            latin += 1
        elif ch in _LATIN_OK:
            latin += 1
            accented += 1
        else:
            odd += 1
            if "\u00c0" <= ch <= "\u024f":
                latin += 1
                accented += 1
    score = odd
    if cyrillic and latin:
        score += 2
    elif cyrillic > 1 and not (word.islower() or word.isupper() or word.istitle()):
        score += 1
    elif (
        latin >= 3
        and accented * 2 > latin
        and not all(ch in _LATVIAN or ch.isascii() for ch in word)
    ):
        score += accented
    elif latin >= 4 and accented == latin:
        score += 1
    return score


def decode_bytes(
    data: bytes, declared: str | None, charsets: tuple[str, ...]
) -> tuple[str, str | None]:
    """Text from `data`, and a note when the declared charset was not used (None when it was,
    or when none was declared and the data is ASCII).  Never raises."""
    codec = normalize_charset(declared)
    if data.isascii() and codec in (None, "ascii", "utf-8", "cp1252", "cp1251", "koi8-r"):
        return data.decode("ascii"), None  # the common case, and the same in all of those
    tried: list[str] = []
    best: tuple[int, str, str] | None = None
    declared_reading: tuple[int, str, str] | None = None
    order = ([codec] if codec else []) + ["utf-8"] + [normalize_charset(c) or "" for c in charsets]
    for name in order:
        if not name or name in tried:
            continue
        tried.append(name)
        try:
            text = data.decode(name)
        except (UnicodeError, LookupError, ValueError, OverflowError):
            if name == "utf-8":  # mostly UTF-8 with a few stray bytes competes as such
                text = data.decode("utf-8", errors="replace")
                score = implausibility(text) + 3 * text.count("\ufffd", _SAMPLE)
                if best is None or score < best[0]:
                    best = (score, "utf-8 with bad bytes replaced", text)
            continue
        # valid UTF-8 that is not ASCII is not a coincidence
        score = 0 if name == "utf-8" and not data.isascii() else implausibility(text)
        if score == 0:
            return text, _note(codec, declared, name)
        if name == codec:
            declared_reading = (score, name, text)
        if best is None or score < best[0]:
            best = (score, name, text)
    # the declared charset keeps its word unless another reads clearly better (half the score)
    if declared_reading is not None and best is not None and best[0] * 2 >= declared_reading[0]:
        best = declared_reading
    if best is not None:
        return best[2], _note(codec, declared, best[1])
    return data.decode("utf-8", errors="replace"), f"undecodable text ({_shown(declared)})"


def _note(codec: str | None, declared: str | None, used: str) -> str | None:
    if codec == used or (declared is None and used in ("utf-8", "ascii")):
        return None
    return f"charset {_shown(declared)} read as {used}"


def _shown(declared: str | None) -> str:
    if declared is None:
        return "(none)"
    return re.sub(r"[^\w.:+-]", "?", declared[:40])


# RFC 2047 encoded words, leniently: any case, and spaces in the Q payload (broken mailers).
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([bBqQ])\?([^?]*?)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_FOLDING = re.compile(r"\r?\n(?=[ \t])|\r?\n|\r")
MAX_HEADER = 16_384  # characters of one header value that are decoded


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    raw = payload.encode("utf-8", "surrogateescape")
    if encoding in "bB":
        if _B64_JUNK.search(raw.rstrip(b"=")):
            return None  # not base64 at all: keep the word as written
        cleaned = raw.rstrip(b"=")
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4 if len(cleaned) % 4 == 1 else None]
        try:
            return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return None
    raw = raw.replace(b"_", b" ")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _plain(segment: str, charsets: tuple[str, ...]) -> str:
    if segment.isascii():
        return segment
    raw = segment.encode("utf-8", "surrogateescape")  # 8-bit bytes came in as surrogates
    return decode_bytes(raw, None, charsets)[0]


def decode_header_value(value: str, charsets: tuple[str, ...]) -> str:
    """A header's text: unfolded, RFC 2047 encoded words decoded (adjacent ones joined, so that
    a character split between two words survives), raw 8-bit bytes (surrogate-escaped, as the
    parser leaves them) decoded with the fallback charsets.  Not yet sanitised.  Never raises."""
    value = _FOLDING.sub("", value[:MAX_HEADER])
    if "=?" not in value:
        return _plain(value, charsets)
    out: list[str] = []
    pending_charset: str | None = None
    pending = bytearray()
    after_word = False  # whitespace between two encoded words is dropped (RFC 2047, 6.2)
    position = 0

    def flush() -> None:
        nonlocal pending
        if pending:
            out.append(decode_bytes(bytes(pending), pending_charset, charsets)[0])
            pending = bytearray()

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        position = match.end()
        charset, encoding, payload = match.groups()
        data = _word_bytes(encoding, payload)
        if data is None:  # undecodable: keep the word as it came
            flush()
            out.append(_plain(gap + match.group(0), charsets))
            after_word = False
            continue
        declared = charset.split("*", 1)[0]
        if gap and not (after_word and gap.isspace()):
            flush()
            out.append(_plain(gap, charsets))
        elif declared != pending_charset:
            flush()
        pending_charset = declared
        pending.extend(data)
        after_word = True
    flush()
    out.append(_plain(value[position:], charsets))
    return "".join(out)
