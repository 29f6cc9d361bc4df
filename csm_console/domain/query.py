"""The query language shared by the console's filter bar and `csm tickets list --query`.

    status:open,pending assignee:me priority:>=high sla:breached tag:billing refund -tag:spam

A query is a list of terms, all of which must hold.  A term is a free word (matched in the
subject and the messages, folded for case and diacritics), a `"quoted phrase"`, or
`field:value[,value...]`; comparable fields take an operator (`priority:>=high`,
`created:>2026-11-01`, `updated:<3d`, `csat:>=4`).  A leading `-` negates a term.

The service metrics (domain.metrics) have terms of their own, so that every number of a report
opens as a queue: `solved:`/`responded:` (times, like `created:`), `frt:met|missed`,
`resolution:met|missed`, `sla:missed`, `fcr:yes|no`, `csat:` and `repeat:7d`.  Parsing is pure: it
returns plain data, and the store turns it into SQL through an allow-list of columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from csm_console.domain.durations import DurationTooLong, parse_duration
from csm_console.domain.model import (
    MAX_ID,
    Channel,
    Language,
    OutState,
    Priority,
    Segment,
    Status,
    Tier,
    as_id,
)
from csm_console.domain.text import fold, sanitize
from csm_console.errors import QueryError

MAX_QUERY_LENGTH = 2000
MAX_REPEAT_WINDOW = timedelta(days=365)  # `repeat:` and the report's --repeat-window


class Op(StrEnum):
    EQ = "="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@dataclass(frozen=True, slots=True)
class WordTerm:
    """A free word or phrase, already folded."""

    text: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class MatchTerm:
    """`field:a,b,c`: the field equals any of the values (`None` means "not set")."""

    field: str
    values: tuple[str | int | None, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class CompareTerm:
    """`priority:>=high`, `tier:>L1`."""

    field: str
    op: Op
    value: int
    negated: bool = False


@dataclass(frozen=True, slots=True)
class TimeTerm:
    """`created:>2026-11-01` (absolute) or `updated:<3d` (an age: younger than three days)."""

    field: str
    op: Op
    at: datetime | None = None
    age: timedelta | None = None
    negated: bool = False

    def bound(self, now: datetime) -> tuple[Op, datetime]:
        """The comparison on the timestamp column itself, resolved against `now`."""
        if self.at is not None:
            return self.op, self.at
        assert self.age is not None
        # An age comparison flips: "younger than 3d" means "later than now - 3d".
        flipped = {Op.LT: Op.GT, Op.LE: Op.GE, Op.GT: Op.LT, Op.GE: Op.LE, Op.EQ: Op.EQ}
        return flipped[self.op], now - self.age


@dataclass(frozen=True, slots=True)
class SlaTerm:
    """`sla:breached`, `sla:ok`, `sla:at-risk` (the running clock has less than a quarter of
    its target left, as the console's ▲), `sla:due<2h` (the running clock's deadline), or
    `sla:missed` (a target missed: `frt:missed` or `resolution:missed`)."""

    state: str  # "breached" | "ok" | "at-risk" | "due" | "missed"
    op: Op = Op.EQ
    within: timedelta | None = None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class OutcomeTerm:
    """How a ticket did against a target or a service metric (see domain.metrics):
    `frt:met|missed`, `resolution:met|missed`, `fcr:yes|no`."""

    field: str  # "frt" | "resolution" | "fcr"
    value: str  # "met" | "missed" (frt, resolution); "yes" | "no" (fcr)
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ElapsedTerm:
    """`frt:>80%`: an active ticket still waiting for its first response, with at least that
    share of the time from its creation to its first-response due time gone (past 100%: late)."""

    op: Op
    percent: int
    negated: bool = False

    @property
    def field(self) -> str:
        return "frt"


@dataclass(frozen=True, slots=True)
class RepeatTerm:
    """`repeat:7d`: solved, and the customer opened another ticket in the same category within
    that long after it was solved (a repeat contact)."""

    within: timedelta
    negated: bool = False

    @property
    def field(self) -> str:
        return "repeat"


Term = (
    WordTerm | MatchTerm | CompareTerm | TimeTerm | SlaTerm | OutcomeTerm | ElapsedTerm | RepeatTerm
)


@dataclass(frozen=True, slots=True)
class Query:
    terms: tuple[Term, ...] = ()
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.terms


class SortKey(StrEnum):
    SLA = "sla"
    PRIORITY = "priority"
    CREATED = "created"
    UPDATED = "updated"
    ID = "id"


# Natural direction of each key: most urgent, highest, newest first; ids ascending.
_DEFAULT_DESCENDING = {
    SortKey.SLA: False,
    SortKey.PRIORITY: True,
    SortKey.CREATED: True,
    SortKey.UPDATED: True,
    SortKey.ID: False,
}


@dataclass(frozen=True, slots=True)
class Sort:
    key: SortKey = SortKey.SLA
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        """`sla`, `priority`, ... ; a leading `-` reverses the natural direction."""
        raw = text.strip().lower()
        flip = raw.startswith("-")
        raw = raw.lstrip("-")
        try:
            key = SortKey(raw)
        except ValueError:
            valid = ", ".join(k.value for k in SortKey)
            raise QueryError(
                f"unknown sort key {text!r}; valid: {valid} (prefix - to reverse)"
            ) from None
        return cls(key, _DEFAULT_DESCENDING[key] != flip)

    def __str__(self) -> str:
        flip = self.descending != _DEFAULT_DESCENDING[self.key]
        return ("-" if flip else "") + self.key.value


# ---------------------------------------------------------------------------------------------
# Fields

_MATCH_FIELDS = {
    "status": "status",
    "assignee": "handle",
    "team": "name",
    "channel": "channel",
    "tag": "tag",
    "customer": "email or name",
    "category": "category",
    "language": "language",
    "segment": "segment",
    "id": "ticket id",
    "has": "what a ticket holds",
    "mail": "state of the latest outgoing mail",
    "needs": "who the ticket needs now",
}
# `has:attachment`: a message of the ticket carries a file
HAS_VALUES: tuple[str, ...] = ("attachment",)
# `needs:me`: my active tickets that need me now (the customer answered after my last public
# reply, or the running SLA clock is at risk): the console's "needs you" count
NEEDS_VALUES: tuple[str, ...] = ("me",)
_COMPARE_FIELDS = {"priority", "tier", "csat"}
# solved: solved_at, responded: first_response_at (the report's populations)
_TIME_FIELDS = {"created", "updated", "solved", "responded"}
_OUTCOME_VALUES = {"frt": ("met", "missed"), "resolution": ("met", "missed"), "fcr": ("yes", "no")}
# Fields that describe what became of a ticket (its history and the service metrics): a new
# ticket has none of them yet
OUTCOME_FIELDS: tuple[str, ...] = (
    "solved",
    "responded",
    "frt",
    "resolution",
    "fcr",
    "csat",
    "repeat",
)
# `text:` is a word or phrase said explicitly (`text:"no internet"`), as routing rules write it
FIELDS: tuple[str, ...] = tuple(
    sorted(
        [*_MATCH_FIELDS, *_COMPARE_FIELDS, *_TIME_FIELDS, *_OUTCOME_VALUES, "sla", "text", "repeat"]
    )
)
_ALIASES = {
    "lang": "language",
    "prio": "priority",
    "tags": "tag",
    "state": "status",
    "answered": "responded",
    "age": "created",  # `age:>2h`: created more than two hours ago
}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<neg>-)?(?P<field>[A-Za-z_]+):(?P<value>"[^"]*"?|'[^']*'?|\S*)
      | (?P<wneg>-)?(?P<phrase>"[^"]*"?|'[^']*'?)
      | (?P<word>\S+)
    )""",
    re.VERBOSE,
)
_OP = re.compile(r"^(>=|<=|>|<|=)?(.*)$", re.DOTALL)


def _unquote(value: str) -> str:
    if len(value) >= 1 and value[0] in "\"'":
        value = value[1:]
        if value.endswith(("'", '"')):
            value = value[:-1]
    return value


def parse_query(text: str) -> Query:
    """Parse the query language; raise `QueryError` naming what is valid.  Control characters
    (NUL, escapes, bidi overrides) are dropped and line breaks are spaces: no stored text holds
    them, and PostgreSQL refuses a NUL in a parameter."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY_LENGTH})")
    text = sanitize(text, single_line=True)
    terms: list[Term] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group("field") is not None:
            terms.append(
                _field_term(
                    m.group("field"),
                    _unquote(m.group("value")),
                    bool(m.group("neg")),
                    quoted=m.group("value")[:1] in ("'", '"'),
                )
            )
        elif m.group("phrase") is not None:
            phrase = fold(_unquote(m.group("phrase"))).strip()
            if phrase:
                terms.append(WordTerm(phrase, bool(m.group("wneg"))))
        elif m.group("word") is not None:
            word = m.group("word")
            negated = word.startswith("-") and len(word) > 1
            word = fold(word[1:] if negated else word)
            terms.append(WordTerm(word, negated))
    return Query(tuple(terms), text.strip())


def _field_term(raw_field: str, raw_value: str, negated: bool, *, quoted: bool = False) -> Term:
    """One `field:value` term; a quoted value is one value, commas and all
    (`team:"Sales, Riga"`)."""
    field = _ALIASES.get(raw_field.lower(), raw_field.lower())
    if field not in FIELDS:
        raise QueryError(
            f"unknown field {raw_field!r}; valid fields: {', '.join(FIELDS)} "
            f'(quote "{raw_field}:{raw_value}" to search for it as text)'
        )
    if not raw_value.strip():
        raise QueryError(f"{field}: needs a value, e.g. {_example(field)}")
    m = _OP.match(raw_value.strip())
    assert m is not None
    op = Op(m.group(1) or "=")
    value = m.group(2).strip()
    try:
        if field == "text":
            if op is not Op.EQ or not fold(value).strip():
                raise ValueError('a word or a quoted phrase, e.g. text:"no internet"')
            return WordTerm(fold(value).strip(), negated)
        if field == "sla":
            return _sla_term(value, op, negated)
        if field == "frt" and op is not Op.EQ:
            return _elapsed_term(value, op, negated)
        if field in _OUTCOME_VALUES:
            valid = _OUTCOME_VALUES[field]
            if op is not Op.EQ or value.lower() not in valid:
                raise ValueError(f"bad value {value!r}; valid: {', '.join(valid)}")
            return OutcomeTerm(field, value.lower(), negated)
        if field == "repeat":
            if op is not Op.EQ:
                raise ValueError(f"write the window after the colon, e.g. {_example(field)}")
            within = parse_duration(value)
            if not timedelta(0) < within <= MAX_REPEAT_WINDOW:
                raise ValueError("the window is between 1 second and 365 days")
            return RepeatTerm(within, negated)
        if field in _TIME_FIELDS:
            return _time_term(field, op, value, negated)
        if field in _COMPARE_FIELDS:
            if op is Op.EQ:
                return MatchTerm(field, _compare_values(field, value), negated)
            return CompareTerm(field, op, _rank(field, value), negated)
        if op is not Op.EQ:
            raise QueryError(f"{field}: does not compare with {op.value}; write {_example(field)}")
        values = [value.strip()] if quoted and value.strip() else _split(value)
        return MatchTerm(field, tuple(_match_value(field, v) for v in values), negated)
    except (ValueError, OverflowError) as exc:  # OverflowError: a date past 9999-12-31
        raise QueryError(f"{field}: {exc}") from None


def _split(value: str) -> list[str]:
    parts = [v.strip() for v in value.split(",") if v.strip()]
    if not parts:
        raise ValueError("needs a value")
    return parts


def _rank(field: str, value: str) -> int:
    if "," in value:
        raise ValueError("a comparison takes one value")
    if field == "priority":
        return int(Priority.parse(value))
    if field == "csat":
        if value.strip() not in {"1", "2", "3", "4", "5"}:
            raise ValueError(f"bad rating {value!r}; ratings are 1 to 5 (or none)")
        return int(value)
    return Tier.parse(value).level


def _compare_values(field: str, value: str) -> tuple[int | None, ...]:
    """`priority:high,urgent`, `csat:4,5`, `csat:none` (a rating may be missing)."""
    return tuple(
        None if field == "csat" and v.lower() in {"none", "-"} else _rank(field, v)
        for v in _split(value)
    )


_ENUM_FIELDS: dict[str, tuple[type[StrEnum], str]] = {
    "status": (Status, "status"),
    "channel": (Channel, "channel"),
    "language": (Language, "language"),
    "segment": (Segment, "segment"),
    "mail": (OutState, "mail state"),
}


def _match_value(field: str, value: str) -> str | int | None:
    if field in _ENUM_FIELDS:
        enum, what = _ENUM_FIELDS[field]
        try:
            return enum(value.lower()).value
        except ValueError:
            valid = ", ".join(e.value for e in enum)
            raise ValueError(f"unknown {what} {value!r}; valid: {valid}") from None
    if field == "id":
        number = as_id(value.lstrip("#"))
        if number is None:
            raise ValueError(
                f"bad ticket id {value[:40]!r}; ids are numbers like 1042 or #1042 (1 to {MAX_ID})"
            )
        return number
    if field == "needs":
        if value.lower() not in NEEDS_VALUES:
            raise ValueError(f"unknown value {value!r}; valid: {', '.join(NEEDS_VALUES)}")
        return value.lower()
    if field == "has":
        if value.lower() not in HAS_VALUES:
            raise ValueError(f"unknown value {value!r}; valid: {', '.join(HAS_VALUES)}")
        return value.lower()
    if field in {"assignee", "team", "category"} and value.lower() in {"none", "nobody", "-"}:
        return None
    if field in {"assignee", "tag", "category"}:
        return value.lower()
    return value


def _elapsed_term(value: str, op: Op, negated: bool) -> ElapsedTerm:
    m = re.fullmatch(r"(\d{1,4})\s*%", value)
    if m is None or not 1 <= int(m.group(1)) <= 1000:
        raise ValueError(
            f"bad share {value[:20]!r}; write a percentage of the first-response target, "
            "e.g. frt:>80% (1% to 1000%)"
        )
    return ElapsedTerm(op, int(m.group(1)), negated)


def _sla_term(value: str, op: Op, negated: bool) -> SlaTerm:
    lowered = value.lower().replace("_", "-")
    if op is Op.EQ and lowered in {"breached", "ok", "missed", "at-risk"}:
        return SlaTerm(lowered, negated=negated)
    m = re.fullmatch(r"due\s*(>=|<=|>|<)\s*(\S+)", lowered)
    if m:
        return SlaTerm("due", Op(m.group(1)), parse_duration(m.group(2)), negated)
    raise ValueError(
        f"bad value {value!r}; valid: breached, ok, due<DURATION, due>DURATION, missed, at-risk"
    )


def _time_term(field: str, op: Op, value: str, negated: bool) -> TimeTerm:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if op is Op.GT:  # "after the 1st" means from the 2nd on: compare at the day's end
            at += timedelta(days=1)
            op = Op.GE
        elif op is Op.LE:
            at += timedelta(days=1)
            op = Op.LT
        elif op is Op.EQ:
            raise ValueError(f"compare a date with > < >= or <=, e.g. {field}:>={value}")
        return TimeTerm(field, op, at=at, negated=negated)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?", value):
        at = datetime.fromisoformat(value).replace(tzinfo=UTC)
        if op is Op.EQ:
            raise ValueError(f"compare a time with > < >= or <=, e.g. {field}:>{value}")
        return TimeTerm(field, op, at=at, negated=negated)
    try:
        age = parse_duration(value)
    except DurationTooLong:
        raise
    except ValueError:
        raise ValueError(
            f"bad value {value[:40]!r}; write a date (>2026-11-01) or an age (<3d, >12h)"
        ) from None
    if op is Op.EQ:
        raise ValueError(f"compare an age with < or >, e.g. {field}:<{value}")
    return TimeTerm(field, op, age=age, negated=negated)


def _example(field: str) -> str:
    examples = {
        "status": "status:open,pending",
        "assignee": "assignee:me (or none, inactive, or a handle)",
        "team": "team:Frontline",
        "tier": "tier:L2 or tier:>=L2",
        "priority": "priority:>=high",
        "channel": "channel:email",
        "tag": "tag:billing",
        "customer": "customer:liga@example.lv",
        "category": "category:billing",
        "language": "language:ru",
        "segment": "segment:vip",
        "sla": "sla:breached, sla:at-risk, sla:missed or sla:due<2h",
        "created": "created:>2026-11-01",
        "updated": "updated:<3d",
        "solved": "solved:>=2026-11-01",
        "responded": "responded:<1d",
        "frt": "frt:missed (or met), frt:>80%",
        "resolution": "resolution:missed (or met)",
        "fcr": "fcr:yes (or no)",
        "csat": "csat:>=4 or csat:none",
        "repeat": "repeat:7d",
        "id": "id:1042,1043",
        "has": "has:attachment",
        "needs": "needs:me",
        "mail": "mail:failed (or queued, sending, sent, cancelled)",
        "text": 'text:"no internet"',
    }
    return examples[field]
