"""First-contact resolution: the listed tickets end with the agent's first public reply."""

from __future__ import annotations

from typing import Any

from .words import fmt_offset, parse_offset

SOLVED_AFTER_REPLY = 5  # minutes


def _first_public_reply(messages: list[dict[str, Any]]) -> int:
    return next(
        i for i, m in enumerate(messages) if m["author"].startswith("agent:") and not m["internal"]
    )


def solve_at_first_contact(tickets: list[dict[str, Any]], numbers: list[int]) -> None:
    """Cut each listed ticket (1 = tickets[0]) after its first public reply; solve it then."""
    for n in numbers:
        if not 1 <= n <= len(tickets):
            raise ValueError(f"first_contact.yaml: there is no ticket {n}")
        t = tickets[n - 1]
        if t["tier"] != "L1" or t["status"] not in ("solved", "closed") or t["reopen_count"]:
            raise ValueError(
                f"first_contact.yaml: ticket {n} is not a solved first-line ticket "
                "that was never reopened"
            )
        t["messages"] = t["messages"][: _first_public_reply(t["messages"]) + 1]
        t["solved"] = fmt_offset(parse_offset(t["first_response"]) - SOLVED_AFTER_REPLY)
