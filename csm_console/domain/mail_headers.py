"""Header fields of real mail, read robustly: Message-IDs, dates, addresses, attachment file
names, and the signs of auto-generated mail.  Pure functions over decoded strings; none raises.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from csm_console.domain.text import sanitize

MAX_IDS = 50  # Message-IDs kept from one References / In-Reply-To header
MAX_ID_LENGTH = 250
MAX_FILENAME = 180

_BRACKETED = re.compile(r"<\s*([^<>\s]{1,1000})\s*>")
_BARE = re.compile(r"[^\s<>,;()\"@]{1,250}@[^\s<>,;()\"@]{1,250}")
_ID_OK = re.compile(r"^[^\s<>\"\\\ud800-\udfff]+$")  # no lone surrogates (raw 8-bit bytes)


def message_ids(value: str | None) -> tuple[str, ...]:
    """The Message-IDs named in a header, in order, without angle brackets or repeats.

    Lenient: ids in brackets anywhere (garbage and comments between them are skipped); with no
    bracketed id, bare `local@domain` words.  At most MAX_IDS (the first one, the thread's root,
    and the last ones, the nearest), each at most MAX_ID_LENGTH characters.
    """
    if not value:
        return ()
    value = sanitize(value, single_line=True)
    found = _BRACKETED.findall(value) or _BARE.findall(value)
    seen: dict[str, None] = {}
    for item in found:
        if len(item) <= MAX_ID_LENGTH and _ID_OK.match(item):
            seen.setdefault(item, None)
    ids = tuple(seen)
    if len(ids) > MAX_IDS:
        ids = ids[:1] + ids[-(MAX_IDS - 1) :]
    return ids


def parse_date(value: str | None) -> str | None:
    """A Date header as an ISO 8601 UTC timestamp (`2024-03-01T09:30:00+00:00`), or None when it
    does not parse.  A date without a zone (`-0000`) is taken as UTC."""
    if not value:
        return None
    value = sanitize(value, single_line=True)[:200]
    when: datetime | None
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
    except Exception:  # any garbage: TypeError, ValueError, OverflowError ...
        when = _iso_date(value)
    if when is None:
        return None
    if not 1970 <= when.year <= 2200:
        return None
    return when.isoformat()


def _iso_date(value: str) -> datetime | None:
    """`2024-03-01 09:30:00+02:00` and the like, which some robots write."""
    try:
        when = datetime.fromisoformat(value.strip().replace(" UTC", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]{1,253}$")
_ANY_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]{1,253}")


def clean_address(address: str) -> str | None:
    """A lower-cased address if it looks like one (`local@domain`, no spaces or specials)."""
    address = sanitize(address, single_line=True).strip().strip("<>").strip().lower()
    if len(address) > 254 or not _ADDRESS.match(address):
        return None
    _local, domain = address.split("@")  # a domain without a dot is an intranet host: kept
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return None
    return address


def first_address(raw: str) -> tuple[str, str] | None:
    """(display name as written, address) of the first usable address in an address header
    (the name is still encoded: decode it after, so that an encoded comma cannot split it)."""
    if not raw:
        return None
    if len(raw) > 4000:  # a huge display name: the address is at the end
        raw = raw[:2000] + " " + raw[-2000:]
    try:
        name, address = parseaddr(raw)
    except Exception:  # the stdlib parser on hostile input
        name, address = "", ""
    cleaned = clean_address(address)
    if cleaned:
        return name, cleaned
    match = _ANY_ADDRESS.search(sanitize(raw, single_line=True))
    if match:
        cleaned = clean_address(match.group(0))
        if cleaned:
            before = raw[: raw.find(match.group(0))] if match.group(0) in raw else ""
            return before.strip().strip("<").strip().strip('"'), cleaned
    return None


def all_addresses(values: list[str], limit: int = 200) -> tuple[str, ...]:
    """The usable addresses of address headers (To, Cc), lower-cased, in order, no repeats."""
    seen: dict[str, None] = {}
    for value in values:
        try:
            pairs = getaddresses([value[:20_000]])
        except Exception:
            pairs = [("", m) for m in _ANY_ADDRESS.findall(value[:20_000])]
        for _name, address in pairs:
            if not address.isascii():  # raw 8-bit bytes (surrogates): never let them out
                address = address.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            cleaned = clean_address(address)
            if cleaned:
                seen.setdefault(cleaned, None)
            if len(seen) >= limit:
                return tuple(seen)
    return tuple(seen)


# --- attachment file names ---------------------------------------------------------------

_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.I)
_WINDOWS_BAD = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_MIME = mimetypes.MimeTypes(filenames=())  # the built-in table only: no files read
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "application/octet-stream": ".bin",
    "text/calendar": ".ics",
    "application/ms-tnef": ".dat",
}


def extension_for(content_type: str) -> str:
    """A file extension for a content type (`.bin` when unknown)."""
    content_type = content_type.lower()
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    guessed = _MIME.guess_extension(content_type)
    return guessed or ".bin"


def safe_filename(name: str | None, fallback: str = "attachment", content_type: str = "") -> str:
    """A file name safe to save anywhere, from a (decoded) attachment name.

    Only the last path component is kept (`../../x`, `C:\\x`, `/etc/x` → `x`); control
    characters, bidi and zero-width tricks, and characters Windows refuses become nothing or
    `_`; no leading dot (hidden files, `..`), no trailing dot or space; Windows device names
    (`CON`, `nul.txt`) get a `_` in front; at most MAX_FILENAME characters, the extension kept.
    An empty result becomes `fallback` plus an extension from `content_type`.
    """
    text = unicodedata.normalize("NFC", sanitize(name or "", single_line=True))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp"))
    text = re.split(r"[/\\]", text)[-1]
    text = _WINDOWS_BAD.sub("_", text)
    text = text.strip(" .\u00a0")
    stem, dot, extension = text.rpartition(".")
    if not dot:
        stem, extension = text, ""
    if _RESERVED.match(stem.split(".")[0].strip()):
        text = "_" + text
    if len(text) > MAX_FILENAME:
        extension = extension[:20]
        keep = MAX_FILENAME - len(extension) - 1 if extension else MAX_FILENAME
        text = text[:keep].rstrip(" .") + ("." + extension if extension else "")
    if not text:
        return fallback + extension_for(content_type or "application/octet-stream")
    return text


# --- auto-generated mail -----------------------------------------------------------------

# Subjects of out-of-office and automatic replies (en, ru, lv, de), at the start of the subject
# and followed by a colon, a dash, a bracket or the end: "Out of office hours" is a customer.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:"
    r"out of (?:the )?office(?: autoreply| auto reply)?|automatic reply|auto[- ]?reply|"
    r"auto[- ]?response|autoresponse|vacation reply|away from (?:the )?office|"
    r"автоответ|автоматический ответ|авто-ответ|вне офиса|нет на месте|в отпуске|"
    r"nav birojā|automātiskā atbilde|automātiska atbilde|automātiskā atbilde|atvaļinājumā|"
    r"abwesenheitsnotiz|automatische antwort"
    r")\s*(?::|-|–|—|\(|$)",
    re.IGNORECASE,
)


def is_auto_subject(subject: str) -> bool:
    return bool(_AUTO_SUBJECT.match(subject))


def auto_reason(get: dict[str, str]) -> str | None:
    """Why a message is auto-generated, from its (decoded, lower-cased-name) headers and subject,
    or None.

    `X-Auto-Response-Suppress` does *not* make a message automatic: Outlook and Exchange put it
    on ordinary mail to ask the receiver not to auto-answer it (values DR, NDR, RN, NRN, OOF,
    AutoReply, All; see `suppresses_auto_response`).
    """
    auto = get.get("auto-submitted", "").strip().lower()
    if auto and re.split(r"[\s;(]", auto, maxsplit=1)[0] != "no":  # `no (comment)` is no
        return f"Auto-Submitted: {auto[:40]}"
    precedence = get.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-reply"):
        value = get.get(name, "").strip().lower()
        if value and value not in ("no", "false", "0"):
            return f"{name}: {value[:40]}"
    if get.get("x-loop", "").strip().lower() in ("yes", "true"):
        return "X-Loop"
    if is_auto_subject(get.get("subject", "")):
        return "out-of-office subject"
    return None


def suppresses_auto_response(value: str) -> bool:
    """Whether an `X-Auto-Response-Suppress` value asks for no automatic answer such as our
    acknowledgement (`All` or `AutoReply`; `OOF` only concerns out-of-office replies)."""
    words = {w.strip().lower() for w in re.split(r"[,;\s]+", value)}
    return bool(words & {"all", "autoreply"})
