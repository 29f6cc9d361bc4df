"""Start-up cost of everyday CLI commands on a large SQLite store (issue 18's target).

    python benchmarks/bench_cli.py [--tickets 1000000] [--store PATH] [--runs 10] [--smoke]

Times real subprocesses, wall clock from spawn to exit, the commands interleaved round-robin so
that machine noise spreads evenly over them:
- `python -c pass` (the interpreter alone: the baseline every ratio is against);
- `python -c "import typer, sqlalchemy"` (the floor of a command that reads in SQLAlchemy Core,
  as `csm tickets list` does: services.ticket_list on store.tables), `python -c "import
  sqlalchemy"` (the floor of the plain list, which runs without Typer: cli/quick.py), and
  `python -c "import typer, sqlmodel"` (the floor of one that reads through the ORM);
- `csm --version`;
- `csm tickets list --limit 20` (table, and `--format json`) and `csm tickets show ID`;
- `csm tickets list --limit 20 --` (the same list through Typer: a `--` is not a plain form,
  cli/quick.py);
- with CSM_BENCH_POSTGRES_URL, `csm tickets list --limit 20` on a PostgreSQL scratch database
  holding --pg-tickets tickets (created and dropped by the script).
Target: `csm tickets list --limit 20` at 1,000,000 tickets <= 0.3 s (median).

With `--before DIR` (another copy of the `csm_console` package, e.g. made with
`git archive HEAD csm_console | tar -x -C DIR`), the csm commands are also timed with that code,
in the same run, so that a change can be quoted as before/after.

It also runs `csm tickets list` once under `-X importtime` and prints whether Textual, the ORM
or SQLModel got imported and which top-level packages cost the most.

The SQLite store is generated once at --store (by default the same file `bench_console.py`
uses) and reused.

It checks its own results (exit non-zero): `--format json` gives the same 20 tickets as
`--format ids`, the table shows each of them and is the one Typer's command writes, and
`csm tickets list` imports neither Textual nor the ORM (`sqlalchemy.orm`, `sqlmodel`,
`csm_console.store.models`) nor pydantic, nor Typer or Click (it runs without them).
`--smoke` (CI): the sample store (342 tickets) in a temporary folder, one run, no warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from csm_console.devtools.generate import generate_tickets
from csm_console.services import setup
from csm_console.store.engine import Store

POSTGRES = os.environ.get("CSM_BENCH_POSTGRES_URL")
PYTHON = sys.executable

# Runs `csm` from the csm_console package under argv[1] (ahead of an editable install's finder).
OTHER_TREE = """\
import sys
tree = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, tree)
import csm_console
assert csm_console.__file__.startswith(tree), csm_console.__file__
sys.argv[0] = "csm"
from csm_console.cli.main import run
run()
"""


def csm_executable() -> str:
    """The `csm` console script next to this interpreter (the installed entry point)."""
    beside = Path(PYTHON).parent / "csm"
    found = str(beside) if beside.exists() else shutil.which("csm")
    if not found:
        raise SystemExit("bench_cli: no `csm` console script found; pip install -e . first")
    return found


def ensure_store(store: Store, tickets: int) -> int:
    """Migrate, load the sample operation and generate up to `tickets` (once); the count."""
    setup.initialize(store)
    if setup.is_empty(store):
        started = time.perf_counter()
        setup.load_sample(store)
        generate_tickets(store, count=max(0, tickets - setup.summarize(store).tickets))
        print(f"built {store.url} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return setup.summarize(store).tickets


@contextmanager
def postgres_store(tickets: int) -> Iterator[tuple[str, int]]:
    """A scratch PostgreSQL database with `tickets` tickets (dropped on exit): (URL, count)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_store import scratch_stores  # the other scripts' scratch-database helper

    stores = scratch_stores()
    try:
        for kind, store in stores:
            if kind == "postgresql":
                count = ensure_store(store, tickets)
                url = store.url.render_as_string(hide_password=False)
                store.dispose()
                yield url, count
                break
    finally:
        stores.close()  # drops the scratch database


@contextmanager
def maybe_postgres(tickets: int) -> Iterator[tuple[str, int] | None]:
    if not POSTGRES:
        yield None
        return
    with postgres_store(tickets) as found:
        yield found


def clean_env(database_url: str, home: Path) -> dict[str, str]:
    """The environment of every run: this store, no user config file, no agent; and bytecode
    caches as an installed package has them (kept under `home`, so the source tree stays
    untouched even for an editable install or with PYTHONDONTWRITEBYTECODE set)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSM_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(home / "pycache"),
        CSM_DATABASE_URL=database_url,
        XDG_CONFIG_HOME=str(home / "config"),  # no config file there
        CSM_DATA_DIR=str(home / "data"),
        COLUMNS="120",
    )
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run.  CPU (user + system) suffers less from other load on
    the machine than wall time does."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    cpu = children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(
            f"bench_cli: {' '.join(argv)} failed (exit {done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return elapsed, cpu


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


# What `csm tickets list` must not import (tests/cli/test_cli_startup.py checks more of them)
NOT_FOR_A_LIST = (
    "textual",
    "sqlalchemy.orm",
    "sqlmodel",
    "csm_console.store.models",
    "pydantic",
    "typer",
    "click",
)


def import_report(
    argv: list[str], env: dict[str, str]
) -> tuple[list[str], int, list[tuple[str, int]]]:
    """Run once under `-X importtime`: (modules of NOT_FOR_A_LIST imported, number of modules,
    top-level package costs)."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    modules: list[str] = []
    by_package: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not cumulative.strip().isdigit():
            continue  # the header line
        depth = len(name) - len(name.lstrip(" "))
        module = name.strip()
        modules.append(module)
        if depth <= 1:  # imported from the top (the script or the entry point module)
            package = module.split(".")[0]
            by_package[package] = by_package.get(package, 0) + int(cumulative)
    unwanted = sorted(
        {p for m in modules for p in NOT_FOR_A_LIST if m == p or m.startswith(p + ".")}
    )
    top = sorted(by_package.items(), key=lambda item: -item[1])[:8]
    return unwanted, len(modules), top


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "csm-bench-console.db"
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg-tickets", type=int, help="PostgreSQL store size (default --tickets)")
    parser.add_argument(
        "--before", type=Path, help="a directory holding another csm_console to compare with"
    )
    parser.add_argument("--smoke", action="store_true", help="the sample store, one run (CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="csm-bench-cli-smoke-") as tmp:
            args.tickets, args.runs, args.store = 300, 1, Path(tmp) / "smoke.db"
            args.pg_tickets, args.before = 300, None
            run(args)
        return
    run(args)


def check_outputs(csm: str, env: dict[str, str]) -> None:
    """The listing's formats agree with each other (the smoke run's check, and every run's)."""

    def output(*extra: str) -> str:
        return subprocess.run(
            [csm, "tickets", "list", "--limit", "20", *extra],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    ids = output("--format", "ids").split()
    listed = [str(item["id"]) for item in json.loads(output("--format", "json"))]
    table = output()
    shown = [line.split()[0] for line in table.splitlines()[1:] if line.strip()]
    if not ids or len(ids) > 20 or listed != ids or shown != ids:
        raise SystemExit(
            f"bench_cli: tickets list disagrees with itself: ids {ids}, json {listed}, "
            f"table {shown}"
        )
    typers = output("--").splitlines()  # not a plain form (cli/quick.py): Typer's command
    if typers[:1] != table.splitlines()[:1] or [line.split()[0] for line in typers[1:]] != ids:
        raise SystemExit(f"bench_cli: Typer's list differs: {typers} against {table}")


def run(args: argparse.Namespace) -> None:
    store = Store(f"sqlite:///{args.store}")
    total = ensure_store(store, args.tickets)
    store.dispose()
    csm = csm_executable()
    with (
        tempfile.TemporaryDirectory(prefix="csm-bench-cli-") as tmp,
        maybe_postgres(args.pg_tickets or args.tickets) as postgres,
    ):
        env = clean_env(f"sqlite:///{args.store}", Path(tmp))
        first = subprocess.run(
            [csm, "tickets", "list", "--limit", "1", "--format", "ids"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
        cases: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass", [PYTHON, "-c", "pass"], env),
            (
                'python -c "import typer, sqlalchemy"',
                [PYTHON, "-c", "import typer, sqlalchemy"],
                env,
            ),
            ('python -c "import sqlalchemy"', [PYTHON, "-c", "import sqlalchemy"], env),
            ('python -c "import typer, sqlmodel"', [PYTHON, "-c", "import typer, sqlmodel"], env),
            ("csm --version", [csm, "--version"], env),
            ("csm tickets list --limit 20", [csm, "tickets", "list", "--limit", "20"], env),
            (
                "csm tickets list --limit 20 -- (through Typer)",
                [csm, "tickets", "list", "--limit", "20", "--"],
                env,
            ),
            (
                "csm tickets list --limit 20 --format json",
                [csm, "tickets", "list", "--limit", "20", "--format", "json"],
                env,
            ),
            (f"csm tickets show {first}", [csm, "tickets", "show", first], env),
        ]
        if args.before:
            before = [PYTHON, "-c", OTHER_TREE, str(args.before.resolve())]
            cases += [
                (f"{label} [before]", before + argv[1:], case_env)
                for label, argv, case_env in cases
                if argv[0] == csm
            ]
        if postgres:
            pg_url, pg_total = postgres
            cases.append(
                (
                    f"csm tickets list --limit 20 [postgresql, {pg_total:,}]",
                    [csm, "tickets", "list", "--limit", "20"],
                    clean_env(pg_url, Path(tmp)),
                )
            )
        for _, argv, case_env in cases if not args.smoke else ():
            run_once(argv, case_env)  # warm the page cache and the bytecode caches
        timings: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        cpu: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        for _ in range(args.runs):
            for label, argv, case_env in cases:
                wall, used = run_once(argv, case_env)
                timings[label].append(wall)
                cpu[label].append(used)
        unwanted, module_count, top = import_report([csm, "tickets", "list", "--limit", "20"], env)
        check_outputs(csm, env)
        if postgres:
            check_outputs(csm, clean_env(postgres[0], Path(tmp)))

    baseline = statistics.median(timings["python -c pass"])
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; SQLite store {args.store} with {total:,} "
        f"tickets; {args.runs} runs each (interleaved), wall time of a fresh process"
    )
    width = max(len(label) for label in timings)
    print(
        f"{'command':<{width}}  {'median':>9}  {'p90':>9}  {'min':>9}  {'x python':>8}  "
        f"{'CPU median':>10}"
    )
    for label, values in timings.items():
        median = statistics.median(values)
        print(
            f"{label:<{width}}  {median * 1000:6.0f} ms  {p90(values) * 1000:6.0f} ms  "
            f"{min(values) * 1000:6.0f} ms  {median / baseline:7.1f}x  "
            f"{statistics.median(cpu[label]) * 1000:7.0f} ms"
        )
    target = statistics.median(timings["csm tickets list --limit 20"])
    version = statistics.median(timings["csm --version"])
    print(
        f"target: csm tickets list --limit 20 <= 300 ms median: {target * 1000:.0f} ms "
        f"({target / version:.2f}x csm --version)"
    )
    before = timings.get("csm tickets list --limit 20 [before]")
    if before:
        print(f"before/after: {statistics.median(before) / target:.2f}x")
    print(
        f"csm tickets list imports {module_count} modules; of {', '.join(NOT_FOR_A_LIST)}: "
        f"{', '.join(unwanted) or 'none'}"
    )
    print(
        "top-level imports by cumulative -X importtime (ms): "
        + ", ".join(f"{name} {micros / 1000:.0f}" for name, micros in top)
    )
    if unwanted:
        raise SystemExit(f"bench_cli: csm tickets list imported {', '.join(unwanted)}")


if __name__ == "__main__":
    main()
