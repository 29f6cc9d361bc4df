"""Pure domain rules: the query language, durations, SLA maths, transitions, text hygiene."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from csm_console.domain.durations import format_duration, parse_duration, rounded_duration
from csm_console.domain.model import Priority, Status, Tier
from csm_console.domain.query import (
    CompareTerm,
    MatchTerm,
    Op,
    SlaTerm,
    Sort,
    SortKey,
    TimeTerm,
    WordTerm,
    parse_query,
)
from csm_console.domain.sla import (
    DEFAULT_TARGETS,
    ClockState,
    PolicyRule,
    SlaTargets,
    choose_targets,
    clock,
    due_times,
    running_deadline,
)
from csm_console.domain.text import fold, guess_language, normalize_tag, sanitize
from csm_console.domain.workflow import check_escalation, check_transition, is_reopen
from csm_console.errors import QueryError, UsageError
from tests.hostile import hostile_cases

# The shared cases (../shared/testdata) plus our own, kept in tests/data so the suite is whole
# wherever it runs.
HOSTILE = hostile_cases()


# ------------------------------------------------------------------------------ query language


def test_parses_every_documented_form() -> None:
    q = parse_query(
        "status:open,pending assignee:me assignee:none priority:>=high sla:breached "
        'sla:due<2h tag:billing channel:email team:"Frontline South" tier:L2 '
        'customer:liga@example.lv created:>2026-11-01 updated:<3d refund -tag:spam "два слова"'
    )
    terms = list(q.terms)
    assert terms[0] == MatchTerm("status", ("open", "pending"))
    assert terms[1] == MatchTerm("assignee", ("me",))
    assert terms[2] == MatchTerm("assignee", (None,))
    assert terms[3] == CompareTerm("priority", Op.GE, int(Priority.HIGH))
    assert terms[4] == SlaTerm("breached")
    assert terms[5] == SlaTerm("due", Op.LT, timedelta(hours=2))
    assert terms[6] == MatchTerm("tag", ("billing",))
    assert terms[8] == MatchTerm("team", ("Frontline South",))
    assert terms[9] == MatchTerm("tier", (2,))
    created = terms[11]
    assert isinstance(created, TimeTerm)
    assert created.bound(datetime.now(UTC)) == (Op.GE, datetime(2026, 11, 2, tzinfo=UTC))
    updated = terms[12]
    assert isinstance(updated, TimeTerm) and updated.age == timedelta(days=3)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert updated.bound(now) == (Op.GT, now - timedelta(days=3))
    assert terms[13] == WordTerm("refund")
    assert terms[14] == MatchTerm("tag", ("spam",), negated=True)
    assert terms[15] == WordTerm("два слова")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:bar", "unknown field 'foo'; valid fields: assignee, category, channel"),
        ("status:bogus", "valid: new, open, pending, on_hold, solved, closed"),
        ("priority:>=huge", "valid: low, normal, high, urgent"),
        ("tier:L9", "valid: L1, L2, L3"),
        ("sla:soon", "valid: breached, ok, due<DURATION"),
        ("created:yesterday", "write a date"),
        ("created:2026-11-01", "compare a date with"),
        ("updated:3d", "compare an age"),
        ("status:", "needs a value, e.g. status:open,pending"),
        ("channel:>email", "does not compare"),
        ("id:abc", "bad ticket id"),
        ("priority:>high,low", "one value"),
        ("x" * 2001, "too long"),
    ],
)
def test_bad_queries_say_what_is_valid(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace("<", "<")):
        parse_query(text)


def test_words_are_folded_and_odd_input_is_just_words() -> None:
    q = parse_query("СЧЁТА Rēķins C++ 20.04 - 😀 'quoted phrase'")
    assert [t.text for t in q.terms if isinstance(t, WordTerm)] == [
        "счета",
        "rekins",
        "c++",
        "20.04",
        "-",
        "😀",
        "quoted phrase",
    ]


def test_hostile_text_never_breaks_the_parser() -> None:
    for case in HOSTILE:
        with contextlib.suppress(QueryError):  # a clear error is fine; anything else is not
            parse_query(case["text"][:2000])


def test_sort_keys() -> None:
    assert Sort.parse("sla") == Sort(SortKey.SLA, False)
    assert Sort.parse("-sla") == Sort(SortKey.SLA, True)
    assert Sort.parse("updated") == Sort(SortKey.UPDATED, True)
    assert str(Sort.parse("-updated")) == "-updated"
    with pytest.raises(QueryError, match="valid: sla, priority, created, updated, id"):
        Sort.parse("subject")


# ---------------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30m", 30), ("4h", 240), ("1d12h", 2160), ("-2h30m", 150), ("1w", 10080), ("90s", 1.5)],
)
def test_durations(text: str, minutes: float) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "abc", "4x", "h4", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(timedelta(hours=26, minutes=5)) == "1d2h"
    assert format_duration(timedelta(minutes=-95)) == "-1h35m"
    assert format_duration(timedelta(seconds=20)) == "20s"
    assert format_duration(timedelta(0)) == "0m"


def test_rounded_duration_rounds_and_says_so() -> None:
    assert rounded_duration(timedelta(hours=8, minutes=52), parts=1) == "~9h"
    assert rounded_duration(timedelta(hours=8, minutes=5), parts=1) == "~8h"
    assert rounded_duration(timedelta(hours=8), parts=1) == "8h"
    assert rounded_duration(timedelta(hours=8, minutes=5, seconds=12)) == "8h5m"  # seconds: no ~
    assert rounded_duration(timedelta(days=1, hours=23, minutes=40)) == "~2d"
    assert rounded_duration(timedelta(days=1, minutes=5)) == "1d5m"
    assert rounded_duration(timedelta(minutes=-95), parts=1) == "~-2h"
    assert rounded_duration(timedelta(seconds=45), parts=1) == "45s"


# ------------------------------------------------------------------------------------ SLA maths

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_due_times_and_running_deadline() -> None:
    fr, res = due_times(T0, SlaTargets(timedelta(hours=1), timedelta(hours=8)))
    assert (fr, res) == (T0 + timedelta(hours=1), T0 + timedelta(hours=8))
    args = {"first_response_due": fr, "resolution_due": res}
    assert running_deadline(status=Status.NEW, first_response_at=None, **args) == fr
    assert running_deadline(status=Status.OPEN, first_response_at=T0, **args) == res
    assert running_deadline(status=Status.SOLVED, first_response_at=T0, **args) is None


def test_policy_choice_prefers_the_most_specific_rule() -> None:
    base = PolicyRule(Priority.NORMAL, SlaTargets(timedelta(hours=4), timedelta(days=2)))
    vip = PolicyRule(
        Priority.NORMAL, SlaTargets(timedelta(hours=1), timedelta(hours=8)), segment="vip"
    )
    team = PolicyRule(
        Priority.NORMAL, SlaTargets(timedelta(hours=2), timedelta(days=1)), team="Technical"
    )
    rules = [base, vip, team]
    assert choose_targets(rules, priority=Priority.NORMAL, team=None, segment=None) == base.targets
    assert (
        choose_targets(rules, priority=Priority.NORMAL, team="Technical", segment="vip")
        == vip.targets
    )
    assert (
        choose_targets(rules, priority=Priority.NORMAL, team="Technical", segment=None)
        == team.targets
    )
    assert (
        choose_targets(rules, priority=Priority.URGENT, team=None, segment=None)
        == DEFAULT_TARGETS[Priority.URGENT]
    )


def test_clock_states() -> None:
    due = T0 + timedelta(hours=4)
    assert clock(now=T0, due=due, done_at=None, started_at=T0).state is ClockState.OK
    at_risk = clock(now=T0 + timedelta(hours=3, minutes=30), due=due, done_at=None, started_at=T0)
    assert at_risk.state is ClockState.AT_RISK and at_risk.remaining == timedelta(minutes=30)
    late = clock(now=T0 + timedelta(hours=5), due=due, done_at=None, started_at=T0)
    assert late.state is ClockState.BREACHED and late.remaining == timedelta(hours=-1)
    assert clock(now=T0, due=due, done_at=due, started_at=T0).state is ClockState.MET
    assert (
        clock(now=T0, due=due, done_at=due + timedelta(seconds=1), started_at=T0).state
        is ClockState.MISSED
    )
    assert {s.symbol for s in ClockState} == {"●", "▲", "✖", "✔", "✗", "‖", "·"}
    waiting = clock(now=T0 + timedelta(hours=5), due=due, done_at=None, started_at=T0, paused=True)
    assert waiting.state is ClockState.PAUSED and waiting.remaining is None
    assert clock(now=T0, due=due, done_at=due, started_at=T0, paused=True).state is ClockState.MET


# ------------------------------------------------------------------------------------ workflow


def test_transitions() -> None:
    check_transition(Status.NEW, Status.OPEN)
    check_transition(Status.SOLVED, Status.OPEN)
    check_transition(Status.OPEN, Status.OPEN)
    with pytest.raises(UsageError, match="a closed ticket is final"):
        check_transition(Status.CLOSED, Status.OPEN)
    with pytest.raises(UsageError, match="allowed from here: open, closed"):
        check_transition(Status.SOLVED, Status.PENDING)
    assert is_reopen(Status.SOLVED, Status.OPEN)
    assert not is_reopen(Status.PENDING, Status.OPEN)


def test_escalation_goes_up_only() -> None:
    check_escalation(Tier.L1, Tier.L3)
    with pytest.raises(UsageError):
        check_escalation(Tier.L2, Tier.L2)
    assert Tier.parse("2") is Tier.L2 and Tier.parse("l3") is Tier.L3


# --------------------------------------------------------------------------------- text hygiene


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c["why"][:40])
def test_sanitize_removes_every_control_sequence(case: dict[str, str]) -> None:
    clean = sanitize(case["text"])
    assert "\x1b" not in clean and "\x9b" not in clean and "\x07" not in clean
    assert not any(0x80 <= ord(c) <= 0x9F for c in clean)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in clean)
    assert "\u202e" not in clean
    single = sanitize(case["text"], single_line=True)
    assert "\n" not in single


def test_sanitize_keeps_what_people_wrote() -> None:
    assert sanitize("hello\x1b[2Jworld") == "helloworld"
    assert sanitize("\x1b]52;c;cm0gLXJmIH4=\x1b\\copy this") == "copy this"
    assert sanitize("👩\u200d💻 Rēķins СЧЁТ\tok\r\nnext") == "👩\u200d💻 Rēķins СЧЁТ\tok\nnext"
    assert sanitize("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"  # markup is the UI's job


def test_fold() -> None:
    assert fold("Rēķins") == "rekins"
    assert fold("СЧЁТА") == "счета"
    assert fold("Йод й") == "йод й"
    assert fold("Straße ĢIRTS") == "strasse girts"


def test_guess_language_and_tags() -> None:
    assert guess_language("Не работает интернет") == "ru"
    assert guess_language("Rēķins nav") == "lv"
    assert guess_language("Invoice wrong") == "en"
    assert normalize_tag(" Billing Issue ") == "billing-issue"
    with pytest.raises(ValueError):
        normalize_tag("!!!")
