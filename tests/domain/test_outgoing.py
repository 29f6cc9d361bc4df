"""domain.outgoing: subjects, threading, the bytes of a mail (injection-proof, the same on every
attempt, threaded back by the parser), the acknowledgement rules, retries, smtp_url."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from csm_console.domain.mail import MessageFlag
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.outgoing import (
    ACK_PER_DAY,
    MAX_DELAY,
    MAX_REFERENCES,
    OutFile,
    OutgoingMessage,
    SmtpSecurity,
    ack_rate_limited,
    build_message,
    make_mail_id,
    one_line,
    parse_smtp_url,
    reply_subject,
    retry_delay,
    should_acknowledge,
    thread_headers,
)
from tests.hostile import hostile_cases

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Invoice", "Re: [#12] Invoice"),
        ("Re: Invoice", "Re: [#12] Invoice"),
        ("RE: Re: AW: Fwd: Invoice", "Re: [#12] Invoice"),
        ("Re: [#12] Invoice", "Re: [#12] Invoice"),
        ("Re: [#12] Re: Invoice", "Re: [#12] Invoice"),
        ("Ответ: Счёт", "Re: [#12] Счёт"),
        ("Re[2]: x", "Re: [#12] x"),
        ("[#7] other ticket", "Re: [#12] [#7] other ticket"),
        ("Bad\r\nBcc: victim@example.com", "Re: [#12] Bad Bcc: victim@example.com"),
        ("   ", "Re: [#12]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, 12, "#") == expected


def test_a_proactive_subject_has_no_re_and_the_prefix_is_configurable() -> None:
    assert reply_subject("Router", 5, "#", reply=False) == "[#5] Router"
    assert reply_subject("Re: [T-5] Router", 5, "T-") == "Re: [T-5] Router"


def test_thread_headers() -> None:
    assert thread_headers([]) == thread_headers(()) and thread_headers([]).in_reply_to is None
    thread = thread_headers([("c1@x", True), ("o1@us", False), ("c2@x", True), ("o2@us", False)])
    assert thread.in_reply_to == "c2@x"
    assert thread.references == ("c1@x", "o1@us", "c2@x", "o2@us")
    ours = thread_headers([("o1@us", False)])
    assert ours.in_reply_to == "o1@us"
    long = thread_headers([(f"m{i}@x", True) for i in range(50)])
    assert len(long.references) == MAX_REFERENCES
    assert long.references[0] == "m0@x" and long.references[-1] == "m49@x"


def _mail(**changes: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "mail_id": make_mail_id("abc123", "support@desk.example"),
        "sender": "support@desk.example",
        "recipient": "mara@example.lv",
        "subject": "Re: [#42] Rēķins",
        "date": WHEN,
        "body": "Labdien!\nThe invoice is fixed.",
        "in_reply_to": "cust-1@example.lv",
        "references": ("cust-1@example.lv",),
        "loop_key": "store123",
    }
    values.update(changes)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def test_the_bytes_carry_every_header_and_thread_back() -> None:
    mail = _mail()
    assert mail.mail_id == "csm.abc123@desk.example"
    data = build_message(mail)
    parsed = parse_message(data)
    assert parsed.message_id == mail.mail_id
    assert parsed.in_reply_to == ("cust-1@example.lv",)
    assert parsed.references == ("cust-1@example.lv",)
    assert parsed.subject == "Re: [#42] Rēķins"
    assert parsed.body == "Labdien!\nThe invoice is fixed."
    assert parsed.loop_marker == "store123"
    assert MessageFlag.AUTO_REPLY not in parsed.flags
    headers = message_from_bytes(data, policy=policy.default)
    assert headers["From"] == headers["Reply-To"] == "support@desk.example"
    assert headers["Date"] == "Fri, 20 Nov 2026 10:00:00 +0000"
    assert headers.get_content_type() == "text/plain"
    assert headers.get_content_charset() == "utf-8"
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()  # 7-bit clean: any relay takes it


def test_automatic_mail_is_marked_and_a_parser_sees_it_as_auto() -> None:
    data = build_message(_mail(automatic=True))
    assert b"Auto-Submitted: auto-replied" in data
    assert MessageFlag.AUTO_REPLY in parse_message(data).flags


def test_the_same_mail_gives_the_same_bytes() -> None:
    files = (OutFile("счёт.pdf", "application/pdf", b"%PDF"), OutFile("a.txt", "text/plain", b"a"))
    assert build_message(_mail(attachments=files)) == build_message(_mail(attachments=files))


def test_files_make_a_multipart_mixed_mail() -> None:
    files = (OutFile("счёт.pdf", "application/pdf", b"%PDF"), OutFile("x", "bad type!", b"\0\1"))
    parsed = parse_message(build_message(_mail(attachments=files)))
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("счёт.pdf", "application/pdf", b"%PDF"),
        ("x", "application/octet-stream", b"\0\1"),
    ]
    assert parsed.body == "Labdien!\nThe invoice is fixed."


@pytest.mark.parametrize("text", [c["text"] for c in hostile_cases()])
def test_hostile_text_never_adds_a_header(text: str) -> None:
    data = build_message(
        _mail(
            subject=text + "\r\nBcc: victim@example.com\nX-Evil: 1",
            body=text,
            attachments=(OutFile(text + "\r\nX-Evil: 2", "text/plain", b"x"),),
        )
    )
    headers = message_from_bytes(data, policy=policy.default)
    assert headers["Bcc"] is None and headers["X-Evil"] is None
    assert b"\x1b" not in data
    assert "\n" not in str(headers["Subject"])


def test_an_address_with_more_in_it_is_refused() -> None:
    for bad in ("a@b.c, evil@x.y", "Name <a@b.c>", "a@b.c\r\nBcc: x@y.z", "nobody"):
        with pytest.raises(ValueError, match="address"):
            build_message(_mail(recipient=bad))


def test_who_gets_an_acknowledgement() -> None:
    ours = ["support@desk.example"]
    assert should_acknowledge(sender="mara@example.lv", our_addresses=ours) is None
    assert should_acknowledge(sender="x@y.z", flags={MessageFlag.AUTO_REPLY})
    assert should_acknowledge(sender="x@y.z", flags={MessageFlag.BOUNCE})
    assert should_acknowledge(sender="x@y.z", loop_marker="store")
    assert should_acknowledge(sender="SUPPORT@desk.example", our_addresses=ours)
    assert should_acknowledge(sender="MAILER-DAEMON@x.y")
    assert should_acknowledge(sender="noreply@shop.example")
    assert should_acknowledge(sender="bounces+123@list.example")
    assert should_acknowledge(sender="")


def test_the_acknowledgement_rate_limit() -> None:
    assert ack_rate_limited([], WHEN) is None
    assert ack_rate_limited([WHEN - timedelta(minutes=9)], WHEN)
    assert ack_rate_limited([WHEN - timedelta(minutes=10)], WHEN) is None
    day = [WHEN - timedelta(minutes=11 + 60 * i) for i in range(ACK_PER_DAY)]
    assert "20 acknowledgements" in (ack_rate_limited(day, WHEN) or "")
    assert ack_rate_limited(day[:-1], WHEN) is None
    assert ack_rate_limited([WHEN - timedelta(days=1, minutes=1)] * 30, WHEN) is None


def test_retries_back_off_to_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, 10)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays[-1] == MAX_DELAY and retry_delay(10_000) == MAX_DELAY
    assert all(a <= b for a, b in itertools.pairwise(delays))


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.security, plain.user) == (
        "127.0.0.1", 2525, SmtpSecurity.NONE, None,
    )  # fmt: skip
    tls = parse_smtp_url("smtps://desk%40ex@mail.example.com")
    assert (tls.port, tls.security, tls.user) == (465, SmtpSecurity.TLS, "desk@ex")
    start = parse_smtp_url("smtp://u@mail.example.com?starttls=1&timeout=5")
    assert (start.port, start.security, start.timeout) == (587, SmtpSecurity.STARTTLS, 5.0)
    assert start.describe() == "smtp://u@mail.example.com:587?starttls=1"
    for bad in ("http://x", "smtp://", "smtp://u:pw@host", "smtp://host:99999"):
        with pytest.raises(ValueError, match="smtp_url"):
            parse_smtp_url(bad)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=?utf-8?b?G10wO1BXTkVEBw==?= your order", "your order"),
        # an encoded word whose text is another encoded word
        ("=?utf-8?b?PT91dGYtOD9iP0cxMHdPMUJYVGtWRUJ3PT0/PQ==?= x", "x"),
        ("=?x-unknown?q?=1B?= ok", "=\u2060?x-unknown?q?=1B?= ok"),  # left as text, disarmed
        ("Rēķins =?utf-8?q?Nr=2E_7?=", "Rēķins Nr. 7"),
    ],
)
def test_encoded_words_are_decoded_before_the_sanitiser(text: str, shown: str) -> None:
    subject = one_line(text)
    assert subject == shown
    data = build_message(_mail(subject=text, body="x"))
    assert b"\x1b" not in data and b"\x07" not in data
    parsed = message_from_bytes(data, policy=policy.default)
    assert "\x1b" not in str(parsed["Subject"])
