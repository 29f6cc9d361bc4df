"""A ticket as a flat record: the exchange format of `csm import` and `csm export`.

Parsing files (JSON array, NDJSON, CSV) into raw dicts and validating each dict into a
`TicketRecord` are pure functions.  Problems are collected, not raised one at a time, so an import
reports every bad record (up to a cap) with its line or index and the field, before anything is
written.  The same field checks back `create_ticket`, so the CLI, the console and imports refuse
the same things with the same words.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from csm_console.domain.model import Channel, Language, Priority, Status, Tier, parse_enum
from csm_console.domain.text import normalize_tag, restore_formula

MAX_SUBJECT = 500
MAX_BODY = 100_000
MAX_EMAIL = 254
MAX_NAME = 200
MAX_CATEGORY = 40
MAX_EXTERNAL_ID = 120
MAX_PROBLEMS = 20  # reported per import; the rest are counted

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SURROGATE = re.compile("[\ud800-\udfff]")

# What a record may carry.  `WRITABLE` fields are imported; `READ_ONLY` ones are what an export
# adds (the store's own id, version and computed deadlines) and are accepted and ignored, so an
# export re-imports as it is.  Anything else is a typo and is refused.
REQUIRED = ("subject", "body", "customer_email")
WRITABLE = (
    "external_id",
    "subject",
    "body",
    "customer_email",
    "customer_name",
    "language",
    "channel",
    "priority",
    "status",
    "tier",
    "team",
    "assignee",
    "category",
    "tags",
    "created_at",
    "first_response_at",
    "solved_at",
)
READ_ONLY = ("id", "version", "updated_at", "first_response_due", "resolution_due")
EXPORT_FIELDS = ("id", *WRITABLE, *READ_ONLY[1:])

FORMATS = ("json", "ndjson", "csv")


class RecordProblem(Exception):
    """One bad field of one record: `where` is `line 7` or `record [3]`."""

    def __init__(self, where: str, field: str | None, message: str) -> None:
        self.where = where
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.field}: {self.message}"
            if self.field
            else (f"{self.where}: {self.message}")
        )


@dataclass(frozen=True)
class RawRecord:
    where: str  # `line 7` (NDJSON, CSV) or `record [3]` (a JSON array, 0-based like jq)
    data: Mapping[str, Any]


@dataclass(frozen=True)
class TicketRecord:
    where: str
    subject: str
    body: str
    customer_email: str
    customer_name: str | None = None
    external_id: str | None = None
    language: Language | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    status: Status | None = None
    tier: Tier | None = None
    team: str | None = None
    assignee: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    created_at: datetime | None = None
    first_response_at: datetime | None = None
    solved_at: datetime | None = None


# --- the field checks shared with `create_ticket` ---------------------------------------------


def clean_email(text: str) -> str:
    email = text.strip().lower()
    if len(email) > MAX_EMAIL:
        raise ValueError(f"the e-mail is too long (at most {MAX_EMAIL} characters)")
    if not _EMAIL.match(email):
        raise ValueError(f"bad e-mail {text[:80]!r}")
    return email


def clean_subject(text: str) -> str:
    subject = text.strip()
    if not subject:
        raise ValueError("the subject is empty")
    if len(subject) > MAX_SUBJECT:
        raise ValueError(
            f"the subject is too long ({len(subject)} characters; at most {MAX_SUBJECT})"
        )
    return subject


def clean_body(text: str) -> str:
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise ValueError("the message body is empty")
    if len(body) > MAX_BODY:
        raise ValueError(
            f"the message body is too long ({len(body)} characters; at most {MAX_BODY})"
        )
    return body


def clean_name(text: str | None) -> str | None:
    name = (text or "").strip()
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is too long (at most {MAX_NAME} characters)")
    return name or None


def clean_category(text: str | None) -> str | None:
    category = (text or "").strip().lower() or None
    if category is not None and len(category) > MAX_CATEGORY:
        raise ValueError(f"the category is too long (at most {MAX_CATEGORY} characters)")
    return category


def clean_tags(tags: Any) -> tuple[str, ...]:
    return tuple(sorted({normalize_tag(t) for t in tags}))


# --- reading files ------------------------------------------------------------------------------


def detect_format(name: str | None, data: bytes) -> str:
    """The format from the file name, else from the first character (`[` JSON, `{` NDJSON)."""
    lowered = (name or "").lower()
    for suffix, fmt in ((".ndjson", "ndjson"), (".jsonl", "ndjson"), (".json", "json")):
        if lowered.endswith(suffix):
            return fmt
    if lowered.endswith(".csv"):
        return "csv"
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return {b"[": "json", b"{": "ndjson"}.get(start, "csv")


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped); invalid bytes are refused with their line, never replaced."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise RecordProblem(
            f"line {line}",
            None,
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at column {column}); "
            "save the file as UTF-8",
        ) from None


def read_records(data: bytes, fmt: str, *, raw: bool = False) -> Iterator[RawRecord]:
    """Raw records of a JSON array, NDJSON or CSV file; a malformed file raises RecordProblem.
    A CSV cell defused against formula injection (`'=...`, as `csm export` writes it) is read
    back as it was, unless `raw` (a file from `csm export --raw`: every cell as it is)."""
    text = decode(data)
    if fmt == "json":
        yield from _json_records(text)
    elif fmt == "ndjson":
        yield from _ndjson_records(text)
    elif fmt == "csv":
        yield from _csv_records(text, restore=(lambda cell: cell) if raw else restore_formula)
    else:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")


def read_record_lines(
    lines: Iterable[bytes], fmt: str, *, raw: bool = False
) -> Iterator[RawRecord]:
    """Raw records of an NDJSON or CSV file given line by line (each line with its newline, as
    a binary file iterates), so that a big file is never held whole; a JSON array is read
    whole (`read_records`).  Problems as `read_records`, with the same lines named."""
    if fmt == "json":
        yield from read_records(b"".join(lines), fmt, raw=raw)
        return
    text = _decoded_lines(lines)
    if fmt == "ndjson":
        yield from _ndjson_lines(text)
    elif fmt == "csv":
        yield from _csv_rows(text, restore=(lambda cell: cell) if raw else restore_formula)
    else:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")


def _decoded_lines(lines: Iterable[bytes]) -> Iterator[str]:
    """Each line decoded as UTF-8 (a BOM on the first is dropped); invalid bytes are refused
    with their line and column, never replaced."""
    for number, line in enumerate(lines, start=1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise RecordProblem(
                f"line {number}",
                None,
                f"not valid UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1}); "
                "save the file as UTF-8",
            ) from None


def _json_records(text: str) -> Iterator[RawRecord]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordProblem(f"line {error.lineno}", None, f"not valid JSON: {error.msg}") from None
    except (RecursionError, ValueError) as error:
        raise RecordProblem("line 1", None, _json_refusal(error)) from None
    if not isinstance(items, list):
        raise RecordProblem("line 1", None, "a .json file holds an array of ticket objects")
    for index, item in enumerate(items):
        where = f"record [{index}]"
        if not isinstance(item, dict):
            raise RecordProblem(where, None, "not an object")
        yield RawRecord(where, item)


def _json_refusal(error: Exception) -> str:
    """JSON that parses in principle but not here: nested too deep, or a number too long."""
    if isinstance(error, RecursionError):
        return "not valid JSON here: nested too deeply"
    return f"not valid JSON here: {str(error).split(';')[0]}"


def _ndjson_records(text: str) -> Iterator[RawRecord]:
    yield from _ndjson_lines(text.split("\n"))


def _ndjson_lines(lines: Iterable[str]) -> Iterator[RawRecord]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise RecordProblem(where, None, f"not valid JSON: {error.msg}") from None
        except (RecursionError, ValueError) as error:
            raise RecordProblem(where, None, _json_refusal(error)) from None
        if not isinstance(item, dict):
            raise RecordProblem(where, None, "not an object")
        yield RawRecord(where, item)


def _csv_records(text: str, *, restore: Callable[[str], str]) -> Iterator[RawRecord]:
    yield from _csv_rows(io.StringIO(text, newline=""), restore=restore)


def _csv_rows(lines: Iterable[str], *, restore: Callable[[str], str]) -> Iterator[RawRecord]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise RecordProblem("line 1", None, f"not valid CSV: {error}") from None
    names = [name.strip() for name in header]
    unknown = [n for n in names if n not in WRITABLE and n not in READ_ONLY]
    if unknown:  # said once for the file, not once per line
        raise RecordProblem(
            "line 1",
            None,
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; valid: "
            f"{', '.join(WRITABLE)} (a file from `csm export tickets` has the right ones)",
        )
    if len(set(names)) != len(names):
        doubled = sorted({n for n in names if names.count(n) > 1})
        raise RecordProblem("line 1", None, f"repeated column {', '.join(doubled)}")
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RecordProblem(f"line {start}", None, f"not valid CSV: {error}") from None
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {start}"
        if len(row) != len(names):
            raise RecordProblem(
                where, None, f"{len(row)} cells where the header has {len(names)} columns"
            )
        # An empty CSV cell means "not given", like a missing key in JSON.
        yield RawRecord(
            where, {n: restore(cell) for n, cell in zip(names, row, strict=True) if cell != ""}
        )


# --- validating one record ------------------------------------------------------------------------


# Times a ticket can carry: later ones overflow the SLA clock's arithmetic (9999-12-31 + 8h).
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {_kind(value)}")
    text = str(value)
    if _SURROGATE.search(text):
        raise ValueError("not valid Unicode (a lone surrogate such as \\ud800)")
    return text


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def parse_time(value: Any) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    text = _text(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 time: {text[:40]!r} (e.g. 2026-11-20T09:30:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not EARLIEST_TIME <= parsed <= LATEST_TIME:
        raise ValueError(
            f"{text[:40]!r} is out of range; times lie between {EARLIEST_TIME.year} and "
            f"{LATEST_TIME.year}"
        )
    return parsed.astimezone(UTC)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = [p for p in re.split(r"[;,]", value) if p.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise ValueError("expected a list of tags, or tags separated by ';'")
    return clean_tags(parts)


_CHECKS: dict[str, Any] = {
    "external_id": lambda v: _external_id(_text(v)),
    "subject": lambda v: clean_subject(_text(v)),
    "body": lambda v: clean_body(_text(v)),
    "customer_email": lambda v: clean_email(_text(v)),
    "customer_name": lambda v: clean_name(_text(v)),
    "language": lambda v: parse_enum(Language, _text(v), "language"),
    "channel": lambda v: parse_enum(Channel, _text(v), "channel"),
    "priority": lambda v: Priority.parse(_text(v)),
    "status": lambda v: parse_enum(Status, _text(v), "status"),
    "tier": lambda v: Tier.parse(_text(v)),
    "team": lambda v: _name(_text(v)),
    "assignee": lambda v: _name(_text(v)),
    "category": lambda v: clean_category(_text(v)),
    "tags": _tags,
    "created_at": parse_time,
    "first_response_at": parse_time,
    "solved_at": parse_time,
}


def _external_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("the external id is empty")
    if len(value) > MAX_EXTERNAL_ID or any(ch < " " for ch in value):
        raise ValueError(f"at most {MAX_EXTERNAL_ID} printable characters")
    return value


def _name(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("empty")
    return value


def validate(raw: RawRecord) -> TicketRecord:
    """Check every field of one record; raises the first RecordProblem found."""
    unknown = sorted(k for k in raw.data if k not in WRITABLE and k not in READ_ONLY)
    if unknown:
        raise RecordProblem(
            raw.where,
            unknown[0],
            f"unknown field; valid: {', '.join(WRITABLE)}"
            + (f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else ""),
        )
    values: dict[str, Any] = {}
    for field in REQUIRED:
        if raw.data.get(field) is None:
            raise RecordProblem(raw.where, field, "required")
    for field in WRITABLE:
        value = raw.data.get(field)
        if value is None:  # missing, JSON null or an empty CSV cell: not given
            continue
        try:
            values[field] = _CHECKS[field](value)
        except ValueError as error:
            raise RecordProblem(raw.where, field, str(error)) from None
    record = TicketRecord(where=raw.where, **values)
    _check_times(record)
    return record


def _check_times(record: TicketRecord) -> None:
    created = record.created_at
    for field in ("first_response_at", "solved_at"):
        value = getattr(record, field)
        if value is not None and created is not None and value < created:
            raise RecordProblem(record.where, field, "earlier than created_at")
    if record.solved_at is not None and record.status is not None and record.status.is_active:
        raise RecordProblem(
            record.where, "solved_at", f"given for a ticket with status {record.status.value}"
        )


def check_records(raws: Iterator[RawRecord]) -> tuple[list[TicketRecord], list[RecordProblem]]:
    """Validate every record; also refuses an external id given twice in one file."""
    records: list[TicketRecord] = []
    problems: list[RecordProblem] = []
    seen: dict[str, str] = {}
    for raw in raws:
        try:
            record = validate(raw)
        except RecordProblem as problem:
            problems.append(problem)
            continue
        if record.external_id is not None:
            first = seen.setdefault(record.external_id, record.where)
            if first != record.where:
                problems.append(
                    RecordProblem(
                        record.where, "external_id", f"{record.external_id!r} repeats {first}"
                    )
                )
                continue
        records.append(record)
    return records, problems
