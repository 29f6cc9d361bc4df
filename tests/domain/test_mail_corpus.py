"""The hand-written corpus (`tests/data/mail/`): each message parses to what `expected.json`
says, and every text field of every result is safe to show."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from csm_console.domain.mail import MessageFlag, ParsedMail, Unstorable, find_subject_tag
from csm_console.domain.mail_parse import parse_message
from csm_console.domain.quoted import split_quoted
from csm_console.domain.text import guess_language, sanitize

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text("utf-8"))


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


def text_fields(parsed: ParsedMail) -> list[str]:
    """Every string a face could show, from one parse."""
    return [
        parsed.mail_key,
        parsed.message_id or "",
        parsed.sender,
        parsed.sender_name,
        parsed.subject,
        parsed.date or "",
        parsed.loop_marker or "",
        parsed.bounce_reason,
        *parsed.in_reply_to,
        *parsed.references,
        *parsed.recipients,
        *parsed.bounced_ids,
        *parsed.problems,
        *(a.filename for a in parsed.attachments),
        *(a.content_type for a in parsed.attachments),
        *(a.content_id or "" for a in parsed.attachments),
    ]


def assert_safe(parsed: ParsedMail) -> None:
    for value in text_fields(parsed):
        assert value == sanitize(value, single_line=True), value
        value.encode("utf-8")  # no lone surrogates left from 8-bit bytes
    assert parsed.body == sanitize(parsed.body)
    parsed.body.encode("utf-8")
    assert len(parsed.subject) <= 500
    for attachment in parsed.attachments:
        assert attachment.filename
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert not attachment.filename.startswith(".")


def test_every_corpus_file_has_expectations() -> None:
    names = {p.name for p in corpus_files()}
    assert len(names) >= 30
    assert names == set(EXPECTED)
    readme = (CORPUS / "README.md").read_text("utf-8")
    assert all(f"`{name}`" in readme for name in names)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_message(path: Path) -> None:
    want = EXPECTED[path.name]
    raw = path.read_bytes()
    if "unstorable" in want:
        with pytest.raises(Unstorable, match=want["unstorable"]):
            parse_message(raw)
        return
    parsed = parse_message(raw)
    assert_safe(parsed)
    assert parsed.sender == want["sender"]
    assert parsed.subject == want["subject"]
    assert want["text"] in parsed.body
    if "not_text" in want:
        assert want["not_text"] not in parsed.body
    if "sender_name" in want:
        assert parsed.sender_name == want["sender_name"]
    assert sorted(f.value for f in parsed.flags) == sorted(want.get("flags", []))
    assert parsed.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert parsed.raw_size == len(raw)
    if parsed.message_id is None:
        assert parsed.mail_key == "sha256:" + parsed.raw_sha256
    else:
        assert parsed.mail_key == parsed.message_id
    for key in ("date", "message_id", "loop_marker", "bounce_reason", "auto_response_suppressed"):
        if key in want:
            assert getattr(parsed, key) == want[key], key
    for key in ("bounced_ids", "in_reply_to", "references", "recipients"):
        if key in want:
            assert list(getattr(parsed, key)) == want[key], key
    if "attachments" in want:
        got = parsed.attachments
        assert len(got) == len(want["attachments"])
        for attachment, expected in zip(got, want["attachments"], strict=True):
            for key, value in expected.items():
                assert getattr(attachment, key) == value, (attachment.filename, key)
    else:
        assert parsed.attachments == ()
    if "tag" in want:
        assert find_subject_tag(parsed.subject) == want["tag"]
    if "new" in want:
        new, quoted = split_quoted(parsed.body)
        assert new == want["new"]
        assert quoted
        kept = [x for x in f"{new}\n{quoted}".split("\n") if x.strip()]
        assert kept == [x for x in parsed.body.split("\n") if x.strip()]
    if "language" in want:
        assert guess_language(parsed.body) == want["language"]


def test_a_bounce_is_always_automatic_mail_too() -> None:
    """Whatever checks only the auto-reply flag (no acknowledgement, no status change) must
    leave bounces alone as well."""
    bounces = 0
    for path in corpus_files():
        if "unstorable" in EXPECTED[path.name]:
            continue
        flags = parse_message(path.read_bytes()).flags
        if MessageFlag.BOUNCE in flags:
            bounces += 1
            assert MessageFlag.AUTO_REPLY in flags, path.name
    assert bounces == 4
