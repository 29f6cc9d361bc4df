"""`csm mail send` as real processes against a real SMTP server process: a sender killed with
SIGKILL mid-batch, then restarted, delivers every mail, none twice but the one in flight (with
the same Message-ID); two senders at once on one PostgreSQL store never send a mail twice."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from csm_console.services import tickets
from csm_console.store.engine import Store
from csm_console.store.models import OutgoingMail
from tests.conftest import (
    build_desk,
    make_sqlite_store,
    process_env,
    run_csm,
    scratch_url,
    start_csm,
    wait_for,
)
from tests.smtp_support import mail_settings, self_signed, smtp_server

pytestmark = pytest.mark.slow


def _queue(store: Store, count: int) -> None:
    """`count` replies on e-mail tickets, 5 per ticket."""
    desk = build_desk(store)
    store.mail = mail_settings()
    for n in range(0, count, 5):
        row = tickets.create_ticket(
            store,
            actor=desk.olga,
            customer_email=f"c{n}@example.com",
            subject=f"Question {n}",
            body="Hello",
        )
        for k in range(min(5, count - n)):
            tickets.reply(store, actor=desk.olga, ticket_id=row.id, body=f"Answer {k}")


def _env(tmp_path: Path, url: str, smtp_url: str, extra: str = "") -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'smtp_url = "{smtp_url}"\n{extra}'
        '[[mailboxes]]\nname = "support"\naddresses = ["support@desk.example"]\n',
        encoding="utf-8",
    )
    return {**process_env(), "CSM_CONFIG_FILE": str(config), "CSM_DATABASE_URL": url}


def _sender(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return start_csm("mail", "send", *args, env=env)


def _rows(store: Store) -> list[OutgoingMail]:
    with store.read() as session:
        return list(session.execute(select(OutgoingMail)).scalars())


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_one(tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path / "desk.db")
    _queue(store, 30)
    url = store.url.render_as_string(hide_password=False)
    expected = {r.mail_id for r in _rows(store)}
    with smtp_server(tmp_path / "mx", delay=0.05) as server:
        env = _env(tmp_path, url, server.url)
        first = _sender(env, "--batch", "10", "--lease", "1")
        wait_for(lambda: len(list(server.folder.glob("*.eml"))) >= 5, "5 mails delivered", 60, 0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert first.returncode == -signal.SIGKILL
        states = collections.Counter(r.state for r in _rows(store))
        assert states["sending"] >= 1  # it died holding claims
        time.sleep(1.5)  # the dead sender's lease runs out
        again = _sender(env)
        _, stderr = again.communicate(timeout=120)
        assert again.returncode == 0, stderr
        received = server.message_ids()
    assert {r.state for r in _rows(store)} == {"sent"}
    counts = collections.Counter(received)
    assert set(counts) == expected  # every mail arrived
    repeated = [mail_id for mail_id, n in counts.items() if n > 1]
    assert len(repeated) <= 1 and all(counts[m] == 2 for m in repeated)
    store.dispose()


@pytest.mark.postgres
def test_two_senders_on_postgresql_never_send_a_mail_twice(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from csm_console.store.migrate import upgrade

    url = scratch_url(tmp_path / "x.db", "postgres", request, "senders")
    store = Store(url)
    upgrade(store)
    _queue(store, 150)
    expected = {r.mail_id for r in _rows(store)}
    with smtp_server(tmp_path / "mx") as server:
        env = _env(tmp_path, url, server.url)
        senders = [_sender(env, "--batch", "5") for _ in range(2)]
        for sender in senders:
            _, stderr = sender.communicate(timeout=300)
            assert sender.returncode == 0, stderr
        received = server.message_ids()
    assert len(received) == len(expected) and set(received) == expected  # each exactly once
    rows = _rows(store)
    assert {r.state for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}
    store.dispose()


@pytest.mark.parametrize("security", ["starttls", "smtps"])
def test_tls_and_login_with_the_password_from_the_environment(
    tmp_path: Path, security: str
) -> None:
    """A server that demands TLS (STARTTLS, or TLS from the first byte) and a login: the mail
    goes through with the password from `smtp_password_env`; a wrong password keeps the mail
    queued (exit 75) and is never printed; so is a certificate the client does not trust."""
    cert, key = self_signed(tmp_path / "tls")
    store = make_sqlite_store(tmp_path / "desk.db")
    _queue(store, 1)
    url = store.url.render_as_string(hide_password=False)
    extra = ("--cert", str(cert), "--key", str(key), f"--{security}", "--auth", "desk:s3cr3t-pw")
    with smtp_server(tmp_path / "mx", extra=extra) as server:
        scheme = "smtps" if security == "smtps" else "smtp"
        query = "?starttls=1" if security == "starttls" else ""
        env = _env(
            tmp_path,
            url,
            f"{scheme}://desk@127.0.0.1:{server.port}{query}",
            'smtp_password_env = "DESK_SMTP_PASSWORD"\n',
        )

        def send(**more: str) -> subprocess.CompletedProcess[str]:
            with store.write() as session:  # due now, not after the back-off of the last try
                session.execute(
                    update(OutgoingMail).values(next_attempt_at=OutgoingMail.created_at)
                )
            return run_csm("mail", "send", env=env, add_env=more, timeout=120)

        untrusted = send(DESK_SMTP_PASSWORD="s3cr3t-pw")
        assert untrusted.returncode == 75 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        wrong = send(SSL_CERT_FILE=str(cert), DESK_SMTP_PASSWORD="nope-wrong")
        assert wrong.returncode == 75 and "refused the login" in wrong.stderr
        assert "nope-wrong" not in wrong.stderr + wrong.stdout
        unset = send(SSL_CERT_FILE=str(cert))
        assert unset.returncode == 2 and "DESK_SMTP_PASSWORD is not set" in unset.stderr
        assert server.messages() == []
        done = send(SSL_CERT_FILE=str(cert), DESK_SMTP_PASSWORD="s3cr3t-pw")
        assert done.returncode == 0, done.stderr
        assert "s3cr3t-pw" not in done.stderr + done.stdout
        assert len(server.messages()) == 1
    assert [r.state for r in _rows(store)] == ["sent"]
    store.dispose()


def test_login_with_the_password_from_smtp_password_command(tmp_path: Path) -> None:
    """The SMTP login takes its password from `smtp_password_command` (its first line): the
    mail goes through a server that demands a login, and the password is never printed."""
    script = tmp_path / "smtp-password.py"
    script.write_text("print('s3cr3t-pw')\nprint('not this line')\n", encoding="utf-8")
    store = make_sqlite_store(tmp_path / "desk.db")
    _queue(store, 1)
    url = store.url.render_as_string(hide_password=False)
    cert, key = self_signed(tmp_path / "tls")
    extra = ("--cert", str(cert), "--key", str(key), "--starttls", "--auth", "desk:s3cr3t-pw")
    with smtp_server(tmp_path / "mx", extra=extra) as server:
        env = _env(
            tmp_path,
            url,
            f"smtp://desk@127.0.0.1:{server.port}?starttls=1",
            f"smtp_password_command = '{sys.executable} {script}'\n",
        )
        done = run_csm("mail", "send", env={**env, "SSL_CERT_FILE": str(cert)})
        assert done.returncode == 0, done.stderr
        assert "s3cr3t-pw" not in done.stderr + done.stdout
        assert len(server.messages()) == 1
    assert [r.state for r in _rows(store)] == ["sent"]
    store.dispose()
