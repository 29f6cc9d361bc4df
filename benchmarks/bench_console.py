"""Console responsiveness on a large SQLite store (the console issue's targets).

    python benchmarks/bench_console.py [--tickets 1000000] [--store PATH] [--keys 300] [--smoke]

Measures, with Textual's headless driver (composition and rendering counted, terminal I/O not):
- first paint: from constructing the app to the first frame that shows queue rows;
- key-to-frame latency moving through the queue (`j`), median and p95, by timestamping the
  frame produced after each key event (not `pilot.press`, which sleeps);
- `G` (last ticket) to its frame;
- resident memory (from /proc/self/smaps_rollup: anonymous, and file-backed, which is the
  store's pages mapped in by SQLite's `mmap_size`) right after the first paint and at the end,
  and the peak (`ru_maxrss`).
The store is generated once at --store (default: a file in the temp dir) and reused.
A baseline from the same run: the same figures on the sample store (342 tickets).

`--smoke` (CI): only the sample store, in a temporary folder, and 30 keys; it still checks its
own results (the queue painted, `j` moved the cursor down through the view's tickets in order,
`G` reached the last ticket)
and exits non-zero when one fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import events

from csm_console.devtools.generate import generate_tickets
from csm_console.domain.query import Sort
from csm_console.services import setup
from csm_console.services.acting import resolve_actor
from csm_console.services.ticket_reads import list_tickets
from csm_console.services.views import View, all_views
from csm_console.store.engine import Store
from csm_console.tui.app import CsmApp
from csm_console.tui.queue_list import QueueList


def ensure_store(path: Path, tickets: int) -> Store:
    store = Store(f"sqlite:///{path}")
    setup.initialize(store)
    if setup.is_empty(store):
        started = time.perf_counter()
        setup.load_sample(store)
        generate_tickets(store, count=max(0, tickets - setup.summarize(store).tickets))
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    return store


class FrameClock:
    """Timestamps every frame the app composes."""

    def __init__(self, app: CsmApp) -> None:
        self.frames: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.frames.append(time.perf_counter())

        app._display = display  # type: ignore[method-assign]

    async def next_frame_after(self, moment: float, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            later = [f for f in self.frames if f > moment]
            if later:
                return later[0]
            await asyncio.sleep(0.0005)
        raise TimeoutError("no frame")


def memory_mb() -> dict[str, float]:
    """This process's resident memory now, in MB: all of it, anonymous (the heap: Python
    objects, SQLite's page cache) and file-backed (mapped files: the store through SQLite's
    memory map, and the interpreter's own libraries).  Empty where /proc is not there."""
    fields: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                fields[name] = int(parts[0]) / 1024
    if "Rss" not in fields:
        return {}
    anonymous = fields.get("Anonymous", 0.0)
    return {
        "rss": fields["Rss"],
        "anonymous": anonymous,
        "file": fields["Rss"] - anonymous - fields.get("Shmem", 0.0),  # Shmem: SQLite's -shm
    }


def peak_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec.  Not
    `ru_maxrss`: Linux carries it over from the parent across fork and exec, so a measuring
    process started by a parent that had just counted a million tickets reported the
    parent's 258 MB as its own peak."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(store: Store, keys: int, view: View, agent: str = "admin") -> dict[str, Any]:
    actor = resolve_actor(store, agent)
    views = [view, *all_views(actor)]
    started = time.perf_counter()
    app = CsmApp(store=store, actor=actor, views=views)
    clock = FrameClock(app)
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        queue = app.query_one(QueueList)
        while not queue.window.rows:
            await asyncio.sleep(0.001)
        first = await clock.next_frame_after(started)
        while not any(f for f in clock.frames if f > first) and not queue.window.rows:
            await asyncio.sleep(0.001)
        result["first_paint_ms"] = (clock.frames[-1] - started) * 1000
        result["memory_at_paint"] = memory_mb()
        await pilot.pause()
        start_cursor = queue.cursor
        latencies = []
        for _ in range(keys):
            before = queue.cursor
            moment = time.perf_counter()
            app.post_message(events.Key("j", "j"))
            frame = await clock.next_frame_after(moment)
            latencies.append((frame - moment) * 1000)
            if queue.cursor == before:
                await asyncio.sleep(0.01)  # waiting for a page: the frame came anyway
        result["moved"] = queue.cursor - start_cursor
        result["passed_ids"] = [row.id for row in queue.window.rows[: queue.cursor + 1]]
        result["key_p50_ms"] = statistics.median(latencies)
        result["key_p95_ms"] = sorted(latencies)[int(len(latencies) * 0.95)]
        moment = time.perf_counter()
        app.post_message(events.Key("G", "G"))
        while queue.window.more_after or queue.cursor != len(queue.window.rows) - 1:
            await asyncio.sleep(0.0005)
        frame = await clock.next_frame_after(time.perf_counter() - 0.0001)
        result["last_ms"] = (frame - moment) * 1000
        last = queue.current
        result["last_id"] = last.id if last else None
        result["memory_at_end"] = memory_mb()
        await pilot.pause()  # the messages `G` left (a highlight) are handled before closing
        # The live change feed's worker runs until the console closes: cancel the workers
        # (leaving `run_test` closes the app) instead of waiting for them to finish.
        app.workers.cancel_all()
    result["rss_mb"] = peak_mb()
    query, sort = view.parsed()  # the ticket `G` must reach: the first in the reversed order
    bottom = list_tickets(
        store, actor=actor, query=query, sort=Sort(sort.key, not sort.descending), limit=1
    )
    result["expected_last_id"] = bottom.items[0].id if bottom.items else None
    top = list_tickets(store, actor=actor, query=query, sort=sort, limit=len(result["passed_ids"]))
    result["expected_ids"] = [row.id for row in top.items]
    return result


def measure_in_fresh_process(
    path: Path, keys: int, view: str = "All", *, lean: bool = True
) -> dict[str, Any]:
    """Measure in a new process, so that building the store does not count toward memory.
    `lean=False`: as before `Store.lean`, every connection with the 1 GiB memory map."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--keys", str(keys), "--view", view]
        + ([] if lean else ["--full-map"]),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench_console: measuring {path} failed:\n{out.stderr.strip()}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def problems(result: dict[str, Any], keys: int, label: str) -> list[str]:
    """What is wrong with a run's own results (the smoke run's checks, and every run's)."""
    found = []
    if not 0 < result["moved"] <= keys:
        found.append(f"{label}: {keys} presses of j moved the cursor {result['moved']} rows")
    if result["passed_ids"] != result["expected_ids"]:
        found.append(f"{label}: the rows passed are not the view's first tickets in order")
    if result["last_id"] != result["expected_last_id"]:
        found.append(
            f"{label}: G stopped at #{result['last_id']}, not the last ticket "
            f"#{result['expected_last_id']}"
        )
    return found


def memory_line(memory: dict[str, float]) -> str:
    if not memory:
        return "n/a"
    return (
        f"{memory['rss']:.0f} MB ({memory['anonymous']:.0f} anonymous, "
        f"{memory['file']:.0f} file-backed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "csm-bench-console.db"
    )
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="a tiny run for CI (see above)")
    parser.add_argument(
        "--as", dest="agent", default="olga", help="the operator (default: olga, 96,000 tickets)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per variant")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--view", default="All", help=argparse.SUPPRESS)
    parser.add_argument("--full-map", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        if args.full_map:
            Store.lean = lambda self: None  # type: ignore[method-assign]
        store = Store(f"sqlite:///{args.measure}")
        agent = "admin" if args.view == "All" else args.agent
        actor = resolve_actor(store, agent)
        view = next(v for v in [ALL_TICKETS, *all_views(actor)] if v.name == args.view)
        print(json.dumps(asyncio.run(measure(store, args.keys, view, agent))))
        store.dispose()
        return
    keys = 30 if args.smoke else args.keys
    with tempfile.TemporaryDirectory() as tmp:
        small_path = Path(tmp) / "small.db"
        ensure_store(small_path, 0).dispose()
        baseline = measure_in_fresh_process(small_path, keys)
        found = problems(baseline, keys, "sample store")
        if args.smoke:
            total, path, result = setup_total(small_path), small_path, baseline
        else:
            big = ensure_store(args.store, args.tickets)
            total = setup.summarize(big).tickets
            big.dispose()
            path = args.store
            runs: dict[tuple[str, bool], list[dict[str, Any]]] = {}
            for _ in range(args.rounds):  # interleaved, so that machine noise spreads evenly
                for view in ("All", "My tickets"):
                    for lean in (True, False):
                        one = measure_in_fresh_process(path, keys, view, lean=lean)
                        found += problems(one, keys, f"large store, {view}")
                        runs.setdefault((view, lean), []).append(one)
            result = median_run(runs[("All", True)])
            compare(runs, args.agent)
    report(result, baseline, path, total, keys)
    if found:
        print("bench_console: FAILED: " + "; ".join(found), file=sys.stderr)
        raise SystemExit(1)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs (memory: the run with the median peak)."""
    merged = dict(runs[0])
    for name in ("first_paint_ms", "key_p50_ms", "key_p95_ms", "last_ms", "rss_mb"):
        merged[name] = statistics.median(run[name] for run in runs)
    by_peak = sorted(runs, key=lambda run: run["rss_mb"])[len(runs) // 2]
    merged["memory_at_paint"] = by_peak["memory_at_paint"]
    merged["memory_at_end"] = by_peak["memory_at_end"]
    return merged


def compare(runs: dict[tuple[str, bool], list[dict[str, Any]]], agent: str) -> None:
    """Lean (small cache, no memory map) against the 1 GiB map every connection had before."""
    print(f"medians of {len(runs[('All', True)])} fresh processes each; lean vs full map")
    for (view, lean), results in sorted(runs.items(), key=lambda item: (item[0][0], -item[0][1])):
        m = median_run(results)
        who = "admin" if view == "All" else agent
        print(
            f"  {view:<10} as {who:<6} {'lean' if lean else 'map ':<4}  first paint "
            f"{m['first_paint_ms']:5.0f} ms  key p50 {m['key_p50_ms']:5.1f} p95 "
            f"{m['key_p95_ms']:6.1f} ms  G {m['last_ms']:5.0f} ms  peak {m['rss_mb']:4.0f} MB  "
            f"at paint {memory_line(m['memory_at_paint'])}"
        )


def setup_total(path: Path) -> int:
    store = Store(f"sqlite:///{path}")
    try:
        return setup.summarize(store).tickets
    finally:
        store.dispose()


def report(
    result: dict[str, Any], baseline: dict[str, Any], path: Path, total: int, keys: int
) -> None:
    print(
        f"python {sys.version.split()[0]}; store {path} with {total:,} tickets; "
        f"view: all tickets by SLA; 120x40 headless; {keys} keys; each figure from a fresh process"
    )
    print(
        f"first paint      {result['first_paint_ms']:.0f} ms   (target <= 300; baseline at "
        f"the 342-ticket sample {baseline['first_paint_ms']:.0f} ms)"
    )
    print(
        f"key-to-frame     p50 {result['key_p50_ms']:.1f} ms, p95 {result['key_p95_ms']:.1f} ms"
        f"   (targets 20 / 50; baseline p50 {baseline['key_p50_ms']:.1f} ms,"
        f" p95 {baseline['key_p95_ms']:.1f} ms)"
    )
    print(
        f"G (last)         {result['last_ms']:.0f} ms   (target <= 100; baseline "
        f"{baseline['last_ms']:.0f} ms)"
    )
    print(
        f"resident memory  {result['rss_mb']:.0f} MB peak   (target <= 150; baseline "
        f"{baseline['rss_mb']:.0f} MB)"
    )
    print(
        f"  at first paint {memory_line(result['memory_at_paint'])}; baseline "
        f"{memory_line(baseline['memory_at_paint'])}"
    )
    print(
        f"  at the end     {memory_line(result['memory_at_end'])}; baseline "
        f"{memory_line(baseline['memory_at_end'])}"
    )


ALL_TICKETS = View("All tickets", "", "sla")

if __name__ == "__main__":
    main()
