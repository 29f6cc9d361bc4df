"""Synthetic inbound mail: `csm dev mail-corpus DIR --messages N` writes a Maildir.

The messages look like a help desk's real inbox: customers writing in English, Russian and
Latvian (in UTF-8, and some Russian in KOI8-R or windows-1251, some Latvian in windows-1257),
some as HTML only, some with a small attachment, and about a third of them answers to an
earlier message of the same customer (`In-Reply-To` and `References`, quoted history, `Re:`).
The same seed gives the same files, byte for byte, so a benchmark measures the same input on
every run.  Dates rise with the file order, a few minutes apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from csm_console.services.progress import Progress, no_progress

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FOLLOW_UP_SHARE = 1 / 3
HTML_SHARE = 0.15
ATTACHMENT_SHARE = 0.1

_FIRST = {
    "en": ["John", "Mary", "Peter", "Linda", "James", "Susan", "Robert", "Karen"],
    "ru": ["Иван", "Мария", "Пётр", "Ольга", "Сергей", "Анна", "Дмитрий", "Елена"],
    "lv": ["Jānis", "Līga", "Andris", "Inese", "Mārtiņš", "Ilze", "Kārlis", "Dace"],
}
_LAST = {
    "en": ["Smith", "Brown", "Taylor", "Wilson", "Clark", "Lewis"],
    "ru": ["Иванов", "Петрова", "Смирнов", "Кузнецова", "Попов", "Соколова"],
    "lv": ["Bērziņš", "Kalniņa", "Ozols", "Liepiņa", "Krūmiņš", "Zariņa"],
}
_TOPICS = {
    "en": [
        ("Invoice is wrong", "The invoice for November charges me twice for the same plan."),
        (
            "Cannot log in",
            "Since this morning I cannot log in: the page says my password is wrong.",
        ),
        ("Cancel my contract", "Please cancel my contract at the end of this month."),
        ("Internet is slow", "The connection drops every evening between 8 and 10 pm."),
        ("Change of address", "We moved. Please send the invoices to our new address."),
    ],
    "ru": [
        ("Неверный счёт", "В счёте за ноябрь тариф списан дважды. Прошу разобраться."),
        ("Не могу войти", "С утра не могу войти в личный кабинет: пишет, что пароль неверный."),
        ("Расторжение договора", "Прошу расторгнуть договор с конца этого месяца."),
        ("Медленный интернет", "Каждый вечер с 20 до 22 пропадает соединение."),
        ("Смена адреса", "Мы переехали, пришлите, пожалуйста, счета на новый адрес."),
    ],
    "lv": [
        ("Nepareizs rēķins", "Novembra rēķinā tas pats tarifs ir iekasēts divreiz."),
        ("Nevaru pieslēgties", "Kopš rīta nevaru pieslēgties: raksta, ka parole ir nepareiza."),
        ("Līguma laušana", "Lūdzu, lauziet manu līgumu no šī mēneša beigām."),
        ("Lēns internets", "Katru vakaru no 20 līdz 22 pazūd savienojums."),
        ("Adreses maiņa", "Mēs pārcēlāmies. Lūdzu, sūtiet rēķinus uz jauno adresi."),
    ],
}
_FOLLOW_UPS = {
    "en": ["Thank you, but the problem is still there.", "Any news on this?"],
    "ru": ["Спасибо, но проблема осталась.", "Есть новости по моему вопросу?"],
    "lv": ["Paldies, bet problēma joprojām ir.", "Vai ir kādi jaunumi?"],
}
_WROTE = {"en": "On {date}, {name} wrote:", "ru": "{date}, {name} написал(а):",
          "lv": "{date} {name} rakstīja:"}  # fmt: skip
_LEGACY = {"ru": ("koi8-r", "windows-1251"), "lv": ("windows-1257",), "en": ()}
_LATIN = str.maketrans("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ", "acegiklnsuzACEGIKLNSUZ")
_CYRILLIC = dict(
    zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeejzijklmnoprstufhccss_y_eua", strict=True)
)


@dataclass(frozen=True)
class CorpusResult:
    messages: int
    follow_ups: int
    html_only: int
    attachments: int
    folder: Path


@dataclass
class _Sent:
    message_id: str
    subject: str
    body: str
    when: datetime
    name: str


def _ascii_local(text: str) -> str:
    low = text.lower().translate(_LATIN)
    return "".join(_CYRILLIC.get(ch, ch) for ch in low if ch.isalnum() or ch in _CYRILLIC)


def _customer(rng: random.Random, number: int) -> tuple[str, str, str]:
    language = rng.choice(("en", "en", "ru", "lv"))
    first, last = rng.choice(_FIRST[language]), rng.choice(_LAST[language])
    domain = {"en": "example.com", "ru": "example.ru", "lv": "example.lv"}[language]
    address = f"{_ascii_local(first)}.{_ascii_local(last)}{number}@{domain}"
    return language, f"{first} {last}", address


def _set_text(msg: EmailMessage, text: str, html: bool, charset: str) -> None:
    if html:
        paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n") if line)
        msg.set_content(f"<html><body>{paragraphs}</body></html>", subtype="html")
    elif charset == "utf-8":
        msg.set_content(text)
    else:
        msg.set_content(text.encode(charset, errors="replace"), maintype="text",
                        subtype="plain", cte="8bit", params={"charset": charset})  # fmt: skip


def build_message(
    rng: random.Random, number: int, when: datetime, customers: list[tuple[str, str, str]],
    history: dict[str, list[_Sent]], to: str,
) -> tuple[bytes, str]:  # fmt: skip
    """One message (its bytes) and what kind it is: new, follow-up, html, attachment."""
    answering = bool(history) and rng.random() < FOLLOW_UP_SHARE
    if answering:  # a customer who wrote before answers their own last message
        address = rng.choice(list(history))
        language, name, _ = next(c for c in customers if c[2] == address)
    else:
        language, name, address = rng.choice(customers)
    earlier = history.get(address) if answering else None
    msg = EmailMessage()
    kind = "new"
    message_id = f"<{number}.{rng.getrandbits(48):012x}@{address.split('@')[1]}>"
    if earlier:
        last = earlier[-1]
        subject = last.subject if last.subject.startswith("Re: ") else f"Re: {last.subject}"
        quoted = "\n".join(f"> {line}" for line in last.body.split("\n"))
        wrote = _WROTE[language].format(date=format_datetime(last.when), name=last.name)
        body = f"{rng.choice(_FOLLOW_UPS[language])}\n\n{wrote}\n{quoted}\n"
        msg["In-Reply-To"] = last.message_id
        msg["References"] = " ".join(s.message_id for s in earlier[-5:])
        kind = "follow-up"
    else:
        subject, text = rng.choice(_TOPICS[language])
        body = f"{text}\n\n{name}\n"
    html = rng.random() < HTML_SHARE
    charset = "utf-8"
    if not html and _LEGACY[language] and rng.random() < 0.3:
        charset = rng.choice(_LEGACY[language])
    msg["From"] = Address(display_name=name, addr_spec=address)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    _set_text(msg, body, html, charset)
    if html:
        kind = "html" if kind == "new" else kind
    if rng.random() < ATTACHMENT_SHARE:
        size = rng.randint(2_000, 60_000)
        msg.add_attachment(rng.randbytes(size), maintype="application", subtype="pdf",
                           filename=f"scan-{number}.pdf")  # fmt: skip
        kind = "attachment" if kind == "new" else kind
    for depth, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_csm_{number}_{depth}_{rng.getrandbits(32):08x}")  # not random
    history.setdefault(address, []).append(_Sent(message_id, subject, body, when, name))
    return msg.as_bytes(), kind


def write_corpus(
    folder: Path,
    *,
    messages: int,
    seed: int = 1,
    to: str = "support@example.com",
    progress: Progress | None = None,
) -> CorpusResult:
    """Write `messages` messages into the Maildir `folder` (made if missing; `new/` holds them)."""
    rng = random.Random(seed)
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    customers = [_customer(rng, n) for n in range(max(1, messages // 4))]
    history: dict[str, list[_Sent]] = {}
    counts = {"follow-up": 0, "html": 0, "attachment": 0}
    progress = progress or no_progress
    when = START
    for number in range(1, messages + 1):
        when += timedelta(seconds=rng.randint(20, 400))
        raw, kind = build_message(rng, number, when, customers, history, to)
        counts[kind] = counts.get(kind, 0) + 1
        name = f"{int(when.timestamp())}.M{number}P{seed}.csm-corpus"
        (folder / "new" / name).write_bytes(raw)
        if number % 200 == 0 or number == messages:
            progress("writing mail", number, messages)
    return CorpusResult(
        messages=messages,
        follow_ups=counts["follow-up"],
        html_only=counts["html"],
        attachments=counts["attachment"],
        folder=folder,
    )
