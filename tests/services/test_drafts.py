"""Unsent drafts kept on this machine: per store, per agent, per ticket; empty ones go."""

from __future__ import annotations

from pathlib import Path

from csm_console.services.drafts import DraftBox


def test_drafts_are_kept_per_store_agent_and_ticket(tmp_path: Path) -> None:
    path = tmp_path / "data" / "drafts.db"
    olga = DraftBox(path, store="sqlite:///a.db", agent="olga")
    assert olga.load(1) is None and olga.tickets() == []  # no file yet: nothing, no error
    olga.save(1, "reply", "Добрый день,\nмы проверили")
    olga.save(2, "note", "called back")
    olga.save(1, "reply", "Добрый день,\nмы проверили линию")  # the newest text wins
    again = DraftBox(path, store="sqlite:///a.db", agent="olga")  # a new console
    kept = again.load(1)
    assert kept is not None and (kept.mode, kept.text) == (
        "reply",
        "Добрый день,\nмы проверили линию",
    )
    assert set(again.tickets()) == {1, 2}
    assert DraftBox(path, store="sqlite:///a.db", agent="ivan").load(1) is None
    assert DraftBox(path, store="postgresql://h/desk", agent="olga").load(1) is None
    again.save(1, "reply", "  \n")  # emptied: discarded
    assert again.load(1) is None
    again.discard(2)
    assert again.tickets() == []
