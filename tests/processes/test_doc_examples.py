"""The shell examples that the docs mark runnable (`<!-- runnable -->` on the line right above
a ```sh block) run as written: each block in bash (`set -euo pipefail`), in a folder of its own,
with the installed `csm` on a sample store of its own, as anna (the sample lead the docs'
examples act as), pipes and writes and all.  A block that runs `csm init --sample` itself starts
from no store at all.

`test_docs.py` checks every `csm` example for real commands and options and runs the read-only
ones one by one; a block that runs whole can also change things and read them back.

The blocks left unmarked, and why (each is still checked by `test_docs.py`):
- not `csm` at all: installing, the test suite, the docs build and the PostgreSQL test URL
  (README.md, docs/index.md, docs/contributing.md);
- a PostgreSQL URL or server: docs/cli/index.md (`--db postgresql://...`, and a 100,000-ticket
  `dev generate`), the second block of docs/cli/import-export.md (into another store),
  docs/how-it-works/database.md (`db grants | psql`, database roles);
- an editor (`$EDITOR`): docs/cli/kb.md, docs/cli/templates.md;
- a mail server or a mailbox in the config: docs/mail-imap.md, docs/mail-outgoing.md (`mail
  send`, `--send`, the outbox), docs/mail.md (a Maildir, quarantined mail);
- long-running until Ctrl-C: `csm worker` in docs/automations.md (whose first block also adds
  an automation the sample already has);
- the reader's own files (invoice.pdf, message.txt, fax.md, riga.cal, ack-ru.md): the
  attachment and create examples in docs/cli/tickets.md, docs/cli/sla.md's calendars;
- an empty store, not the sample (the bootstrap admin): docs/cli/people.md; `~/` (the reader's
  home) and `jq`/`file` on attachments: docs/cli/tickets.md's attachments block;
- another team's tickets: docs/macros.md's pipe (anna, a lead, is refused a ticket of another
  team: exit 5, as the page explains)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import own_process_env, sample_url
from tests.processes.test_docs import ROOT, doc_pages

MARK = "<!-- runnable -->"


def runnable_blocks() -> list[tuple[str, str]]:
    """(page:line, script) of every block marked runnable."""
    found = []
    for page in doc_pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        where = page.relative_to(ROOT).as_posix()
        for number, line in enumerate(lines, start=1):
            if line.strip() != MARK:
                continue
            assert lines[number].startswith("```sh"), f"{where}:{number}: {MARK} above no ```sh"
            end = lines.index("```", number + 1)
            found.append((f"{where}:{number + 1}", "\n".join(lines[number + 1 : end])))
    return found


def run_block(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` as a docs reader would, in `home` with a store of its own there."""
    store = home / "store.db"
    env = own_process_env(home, f"sqlite:///{store}")
    env["CSM_AGENT"] = "anna"
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"  # the installed csm
    if not re.search(r"^csm init --sample\b", script, flags=re.M):
        sample_url(store)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_the_docs_mark_examples_runnable() -> None:
    """The README's tour and the tickets page (pipes and writes) are among them."""
    pages = {where.split(":")[0] for where, _ in runnable_blocks()}
    assert {"README.md", "docs/cli/tickets.md"} <= pages
    for _, script in runnable_blocks():
        assert re.search(r"^csm ", script, flags=re.M)


@pytest.mark.slow
@pytest.mark.parametrize(("where", "script"), runnable_blocks(), ids=lambda v: v.split("\n")[0])
def test_a_runnable_example_runs(where: str, script: str, tmp_path: Path) -> None:
    done = run_block(script, tmp_path)
    assert done.returncode == 0, f"{where}: exit {done.returncode}\n{done.stderr[-3000:]}"


@pytest.mark.slow
def test_a_broken_example_is_noticed(tmp_path: Path) -> None:
    """A failing command fails the block, also inside a pipe."""
    done = run_block("csm tickets list --format ids | csm tickets show 99999999\necho ok", tmp_path)
    assert done.returncode == 3 and "ok" not in done.stdout
