"""What the PostgreSQL server alone does with take-next's claim: claims per second when a C
client (`pgbench`, prepared statements) sends the statements, so that no Python runs on the
machine's cores beside the server.

    python benchmarks/bench_claim_server.py [--tickets 60000] [--clients 8] [--seconds 10]
        [--runs 3] [--smoke]

Three statements, each run against a fresh copy of one seeded database (the tickets of
`bench_store.py claims`: one team, all unassigned; schema at this checkout's head), in turn so
that they see the same load:
- `take_next`: the statement `store.claims` sends for an operator (`_postgres_sql`: the agent
  re-read, the ticket locked, assigned, opened, stamped and audited with three chained audit
  rows, the row returned with its names and tags), its parameters as pgbench variables;
- `bare`: the issue's baseline (`bench_store.BARE_CLAIM` with `FOR UPDATE SKIP LOCKED`):
  `UPDATE ... WHERE id = (SELECT ... ORDER BY sla_due, priority DESC, id LIMIT 1 ...)`;
- `bare by team`: the same bare UPDATE picking through `ix_ticket_claimable` (the agent's tier
  and team, as take-next's pick does), not walking the tickets claimed before it.
Each run checks what it did: every ticket claimed at most once; for `take_next`, one `claim`
audit row per claimed ticket and the audit chain intact (`csm audit verify`'s service).

pgbench is looked for on PATH, then in /usr/lib/postgresql/*/bin; without it the script says
so and exits 0.  Needs CSM_BENCH_POSTGRES_URL.  `--smoke`: 300 tickets, 2 clients, 40
transactions each (`-t`), one run (CI).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

from bench_store import BARE_CLAIM, POSTGRES, _seed_unassigned, scratch_database
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from csm_console.services import audit, setup
from csm_console.services.acting import resolve_actor
from csm_console.services.tickets import _claimant
from csm_console.store import claims
from csm_console.store.engine import Store

NAMES = ("take_next", "bare", "bare by team")


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def scripts(folder: Path, claimant: claims.Claimant) -> dict[str, Path]:
    """The three statements as pgbench scripts (one line each; `:name` is a pgbench variable)."""
    take_next = claims._postgres_sql(claimant).replace(":now", "now()")
    bare = BARE_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED").replace(":me", ":agent_id")
    by_team = (
        "UPDATE ticket SET assignee_id = :agent_id WHERE id = (SELECT t.id FROM ticket t "
        "WHERE t.assignee_id IS NULL AND t.status IN ('new', 'open') AND t.tier = :tier "
        "AND t.team_id = :team_id ORDER BY t.sla_due, t.priority DESC, t.id LIMIT 1 "
        "FOR UPDATE SKIP LOCKED) RETURNING id"
    )
    out = {}
    for name, sql in zip(NAMES, (take_next, bare, by_team), strict=True):
        path = folder / f"{name.replace(' ', '_')}.sql"
        path.write_text(" ".join(sql.split()) + ";\n")
        out[name] = path
    return out


def pgbench_tps(
    pgbench: str, url: URL, script: Path, defines: dict[str, str], clients: int, length: list[str]
) -> float:
    args = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2))]
    args += [*length, "-f", str(script)]
    for name, value in defines.items():
        args += ["-D", f"{name}={value}"]
    args += ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    args += ["-U", url.username or "postgres", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed ({script.name}): {done.stderr.strip()[-500:]}")
    found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.M)
    if not found:
        raise SystemExit(f"pgbench printed no tps: {done.stdout[-500:]}")
    return float(found.group(1))


def check(url: str, name: str, tickets: int) -> int:
    """The claims a run made; exits non-zero on a double claim or a broken chain."""
    store = Store(url)
    try:
        with store.read() as session:
            claimed = session.execute(
                text("SELECT count(*) FROM ticket WHERE assignee_id IS NOT NULL")
            ).scalar_one()
            audited = session.execute(
                text(
                    "SELECT count(*), count(DISTINCT ticket_id) FROM audit_event "
                    "WHERE action = 'claim'"
                )
            ).one()
        if name == "take_next":
            if audited[0] != claimed or audited[1] != claimed:
                raise SystemExit(f"{claimed} tickets claimed, {audited[0]} claim audit rows")
            chain = audit.verify(store, actor=None)
            if chain.broken is not None:
                raise SystemExit(f"the audit chain breaks after the claims: {chain.broken}")
        if not 0 < claimed <= tickets:
            raise SystemExit(f"{name}: {claimed} tickets claimed of {tickets}")
        return int(claimed)
    finally:
        store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=60_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run with its checks (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.clients, args.runs = 300, 2, 1
    if not POSTGRES:
        print("CSM_BENCH_POSTGRES_URL is not set: nothing to measure")
        return 0
    pgbench = find_pgbench()
    if pgbench is None:
        print("pgbench not found (PATH, /usr/lib/postgresql/*/bin): nothing to measure")
        return 0
    length = ["-t", "40"] if args.smoke else ["-T", str(args.seconds)]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {time.strftime('%F %H:%M')}")
    rates: dict[str, list[float]] = {name: [] for name in NAMES}
    with scratch_database() as seeded, tempfile.TemporaryDirectory() as folder:
        store = Store(seeded)
        setup.initialize(store)
        handle = _seed_unassigned(store, args.tickets, 1)[0]
        claimant = _claimant(resolve_actor(store, handle))
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum leaves a store: plans use it
        store.dispose()  # a template must have no one connected
        defines = {
            "agent_id": str(claimant.agent_id),
            "handle": claimant.handle,
            "role": claimant.role,
            "tier": claimant.tier,
            "team_id": str(claimant.team_id),
        }
        paths = scripts(Path(folder), claimant)
        for _ in range(args.runs):
            for name in NAMES:
                with scratch_database(template=seeded) as url:
                    tps = pgbench_tps(
                        pgbench, make_url(url), paths[name], defines, args.clients, length
                    )
                    check(url, name, args.tickets)
                    rates[name].append(tps)
    load = Path("/proc/loadavg").read_text().split()[:3]
    bare = statistics.median(rates["bare"])
    print(
        f"the claim on the server alone (pgbench, {args.clients} clients, prepared, "
        f"{' '.join(length)}; {args.tickets} tickets; medians of {args.runs}; load "
        f"{' '.join(load)} at the end):"
    )
    for name in NAMES:
        rate = statistics.median(rates[name])
        runs = ", ".join(f"{r:.0f}" for r in rates[name])
        print(f"  {name:<13} {rate:7.0f} claims/s  ({rate / bare:.2f} of bare; runs {runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
