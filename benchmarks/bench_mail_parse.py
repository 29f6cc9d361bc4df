"""Parse time per message of `domain.mail_parse.parse_message`, beside a bare stdlib parse.

    python benchmarks/bench_mail_parse.py [--messages 2000] [--runs 5] [--smoke]

The corpus is mixed the way a help desk's inbox is: the hand-written messages of
`tests/data/mail/` (legacy charsets, HTML-only, bounces, attachments ...) plus generated
ones (en/ru/lv plain text with quotes, HTML with a plain alternative, a PDF or an image
attached, 8-bit headers), --messages in all.  Each run parses every message once with both:

- `email.message_from_bytes(raw, policy=policy.default)` (the bare stdlib parse: it decodes
  nothing, reads no attachment, converts no HTML);
- `parse_message(raw)` (everything the intake needs).

It prints the median time per message of each (over the runs), the ratio, and the slowest
kinds of message.  Target: parse_message well under 5 ms a message (the intake aims at 200
messages a second end to end on SQLite).

It checks its own results (exit non-zero): every generated message parses (only some of the
hand-written ones are meant to be quarantined).  `--smoke` (CI): 100 messages, one run.
"""

from __future__ import annotations

import argparse
import base64
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from email import message_from_bytes, policy
from pathlib import Path

from csm_console.domain.mail import Unstorable
from csm_console.domain.mail_parse import parse_message

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "mail"

RU = "Здравствуйте! Не работает интернет уже второй день, роутер мигает красным. "
LV = "Labdien! Rēķins par šo mēnesi nav pareizs, lūdzu, pārbaudiet un izlabojiet. "
EN = "Hello, my invoice for March is wrong: I was charged twice for the same service. "


def generated(n: int, rng: random.Random) -> tuple[str, bytes]:
    language, text, charset = rng.choice(
        [("en", EN, "utf-8"), ("ru", RU, "koi8-r"), ("ru", RU, "utf-8"), ("lv", LV, "utf-8")]
    )
    body = (text * rng.randint(1, 8)).strip()
    quote = "\n\nOn Mon, 1 Jan 2024, Support <s@desk.example> wrote:\n" + "> old line\n" * 20
    head = (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@desk.example\r\n"
        f"Subject: =?utf-8?B?{base64.b64encode(f'Re: [#{n}] {text[:30]}'.encode()).decode()}?=\r\n"
        f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m{n}@example.com>\r\n"
        f"In-Reply-To: <csm.{n}@desk.example>\r\nMIME-Version: 1.0\r\n"
    )
    kind = rng.choice(["plain", "plain", "html", "attachment"])
    if kind == "plain":
        payload = (body + quote).encode(charset)
        return f"plain-{language}", head.encode() + (
            f"Content-Type: text/plain; charset={charset}\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode() + payload
    if kind == "html":
        html = "<html><body>" + "".join(f"<p>{s}</p>" for s in body.split(". ")) + "</body></html>"
        return "html-alternative", head.encode() + (
            'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
            f"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            f"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--alt--\r\n"
        ).encode()
    blob = base64.encodebytes(rng.randbytes(rng.choice([2_000, 50_000, 300_000]))).decode()
    return "attachment", head.encode() + (
        'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
        f"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        '--mix\r\nContent-Type: application/pdf; name="invoice.pdf"\r\n'
        'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{blob}\r\n--mix--\r\n"
    ).encode()


def corpus(count: int) -> list[tuple[str, bytes]]:
    rng = random.Random(14)
    messages = [("corpus:" + p.stem, p.read_bytes()) for p in sorted(CORPUS.glob("*.eml"))]
    while len(messages) < count:
        messages.append(generated(len(messages), rng))
    return messages[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="100 messages, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.runs = 100, 1
    messages = corpus(args.messages)
    size = sum(len(raw) for _, raw in messages)
    print(f"python {platform.python_version()}, {len(messages)} messages, {size / 1e6:.1f} MB")
    stdlib: list[float] = []
    ours: list[float] = []
    per_kind: dict[str, list[float]] = defaultdict(list)
    quarantined = 0
    refused: set[str] = set()
    for _ in range(args.runs):
        start = time.perf_counter()
        for _kind, raw in messages:
            message_from_bytes(raw, policy=policy.default)
        stdlib.append((time.perf_counter() - start) / len(messages))
        start = time.perf_counter()
        quarantined = 0
        for kind, raw in messages:
            one = time.perf_counter()
            try:
                parse_message(raw)
            except Unstorable:
                quarantined += 1
                if not kind.startswith("corpus"):
                    refused.add(kind)
            per_kind[kind.split(":")[0] if kind.startswith("corpus") else kind].append(
                time.perf_counter() - one
            )
        ours.append((time.perf_counter() - start) / len(messages))
    base, mine = statistics.median(stdlib), statistics.median(ours)
    print(f"stdlib message_from_bytes(policy.default): {base * 1e3:.3f} ms/message (median)")
    print(f"parse_message:                             {mine * 1e3:.3f} ms/message (median)")
    print(f"ratio parse_message / stdlib: {mine / base:.2f}; quarantined: {quarantined}")
    print("by kind (median ms, max ms):")
    for kind, times in sorted(per_kind.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {kind:<18} {statistics.median(times) * 1e3:7.3f} {max(times) * 1e3:8.3f}")
    if refused:
        sys.exit(f"bench_mail_parse: generated messages quarantined: {', '.join(sorted(refused))}")


if __name__ == "__main__":
    main()
