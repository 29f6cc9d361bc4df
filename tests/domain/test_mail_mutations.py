"""Real messages from the corpus, broken in the ways real mail is broken (cut short, boundaries
mangled, random bytes in headers, wrong transfer encodings and charsets, lines lost or
doubled): each one is parsed or raises `Unstorable`, never anything else, and whatever comes
out is safe to show."""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_console.domain.mail import Unstorable
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.quoted import quote_start, split_quoted
from csm_console.domain.text import guess_language
from tests.domain.test_mail_corpus import assert_safe

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
MESSAGES = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml")) if p.name != "deep-nesting.eml"]
NASTY = [
    b"\x00",
    b"\x1b[2J",
    b"\x1b]0;x\x07",
    b"\xff\xfe",
    b"\xd0",
    b"\xc3\x28",
    b"=?",
    b"?=",
    b"=?utf-8?B?",
    b"=?koi8-r?Q?=F0",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    b"--",
    b"boundary=",
    b'"',
    b";",
    b"<",
    b">",
    b"\t",
    b"\x85",
    b"\xe2\x80\xae",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\n",
    b"charset=utf-7",
    b"filename*0*=utf-8''%D0",
    b"message/rfc822",
]
HEADER_NAMES = [b"From", b"Subject", b"Content-Type", b"Message-ID", b"Date", b"References"]


def header_end(raw: bytes) -> int:
    found = raw.find(b"\r\n\r\n")
    return found if found >= 0 else len(raw)


def mutate(raw: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    for _ in range(rounds):
        kind = rng.randrange(10)
        if kind == 0 and raw:  # cut short anywhere
            raw = raw[: rng.randrange(len(raw))]
        elif kind == 1:  # break the boundaries
            for boundary in set(re.findall(rb'boundary="?([^";\r\n]+)', raw)):
                choice = rng.choice([b"", b"x", boundary[:-1], boundary + b"--", b"\x00"])
                raw = raw.replace(b"--" + boundary, b"--" + choice, rng.randrange(1, 4))
        elif kind == 2:  # random bytes into the headers
            end = header_end(raw)
            at = rng.randrange(end + 1)
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
            raw = raw[:at] + noise + raw[at:]
        elif kind == 3:  # a wrong transfer encoding or charset
            swaps = [
                (b"base64", b"quoted-printable"),
                (b"quoted-printable", b"base64"),
                (b"8bit", b"base64"),
                (b"charset=", b"charset=x-" + bytes([rng.randrange(97, 123)])),
                (b"utf-8", rng.choice([b"utf-7", b"utf-16", b"koi8-r", b"idna", b"bogus"])),
            ]
            old, new = rng.choice(swaps)
            raw = raw.replace(old, new)
        elif kind == 4:  # lines deleted
            lines = raw.split(b"\r\n")
            for _ in range(rng.randrange(1, 4)):
                if lines:
                    del lines[rng.randrange(len(lines))]
            raw = b"\r\n".join(lines)
        elif kind == 5:  # lines doubled
            lines = raw.split(b"\r\n")
            if lines:
                at = rng.randrange(len(lines))
                lines[at:at] = [lines[at]] * rng.randrange(1, 20)
            raw = b"\r\n".join(lines)
        elif kind == 6:  # a nasty fragment anywhere
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + rng.choice(NASTY) + raw[at:]
        elif kind == 7:  # a header repeated, folded oddly or made huge
            name = rng.choice(HEADER_NAMES)
            value = rng.choice([b"=?utf-8?B?" + b"A" * 5000 + b"?=", b"\r\n \r\n x", b"<a@b>" * 99])
            raw = name + b": " + value + b"\r\n" + raw
        elif kind == 9:  # raw 8-bit bytes inside a header deep in the MIME tree
            spots = [
                m.end() for m in re.finditer(rb"(?i)message-id: *<?|content-id: *<?|name=\"?", raw)
            ]
            if spots:
                at = rng.choice(spots)
                raw = raw[:at] + bytes([rng.randrange(128, 256)]) + raw[at:]
        elif kind == 8 and raw:  # flipped bits in the body
            data = bytearray(raw)
            for _ in range(rng.randrange(1, 30)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            raw = bytes(data)
    return raw


def check(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except Unstorable as error:
        assert str(error)
        return
    assert_safe(parsed)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    index=st.integers(min_value=0, max_value=len(MESSAGES) - 1),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    rounds=st.integers(min_value=1, max_value=6),
)
def test_mutated_corpus_is_parsed_or_quarantined(index: int, seed: int, rounds: int) -> None:
    check(mutate(MESSAGES[index], random.Random(seed), rounds))


@given(st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_arbitrary_bytes_are_parsed_or_quarantined(raw: bytes) -> None:
    check(b"From: a@example.com\r\n" + raw)
    check(raw)


def test_a_few_hundred_mutations_in_a_quick_loop() -> None:
    """Seeded, so that a failure is reproducible: `mutate(MESSAGES[i], Random(n), r)`."""
    outcomes = {"parsed": 0, "unstorable": 0}
    for n in range(600):
        rng = random.Random(n)
        raw = mutate(MESSAGES[n % len(MESSAGES)], rng, rounds=1 + n % 5)
        try:
            parsed = parse_message(raw)
        except Unstorable:
            outcomes["unstorable"] += 1
            continue
        assert_safe(parsed)
        outcomes["parsed"] += 1
    # the mutations must leave most messages readable: a parser that quarantines everything
    # would pass the loop above
    assert outcomes["parsed"] > 400, outcomes


LINES = st.sampled_from(
    [
        "> quoted",
        ">",
        "",
        "new text",
        "On Mon, 1 Jan 2024, Ivan <i@x> wrote:",
        "Иван написал(а):",
        "-----Original Message-----",
        "From: S <s@x>",
        "Sent: Monday",
        "Subject: x",
        "Jānis rakstīja:",
        "-- ",
    ]
)


@given(st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=40))
@settings(max_examples=300, deadline=None)
def test_split_quoted_keeps_every_line_and_language_always_guessed(lines: list[str]) -> None:
    body = "\n".join(lines)
    new, quoted = split_quoted(body)
    kept = [x for x in f"{new}\n{quoted}".split("\n") if x.strip()]
    assert kept == [x for x in body.split("\n") if x.strip()]
    assert not quoted or new.strip()  # never everything folded away
    start = quote_start(body)
    assert (start is None) == (quoted == "")
    if start is not None:
        assert body[: len(new)] == new and not body[len(new) : start].strip()
    assert guess_language(body) in ("en", "ru", "lv")
