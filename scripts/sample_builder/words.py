"""Text helpers: gendered word forms, transliteration, relative time offsets, money."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

GENDER_RE = re.compile(r"⟨([^|⟩]*)\|([^⟩]*)⟩")
OFFSET_RE = re.compile(r"^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")

RU_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


def gendered(text: str, gender: str) -> str:
    """Resolve ⟨male|female⟩ by the gender of the message's author."""
    return GENDER_RE.sub(lambda m: m.group(1) if gender == "m" else m.group(2), text)


def ascii_fold(s: str) -> str:
    table = {"ё": "e", "Ё": "E"}
    s = "".join(table.get(c, c) for c in s)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def translit(s: str) -> str:
    s = "".join(RU_LAT.get(c, c) for c in s.lower())
    return re.sub(r"[^a-z0-9]+", "", ascii_fold(s).lower())


def fmt_offset(minutes: int) -> str:
    minutes = int(minutes)
    if minutes < 1:
        raise ValueError(f"offset must be at least 1 minute, got {minutes}")
    d, rem = divmod(minutes, 1440)
    h, m = divmod(rem, 60)
    return "-" + (f"{d}d" if d else "") + (f"{h}h" if h else "") + (f"{m}m" if m else "")


def parse_offset(s: str) -> int:
    m = OFFSET_RE.match(s or "")
    if not m or s == "-":
        raise ValueError(f"bad offset {s!r}")
    d, h, mi = (int(x) if x else 0 for x in m.groups())
    return d * 1440 + h * 60 + mi


def lv_vocative(first: str, gender: str) -> str:
    """Latvian vocative for greetings: Jānis -> Jāni, Raimonds -> Raimond."""
    if gender == "m" and first.endswith("s"):
        return first[:-1]
    return first


def money(v: float, lang: str) -> str:
    if lang == "en":
        return f"€{v:.2f}"
    s = f"{v:.2f}".replace(".", ",")
    return f"{s} €" if lang == "ru" else f"{s} EUR"


def read_text(path: Path, limit: int = 10_000_000) -> str:
    """A file of the source or the sample, refused past `limit` bytes (tickets.json is ~0.7 MB)."""
    if path.stat().st_size > limit:
        raise ValueError(f"{path}: larger than {limit} bytes")
    return path.read_text(encoding="utf-8")


def dump_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
