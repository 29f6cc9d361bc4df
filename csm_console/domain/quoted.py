"""Where the quoted history of a reply starts, so that the console can fold it.

    new, quoted = split_quoted(body)     # what to show first, and what to fold
    start = quote_start(body)            # or the exact offset: body[:start] + body[start:]

The store keeps the whole text; only the console folds.  `new` loses its trailing blank lines and
`quoted` the blank lines around it; every other line of `body` is in one of them, in order.
`quoted` is empty (and `new` is `body`) when nothing looks quoted, and also when *everything*
would be (a bare forward): there is then nothing newer to show first.

What starts quoted history (each in en, ru and lv, as the common mail programs write it):

- an attribution line: `On Mon, 1 Jan 2024, Ivan <ivan@x> wrote:` (also wrapped over two or
  three lines), `... написал(а):`, `... пишет:`, `... rakstīja:`, and Gmail's verb-less
  `пн, 1 янв. 2024 г. в 10:00, Иван <ivan@x>:`.  Unless `>` lines follow it, it must look like
  a mail's header (an address or a time in it, or "On" and a date): "The technician wrote:" or
  «Я уже написал:» is the customer's own text;
- Outlook's separators `-----Original Message-----`, `-----Исходное сообщение-----`,
  `-----Oriģinālais ziņojums-----`, and its header block without a separator: a `From:`/`От:`/
  `No:` line followed within a few lines by `Sent:`/`Отправлено:`/`Nosūtīts:` (or `Date:`,
  `To:`, `Subject:` and their translations);
- `>` lines: only the trailing run of them (with blank lines in between) counts, so that a
  reply written *below* or *between* the quotes is never folded away.  An attribution directly
  followed by `>` lines that more new text follows is part of such an interleaved reply, and is
  not a start either.
"""

from __future__ import annotations

import re

_ATTRIBUTION_END = re.compile(
    r"(?:\bwrote|\bwrites|написал\(а\)|написала?|пишет|писал\(а\)|rakstīja|raksta|schrieb"
    r"|a écrit|escribió)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|le|el|\d|[^\W\d_]{2,4}[.,])\b", re.IGNORECASE)
# Gmail in Russian and Latvian puts no verb: "пн, 1 янв. 2024 г. в 10:00, Иван <ivan@x>:"
_GMAIL_VERBLESS = re.compile(r"<[^<>\s@]+@[^<>\s]+>\)?\s*:$")  # and a digit before
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:original message|исходное сообщение|oriģinālais ziņojums|sākotnējā ziņa|"
    r"originālā ziņa|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"пересланное сообщение|reply message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FROM_LINE = re.compile(r"^\s*\**\s*(?:from|от|no|von|de|kimden)\s*\**\s*:\s*\**\s*\S", re.I)
_HEADER_LINE = re.compile(
    r"^\s*\**\s*(?:sent|date|to|subject|cc|отправлено|дата|кому|тема|копия|nosūtīts|datums|"
    r"kam|tēma|temats|gesendet|an|betreff|envoyé|enviado)\s*\**\s*:",
    re.IGNORECASE,
)
_SENT_LINE = re.compile(
    r"^\s*\**\s*(?:sent|date|отправлено|дата|nosūtīts|datums|gesendet|envoyé|enviado)\s*\**\s*:",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"^[ \t]*>")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_ON_DATE = re.compile(r"^(?:on|am|le|el)\s", re.IGNORECASE)
_MAX_SCAN = 3_000  # lines searched for a quote header (the trailing '>' run: any length)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _attribution_at(lines: list[str], index: int, *, strict: bool) -> int:
    """How many lines (1-3) the attribution starting at `index` spans, or 0.  `strict` (for a
    line that no `>` quote follows) wants it to look like a mail's header too: an address or a
    time in it, or "On" and a date, so that "The technician wrote:" stays the customer's text."""
    first = lines[index].strip()
    if not first or _QUOTE.match(first) or len(first) > 400:
        return 0
    joined = first
    for span in range(1, 4):
        if joined.endswith(":"):  # every attribution does: the cheap test first
            found = _ATTRIBUTION_END.search(joined) and (
                span == 1 or _ATTRIBUTION_START.match(first)
            )
            if found and (not strict or _looks_like_header(joined)):
                return span
            verbless = len(joined) < 300 and _GMAIL_VERBLESS.search(joined)
            if verbless and any(ch.isdigit() for ch in joined[: verbless.start()]):
                return span
        if index + span >= len(lines) or not lines[index + span].strip():
            return 0
        joined += " " + lines[index + span].strip()
        if len(joined) > 600:
            return 0
    return 0


def _looks_like_header(line: str) -> bool:
    if "@" in line or _TIME.search(line):
        return True
    return bool(_ON_DATE.match(line) and re.search(r"\d", line))


def _outlook_block_at(lines: list[str], index: int) -> bool:
    if _SEPARATOR.match(lines[index]):
        return True
    if not _FROM_LINE.match(lines[index]):
        return False
    window = lines[index + 1 : index + 7]
    headers = [line for line in window if _HEADER_LINE.match(line)]
    return any(_SENT_LINE.match(line) for line in headers) and len(headers) >= 2


def quote_start(body: str) -> int | None:
    """The offset in `body` where quoted history starts, or None.  See the module's docstring."""
    lines = body.splitlines(keepends=True)
    # the trailing run of '>' lines and blank lines
    trailing = len(lines)
    while trailing > 0 and (_is_blank(lines[trailing - 1]) or _QUOTE.match(lines[trailing - 1])):
        trailing -= 1
    has_quotes = any(_QUOTE.match(line) for line in lines[trailing:])
    start: int | None = None
    if has_quotes:
        start = trailing
        before = start - 1
        while before >= 0 and _is_blank(lines[before]):
            before -= 1
        for span in (3, 2, 1):  # an attribution right above the quotes
            first = before - span + 1
            if first >= 0 and _attribution_at(lines, first, strict=False) == span:
                start = first
                break
    for index in range(min(_MAX_SCAN, len(lines) if start is None else start)):
        if _outlook_block_at(lines, index):
            start = index
            break
        span = _attribution_at(lines, index, strict=True)
        if span:
            after = index + span
            while after < len(lines) and _is_blank(lines[after]):
                after += 1
            if after < len(lines) and _QUOTE.match(lines[after]):
                continue  # an interleaved reply: its quotes are not the trailing run
            start = index
            break
    if start is None or start >= len(lines):
        return None
    offset = sum(len(line) for line in lines[:start])
    if not body[:offset].strip():
        return None  # everything would be folded: nothing newer to show first
    return offset


def split_quoted(body: str) -> tuple[str, str]:
    """`(new, quoted)`: the text written in this message (trailing blank lines dropped), and the
    quoted history below it (blank lines around it dropped); `(body, "")` when there is none.
    See the module's docstring; `quote_start` gives the exact offset."""
    start = quote_start(body)
    if start is None:
        return body, ""
    new = body[:start].split("\n")
    while new and not new[-1].strip():
        new.pop()
    return "\n".join(new), body[start:].strip("\n")
