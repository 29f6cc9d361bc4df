"""Write the hand-written mail corpus `tests/data/mail/*.eml`, bytes exactly as on the wire.

The files are committed; this script is how they were made (several need raw 8-bit bytes in
legacy charsets, which an editor would silently re-encode).  Re-run it after changing a message:

    .venv/bin/python scripts/make_mail_corpus.py

What each file is, and what parsing it must give, is in `tests/data/mail/README.md` and
`tests/data/mail/expected.json` (the test `tests/domain/test_mail_corpus.py` reads both).
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "mail"


def b64(text: str | bytes, charset: str = "utf-8") -> str:
    data = text.encode(charset) if isinstance(text, str) else text
    return base64.encodebytes(data).decode("ascii")


def word(text: str, charset: str = "utf-8", kind: str = "B") -> str:
    data = text.encode(charset)
    if kind == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="
    encoded = quopri.encodestring(data, header=True).decode("ascii")
    return f"=?{charset}?Q?{encoded}?="


def head(lines: str) -> bytes:
    """Header lines written with \\n, sent with CRLF."""
    return lines.strip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n"


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


MESSAGES: dict[str, bytes] = {}


def add(name: str, data: bytes) -> None:
    MESSAGES[name] = crlf(data)


# --- charsets ------------------------------------------------------------------------------

RU_TEXT = (
    "Здравствуйте!\n\nУ меня не работает интернет уже второй день. Роутер мигает красным,"
    " перезагрузка не помогает. Прошу прислать мастера.\n\nС уважением,\nАнна Смирнова\n"
)
LV_TEXT = (
    "Labdien!\n\nRēķins par šo mēnesi nav pareizs: man ir piestādīta maksa par pakalpojumu,"
    " ko neizmantoju. Lūdzu, pārbaudiet un izlabojiet.\n\nAr cieņu,\nJānis Bērziņš\n"
)

add(
    "koi8r.eml",
    head(f"""
From: {word("Анна Смирнова", "koi8-r")} <anna@example.ru>
To: support@desk.example
Subject: {word("Не работает интернет", "koi8-r")}
Date: Tue, 5 Mar 2024 09:15:00 +0300
Message-ID: <koi8r-1@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + RU_TEXT.encode("koi8-r"),
)

add(
    "cp1251-alias.eml",
    head(f"""
From: "{word("Анна Смирнова", "koi8-r")}" <anna@example.ru>
To: support@desk.example
Subject: =?win-1251?B?{base64.b64encode("Счёт за март".encode("cp1251")).decode()}?=
Date: Tue, 5 Mar 2024 10:00:00 +0300
Message-ID: <cp1251-alias@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset="cp-1251"
Content-Transfer-Encoding: base64
""")
    + b"\n"
    + b64("Счёт за март выставлен дважды — верните, пожалуйста, лишнее.\n", "cp1251").encode(),
)

add(
    "cp1251-declared-latin1.eml",
    head("""
From: Oleg Petrov <oleg@example.ru>
To: support@desk.example
Subject: Invoice
Date: Wed, 6 Mar 2024 11:00:00 +0300
Message-ID: <wrong-declared@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + "Добрый день! Прошу выслать закрывающие документы за февраль.\n".encode("cp1251"),
)

add(
    "x-unknown-charset.eml",
    head("""
From: Oleg Petrov <oleg@example.ru>
To: support@desk.example
Subject: Documents
Date: Wed, 6 Mar 2024 11:30:00 +0300
Message-ID: <x-unknown@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=x-unknown
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + "Где мои документы? Жду ответа уже неделю.\n".encode("koi8-r"),
)

add(
    "iso-8859-13.eml",
    head(f"""
From: {word("Jānis Bērziņš", "iso-8859-13", "Q")} <janis@example.lv>
To: support@desk.example
Subject: {word("Rēķins par martu", "iso-8859-13", "Q")}
Date: Thu, 7 Mar 2024 12:00:00 +0200
Message-ID: <iso885913@example.lv>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-13
Content-Transfer-Encoding: quoted-printable
""")
    + b"\n"
    + quopri.encodestring(LV_TEXT.encode("iso-8859-13")),
)

add(
    "windows-1257.eml",
    head("""
From: Liene Ozola <liene@example.lv>
To: support@desk.example
Subject: Pakalpojums
Date: Thu, 7 Mar 2024 13:00:00 +0200
Message-ID: <cp1257@example.lv>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1257
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + "Sveiki! Internets nedarbojas jau divas dienas. Lūdzu, atsūtiet meistaru uz Rīgu.\n"
    "Paldies, Liene\n".encode("cp1257"),
)

add(
    "utf7.eml",
    head(f"""
From: Old Client <old@example.net>
To: support@desk.example
Subject: {word("Привет из UTF-7", "utf-7", "B")}
Date: Fri, 8 Mar 2024 08:00:00 +0000
Message-ID: <utf7@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-7
Content-Transfer-Encoding: 7bit
""")
    + b"\n"
    + "Привет! Это письмо в кодировке UTF-7.\n".encode("utf-7"),
)

add(
    "8bit-headers.eml",
    head("""
To: support@desk.example
Date: Fri, 8 Mar 2024 09:00:00 +0300
Message-ID: <8bit-headers@example.ru>
MIME-Version: 1.0
Content-Type: text/plain
Content-Transfer-Encoding: 8bit
""")
    + "From: Иван Кузнецов <ivan@example.ru>\n".encode("cp1251")
    + "Subject: Вопрос по тарифу\n".encode("cp1251")
    + b"\n"
    + "Какой у меня сейчас тариф и сколько стоит переход на безлимит?\n".encode("cp1251"),
)

add(
    "8bit-headers-utf8.eml",
    head("""
To: support@desk.example
Date: Fri, 8 Mar 2024 09:30:00 +0200
Message-ID: <8bit-utf8@example.lv>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + "From: Pēteris Kļaviņš <peteris@example.lv>\n".encode()
    + "Subject: Savienojums pārtrūkst\n".encode()
    + b"\n"
    + "Savienojums pārtrūkst katru vakaru ap deviņiem.\n".encode(),
)

# --- structure -----------------------------------------------------------------------------

add(
    "html-only.eml",
    head("""
From: Web Shop <orders@shop.example.com>
To: support@desk.example
Subject: Order 5521 problem
Date: Sat, 9 Mar 2024 10:00:00 +0000
Message-ID: <html-only@shop.example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable
""")
    + b"\n"
    + quopri.encodestring(
        b"<html><head><title>Ignore me</title><style>p { color: red }</style>"
        b"<script>alert('stolen cookie')</script></head><body>"
        b"<p>Hello,</p><p>my order <b>5521</b> arrived <i>broken</i>.</p>"
        b"<table><tr><td>Item</td><td>Qty</td></tr><tr><td>Kettle</td><td>1</td></tr></table>"
        b'<p><a href="http://evil.example/">Click</a></p>'
        b'<img src="cid:logo"></body></html>\n'
    ),
)

add(
    "alternative.eml",
    head("""
From: Maria Ivanova <maria@example.com>
To: support@desk.example
Subject: Password reset does not arrive
Date: Sat, 9 Mar 2024 11:00:00 +0000
Message-ID: <alternative@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt-1"
""")
    + b"""
This is a multi-part message in MIME format.
--alt-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

The password reset mail never arrives (plain part).
--alt-1
Content-Type: text/html; charset=utf-8

<p>The password reset mail never arrives (<b>html part</b>).</p>
--alt-1--
""",
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
add(
    "nested.eml",
    head("""
From: Ilze Kalnina <ilze@example.lv>
To: support@desk.example
Cc: boss@example.lv
Subject: Screenshot of the error
Date: Sun, 10 Mar 2024 12:00:00 +0200
Message-ID: <nested@example.lv>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed"
""")
    + f"""
--mixed
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

The error appears when I pay by card. Screenshot inline, invoice attached.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>The error appears when I pay by card. <img src="cid:shot@x"></p>
--rel
Content-Type: image/png
Content-ID: <shot@x>
Content-Disposition: inline; filename="screenshot.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--rel--
--alt--
--mixed
Content-Type: application/pdf; name="invoice-0042.pdf"
Content-Disposition: attachment; filename="invoice-0042.pdf"
Content-Transfer-Encoding: base64

{b64(PDF)}
--mixed
Content-Type: message/rfc822
Content-Disposition: attachment

From: Bank <noreply@bank.example>
To: ilze@example.lv
Subject: Payment declined
Message-ID: <declined@bank.example>

Your payment was declined.
--mixed--
""".encode(),
)

RTL_NAME = "invoice\u202egpj.exe"
add(
    "hostile-names.eml",
    head("""
From: Attacker <mallory@example.org>
To: support@desk.example
Subject: Files
Date: Sun, 10 Mar 2024 13:00:00 +0000
Message-ID: <hostile-names@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="m"
""")
    + f"""
--m
Content-Type: text/plain; charset=utf-8

See the files.
--m
Content-Type: text/plain; name="../../../etc/passwd"
Content-Disposition: attachment; filename="../../../etc/passwd"

root:x:0:0
--m
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="C:\\\\Windows\\\\System32\\\\evil.exe"
Content-Transfer-Encoding: base64

{b64(b"MZ")}
--m
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''{"".join(f"%{b:02X}" for b in RTL_NAME.encode())}
Content-Transfer-Encoding: base64

{b64(b"MZ")}
--m
Content-Type: text/plain
Content-Disposition: attachment; filename="CON.txt"

device
--m
Content-Type: text/plain
Content-Disposition: attachment; filename="bell\\x07\\x1b[31mred.txt"

ctl
--m
Content-Type: application/pdf
Content-Disposition: attachment; filename="{word("Счёт №5.pdf")}"
Content-Transfer-Encoding: base64

{b64(PDF)}
--m
Content-Type: image/png
Content-Transfer-Encoding: base64

{b64(PNG)}
--m
Content-Type: application/pdf
Content-Disposition: attachment; filename="..."
Content-Transfer-Encoding: base64

{b64(PDF)}
--m--
""".replace("\\x07", "\x07")
    .replace("\\x1b", "\x1b")
    .encode(),
)

# --- bounces -------------------------------------------------------------------------------

add(
    "dsn-standard.eml",
    head("""
Return-Path: <>
From: MAILER-DAEMON@mx.desk.example (Mail Delivery System)
To: support@desk.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 11 Mar 2024 08:00:00 +0000
Message-ID: <20240311080000.ABC12@mx.desk.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"
""")
    + b"""
This is a MIME-encapsulated message.

--dsn
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.desk.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.com>: host mx.example.com[192.0.2.7] said: 550 5.1.1
    <nobody@example.com>: Recipient address rejected: User unknown

--dsn
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.desk.example
X-Postfix-Queue-ID: ABC12
Arrival-Date: Mon, 11 Mar 2024 07:59:58 +0000

Final-Recipient: rfc822; nobody@example.com
Original-Recipient: rfc822;nobody@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address
    rejected: User unknown

--dsn
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Support <support@desk.example>
To: nobody@example.com
Subject: Re: [#1234] Router
Message-ID:
 <csm.1234.42@desk.example>
X-CSM-Loop: desk-7f3a

--dsn--
""",
)

add(
    "dsn-qmail.eml",
    head("""
From: MAILER-DAEMON@mail.example.net
To: support@desk.example
Subject: failure notice
Date: Mon, 11 Mar 2024 09:00:00 +0000
Message-ID: <qmail-bounce-1@mail.example.net>
""")
    + b"""
Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gone@example.net>:
192.0.2.8 does not like recipient.
Remote host said: 550 5.1.1 <gone@example.net>... User unknown
Giving up on 192.0.2.8.

--- Below this line is a copy of the message.

Return-Path: <support@desk.example>
Received: (qmail 1234 invoked from network); 11 Mar 2024 08:59:59 -0000
From: Support <support@desk.example>
To: gone@example.net
Subject: Re: [#1300] Refund
Message-ID: <csm.1300.7@desk.example>

Your refund is on its way.
""",
)

add(
    "dsn-exim.eml",
    head("""
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@exim.example.org>
To: support@desk.example
Subject: Mail delivery failed: returning message to sender
Date: Mon, 11 Mar 2024 10:00:00 +0000
Message-Id: <E1rjXyz-0001Ab-Cd@exim.example.org>
X-Failed-Recipients: full@example.org
Auto-Submitted: auto-replied
""")
    + b"""
This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  full@example.org
    host mx.example.org [192.0.2.9]
    SMTP error from remote mail server after RCPT TO:<full@example.org>:
    552 5.2.2 Mailbox full

------ This is a copy of the message, including all the headers. ------

Return-path: <support@desk.example>
From: Support <support@desk.example>
To: full@example.org
Subject: Re: [#1301] Contract
Message-ID: <csm.1301.3@desk.example>

Please sign the contract.
""",
)

add(
    "dsn-no-from.eml",
    head("""
Return-Path: <>
To: support@desk.example
Subject: Delivery Status Notification (Failure)
Date: Mon, 11 Mar 2024 11:00:00 +0000
Message-ID: <no-from-dsn@relay.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r"
""")
    + b"""
--r
Content-Type: text/plain

Delivery to the following recipient failed permanently: lost@example.com
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; lost@example.com
Action: failed
Status: 5.0.0
--r
Content-Type: message/rfc822

From: support@desk.example
To: lost@example.com
Subject: Re: [#1302] Hello
Message-ID: <csm.1302.1@desk.example>

Hello.
--r--
""",
)

add(
    "dsn-delay.eml",
    head("""
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>
To: support@desk.example
Subject: Delivery Status Notification (Delay)
Date: Mon, 11 Mar 2024 12:00:00 +0000
Message-ID: <delay-dsn@relay.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r"
""")
    + b"""
--r
Content-Type: text/plain

Delivery to the following recipient has been delayed: slow@example.com
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; slow@example.com
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp; 451 4.4.7 Try again later
--r
Content-Type: text/rfc822-headers

From: support@desk.example
To: slow@example.com
Subject: Re: [#1303] Waiting
Message-ID: <csm.1303.2@desk.example>
--r--
""",
)

# --- automatic mail, loops, missing headers --------------------------------------------------

add(
    "ooo-en.eml",
    head("""
From: Tom Baker <tom@example.co.uk>
To: support@desk.example
Subject: Automatic reply: [#1234] Router
Date: Tue, 12 Mar 2024 08:00:00 +0000
Message-ID: <ooo-en@example.co.uk>
In-Reply-To: <csm.1234.42@desk.example>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=us-ascii
""")
    + b"""
I am out of the office until 18 March with limited access to e-mail.
""",
)

add(
    "ooo-ru.eml",
    head(f"""
From: {word("Светлана Орлова")} <sveta@example.ru>
To: support@desk.example
Subject: {word("Автоответ: Re: [#1235] Тариф")}
Date: Tue, 12 Mar 2024 09:00:00 +0300
Message-ID: <ooo-ru@example.ru>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + "Я в отпуске до 20 марта. По срочным вопросам звоните коллеге.\n".encode(),
)

add(
    "suppress-normal.eml",
    head("""
From: Alice Cooper <alice@corp.example>
To: support@desk.example
Subject: VPN question
Date: Tue, 12 Mar 2024 10:00:00 +0000
Message-ID: <suppress-normal@corp.example>
X-Auto-Response-Suppress: All
X-MS-Has-Attach:
Content-Type: text/plain; charset=us-ascii
""")
    + b"""
How do I set up the VPN on a new laptop?
""",
)

add(
    "bulk-newsletter.eml",
    head("""
From: News <news@letters.example>
To: support@desk.example
Subject: Our spring offers
Date: Tue, 12 Mar 2024 11:00:00 +0000
Message-ID: <bulk@letters.example>
Precedence: bulk
List-Unsubscribe: <mailto:unsubscribe@letters.example>
Content-Type: text/plain; charset=us-ascii
""")
    + b"""
Spring offers inside.
""",
)

add(
    "loop.eml",
    head("""
From: Support <support@desk.example>
To: support@desk.example
Subject: Re: [#1234] Router
Date: Tue, 12 Mar 2024 12:00:00 +0000
Message-ID: <csm.1234.43@desk.example>
X-CSM-Loop: desk-7f3a
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8
""")
    + b"""
We have received your request.
""",
)

add(
    "no-from.eml",
    head("""
To: support@desk.example
Subject: Who am I
Date: Tue, 12 Mar 2024 13:00:00 +0000
Message-ID: <no-from@example.com>
Content-Type: text/plain; charset=us-ascii
""")
    + b"""
Nobody knows who sent this.
""",
)

add(
    "no-message-id.eml",
    head("""
From: "Brown, Charlie" <charlie@example.com>
To: support@desk.example
Subject: No id
Date: 12 Mar 2024 14:00 GMT
Content-Type: text/plain; charset=us-ascii
""")
    + b"""
My mail program writes no Message-ID.
""",
)

add(
    "tag-reply.eml",
    head("""
From: Anna Smirnova <anna@example.ru>
To: Support <support@desk.example>
Subject: Re: [#1234] Router
Date: Wed, 13 Mar 2024 08:00:00 +0300
Message-ID: <tag-reply@example.ru>
In-Reply-To: <csm.1234.42@desk.example> (Support's message of Tue)
References: <koi8r-1@example.ru> garbage
 <csm.1234.42@desk.example>
\t<csm.1234.42@desk.example> <not an id> <also@ok>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + """Спасибо, мастер пришёл, всё работает.

13 марта 2024 г., в 10:00, Support <support@desk.example> написал(а):
> Мастер будет у вас завтра с 10 до 12.
>
> [#1234]
""".encode(),
)

add(
    "quoted-outlook-ru.eml",
    head("""
From: Pavel Sidorov <pavel@example.ru>
To: support@desk.example
Subject: RE: [#1236] Договор
Date: Wed, 13 Mar 2024 09:00:00 +0300
Message-ID: <outlook-ru@example.ru>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + """Подписанный договор во вложении отправлю завтра.

Павел

-----Исходное сообщение-----
От: Support <support@desk.example>
Отправлено: 12 марта 2024 г. 18:00
Кому: Pavel Sidorov <pavel@example.ru>
Тема: [#1236] Договор

Please sign the contract. We need it by Friday.
""".encode(),
)

add(
    "quoted-lv.eml",
    head("""
From: =?utf-8?Q?J=C4=81nis_B=C4=93rzi=C5=86=C5=A1?= <janis@example.lv>
To: support@desk.example
Subject: Re: [#1237] Rēķins
Date: Wed, 13 Mar 2024 10:00:00 +0200
Message-ID: <quoted-lv@example.lv>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + """Paldies, tagad viss ir kārtībā.

Jānis

otrd., 2024. g. 12. marts, plkst. 17:00 — lietotājs Support (<support@desk.example>) rakstīja:
> Dear customer, we have corrected the invoice.
> Kind regards, Support
""".encode(),
)

# --- broken and hostile ---------------------------------------------------------------------

add(
    "broken-structure.eml",
    head("""
From: Broken Mailer <broken@example.com>
To: support@desk.example
Subject: =?utf-8?B?broken base64!!?= and =?unknown-charset?Q?caf=E9?=
Date: Thu, 32 Foo 2024 25:61:00 +9999
Message-ID: <broken@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""")
    + b"""
--outer
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVsbG8sIHRoZSBhdHRhY2htZW50IGlzIGJyb2tlbg==!!!not base64
--outer
Content-Type: application/pdf; name="cut.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfs
--wrong-boundary
Content-Type: text/plain

this part is inside the pdf now
""",
)

add(
    "hostile-text.eml",
    head("""
From: "Evil\x1b]0;pwned\x07 Corp" <evil@example.com>
To: support@desk.example
Subject: [@click=app.quit]Free money[/] \x1b[2J\x00 =?utf-8?Q?=1B=5D52=3Bc=3BZXZpbA=3D=3D=07?=
Date: Thu, 14 Mar 2024 08:00:00 +0000
Message-ID: <hostile-text@example.com>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
""")
    + b"\n"
    + "Text with NUL \x00 and ESC \x1b[31mred\x1b[0m and bidi \u202egnp.exe and \x9b31m.\n".encode(
        "utf-8"
    ),
)


def _deep(levels: int) -> bytes:
    out = head("""
From: Deep <deep@example.com>
To: support@desk.example
Subject: Deep nesting
Message-ID: <deep@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b0"
""")
    out += b"\n"
    for level in range(1, levels):
        out += f'--b{level - 1}\nContent-Type: multipart/mixed; boundary="b{level}"\n\n'.encode()
    out += f"--b{levels - 1}\nContent-Type: text/plain\n\ndeep\n".encode()
    for level in reversed(range(levels)):
        out += f"--b{level}--\n".encode()
    return out


add("deep-nesting.eml", _deep(60))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(MESSAGES.items()):
        (OUT / name).write_bytes(data)
    print(f"wrote {len(MESSAGES)} messages to {OUT}")


if __name__ == "__main__":
    main()
