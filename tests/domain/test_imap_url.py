"""`imap_url` of a mailbox and where its password comes from (channels.imap, no server)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from csm_console.channels.imap import ImapSession, parse_imap_url, password_for
from csm_console.domain.mail import Mailbox
from csm_console.errors import ConfigError


def test_imaps_default_port_and_user() -> None:
    target = parse_imap_url("imaps://support%40desk.example@mail.example.com")
    assert (target.host, target.port, target.user) == (
        "mail.example.com",
        993,
        "support@desk.example",
    )
    assert target.tls and not target.starttls and target.encrypted


def test_starttls_and_port() -> None:
    target = parse_imap_url("imap://u@mail.example.com:1143?starttls=1")
    assert (target.port, target.tls, target.starttls) == (1143, False, True)
    assert parse_imap_url("imap://u@mail.example.com?starttls=1").port == 143


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.9"])
def test_plain_text_is_allowed_to_the_loopback(host: str) -> None:
    assert not parse_imap_url(f"imap://u@{host}:1430").encrypted


def test_plain_text_to_a_network_host_is_refused_unless_insecure() -> None:
    with pytest.raises(ConfigError, match=r"unencrypted.*starttls=1.*insecure=1"):
        parse_imap_url("imap://u@mail.example.com")
    assert parse_imap_url("imap://u@mail.example.com?insecure=1").insecure


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("imaps://u:hunter2@mail.example.com", "password in the URL is refused"),
        ("https://u@mail.example.com", "imaps:// or imap://"),
        ("imaps://mail.example.com", "no user"),
        ("imaps://u@", "no host"),
        ("imaps://u@h?starttls=1", "TLS already"),
        ("imaps://u@h?tls=1", "unknown option 'tls'"),
        ("imaps://u@h:99999", "not a valid URL"),
        ("imaps://u@h?cafile=/no/such/file.pem", "cafile"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        parse_imap_url(url)
    assert "hunter2" not in str(caught.value)


def test_cafile_is_kept(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here")
    assert parse_imap_url(f"imaps://u@h?cafile={ca}").cafile == str(ca)


def box(**options: str) -> Mailbox:
    return Mailbox(name="support", addresses=("s@d.test",), imap_url="imaps://u@h", **options)


def test_password_from_the_environment() -> None:
    assert password_for(box(password_env="PW"), {"PW": "pa ss"}) == "pa ss"
    with pytest.raises(ConfigError, match=r"PW \(password_env\) is not set"):
        password_for(box(password_env="PW"), {})
    with pytest.raises(ConfigError, match="needs a password_env or a password_command"):
        password_for(box(), {})


@pytest.mark.slow
def test_password_from_a_command(tmp_path: Path) -> None:
    script = tmp_path / "pw.py"
    script.write_text("print('from-command')\nprint('second line ignored')\n")
    got = password_for(box(password_command=f"{sys.executable} {script}"), {})
    assert got == "from-command"
    # shell syntax runs through sh; the first line of its output is the password
    assert (
        password_for(box(password_command="printf 'a b\\nc' | cat"), {"PATH": "/usr/bin:/bin"})
        == "a b"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("sh -c 'echo hunter2; exit 3'", "exited with status 3"),
        ("/no/such/program", "not found"),
        ("true", "printed no password"),
    ],
)
def test_password_command_failures_never_show_its_output(command: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        password_for(box(password_command=command), {"PATH": "/usr/bin:/bin"})
    assert "hunter2" not in str(caught.value)


def test_a_session_never_shows_its_password() -> None:
    session = ImapSession(parse_imap_url("imaps://u@h"), "hunter2")
    assert "hunter2" not in repr(session) and "hunter2" not in str(vars(session).get("label"))


def test_a_servers_words_are_sanitised_in_errors() -> None:
    """What a server answers reaches the screen only through the sanitiser, one line."""
    from imapclient.exceptions import IMAPClientError

    from csm_console.channels.imap import _reason

    hostile = IMAPClientError(b"\x1b]52;c;ZXZpbA==\x07NO [ALERT] \x1b[31mred\x1b[0m\nsecond line")
    reason = _reason(hostile)
    assert "\x1b" not in reason and "\x07" not in reason and "\n" not in reason
    assert "NO [ALERT]" in reason and "second line" not in reason


def test_display_names_the_server_without_secrets() -> None:
    from csm_console.channels.imap import display_imap_url

    target = parse_imap_url("imap://support%40desk.test@127.0.0.1:1143?starttls=1")
    assert target.display() == "imap://support%40desk.test@127.0.0.1:1143"
    assert display_imap_url("imaps://u:hunter2@mail.example.com:993") == (
        "imaps://u:***@mail.example.com:993"
    )
