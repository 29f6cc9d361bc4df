"""Quoted history in a mail's text: the part a reply repeats of the mails before it.

The store keeps a message's whole text; the console folds the quoted part, so the new text
shows first.  `split_quoted(body) -> (new, quoted)` finds where the history starts:

- an attribution line that mail programs write above it: "On Mon, 3 Nov 2026 at 10:00, Ivan
  <ivan@example.com> wrote:", «3 нояб. 2026 г., в 10:00, Иван <ivan@example.ru> написал(а):»,
  "2026. gada 3. nov., plkst. 10:00, Jānis <janis@example.lv> rakstīja:" (also wrapped over two
  lines), or an Outlook "-----Original Message-----" rule; everything after it is history;
- else a block of `>` lines (and blank lines) that runs to the end of the text.

A `>` line followed by new text again (an answer written between the quoted lines) is not
folded: hiding the quote would hide what the answer refers to.  When nothing new is left above
the history, nothing is folded either.  `new + "\\n" + quoted` gives back the lines of `body`
(trailing blank lines of `new` aside).
"""

from __future__ import annotations

import re

MAX_ATTRIBUTION = 400  # characters an attribution line may have

_WROTE = r"(?:wrote|написал\(а\)|написала?|написали|писал\(а\)|rakstīja|rakstija|schrieb|a écrit)"
# "On <date>, <name> wrote:" and its Russian and Latvian forms; the line must look like a header
# of a mail (an address or a time in it, or "On" and a date), so that "Я уже написал:" or "the
# operator wrote:" stays text.
_ATTRIBUTION = re.compile(rf"^\s*(?P<head>.+?)\s*{_WROTE}\s*:\s*$", re.IGNORECASE)
_LOOKS_LIKE_HEADER = re.compile(r"@|\d{1,2}:\d{2}")
_STARTS_LIKE_HEADER = re.compile(r"^\s*(?:on|am|le|el)\s", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|forwarded message|исходное сообщение|"
    r"пересылаемое сообщение|sākotnējā ziņa|oriģinālā ziņa|pārsūtītā ziņa)\s*-{2,}\s*$",
    re.IGNORECASE,
)


def _is_attribution(line: str) -> bool:
    if len(line) > MAX_ATTRIBUTION:
        return False
    if _ORIGINAL.match(line):
        return True
    match = _ATTRIBUTION.match(line)
    if match is None:
        return False
    head = match.group("head")
    if _LOOKS_LIKE_HEADER.search(head):
        return True
    return bool(_STARTS_LIKE_HEADER.match(head) and re.search(r"\d", head))


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str]) -> int | None:
    """The index of the first line of the quoted history, if there is one."""
    for index, line in enumerate(lines):
        if _is_quote(line):
            break  # a quote before any attribution: only a trailing block of them folds
        if _is_attribution(line):
            return index
        nxt = lines[index + 1].strip() if index + 1 < len(lines) else ""
        wrapped = nxt and line.strip() and not _is_attribution(nxt) and len(nxt) <= 40
        if wrapped and _is_attribution(f"{line.rstrip()} {nxt}"):
            return index  # "On ..., Ivan <ivan@example.com>" / "wrote:" wrapped
    start = len(lines)
    while start > 0 and (_is_quote(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1  # the blank lines before the block stay with the new text
    if start < len(lines) and _is_quote(lines[start]):
        if start > 0 and _is_attribution(lines[start - 1]):
            return start - 1
        return start
    return None


def split_quoted(body: str) -> tuple[str, str]:
    """`(new, quoted)`: the text a mail adds, and the history it quotes ('' when none)."""
    lines = body.split("\n")
    start = _history_start(lines)
    if start is None:
        return body, ""
    new = "\n".join(lines[:start]).rstrip()
    quoted = "\n".join(lines[start:]).strip("\n")
    if not new.strip() or not quoted.strip():
        return body, ""
    return new, quoted
