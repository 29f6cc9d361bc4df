"""The mail parser's parts one by one: charsets, headers, file names, auto-generated mail,
bounces, quoted history, limits.  (The corpus test checks whole messages.)"""

from __future__ import annotations

import base64

import pytest

from csm_console.domain.mail import MessageFlag, Unstorable
from csm_console.domain.mail_bounce import find_bounce
from csm_console.domain.mail_charsets import (
    decode_bytes,
    decode_header_value,
    implausibility,
    normalize_charset,
)
from csm_console.domain.mail_headers import (
    auto_reason,
    extension_for,
    message_ids,
    parse_date,
    safe_filename,
    suppresses_auto_response,
)
from csm_console.domain.mail_parse import MAX_BODY, MAX_PARTS, parse_message, unflow
from csm_console.domain.quoted import quote_start, split_quoted
from csm_console.domain.text import guess_language
from tests.domain.test_mail_corpus import assert_safe
from tests.hostile import hostile_cases

CHARSETS = ("utf-8", "windows-1251", "koi8-r", "windows-1257", "iso-8859-13", "latin-1")
RU = "Здравствуйте! Не работает интернет, роутер мигает красным. Прошу прислать мастера."
LV = "Labdien! Rēķins par šo mēnesi nav pareizs, lūdzu, pārbaudiet un izlabojiet. Paldies."


def mail(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    head = headers.strip("\n").replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n\r\n" + body


# --- charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("cp-1251", "cp1251"),
        ("win-1251", "cp1251"),
        ("Windows-1251", "cp1251"),
        ("x-cp1251", "cp1251"),
        ("KOI8-R", "koi8-r"),
        ("koi8r", "koi8-r"),
        ("iso8859-13", "iso8859-13"),
        ("ISO_8859-13", "iso8859-13"),
        ('"windows-1257"', "cp1257"),
        ("utf-8*en", "utf-8"),
        ("UTF7", "utf-7"),
        ("iso-8859-1", "cp1252"),
        ("x-unknown", None),
        ("unknown-8bit", None),
        ("us-ascii", None),
        ("no-such-charset", None),
        ("base64", None),  # a codec, but not a text charset
        ("unicode_escape", None),
        ("idna", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_charset(name: str | None, codec: str | None) -> None:
    assert normalize_charset(name) == codec


@pytest.mark.parametrize(
    ("text", "charset"),
    [(RU, "koi8-r"), (RU, "cp1251"), (LV, "cp1257"), (LV, "iso-8859-13"), (RU, "utf-8")],
)
@pytest.mark.parametrize("declared", [None, "x-unknown", "us-ascii", "iso-8859-1", "bogus"])
def test_wrong_or_missing_charset_is_recovered(text: str, charset: str, declared: str) -> None:
    assert decode_bytes(text.encode(charset), declared, CHARSETS)[0] == text


def test_declared_charset_wins_when_clean() -> None:
    data = RU.encode("koi8-r")
    assert decode_bytes(data, "koi8-r", CHARSETS) == (RU, None)
    # koi8-r bytes declared as cp1251: the declared reading is mojibake, so koi8-r wins
    text, note = decode_bytes(data, "windows-1251", CHARSETS)
    assert text == RU
    assert note == "charset windows-1251 read as koi8-r"


def test_euro_sign_in_windows_1252_is_not_mojibake() -> None:
    assert decode_bytes("Price 100€ — thanks".encode("cp1252"), None, CHARSETS)[0] == (
        "Price 100€ — thanks"
    )


def test_mojibake_scores_worse_than_the_real_text() -> None:
    for text, right, wrong in [
        (RU, "cp1251", "latin-1"),
        (RU, "koi8-r", "cp1251"),
        (RU, "cp1251", "koi8-r"),
        (RU, "utf-8", "cp1251"),
        (LV, "cp1257", "cp1251"),
        (LV, "cp1257", "latin-1"),
    ]:
        good = text.encode(right).decode(right)
        bad = text.encode(right).decode(wrong, errors="replace")
        assert implausibility(good) == 0, (right, good)
        assert implausibility(bad) > 0, (right, wrong, bad)
    assert implausibility("Crème brûlée, Straße, mañana, Jānis Bērziņš") == 0


def test_undecodable_bytes_never_raise() -> None:
    text, note = decode_bytes(bytes(range(256)), "utf-8", ("utf-8",))
    assert text and note is not None
    assert decode_bytes(b"\xff\xfe", "undefined", ())[0]


def test_encoded_words() -> None:
    def b(text: str, charset: str = "utf-8") -> str:
        return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="

    assert decode_header_value(b("Привет") + " " + b("мир"), CHARSETS) == "Приветмир"
    assert decode_header_value(b("Привет") + " and " + b("мир"), CHARSETS) == "Привет and мир"
    # a UTF-8 character split between two words survives
    data = "Привет".encode()
    split = (
        f"=?utf-8?B?{base64.b64encode(data[:3]).decode()}?=\r\n "
        f"=?utf-8?B?{base64.b64encode(data[3:]).decode()}?="
    )
    assert decode_header_value(split, CHARSETS) == "Привет"
    assert decode_header_value("=?utf-8?q?caf=C3=A9_au_lait?=", CHARSETS) == "café au lait"
    assert decode_header_value("=?UTF-8?Q?a b?=", CHARSETS) == "a b"  # space inside: lenient
    assert (
        decode_header_value(
            "=?cp-1251?B?" + base64.b64encode("Счёт".encode("cp1251")).decode() + "?=", CHARSETS
        )
        == "Счёт"
    )
    assert decode_header_value("=?utf-8?B?not base64!?=", CHARSETS) == "=?utf-8?B?not base64!?="
    assert decode_header_value("=?utf-8?B?0J/RgA?=", CHARSETS) == "Пр"  # missing padding
    raw8 = "Тема".encode("cp1251").decode("ascii", "surrogateescape")
    assert decode_header_value("Re: " + raw8, CHARSETS) == "Re: Тема"
    assert decode_header_value("=?koi8-r?Q?=F4=C5=CD=C1?= " + raw8, CHARSETS) == "Тема Тема"


# --- headers -------------------------------------------------------------------------------


def test_message_ids_are_read_leniently() -> None:
    assert message_ids("<a@b>") == ("a@b",)
    assert message_ids("a@b") == ("a@b",)  # no brackets
    assert message_ids("< a@b >") == ("a@b",)
    assert message_ids("<a@b> (comment) garbage <c@d>\r\n\t<a@b>") == ("a@b", "c@d")
    assert message_ids("<with space@x> <ok@x>") == ("ok@x",)
    assert message_ids("<" + "x" * 300 + "@y> <ok@x>") == ("ok@x",)
    assert message_ids("") == ()
    many = " ".join(f"<id{n}@x>" for n in range(500))
    kept = message_ids(many)
    assert len(kept) == 50
    assert kept[0] == "id0@x" and kept[-1] == "id499@x"  # the root and the nearest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 1 Jan 2024 10:00:00 +0300", "2024-01-01T07:00:00+00:00"),
        ("1 Jan 2024 10:00 GMT", "2024-01-01T10:00:00+00:00"),
        ("Mon, 1 Jan 2024 10:00:00 -0000", "2024-01-01T10:00:00+00:00"),
        ("Mon, 1 Jan 2024 10:00:00", "2024-01-01T10:00:00+00:00"),
        ("Mon,\r\n 1 Jan 2024 10:00:00 +0100", "2024-01-01T09:00:00+00:00"),
        ("Thu, 32 Foo 2024 25:61:00 +9999", None),
        ("yesterday", None),
        ("Mon, 1 Jan 99999 10:00:00 +0000", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\System32\\evil.exe", "evil.exe"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("zero\u200bwidth\u2066.txt", "zerowidth.txt"),
        ("bell\x07\x1b[31mred.txt", "bellred.txt"),
        (".bashrc", "bashrc"),
        ("..", "attachment.bin"),
        ("...", "attachment.bin"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.tar.gz", "_LPT1.tar.gz"),
        ("console.txt", "console.txt"),
        ('what?<>|*:".txt', "what_______.txt"),
        ("trailing. . ", "trailing"),
        ("Счёт №5.pdf", "Счёт №5.pdf"),
        ("e\u0301.txt", "é.txt"),  # NFC
        ("", "attachment.bin"),
        (None, "attachment.bin"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_length_and_fallback() -> None:
    long = safe_filename("a" * 500 + ".pdf")
    assert len(long) == 180 and long.endswith(".pdf")
    assert safe_filename(None, "image", "image/png") == "image.png"
    assert safe_filename("", "attachment", "image/jpeg") == "attachment.jpg"
    assert safe_filename("", "attachment", "application/x-nonsense") == "attachment.bin"
    assert extension_for("message/rfc822") == ".eml"


@pytest.mark.parametrize(
    ("headers", "auto"),
    [
        ({"auto-submitted": "auto-replied"}, True),
        ({"auto-submitted": "auto-generated; owner-email=x"}, True),
        ({"auto-submitted": "no"}, False),
        ({"auto-submitted": "No"}, False),
        ({"auto-submitted": "no (a person wrote this)"}, False),
        ({"auto-submitted": "auto-replied (vacation)"}, True),
        ({"precedence": "bulk"}, True),
        ({"precedence": "list"}, True),
        ({"precedence": "junk"}, True),
        ({"precedence": "first-class"}, False),
        ({"x-autoreply": "yes"}, True),
        ({"x-autorespond": "Out of office"}, True),
        ({"x-auto-response-suppress": "All"}, False),
        ({"x-auto-response-suppress": "OOF, AutoReply"}, False),
        ({"subject": "Out of Office: Re: [#12] Router"}, True),
        ({"subject": "Out of office"}, True),
        ({"subject": "Automatic reply: Invoice"}, True),
        ({"subject": "Автоответ: Счёт"}, True),
        ({"subject": "Автоматический ответ: Re: тариф"}, True),
        ({"subject": "Nav birojā: Rēķins"}, True),
        ({"subject": "Automātiskā atbilde: Rēķins"}, True),
        ({"subject": "Out of office hours delivery is broken"}, False),
        ({"subject": "Re: my automatic reply settings"}, False),
        ({"subject": "Router"}, False),
    ],
)
def test_auto_generated_signs(headers: dict[str, str], auto: bool) -> None:
    assert (auto_reason(headers) is not None) is auto


def test_x_auto_response_suppress_means_no_acknowledgement() -> None:
    assert suppresses_auto_response("All")
    assert suppresses_auto_response("DR, AutoReply")
    assert not suppresses_auto_response("OOF")
    assert not suppresses_auto_response("DR, RN, NRN")
    assert not suppresses_auto_response("")


# --- whole messages: senders, limits, structure ----------------------------------------------


def test_sender_fallbacks_and_oddities() -> None:
    assert parse_message(mail("From: <IVAN@Example.COM>")).sender == "ivan@example.com"
    assert parse_message(mail("From: ivan@example.com (Ivan)")).sender == "ivan@example.com"
    parsed = parse_message(mail('From: "=?utf-8?Q?Ivanov=2C_Ivan?=" <i@x.ru>, <other@x.ru>'))
    assert (parsed.sender, parsed.sender_name) == ("i@x.ru", "Ivanov, Ivan")
    hidden = base64.b64encode(b"Ivan <ivan@example.com>").decode()
    assert parse_message(mail(f"From: =?utf-8?B?{hidden}?=")).sender == "ivan@example.com"
    parsed = parse_message(mail("Sender: s@example.com\nReply-To: r@example.com"))
    assert parsed.sender == "s@example.com"
    assert parse_message(mail("Reply-To: r@example.com")).sender == "r@example.com"
    for bad in ("From: nobody", "From: <>", "From: a@@b.c", "From: @example.com", ""):
        with pytest.raises(Unstorable, match="no usable sender"):
            parse_message(mail(bad + "\nSubject: x"))


def test_limits() -> None:
    with pytest.raises(Unstorable, match="too large"):
        parse_message(mail("From: a@b.c", b"x" * 2000), max_message=1000)
    parsed = parse_message(mail("From: a@b.c\nSubject: " + "long " * 400))
    assert len(parsed.subject) == 500
    parsed = parse_message(mail("From: a@b.c", b"y" * (MAX_BODY + 10)))
    assert len(parsed.body) == MAX_BODY
    assert MessageFlag.TRUNCATED in parsed.flags
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(MAX_PARTS + 5))
    too_many = mail('From: a@b.c\nContent-Type: multipart/mixed; boundary="b"', parts + b"--b--")
    with pytest.raises(Unstorable, match="too many MIME parts"):
        parse_message(too_many)


def test_very_deep_nesting_is_quarantined_not_a_crash() -> None:
    levels = 3000
    body = b"".join(
        f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n'.encode()
        for n in range(levels)
    )
    raw = mail('From: a@b.c\nContent-Type: multipart/mixed; boundary="b0"', body)
    with pytest.raises(Unstorable, match="nested too deep"):
        parse_message(raw)
    nested_messages = b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"\r\nhi"
    with pytest.raises(Unstorable, match="nested too deep"):
        parse_message(mail("From: a@b.c\nContent-Type: message/rfc822", nested_messages))


def test_alternative_prefers_plain_and_keeps_the_html_branch_images() -> None:
    raw = mail(
        'From: a@b.c\nContent-Type: multipart/alternative; boundary="a"',
        b"--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<p>html <b>text</b></p>\r\n"
        b"--r\r\nContent-Type: image/gif\r\nContent-ID: <logo>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n--r--\r\n"
        b"--a\r\nContent-Type: text/plain\r\n\r\nplain text\r\n--a--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.body == "plain text"
    assert MessageFlag.HTML_ONLY not in parsed.flags
    [image] = parsed.attachments
    assert (image.filename, image.inline, image.content_id, image.size) == (
        "image.gif",
        True,
        "logo",
        6,
    )


def test_html_is_text_and_scripts_are_gone() -> None:
    raw = mail(
        "From: a@b.c\nContent-Type: text/html; charset=utf-8",
        b"<script>steal()</script><style>.x{}</style><h1>Title</h1><p>Body &amp; more</p>"
        b"<SCRIPT type=x>more()</SCRIPT >",
    )
    parsed = parse_message(raw)
    assert "steal" not in parsed.body and "more()" not in parsed.body and ".x" not in parsed.body
    assert "Title" in parsed.body and "Body & more" in parsed.body
    assert parsed.flags == {MessageFlag.HTML_ONLY}


def test_disposition_inline_text_with_a_name_is_an_attachment() -> None:
    raw = mail(
        'From: a@b.c\nContent-Type: multipart/mixed; boundary="m"',
        b"--m\r\nContent-Type: text/plain\r\n\r\nthe text\r\n"
        b'--m\r\nContent-Type: text/plain; name="log.txt"\r\nContent-Disposition: inline\r\n'
        b"\r\nlog line\r\n"
        b"--m\r\nContent-Type: text/plain\r\n\r\nlist footer\r\n--m--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.body == "the text\n\nlist footer"
    assert [a.filename for a in parsed.attachments] == ["log.txt"]


def test_rfc2231_filename_in_a_legacy_charset() -> None:
    name = "".join(f"%{b:02X}" for b in "Договор.pdf".encode("cp1251"))
    raw = mail(
        'From: a@b.c\nContent-Type: multipart/mixed; boundary="m"',
        b"--m\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=windows-1251''" + name.encode() + b"\r\n"
        b"\r\n%PDF\r\n--m--\r\n",
    )
    assert parse_message(raw).attachments[0].filename == "Договор.pdf"


def test_multipart_report_read_receipt_is_automatic() -> None:
    raw = mail(
        "From: a@b.c\nContent-Type: multipart/report; report-type=disposition-notification; "
        'boundary="r"',
        b"--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n--r--\r\n",
    )
    assert parse_message(raw).flags == {MessageFlag.AUTO_REPLY}


def test_a_customer_forwarding_a_bounce_is_not_a_bounce() -> None:
    raw = mail(
        "From: customer@example.com\nSubject: Fwd: Undelivered Mail Returned to Sender",
        b"Why did this bounce?\r\n\r\nThis is the mail system at host mx.example.com.\r\n"
        b"<x@example.com>: 550 5.1.1 User unknown\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.flags == frozenset()
    assert parsed.bounced_ids == () and parsed.bounce_reason == ""


def test_find_bounce_non_standard_postfix_text() -> None:
    bounce = find_bounce(
        content_type="text/plain",
        report_type="",
        sender="postmaster@mx.example.com",
        sender_name="",
        subject="Undelivered Mail Returned to Sender",
        headers={},
        body="This is the mail system at host mx.example.com.\n\n"
        "<x@example.com>: host mx[192.0.2.1] said: 550 5.1.1 <x@example.com>: User unknown\n"
        "\n--- original ---\nMessage-ID: <ours.1@desk.example>\n",
        status_texts=[],
        returned_ids=[],
        returned_headers=[],
    )
    assert bounce is not None and bounce.failed
    assert bounce.ids == ("ours.1@desk.example",)
    assert bounce.reason.startswith("<x@example.com>: host mx[192.0.2.1] said: 550 5.1.1")
    assert "User unknown" in bounce.reason


def test_bounce_reason_is_sanitised_and_short() -> None:
    bounce = find_bounce(
        content_type="multipart/report",
        report_type="delivery-status",
        sender="",
        sender_name="",
        subject="",
        headers={},
        body="",
        status_texts=[
            "Final-Recipient: rfc822; x@y\nAction: failed\nStatus: 5.0.0\n"
            "Diagnostic-Code: smtp; 550 \x1b]0;evil\x07" + "z" * 1000
        ],
        returned_ids=[],
        returned_headers=[],
    )
    assert bounce is not None and bounce.failed
    assert "\x1b" not in bounce.reason and len(bounce.reason) == 300


# --- quoted history ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "new"),
    [
        ("Thanks!\n\nOn Mon, 1 Jan 2024, Ivan <i@x> wrote:\n> old\n> older\n", "Thanks!"),
        (
            "Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Ivan Petrov <\ni@x> wrote:\n> old\n",
            "Thanks!",
        ),
        ("Ок\n\nИван Петров написал(а):\n> старое\n", "Ок"),  # right above the quotes
        ("Labdien\n\n-----Sākotnējā ziņa-----\nNo: a\n\nvecs\n", "Labdien"),
        ("Ок\n\n01.01.2024 10:00, Иван пишет:\n> старое\n", "Ок"),
        ("Ок\n\nпн, 1 янв. 2024 г. в 10:00, Иван <i@x.ru>:\n> старое\n", "Ок"),
        ("Labi\n\n2024. gada 1. janv. Jānis rakstīja:\n> vecs\n", "Labi"),
        ("New\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold\n", "New"),
        ("Новое\n\n-----Исходное сообщение-----\nОт: a\n\nстарое\n", "Новое"),
        ("Hi\n\nFrom: S <s@x>\nSent: Monday\nTo: me\nSubject: x\n\nold\n", "Hi"),
        ("Привет\n\nОт: S <s@x>\nОтправлено: 1 января\nКому: я\nТема: x\n\nold\n", "Привет"),
        ("Sveiki\n\nNo: S <s@x>\nNosūtīts: pirmdiena\nKam: es\nTēma: x\n\nold\n", "Sveiki"),
        ("*From:* S <s@x>\nnot a block\n", None),
        ("> q1\nanswer 1\n\n> q2\nanswer 2\n", None),  # interleaved: nothing folded
        ("On Mon, Ivan wrote:\n> q\n\nmy answer below\n", None),  # bottom-posting
        ("-----Original Message-----\nFrom: a\n\nonly forwarded text\n", None),  # nothing new
        ("No: I do not agree.\nThanks\n", None),
        ("plain text\nwithout quotes\n", None),
        ("", None),
    ],
)
def test_split_quoted(body: str, new: str | None) -> None:
    got_new, quoted = split_quoted(body)
    assert_lines_kept(body, got_new, quoted)
    if new is None:
        assert (got_new, quoted) == (body, "")
        assert quote_start(body) is None
    else:
        assert got_new == new
        assert quoted and quoted == quoted.strip("\n")
        start = quote_start(body)
        assert start is not None and body[start:].strip("\n") == quoted


def assert_lines_kept(body: str, new: str, quoted: str) -> None:
    """Every non-blank line of `body` is in `new` or `quoted`, in order."""
    kept = [x for x in f"{new}\n{quoted}".split("\n") if x.strip()]
    assert kept == [x for x in body.split("\n") if x.strip()]


@pytest.mark.parametrize(
    "body",
    [
        "Я уже написал:\nроутер мигает красным.",
        "The technician wrote:\n'cable damaged in the basement'.",
        "On Monday I wrote:\nplease call me back.",
        "> Hello,\n> your invoice is attached.",
    ],
)
def test_the_customers_own_words_are_not_folded(body: str) -> None:
    assert split_quoted(body) == (body, "")


def test_quoted_wrapped_attribution_and_long_lines() -> None:
    body = (
        "Yes, it is the second invoice.\n\nOn Mon, Nov 3, 2026 at 10:15 AM Baltic Net Support "
        "<support@balticnet.example>\nwrote:\n\n> Which invoice do you mean?"
    )
    assert split_quoted(body) == (
        "Yes, it is the second invoice.",
        body[body.index("On Mon") :],
    )
    long = "x" * 500 + " 10:15 wrote:\n> quoted"
    assert split_quoted(long) == (long[: long.index("\n")], "> quoted")


# --- language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Не работает интернет", "ru"),
        ("Rēķins nav", "lv"),
        ("Invoice wrong", "en"),
        ("Labdien, internets nedarbojas. Paldies", "lv"),
        (
            "Hello, my internet has been down since Monday. Please help.\n\nBest,\nИван Петров",
            "en",
        ),
        ("Hello, the invoice is wrong, please fix it.\nSIA Example, Brīvības iela 1, Rīga", "en"),
        (
            "Спасибо, всё работает.\n\nOn Mon, 1 Jan, Support <s@x> wrote:\n> Dear customer, we"
            " have fixed the router, please check and tell us if it works for you now.\n",
            "ru",
        ),
        ("Добрый день. Router TP-Link Archer C6 не работает, WiFi 5GHz пропал", "ru"),
        ("Thanks, it works.\n-- \nJānis Bērziņš\nSIA Rēķini, Rīga", "en"),
        ("", "en"),
    ],
)
def test_guess_language_on_mail_text(text: str, language: str) -> None:
    assert guess_language(text) == language


@pytest.mark.parametrize(
    ("headers", "body", "text", "html_only"),
    [
        ("Content-Type: multipart/mixed", b"no boundary text\r\n", "no boundary text", False),
        (
            'Content-Type: multipart/mixed; boundary="zz"',
            b"the boundary never appears\r\n",
            "the boundary never appears",
            False,
        ),
        (
            'Content-Type: multipart/alternative; boundary="a"',
            b"--a\r\nContent-Type: text/plain\r\n\r\n \r\n"
            b"--a\r\nContent-Type: text/html\r\n\r\n<p>the real text</p>\r\n--a--\r\n",
            "the real text",
            True,
        ),
        (
            'Content-Type: multipart/mixed; boundary="a"',
            b"--a\r\nContent-Type: text/plain\r\n\r\nthe start, and the close never comes",
            "the start, and the close never comes",
            False,
        ),
    ],
)
def test_broken_structure_keeps_the_text(
    headers: str, body: bytes, text: str, html_only: bool
) -> None:
    parsed = parse_message(mail("From: a@b.c\n" + headers, body))
    assert parsed.body == text
    assert (MessageFlag.HTML_ONLY in parsed.flags) is html_only
    assert parsed.attachments == ()


def test_huge_parts_are_cut_not_slow() -> None:
    text = ("Привет мир. " * 200_000).encode("koi8-r")
    parsed = parse_message(mail("From: a@b.c\nContent-Type: text/plain", text))
    assert len(parsed.body) == MAX_BODY and parsed.body.startswith("Привет мир.")
    assert MessageFlag.TRUNCATED in parsed.flags
    with pytest.raises(Unstorable, match="header section too large"):
        parse_message(b"From: a@b.c\r\n" + b"X-Junk: y\r\n" * 100_000 + b"\r\nbody")


def test_real_world_oddities() -> None:
    # SMTPUTF8: a non-ASCII address, raw UTF-8 in the header
    raw = "From: Пётр <пётр@пример.рф>\r\nSubject: x\r\n\r\nhi".encode()
    assert parse_message(raw).sender == "пётр@пример.рф"
    # an intranet host without a dot
    assert parse_message(mail("From: admin@helpdesk")).sender == "admin@helpdesk"
    # blank lines before the headers (a careless export)
    assert parse_message(b"\r\n\r\n" + mail("From: a@b.c\nSubject: s")).subject == "s"
    # an ISO date written by a robot
    parsed = parse_message(mail("From: a@b.c\nDate: 2024-03-01 09:30:00+02:00"))
    assert parsed.date == "2024-03-01T07:30:00+00:00"
    # a bounce from a daemon with no domain
    raw = mail(
        "From: MAILER-DAEMON (Mail Delivery System)\nSubject: failure notice",
        b"Hi. This is the qmail-send program at mx.example.com.\r\n"
        b"<x@example.com>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.sender == ""
    assert parsed.flags == {MessageFlag.BOUNCE, MessageFlag.AUTO_REPLY}
    assert parsed.bounce_reason == "x@example.com: Sorry, no mailbox here by that name. (#5.1.1)"


def test_declared_charset_keeps_its_word_on_small_doubts() -> None:
    # German in latin-1 with an acute accent used as apostrophe and a cube sign: odd symbols,
    # but no other charset reads it clearly better, so the declared one stays
    text = "Geschäftsführer geht´s gut, 5 m³ Wasser, Grüße"
    assert decode_bytes(text.encode("cp1252"), "iso-8859-1", CHARSETS) == (text, None)
    # UTF-16 with a byte order mark, declared
    assert decode_bytes("Привет".encode("utf-16"), "utf-16", CHARSETS)[0] == "Привет"


def test_global_delivery_status_bounce() -> None:
    """RFC 6533 (internationalised) reports: message/global-delivery-status and
    message/global-headers."""
    raw = mail(
        "From: postmaster@mx.example\nContent-Type: multipart/report; "
        'report-type=global-delivery-status; boundary="r"',
        "--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--r\r\nContent-Type: message/global-delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: utf-8; пётр@пример.рф\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--r\r\nContent-Type: message/global-headers\r\n\r\n"
        "From: support@desk.example\r\nMessage-ID: <csm.9.1@desk.example>\r\n\r\n"
        "--r--\r\n".encode(),
    )
    parsed = parse_message(raw)
    assert parsed.flags == {MessageFlag.BOUNCE, MessageFlag.AUTO_REPLY}
    assert parsed.bounced_ids == ("csm.9.1@desk.example",)
    assert parsed.bounce_reason == "пётр@пример.рф: 5.1.1"


@pytest.mark.parametrize("case", hostile_cases(), ids=lambda c: c.get("why", "")[:40])
def test_hostile_text_in_every_field_comes_out_safe(case: dict[str, str]) -> None:
    text = case["text"]
    word = "=?utf-8?B?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() + "?="
    name = "".join(f"%{b:02X}" for b in text.encode("utf-8", "surrogatepass"))
    raw = mail(
        f"From: {word} <a@b.c>\nSubject: {word}\nX-CSM-Loop: {word}\nMessage-ID: <{word}@x>\n"
        'Content-Type: multipart/mixed; boundary="m"',
        b"--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + text.encode("utf-8", "surrogatepass")
        + b"\r\n--m\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''" + name.encode() + b"\r\n\r\nx\r\n"
        b"--m\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + text.encode("utf-8", "surrogatepass")
        + b"\r\n--m--\r\n",
    )
    assert_safe(parse_message(raw))


def test_a_named_text_part_is_the_text_when_there_is_no_other() -> None:
    raw = mail(
        'From: a@b.c\nContent-Type: multipart/mixed; boundary="m"',
        b'--m\r\nContent-Type: text/plain; charset=utf-8; name="body.txt"\r\n\r\n'
        b"the only text\r\n"
        b'--m\r\nContent-Type: application/pdf; name="a.pdf"\r\n\r\n%PDF\r\n--m--\r\n',
    )
    parsed = parse_message(raw)
    assert parsed.body == "the only text"
    assert [a.filename for a in parsed.attachments] == ["a.pdf"]
    single = mail('From: a@b.c\nContent-Type: text/plain; name="note.txt"', b"single part")
    parsed = parse_message(single)
    assert (parsed.body, parsed.attachments) == ("single part", ())


def test_mostly_utf8_with_a_stray_byte_stays_utf8() -> None:
    data = RU.encode() + b" \xff " + RU.encode()
    text, _note = decode_bytes(data, "utf-8", CHARSETS)
    assert text == RU + " \ufffd " + RU
    # but latin-1 German declared as UTF-8 is read as what it is
    german = "Grüße aus München, schöne Größe"
    assert decode_bytes(german.encode("cp1252"), "utf-8", CHARSETS)[0] == german
    # and windows-1251 declared as UTF-8 (a common lie)
    assert decode_bytes(RU.encode("cp1251"), "utf-8", CHARSETS)[0] == RU


def test_format_flowed_paragraphs_are_joined() -> None:
    raw = mail(
        "From: a@b.c\nContent-Type: text/plain; charset=utf-8; format=flowed",
        b"My router drops the connection every \r\nevening at nine.\r\n\r\n"
        b"On Mon, 1 Jan 2024, Support <s@desk.example> wrote:\r\n"
        b"> Does it happen at a particular \r\n> time?\r\n",
    )
    body = parse_message(raw).body
    assert body.startswith("My router drops the connection every evening at nine.\n\n")
    assert body.endswith("> Does it happen at a particular time?")
    assert split_quoted(body)[0] == "My router drops the connection every evening at nine."
    assert unflow("abc \ndef", delsp=True) == "abcdef"
    assert unflow(" From me\n-- \nsig") == "From me\n-- \nsig"  # stuffing undone, sig kept
    # without format=flowed, lines stay as they are
    plain = parse_message(mail("From: a@b.c", b"one \r\ntwo\r\n")).body
    assert plain == "one \ntwo"


def test_raw_8bit_bytes_in_nested_headers_never_leak_out() -> None:
    raw = mail(
        'From: a@b.c\nContent-Type: multipart/mixed; boundary="m"',
        b"--m\r\nContent-Type: text/plain; charset=utf-8\xff\r\n\r\ntext\r\n"
        b"--m\r\nContent-Type: image/png\r\nContent-ID: <im\xc3g@x>\r\n\r\npng\r\n"
        b"--m\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: x@y.z\r\nMessage-ID: <csm\xc3.1@desk.example>\r\n\r\nreturned\r\n--m--\r\n",
    )
    parsed = parse_message(raw)
    assert_safe(parsed)
    assert parsed.body == "text"
    image, returned = parsed.attachments
    assert image.content_id is not None and len(image.content_id) == 6  # the byte, decoded
    assert returned.content_id is None
