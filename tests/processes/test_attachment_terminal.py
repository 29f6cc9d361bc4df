"""`csm tickets attachment save ID N -o -` refuses to write binary data to a terminal: a real
process whose stdout is a pseudo-terminal (the check is `isatty`, which only a real one
answers), beside the same command into a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW, build_desk, copy_sqlite_template, run_csm, start_csm, url_of
from tests.mail_tickets import PDF, File, add_mail, mail_ticket

pytestmark = pytest.mark.slow

TEXT = "Line one\nLine two: ok\n"
ESCAPING_TEXT = "looks like text\x1b]52;c;cm0gLXJmIH4=\x07\n"


@pytest.fixture(scope="module")
def ticket(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    folder = tmp_path_factory.mktemp("terminal")
    store = copy_sqlite_template(folder / "store.db")
    desk = build_desk(store)
    ticket_id = mail_ticket(store, actor=desk.olga, now=NOW, customer="liga@example.lv")
    add_mail(
        store,
        ticket_id,
        body="two more",
        at=NOW + timedelta(hours=2),
        files=(
            File("notes.txt", "text/plain", TEXT.encode()),
            File("trick.txt", "text/plain", ESCAPING_TEXT.encode()),
        ),
    )
    url = url_of(store)
    store.dispose()
    return url, ticket_id


def _on_terminal(db: str, command: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """Run `csm --db DB --as olga COMMAND` with a pseudo-terminal as stdout; (exit code, what
    the terminal got, stderr)."""
    controller, terminal = pty.openpty()
    try:
        process = start_csm(
            *command, db=db, agent="olga", stdout=terminal, text=False,
            stdin=subprocess.DEVNULL, cwd=cwd,
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        assert process.stderr is not None
        err = process.stderr.read()
        return process.wait(timeout=60), shown, err
    finally:
        os.close(controller)


def test_binary_is_refused_on_a_terminal_and_piped_as_is(
    ticket: tuple[str, int], tmp_path: Path
) -> None:
    db, ticket_id = ticket
    code, shown, err = _on_terminal(
        db, ["tickets", "attachment", "save", str(ticket_id), "1", "-o", "-"], tmp_path
    )
    assert code == 2, (shown, err)
    assert b"%PDF" not in shown
    assert b"refusing to write binary data to a terminal" in err
    piped = run_csm(
        *("tickets", "attachment", "save", str(ticket_id), "1", "-o", "-"),
        db=db, agent="olga", cwd=tmp_path, timeout=60, text=False,
    )  # fmt: skip
    assert piped.returncode == 0 and piped.stdout == PDF
    assert list(tmp_path.iterdir()) == []


def test_plain_text_may_go_to_a_terminal_but_not_escapes(
    ticket: tuple[str, int], tmp_path: Path
) -> None:
    db, ticket_id = ticket
    code, shown, _ = _on_terminal(
        db, ["tickets", "attachment", "save", str(ticket_id), "3", "-o", "-"], tmp_path
    )
    assert code == 0
    assert shown.replace(b"\r\n", b"\n") == TEXT.encode()
    code, shown, err = _on_terminal(
        db, ["tickets", "attachment", "save", str(ticket_id), "4", "-o", "-"], tmp_path
    )
    assert code == 2 and b"\x1b]52" not in shown and b"refusing" in err
