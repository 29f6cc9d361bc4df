"""`csm mail import` of a generated Maildir, beside a bare stdlib parse of the same files.

    python benchmarks/bench_mail_import.py [--messages 10000] [--runs 3] [--smoke]

The Maildir is `devtools.mail_corpus` (seed 1): customers writing in English, Russian and
Latvian, some in KOI8-R, windows-1251 or windows-1257, some HTML-only, some with a PDF
attached, a third of them answers to an earlier message (quoted history, In-Reply-To).  Then:

- baseline: read every file and `email.message_from_bytes(raw, policy=policy.default)`, with
  the text part's content (what any mail program must at least do), median of --runs;
- parse: `domain.mail_parse.parse_message` of the same bytes, median of --runs;
- import: `services.mail_import.import_messages` into a fresh store holding the sample
  operation (teams, agents, routing rules): customers, tickets, follow-ups, attachments, SLA
  clocks, audit, one transaction per message.  Once per store (SQLite; PostgreSQL too with
  CSM_BENCH_POSTGRES_URL set), then once more over the same files, which must add nothing.

Goal (issue 14): at least 200 messages a second on SQLite.

It checks its own results (exit non-zero): the first import accounts for every message, the
re-run finds only duplicates.  `--smoke` (CI): 100 messages, one run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from bench_store import scratch_stores

from csm_console.channels.mail_files import find_messages
from csm_console.devtools.mail_corpus import write_corpus
from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.domain.mail_parse import parse_message
from csm_console.services import setup
from csm_console.services.mail_import import import_messages

MAILBOX = Mailbox(name="support", addresses=("support@example.com",))
SETTINGS = MailSettings(mailboxes=(MAILBOX,))


def bare_parse(raws: list[bytes]) -> None:
    for raw in raws:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        body = msg.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()


def our_parse(raws: list[bytes]) -> None:
    for raw in raws:
        parse_message(raw)


def median_of(fn: object, raws: list[bytes], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn(raws)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="100 messages, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.runs = 100, 1
    print(f"{platform.node()}: Python {platform.python_version()}, {args.messages} messages")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Maildir"
        corpus = write_corpus(folder, messages=args.messages)
        print(
            f"corpus: {corpus.follow_ups} follow-ups, {corpus.html_only} HTML-only, "
            f"{corpus.attachments} with an attachment"
        )
        raws = [p.read_bytes() for p in sorted((folder / "new").iterdir())]
        bare = median_of(bare_parse, raws, args.runs)
        ours = median_of(our_parse, raws, args.runs)
        print(f"bare stdlib parse   {bare / len(raws) * 1000:7.3f} ms/message  (baseline)")
        print(
            f"parse_message       {ours / len(raws) * 1000:7.3f} ms/message  "
            f"{ours / bare:.2f}x the baseline"
        )
        for kind, store in scratch_stores():
            setup.load_sample(store)
            found = find_messages([folder])
            started = time.perf_counter()
            summary = import_messages(store, found, mail=SETTINGS, mailbox=MAILBOX)
            spent = time.perf_counter() - started
            if sum(summary.outcomes.values()) != len(found):
                sys.exit(f"{kind}: {len(found)} messages, but the import says {summary.line()}")
            print(
                f"{kind:10} import  {len(found) / spent:7.0f} messages/s  "
                f"{spent / bare:.1f}x the bare parse  ({summary.line()})"
            )
            started = time.perf_counter()
            again = import_messages(store, find_messages([folder]), mail=SETTINGS, mailbox=MAILBOX)
            spent = time.perf_counter() - started
            print(f"{kind:10} re-run  {len(found) / spent:7.0f} messages/s  ({again.line()})")
            if set(again.outcomes) != {"duplicate"}:
                sys.exit(f"a re-run took something in again: {again.line()}")


if __name__ == "__main__":
    main()
