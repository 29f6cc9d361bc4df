"""Outbox delivery: `mail_send.deliver` (claim in batches, build each mail's bytes, send over
one reused SMTP connection, record each result in its own transaction) against smtplib alone
sending the same prebuilt messages over one connection, to a local aiosmtpd that accepts and
discards (tests/smtp_server.py --mode sink, a process of its own).

    python benchmarks/bench_outbox.py [--mails 5000] [--runs 3] [--batch 50] [--smoke]

Goal: at least 100 mails a second on SQLite.  CSM_BENCH_POSTGRES_URL adds PostgreSQL.
It checks its own results (exit non-zero): every run sends every mail, and none is left
unsent.  `--smoke` (CI): 100 mails, one run.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_store import scratch_stores
from sqlalchemy import select, update
from sqlmodel import col

from csm_console.domain.mail import Mailbox, MailSettings
from csm_console.domain.model import AuthorKind, Role
from csm_console.domain.outgoing import OutKind
from csm_console.services import mail_send, outbox, tickets
from csm_console.services.acting import resolve_actor
from csm_console.store.engine import Store
from csm_console.store.models import Agent, Message, OutgoingMail, Team, Ticket

ROOT = Path(__file__).resolve().parents[1]
BOX = Mailbox(name="support", addresses=("support@desk.example",))


def queue(store: Store, mails: int) -> None:
    """`mails` agent replies on 100 e-mail tickets, each queued as `tickets.reply` queues it
    (`outbox.queue_mail`), written in one transaction to keep the set-up short."""
    with store.write() as session:
        team = Team(name="Frontline", tier="L1")
        session.add(team)
        session.flush()
        session.add(
            Agent(handle="olga", name="Olga", email="o@x", role=Role.OPERATOR.value, tier="L1",
                  team_id=team.id)
        )  # fmt: skip
    olga = resolve_actor(store, "olga")
    ids = [
        tickets.create_ticket(
            store, actor=olga, customer_email=f"c{n}@example.com", subject=f"Q {n}", body="Hi"
        ).id
        for n in range(100)
    ]
    with store.write() as session:
        for n in range(mails):
            ticket = session.get(Ticket, ids[n % len(ids)])
            assert ticket is not None
            message = Message(
                ticket_id=ticket.id or 0, author_kind=AuthorKind.AGENT.value, agent_id=olga.id,
                internal=False, body=f"Answer {n}\n" + "Some text of a reply. " * 20,
                created_at=ticket.created_at,
            )  # fmt: skip
            session.add(message)
            outbox.queue_mail(
                session, mail=store.mail, ticket=ticket, message=message, kind=OutKind.REPLY,
                now=ticket.created_at,
            )  # fmt: skip


def requeue(store: Store) -> None:
    with store.write() as session:
        session.execute(
            update(OutgoingMail).values(
                state="queued", attempts=0, claimed_by=None, claimed_until=None, sent_at=None
            )
        )


def prebuilt(store: Store) -> list[tuple[str, str, bytes]]:
    """The same messages, built once, as a bare smtplib sender would have them."""
    claimed = mail_send.claim(store, mail=store.mail, worker="prebuild", limit=10**9)
    requeue(store)
    return [(c.sender, c.recipient, c.data or b"") for c in claimed]


def bare_smtplib(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, recipient, data in messages:
            smtp.sendmail(sender, [recipient], data)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="100 mails, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.mails, args.runs = 100, 1
    with tempfile.TemporaryDirectory() as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_server", sink, "--mode", "sink"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        try:
            for kind, store in scratch_stores():
                store.mail = MailSettings(mailboxes=(BOX,), smtp_url=f"smtp://127.0.0.1:{port}")
                queue(store, args.mails)
                messages = prebuilt(store)
                outbox_times, bare_times = [], []
                for _ in range(args.runs):
                    requeue(store)
                    began = time.perf_counter()
                    report = mail_send.deliver(store, mail=store.mail, batch=args.batch)
                    outbox_times.append(time.perf_counter() - began)
                    if report.sent != args.mails:
                        sys.exit(f"bench_outbox: {kind}: {args.mails} queued, {report.summary()}")
                    bare_times.append(bare_smtplib(port, messages))
                with store.read() as session:
                    left = session.execute(
                        select(col(OutgoingMail.id)).where(col(OutgoingMail.state) != "sent")
                    ).all()
                if left:
                    sys.exit(f"bench_outbox: {kind}: {len(left)} mails left unsent")
                ours, bare = statistics.median(outbox_times), statistics.median(bare_times)
                print(
                    f"{kind:<10} {args.mails} mails, batch {args.batch}: outbox "
                    f"{args.mails / ours:7.0f} mails/s ({ours:.2f} s)  smtplib alone "
                    f"{args.mails / bare:7.0f} mails/s ({bare:.2f} s)  ratio {ours / bare:.2f}x"
                    f"  (median of {args.runs})"
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
