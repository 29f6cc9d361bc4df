"""`csm dev generate` and `csm dev mail-corpus`: synthetic load for benchmarks and trials."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from csm_console.cli.output import info, out
from csm_console.cli.progress import progress_bar
from csm_console.cli.state import state
from csm_console.devtools import generate as gen
from csm_console.devtools.mail_corpus import write_corpus
from csm_console.errors import UsageError
from csm_console.store.engine import translate_errors

app = typer.Typer(help="Developer tools: synthetic data for load tests.", no_args_is_help=True)


@app.command("generate")
def generate(
    ctx: typer.Context,
    tickets: int = typer.Option(
        ..., "--tickets", min=1, max=50_000_000, help="How many synthetic tickets to add."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same data)."),
) -> None:
    """Fill the store with N synthetic tickets (with threads), spread realistically."""
    store = state(ctx).store()
    started = time.perf_counter()

    with progress_bar() as progress, translate_errors(store):  # a full disk is exit 6
        result = gen.generate_tickets(store, count=tickets, seed=seed, progress=progress)
    elapsed = time.perf_counter() - started
    out.print(
        f"generated {result.tickets} tickets, {result.messages} messages, {result.tags} tags "
        f"(ids {result.first_id}–{result.last_id})",
        markup=False,
    )
    info(f"{elapsed:.1f} s, {result.tickets / elapsed:,.0f} tickets/s")


@app.command("mail-corpus")
def mail_corpus(
    folder: Path = typer.Argument(..., help="The Maildir to write (made if missing)."),
    messages: int = typer.Option(
        1000, "--messages", min=1, max=1_000_000, help="How many messages to write."
    ),
    seed: int = typer.Option(
        1, "--seed", min=0, max=2**31 - 1, help="Random seed (same seed, same files)."
    ),
    to: str = typer.Option(
        "support@example.com", "--to", help="The address the customers write to."
    ),
) -> None:
    """Write a Maildir of N synthetic customer e-mails (en/ru/lv, legacy charsets, HTML-only,
    attachments, a third of them answers with quoted history), for `csm mail import`."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder")
    with progress_bar() as progress:
        result = write_corpus(folder, messages=messages, seed=seed, to=to, progress=progress)
    out.print(
        f"wrote {result.messages} messages to {folder / 'new'}: {result.follow_ups} follow-ups, "
        f"{result.html_only} HTML-only, {result.attachments} with an attachment",
        markup=False,
    )
