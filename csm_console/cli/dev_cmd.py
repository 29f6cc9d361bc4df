"""`csm dev generate`: synthetic load for benchmarks and trials."""

from __future__ import annotations

import time

import typer

from csm_console.cli.output import info, out
from csm_console.cli.progress import progress_bar
from csm_console.cli.state import state
from csm_console.devtools import generate as gen
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
