"""`csm macros list|show|add|edit|remove` and `csm tickets macro ID... NAME [--dry-run]`:
bad input exits 2 and saves nothing, a dry run writes nothing, applying on an e-mail ticket
queues its mail, several ids report per ticket.  A desk store with a config file naming a
mailbox (so a reply on an e-mail ticket is queued)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from csm_console.store.engine import Store
from csm_console.store.migrate import upgrade
from tests.conftest import STORE_KINDS, Cli, build_desk, scratch_url

RESET_RU = "Здравствуйте, {{ customer.first_name }}! Ссылка для #{{ ticket.id }}."
RESET_EN = "Hello {{ customer.first_name }}, the link for #{{ ticket.id }}."


@pytest.fixture(params=STORE_KINDS)
def csm(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    url = scratch_url(tmp_path / "desk.db", request.param, request, "climacro")
    store = Store(url)
    try:
        upgrade(store)
        build_desk(store)
    finally:
        store.dispose()
    config = tmp_path / "config.toml"
    config.write_text(
        'smtp_url = "smtp://127.0.0.1:9"\n'
        '[[mailboxes]]\nname = "support"\naddresses = ["support@desk.example"]\n',
        encoding="utf-8",
    )
    return Cli(db=url, agent="anna", env={"CSM_CONFIG_FILE": str(config), "CSM_AGENT": ""})


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def _stocked(csm: Cli) -> None:
    _ok(
        csm(
            "macros",
            "add",
            "--name",
            "reset",
            "--lang",
            "en",
            "--category",
            "account",
            "--reply",
            RESET_EN,
            "--do",
            "status=pending",
            "--do",
            "tag+=password-reset",
        )
    )
    _ok(
        csm(
            "macros",
            "add",
            "--name",
            "reset",
            "--lang",
            "ru",
            "--category",
            "account",
            "--reply",
            RESET_RU,
            "--do",
            "status=pending",
            "--do",
            "tag+=password-reset",
        )
    )
    _ok(csm("macros", "add", "--name", "dup", "--do", "status=solved", "--do", "tag+=duplicate",
            "--do", "note=a duplicate: see the other ticket"))  # fmt: skip


def _ticket(csm: Cli, email: str, subject: str, body: str) -> int:
    made = _ok(csm("tickets", "create", "--customer", email, "--subject", subject,
                   "--body", body, agent="olga"))  # fmt: skip
    return int(made.stdout.strip())


def _show(csm: Cli, ticket_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        _ok(csm("tickets", "show", str(ticket_id), "--format", "json")).stdout
    )
    return data


def _outbox(csm: Cli, ticket_id: int) -> list[dict[str, Any]]:
    listed = _ok(csm("mail", "outbox", "list", "--ticket", str(ticket_id), "--format", "json"))
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def _macros(csm: Cli) -> list[tuple[str, str]]:
    listed = json.loads(_ok(csm("macros", "list", "--format", "json")).stdout)
    return [(m["name"], m["language"]) for m in listed]


def test_macros_commands(csm: Cli, tmp_path: Path) -> None:
    _stocked(csm)
    assert _macros(csm) == [("dup", "en"), ("reset", "en"), ("reset", "ru")]
    table = _ok(csm("macros", "list", "--lang", "ru")).stdout
    assert table.split() == ["reset", "ru", "account", "reply,", "status=pending,",
                             "tag+=password-reset"]  # fmt: skip
    shown = _ok(csm("macros", "show", "reset", "--lang", "lv"))
    assert shown.stdout.startswith(
        "---\nname: reset\ncategory: account\nlanguage: en\nactions:\n- status=pending\n"
    )
    assert "variant: en (no lv variant)" in shown.stderr
    data = json.loads(_ok(csm("macros", "show", "dup", "--format", "json")).stdout)
    assert data["reply"] == "" and data["actions"] == [
        "status=solved",
        "tag+=duplicate",
        "note=a duplicate: see the other ticket",
    ]
    # edit in $EDITOR (here: sed, which changes one action)
    edited = csm("macros", "edit", "dup", env={"EDITOR": "sed -i s/tag+=duplicate/tag+=dupe/"})
    _ok(edited)
    assert "macro dup (en) updated" in edited.stderr
    shown = json.loads(_ok(csm("macros", "show", "dup", "--format", "json")).stdout)
    assert "tag+=dupe" in shown["actions"]
    # an edit that breaks it is refused, and the text is kept for the operator
    broken = csm("macros", "edit", "dup", env={"EDITOR": "sed -i s/status=solved/status=x/"})
    assert broken.exit_code == 2 and "your text is kept in" in broken.stderr
    removed = _ok(csm("macros", "remove", "reset", "--lang", "ru"))
    assert "removed (ru)" in removed.stderr
    assert _macros(csm) == [("dup", "en"), ("reset", "en")]
    assert csm("macros", "remove", "nope").exit_code == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--name", "Bad Name", "--do", "status=solved"], "name: lower-case letters"),
        (["--name", "x", "--lang", "de", "--do", "status=solved"], "language"),
        (["--name", "x", "--do", "assignee=@olga"], "assignee= is not allowed here"),
        (["--name", "x", "--do", "status=sideways"], "action 1"),
        (["--name", "x", "--do", "note"], "action 1: bad action"),
        (["--name", "x", "--reply", "{{ customer.nickname }}"], "unknown placeholder"),
        (["--name", "x", "--reply", "{{ ''.__class__ }}"], "is not a placeholder"),
        (["--name", "x", "--category", "c" * 41, "--do", "tag+=a"], "category"),
        (["--name", "x", "--reply", "a", "--reply-file", "f"], "one of --reply"),
    ],
)
def test_bad_macros_exit_2_and_save_nothing(csm: Cli, args: list[str], expected: str) -> None:
    result = csm("macros", "add", *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and "Traceback" not in result.output
    assert _macros(csm) == []


def test_operators_may_not_write_macros(csm: Cli) -> None:
    result = csm("macros", "add", "--name", "mine", "--do", "tag+=x", agent="olga")
    assert result.exit_code == 5, result.output  # permission denied
    assert "may not edit macros" in result.stderr
    assert _macros(csm) == []


def test_tickets_macro_dry_run_writes_nothing_then_applies_and_queues_the_mail(csm: Cli) -> None:
    _stocked(csm)
    ru = _ticket(csm, "maria@example.ru", "Не могу войти", "Здравствуйте, я забыла пароль.")
    en = _ticket(csm, "john@example.com", "Cannot log in", "Hello, I forgot my password.")
    before = {t: _show(csm, t) for t in (ru, en)}
    dry = _ok(csm("tickets", "macro", str(ru), str(en), "reset", "--dry-run"))
    assert "dry run of macro reset: 2 would change; nothing changed" in dry.stderr
    lines = dry.stdout.splitlines()
    assert f"#{ru} (ru) reply: Здравствуйте, maria! Ссылка для #{ru}." in lines
    assert f"#{ru} (ru) status: new → pending" in lines
    assert f"#{en} (en) reply: Hello john, the link for #{en}." in lines
    assert f"#{en} (en) tags: — → password-reset" in lines
    for t in (ru, en):
        assert _show(csm, t) == before[t]
        assert _outbox(csm, t) == []
    done = _ok(csm("tickets", "macro", str(ru), str(en), "reset"))
    assert done.stdout.split() == [str(ru), str(en)]
    assert "macro reset: 2 changed (batch macro-" in done.stderr
    shown = _show(csm, ru)
    assert shown["ticket"]["status"] == "pending"
    assert shown["ticket"]["tags"] == ["password-reset"]
    replies = [m for m in shown["messages"] if m["author_kind"] == "agent"]
    assert [m["body"] for m in replies] == [f"Здравствуйте, maria! Ссылка для #{ru}."]
    assert [(r["kind"], r["state"]) for r in _outbox(csm, ru)] == [("reply", "queued")]
    # one transaction per ticket, one batch: the reply, the status, the tag and the macro
    batch = {a["batch_id"] for a in shown["audit"] if a["action"] == "macro"}
    assert len(batch) == 1
    actions = [a["action"] for a in shown["audit"] if a["batch_id"] in batch]
    assert "reply" in actions and "macro" in actions


def test_several_tickets_report_each_and_exit_non_zero_when_one_fails(csm: Cli) -> None:
    _stocked(csm)
    first = _ticket(csm, "a@example.com", "One", "Hello")
    second = _ticket(csm, "b@example.com", "Two", "Hello")
    _ok(csm("tickets", "status", str(second), "--set", "solved"))
    _ok(csm("tickets", "status", str(second), "--set", "closed"))
    result = csm("tickets", "macro", "-", "dup", stdin=f"{first}\n{second}\n99999\n")
    assert result.exit_code != 0
    assert result.stdout.split() == [str(first)]
    assert "macro dup: 1 changed, 2 refused" in result.stderr
    assert f"#{second} refused:" in result.stderr and "#99999 refused:" in result.stderr
    assert _show(csm, first)["ticket"]["status"] == "solved"
    assert _show(csm, first)["ticket"]["tags"] == ["duplicate"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["reset"], "give one or more ticket ids"),
        (["1", "nope"], "no macro named 'nope'"),
        (["abc", "reset"], "ticket id"),
        (["1", "2", "reset", "--max", "1"], "more than --max 1"),
    ],
)
def test_bad_tickets_macro_usage(csm: Cli, args: list[str], expected: str) -> None:
    _stocked(csm)
    result = csm("tickets", "macro", *args)
    assert result.exit_code in (2, 3), result.output
    assert expected in result.stderr
