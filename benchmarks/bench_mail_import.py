"""`csm mail import` of a generated Maildir, beside a bare stdlib parse of the same files.

    python benchmarks/bench_mail_import.py [--messages 10000] [--runs 3] [--smoke]
        [--before DIR] [--stores sqlite,postgresql]

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

With `--before DIR` (another copy of the package, e.g. made with `git archive main csm_console
sample_data themes | tar -x -C DIR`), each import runs in a process of its own, once with the
package under DIR and once with this tree's, interleaved --runs times (each into a fresh
store), beside a bare parse of the same run; it prints the medians, each as a ratio to the
bare parse, and the speed-up.

It checks its own results (exit non-zero): the first import accounts for every message, the
re-run finds only duplicates.  `--smoke` (CI): 100 messages, one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from bench_store import POSTGRES, scratch_database, scratch_stores

from csm_console.channels.mail_files import find_messages
from csm_console.devtools.mail_corpus import write_corpus
from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.domain.mail_parse import parse_message
from csm_console.services import setup
from csm_console.services.mail_import import import_messages

HERE = Path(__file__).resolve().parent
THIS_TREE = HERE.parent

# One import in a process of its own, with the csm_console package under argv[1] (ahead of an
# editable install's finder): a fresh store at argv[2], the Maildir argv[3]; prints JSON.
IMPORT_IN_TREE = """\
import json, sys, time
tree, url, folder = sys.argv[1:4]
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, tree)
import csm_console
assert csm_console.__file__.startswith(tree), csm_console.__file__
csm_console.__path__.append(tree)  # sample_data/ and themes/ sit beside the package
from pathlib import Path
from csm_console.channels.mail_files import find_messages
from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.services import setup
from csm_console.services.mail_import import import_messages
from csm_console.store.engine import Store
box = Mailbox(name="support", addresses=("support@example.com",))
mail = MailSettings(mailboxes=(box,))
store = Store(url)
setup.initialize(store)
setup.load_sample(store)
found = find_messages([Path(folder)])
started = time.perf_counter()
first = import_messages(store, found, mail=mail, mailbox=box)
spent = time.perf_counter() - started
started = time.perf_counter()
again = import_messages(store, find_messages([Path(folder)]), mail=mail, mailbox=box)
rerun = time.perf_counter() - started
store.dispose()
print(json.dumps({"messages": len(found), "seconds": spent, "rerun": rerun,
                  "line": first.line(), "again": sorted(again.outcomes),
                  "accounted": sum(first.outcomes.values())}))
"""

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
    parser.add_argument(
        "--before", type=Path, help="a directory holding another csm_console to compare with"
    )
    parser.add_argument(
        "--stores", default="sqlite,postgresql", help="with --before: which stores to measure"
    )
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.runs = 100, 1
    if args.before:
        before_and_after(args)
        return
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


@contextmanager
def empty_store(kind: str) -> Iterator[str]:
    """The URL of an empty store of this kind (a scratch PostgreSQL database is dropped after)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with scratch_database() as url:
        yield url


def import_in(tree: Path, kind: str, folder: Path) -> dict[str, object]:
    """One import (and its re-run) into a fresh store, in a process using the package under
    `tree`."""
    with empty_store(kind) as url:
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_IN_TREE, str(tree.resolve()), url, str(folder)],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
    if done.returncode != 0:
        sys.exit(f"{kind} import under {tree} failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["accounted"] != result["messages"]:
        sys.exit(f"{kind}: {result['messages']} messages, but the import says {result['line']}")
    if result["again"] != ["duplicate"]:
        sys.exit(f"{kind}: a re-run took something in again: {result['again']}")
    return result


def before_and_after(args: argparse.Namespace) -> None:
    """Interleaved imports with the package under --before and this tree's, medians."""
    kinds = [k for k in args.stores.split(",") if k == "sqlite" or (k == "postgresql" and POSTGRES)]
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"{platform.node()}: Python {platform.python_version()}, {args.messages} messages")
    print(f"load average at start: {load}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Maildir"
        write_corpus(folder, messages=args.messages)
        raws = [p.read_bytes() for p in sorted((folder / "new").iterdir())]
        bares: list[float] = []
        rates: dict[tuple[str, str], list[float]] = {}
        ratios: dict[tuple[str, str], list[float]] = {}
        reruns: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs):
            for kind in kinds:
                order = [("before", args.before), ("after", THIS_TREE)]
                if run % 2:
                    order.reverse()
                for label, tree in order:
                    bare = median_of(bare_parse, raws, 1)
                    bares.append(bare)
                    result = import_in(tree, kind, folder)
                    seconds = float(result["seconds"])  # type: ignore[arg-type]
                    n = int(result["messages"])  # type: ignore[call-overload]
                    rates.setdefault((kind, label), []).append(n / seconds)
                    ratios.setdefault((kind, label), []).append(seconds / bare)
                    reruns.setdefault((kind, label), []).append(
                        n / float(result["rerun"])  # type: ignore[arg-type]
                    )
                    print(
                        f"run {run + 1} {kind:10} {label:6} {n / seconds:6.0f} messages/s  "
                        f"{seconds / bare:5.1f}x the bare parse  re-run "
                        f"{n / float(result['rerun']):5.0f}/s  ({result['line']})",  # type: ignore[arg-type]
                        flush=True,
                    )
        median = statistics.median
        print(f"bare stdlib parse: {median(bares) / len(raws) * 1000:.3f} ms/message (median)")
        for kind in kinds:
            b, a = rates[(kind, "before")], rates[(kind, "after")]
            print(
                f"{kind:10} before {median(b):6.0f}/s ({median(ratios[(kind, 'before')]):.1f}x "
                f"the bare parse), after {median(a):6.0f}/s "
                f"({median(ratios[(kind, 'after')]):.1f}x): speed-up {median(a) / median(b):.2f}x;"
                f" re-run {median(reruns[(kind, 'before')]):.0f}/s -> "
                f"{median(reruns[(kind, 'after')]):.0f}/s"
            )
            # each run's pair shares one stretch of load: its own speed-up, by the ratios to
            # the bare parse and by the rates, then their medians
            by_ratio = [
                x / y
                for x, y in zip(ratios[(kind, "before")], ratios[(kind, "after")], strict=True)
            ]
            by_rate = [y / x for x, y in zip(b, a, strict=True)]
            print(
                f"{kind:10} speed-up of each run's pair, by the ratios: "
                + ", ".join(f"{x:.2f}x" for x in by_ratio)
                + f" (median {median(by_ratio):.2f}x); by the rates: "
                + ", ".join(f"{x:.2f}x" for x in by_rate)
                + f" (median {median(by_rate):.2f}x)"
            )
    with open("/proc/loadavg") as f:
        print(f"load average at end: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
