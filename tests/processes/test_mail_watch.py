"""`csm mail watch` and `csm mail fetch` as real processes against a real IMAP server: IDLE,
stopping on SIGTERM and Ctrl-C, a server that goes away and comes back, and a fetcher killed
between storing a message and flagging it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from csm_console.store.engine import Store
from tests.conftest import (
    STOP_LOAD_MARGIN,
    STOP_WITHIN,
    STORE_KINDS,
    build_desk,
    process_env,
    run_csm,
    scratch_url,
    start_csm,
    stop_timed,
    url_of,
    wait_for,
)
from tests.mailservers import PASSWORD, ImapServer, message

pytestmark = pytest.mark.slow


@pytest.fixture(params=STORE_KINDS)
def desk_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated store with a small desk, of each kind, for a process of its own."""
    from csm_console.store.migrate import upgrade

    url = scratch_url(tmp_path / "desk.db", request.param, request, "watch")
    store = Store(url)
    upgrade(store)
    build_desk(store)
    store.dispose()
    yield url


def tickets(url: str) -> list[str]:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT subject FROM ticket ORDER BY id"))]
    finally:
        store.dispose()


class Watch:
    """`csm mail watch` in a process of its own, its stderr in a file."""

    def __init__(self, url: str, config: Path, log: Path, *args: str) -> None:
        self.log = log
        env = {**process_env(), "CSM_TEST_IMAP_PASSWORD": PASSWORD}
        with log.open("wb") as err:
            self.process = start_csm(
                "--config", str(config), "mail", "watch", *args, db=url, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, text=False,
            )  # fmt: skip

    def said(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, signum: int) -> int:
        """Send `signum`; the exit code, which must come within a second (`STOP_WITHIN`, plus
        `STOP_LOAD_MARGIN` for a loaded machine)."""
        try:
            code, took = stop_timed(self.process, signum)
        except AssertionError:
            raise AssertionError(f"watch did not stop on {signum}: {self.said()}") from None
        assert took <= STOP_WITHIN + STOP_LOAD_MARGIN, f"watch took {took:.2f} s to stop"
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def start_watch(tmp_path: Path) -> Iterator[Callable[..., Watch]]:
    started: list[Watch] = []

    def start(url: str, config: str, *args: str) -> Watch:
        path = tmp_path / "csm.toml"
        path.write_text(config)
        watch = Watch(url, path, tmp_path / f"watch-{len(started)}.log", *args)
        started.append(watch)
        return watch

    yield start
    for watch in started:
        watch.close()


def test_watch_takes_mail_as_it_arrives_and_stops_on_sigterm(
    desk_url: str, imap_server: ImapServer, start_watch: Callable[..., Watch]
) -> None:
    """IDLE: with a poll of 20 minutes, only the server's word can bring the mail in time."""
    folder = imap_server.new_folder()
    imap_server.append(folder, message(1, subject="Waiting before"))
    watch = start_watch(desk_url, imap_server.mailbox_toml("support", folder), "--poll", "1200")
    wait_for(lambda: tickets(desk_url) == ["Waiting before"], "the mail already there")
    wait_for(lambda: "1 new" in watch.said(), "the round's line on stderr")
    imap_server.append(folder, message(2, subject="Arrived while watching"))
    wait_for(lambda: len(tickets(desk_url)) == 2, "the mail that arrived (IDLE)")
    assert tickets(desk_url)[-1] == "Arrived while watching"
    assert watch.stop(signal.SIGTERM) == 0
    said = watch.said()
    assert "watching support" in said and said.rstrip().endswith("stopped")
    assert PASSWORD not in said


def test_watch_stops_on_ctrl_c(
    desk_url: str, imap_server: ImapServer, start_watch: Callable[..., Watch]
) -> None:
    folder = imap_server.new_folder()
    watch = start_watch(desk_url, imap_server.mailbox_toml("support", folder), "--poll", "1200")
    wait_for(lambda: "watching support" in watch.said(), "the watch to start")
    time.sleep(0.5)  # let it reach its IDLE
    assert watch.stop(signal.SIGINT) == 0
    assert watch.said().rstrip().endswith("stopped")


def test_watch_survives_a_server_that_goes_away(
    desk_url: str, tmp_path: Path, start_watch: Callable[..., Watch], imap_password: str
) -> None:
    with _own_server(tmp_path) as server:  # its own: this test takes it down
        folder = "INBOX"
        server.append(folder, message(1, subject="Before the outage"))
        watch = start_watch(desk_url, server.mailbox_toml("support", folder), "--poll", "1")
        wait_for(lambda: tickets(desk_url) == ["Before the outage"], "the first mail")
        server.stop()
        wait_for(lambda: "reconnecting" in watch.said() or "trying again" in watch.said(),
                 "the watch to say the server went away")  # fmt: skip
        server.start()  # the same port, an empty server (a new UIDVALIDITY)
        server.append(folder, message(2, subject="After the outage"))
        wait_for(lambda: len(tickets(desk_url)) == 2, "the mail after the outage")
        assert "connected again" in watch.said()
        assert watch.stop(signal.SIGTERM) == 0
    assert tickets(desk_url) == ["Before the outage", "After the outage"]


def _own_server(tmp_path: Path) -> ImapServer:
    directory = tmp_path / "own-server"
    directory.mkdir()
    return ImapServer(directory, tls="starttls")


def test_a_fetcher_killed_between_store_and_flag_duplicates_nothing(
    desk_url: str, imap_server: ImapServer, tmp_path: Path
) -> None:
    folder = imap_server.new_folder()
    imap_server.append(
        folder, message(1, subject="Stored, then killed"), message(2, subject="Next")
    )
    config = tmp_path / "csm.toml"
    config.write_text(imap_server.mailbox_toml("support", folder))
    env = {**process_env(), "CSM_TEST_IMAP_PASSWORD": PASSWORD}
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.mail_workers", "crash-after-store", url_of(desk_url),
         str(config), "support"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert crashed.returncode == 9 and crashed.stdout.startswith("stored new"), crashed.stderr
    assert tickets(desk_url) == ["Stored, then killed"]
    assert not any(imap_server.flags(folder).values())  # it died before flagging

    fetched = run_csm("--config", str(config), "mail", "fetch", db=desk_url, env=env, timeout=60)
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == f"support ({folder}): 2 taken in: 1 duplicate, 1 new\n"
    assert tickets(desk_url) == ["Stored, then killed", "Next"]
    assert all(b"\\Flagged" in f for f in imap_server.flags(folder).values())
