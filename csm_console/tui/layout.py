"""Where the console's four panes go, and the header line above them.

At `WIDE` columns and more all four panes show; below, one at a time, except while replying on
a console of `SPLIT_HEIGHT` rows or more: then the ticket stays above the composer, so the
customer's words stay readable while the answer is written."""

from __future__ import annotations

from rich.text import Text
from textual.dom import DOMNode
from textual.screen import Screen

from csm_console.domain.rights import Actor
from csm_console.services.notifications import MAX_NEEDS_ME

PANES = ("queue", "detail", "reply", "knowledge")
PANE_TITLES = ("1 Queue", "2 Ticket", "3 Reply", "4 Knowledge")
PANE_LABELS = {"queue": "queue", "detail": "ticket", "reply": "reply", "knowledge": "kb"}
WIDE = 120
SPLIT_HEIGHT = 20  # from this many rows a narrow console shows the ticket above the composer


def arrange(screen: Screen[object], current: str, width: int, height: int) -> bool:
    """Set the screen's layout classes (`wide`, `narrow`, `split`) and mark the `current`
    pane active; True when the split has just begun (the ticket should show its newest
    message)."""
    wide = width >= WIDE
    screen.set_class(wide, "wide")
    screen.set_class(not wide, "narrow")
    split = not wide and current == "reply" and height >= SPLIT_HEIGHT
    was_split = screen.has_class("split")
    screen.set_class(split, "split")
    for name in PANES:
        screen.query_one(f"#{name}").set_class(name == current, "active")
    return split and not was_split


def pane_of(node: DOMNode | None) -> str | None:
    """The pane `node` (the focused widget) sits in, if any."""
    while node is not None:
        if node.id in PANES:
            return node.id
        node = node.parent
    return None


def header_line(
    actor: Actor,
    store_url: str,
    *,
    current: str,
    narrow: bool,
    split: bool,
    demo: bool,
    needs: int | None = None,
) -> Text:
    """Narrow: the panes by number (the current one lit), then who is working, then the
    store; wide: the name `csm` in place of the panes, and the agent's full name.  `needs`:
    how many of the agent's tickets need them now (`needs you: 3`, right after the handle, so
    that it shows at 80 columns), None while not yet known."""
    a = actor
    line = Text(no_wrap=True, overflow="ellipsis")
    if narrow:
        for index, name in enumerate(PANES, start=1):
            style = "bold reverse" if name == current else "dim"
            if split and name == "detail":
                style = "reverse"  # shown above the composer
            line.append(f" {index} {PANE_LABELS[name]} ", style=style)
        line.append(" ")
    else:
        line.append(" csm ", style="bold reverse")
        line.append(" ")
    if demo:
        line.append(" DEMO ", style="bold black on yellow")
        line.append(" ")
    line.append(a.handle, style="bold")
    if needs is not None:
        line.append(" ")
        count = f"{needs}+" if needs >= MAX_NEEDS_ME else str(needs)  # the most a read counts
        line.append(f" needs you: {count} ", style="bold reverse" if needs else "dim")
    if narrow:  # the essentials first: who, which tier and team, then the store
        line.append(f" {a.role.value} {a.tier.value} {a.team or 'no team'}")
    else:
        line.append(f" ({a.name}, {a.role.value}, {a.tier.value}, {a.team or 'no team'})")
    line.append(f"  {store_url}", style="dim")
    return line
