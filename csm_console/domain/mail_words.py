"""How the faces name what a mail is: a symbol and a word for each message flag and delivery
state (never colour alone), and file sizes people read.  The console and `csm tickets show`
say the same words."""

from __future__ import annotations

import re

from csm_console.domain.text import sanitize

# flag word (domain.mail.MessageFlag) → (symbol, what the console and the CLI say)
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "auto-reply": ("↺", "auto-reply"),
    "bounce": ("↯", "bounce"),
    "html-only": ("◇", "from HTML"),
    "truncated": ("✂", "truncated"),
}
# outgoing_mail.state → (symbol, word)
DELIVERY_LABELS: dict[str, tuple[str, str]] = {
    "queued": ("◌", "queued"),
    "sending": ("↻", "sending"),
    "sent": ("✓", "sent"),
    "failed": ("✗", "failed"),
    "cancelled": ("⊘", "cancelled"),
}
# the flags and states that need the operator's eye (the console shows them in bold)
ALARMING = frozenset({"bounce", "failed"})


def flag_label(word: str) -> tuple[str, str]:
    """(symbol, word) of a message flag; a flag this version does not know is shown as is."""
    return FLAG_LABELS.get(word, ("·", word))


def delivery_label(state: str) -> tuple[str, str]:
    return DELIVERY_LABELS.get(state, ("?", state))


def human_size(size: int) -> str:
    """`512 B`, `12.3 KB`, `4.0 MB` (powers of 1024, one decimal above a kilobyte)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


_NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f/\\]+")  # (after sanitize: what it leaves, and slashes)
MAX_NAME_BYTES = 200  # a saved file's name, in UTF-8 (file systems allow 255)


def save_name(name: str) -> str:
    """The name an attachment is saved under by default: the customer's name made harmless (no
    directories, `..`, control or bidi characters, leading dots or dashes), at most
    MAX_NAME_BYTES bytes with its extension kept, never empty."""
    cleaned = _NOT_IN_NAMES.sub("_", sanitize(name, single_line=True))
    cleaned = cleaned.replace("..", "_").strip(" .") or "attachment"
    if cleaned.startswith("-"):
        cleaned = "_" + cleaned[1:]
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        stem, extension = cleaned, ""
    suffix = f".{extension}" if extension else ""
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(" .") or "attachment") + suffix
