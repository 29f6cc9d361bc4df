"""The console's keys in one place.

- Every binding with an id is found where it is declared (any class of a `csm_console.tui`
  module: the panes, the console, the dashboard, the dialogs), so the help screen, the keymap
  check and the pane hints can never miss one.
- Help groups them by the context they work in, each key and action once.
- A text box keeps printable keys for itself (`f` types an f), so where one has focus only
  chords, function keys and `escape` are offered: `typed_character` says which keys type.
- `ContextFooter` shows what matters where the focus is, as much as fits the width, and
  always help.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.keys import _character_to_key, key_to_character
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import App

# key names of the printable ASCII characters ("slash", "plus", ...): Textual's own
# key_to_character does not know some of them, and a text box must keep them all
_PRINTABLE = {_character_to_key(chr(code)): chr(code) for code in range(32, 127)}


def typed_character(key: str) -> str | None:
    """The character that `key` types into a text box, or None for a chord, a function key,
    `escape`, `enter`, `tab` and the like."""
    if key in _PRINTABLE:
        return _PRINTABLE[key]
    character = key_to_character(key)
    return character if character is not None and character.isprintable() else None


# ---------------------------------------------------------------------- the console's own keys

CONSOLE_BINDINGS: list[BindingType] = [
    Binding("tab", "next_pane(1)", "Next pane", priority=True, id="app.next_pane", show=False),
    Binding(
        "shift+tab",
        "next_pane(-1)",
        "Previous pane",
        priority=True,
        id="app.previous_pane",
        show=False,
    ),
    Binding("1", "pane('queue')", "Queue", id="app.pane_queue", show=False),
    Binding("2", "pane('detail')", "Ticket", id="app.pane_detail", show=False),
    Binding("3", "pane('reply')", "Reply", id="app.pane_reply", show=False),
    Binding("4", "pane('knowledge')", "Knowledge", id="app.pane_knowledge", show=False),
    Binding("slash", "filter", "Filter", id="app.filter"),
    Binding("v", "choose_view", "View", id="app.view"),
    Binding("o", "sort", "Sort", id="app.sort"),
    Binding("n", "take_next", "Next", id="app.take_next"),
    Binding("N", "write_first", "Write to customer", id="app.write_first"),
    Binding("exclamation_mark", "needs_me", "Needs me", id="app.needs_me", show=False),
    Binding("a", "assign", "Assign", id="app.assign"),
    Binding("e", "escalate", "Escalate", id="app.escalate"),
    Binding("s", "set_status", "Status", id="app.status"),
    Binding("p", "set_priority", "Priority", id="app.priority"),
    Binding("plus", "add_tag", "Tag", id="app.tag"),
    Binding("r", "compose('reply')", "Reply", id="app.reply"),
    Binding("i", "compose('note')", "Note", id="app.note"),
    Binding("t", "templates", "Template", id="app.template"),
    Binding("m", "macro", "Macro", id="app.macro", show=False),
    Binding("f", "knowledge", "Knowledge", id="app.knowledge"),
    Binding("h", "history", "History", id="app.history"),
    Binding("D", "dashboard", "Dashboard", id="app.dashboard", show=False),
    Binding("ctrl+s", "send", "Send", priority=True, id="app.send"),
    Binding("escape", "go_back", "Back", id="app.back", show=False),
    Binding("question_mark,f1", "help", "Help", id="app.help"),
    Binding("q", "quit_console", "Quit", id="app.quit"),
    Binding("ctrl+q", "quit_console", "Quit", priority=True, id="app.force_quit", show=False),
]
# the console's actions that a dialog on top of it takes over (all but help and quit)
CONSOLE_ACTIONS = {
    binding.action.split("(")[0]
    for binding in CONSOLE_BINDINGS
    if isinstance(binding, Binding) and binding.action not in ("quit_console", "help")
}


# ---------------------------------------------------------------------- every binding, by context

GROUP_ORDER = ("Everywhere", "Queue", "Ticket", "Reply", "Knowledge", "Dashboard", "Dialogs")
# the console's own keys (app.*) by where they act; the rest go by the prefix of their id
APP_GROUPS = {
    "app.filter": "Queue",
    "app.view": "Queue",
    "app.sort": "Queue",
    "app.take_next": "Queue",
    "app.write_first": "Queue",
    "app.needs_me": "Queue",
    "app.assign": "Ticket",
    "app.escalate": "Ticket",
    "app.status": "Ticket",
    "app.priority": "Ticket",
    "app.tag": "Ticket",
    "app.history": "Ticket",
    "app.reply": "Reply",
    "app.note": "Reply",
    "app.template": "Reply",
    "app.macro": "Reply",
    "app.send": "Reply",
    "app.knowledge": "Knowledge",
    "app.dashboard": "Dashboard",
}
PREFIX_GROUPS = {
    "app": "Everywhere",
    "queue": "Queue",
    "detail": "Ticket",
    "reply": "Reply",
    "knowledge": "Knowledge",
    "dashboard": "Dashboard",
    "picker": "Dialogs",
    "prompt": "Dialogs",
    "confirm": "Dialogs",
    "message": "Dialogs",
    "article": "Dialogs",
    "help": "Dialogs",
    "write": "Dialogs",
}
OTHER = "Other"  # a new prefix not listed above (a test keeps this group empty)


def group_of(binding_id: str) -> str:
    if binding_id in APP_GROUPS:
        return APP_GROUPS[binding_id]
    return PREFIX_GROUPS.get(binding_id.split(".")[0], OTHER)


@cache
def declared_bindings() -> tuple[Binding, ...]:
    """Every binding with an id declared by a class of a `csm_console.tui` module, in module
    order (the console first), each id once."""
    import csm_console.tui as package

    found: list[Binding] = []
    seen: set[str] = set()
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    for name in sorted(names, key=lambda n: n != "app"):
        module = importlib.import_module(f"{package.__name__}.{name}")
        for _, owner in inspect.getmembers(module, inspect.isclass):
            if owner.__module__ != module.__name__ or not issubclass(owner, DOMNode):
                continue
            for binding in owner.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                    seen.add(binding.id)
                    found.append(binding)
    return tuple(found)


def binding_by_id(binding_id: str) -> Binding:
    return next(b for b in declared_bindings() if b.id == binding_id)


def keys_of(app: App[Any], binding: Binding) -> list[str]:
    """The keys of a binding with the user's keymap applied."""
    keymap: dict[str, str] = getattr(app, "_keymap", {})
    assert binding.id is not None
    return [k.strip() for k in keymap.get(binding.id, binding.key).split(",") if k.strip()]


def shown_keys(app: App[Any], binding: Binding) -> str:
    return ", ".join(app.get_key_display(binding.with_key(key)) for key in keys_of(app, binding))


def binding_rows(app: App[Any]) -> list[tuple[str, str, str]]:
    """(keys, description, id) of every binding, with the user's keymap applied."""
    return [(shown_keys(app, b), b.description, b.id or "") for b in declared_bindings()]


def unknown_keymap_ids(app: App[Any]) -> list[str]:
    """The ids in the user's keymap that no binding has (a typo, or a binding since renamed)."""
    known = {b.id for b in declared_bindings()}
    return sorted(set(getattr(app, "_keymap", {})) - known)


@dataclass(frozen=True)
class KeyRow:
    keys: str
    description: str
    ids: tuple[str, ...]


def help_groups(app: App[Any]) -> list[tuple[str, list[KeyRow]]]:
    """The help screen's sections: every binding in the context it works in; an action that
    several bindings share there (a dialog's Cancel, `q` and `ctrl+q` Quit) is one row."""
    grouped: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for keys, description, binding_id in binding_rows(app):
        rows = grouped.setdefault(group_of(binding_id), {})
        shown, ids = rows.setdefault(description, ([], []))
        shown.extend(k for k in keys.split(", ") if k not in shown)
        ids.append(binding_id)
    return [
        (
            title,
            [KeyRow(", ".join(k), d, tuple(ids)) for d, (k, ids) in grouped[title].items()],
        )
        for title in (*GROUP_ORDER, OTHER)
        if title in grouped
    ]


def text_box_key(app: App[Any], binding_id: str) -> str | None:
    """The first key of a binding that works while a text box has focus, as `ctrl+s`."""
    for key in keys_of(app, binding_by_id(binding_id)):
        if typed_character(key) is None and key not in ("enter", "space"):
            return "esc" if key == "escape" else key
    return None


def text_box_hint(app: App[Any], actions: Iterable[tuple[str, str]]) -> str:
    """`ctrl+s send   ctrl+t templates ...` for (binding id, word) pairs, live keys only."""
    parts = []
    for binding_id, word in actions:
        key = text_box_key(app, binding_id)
        if key is not None:
            parts.append(f"{key} {word}")
    return "   ".join(parts)


# ---------------------------------------------------------------------- the footer

# What matters, most important first, by the id of the focused widget or its nearest ancestor
# that has an entry; a screen with no entry (a dialog, the dashboard) shows its own keys.
FOOTER_ORDERS: dict[str, tuple[str, ...]] = {
    "queue-filter": ("queue.leave_filter",),
    "queue": (
        "app.reply",
        "app.note",
        "app.template",
        "app.knowledge",
        "app.take_next",
        "app.history",
        "app.dashboard",
        "queue.open",
        "queue.mark",
        "app.assign",
        "app.status",
        "app.escalate",
        "app.filter",
        "app.view",
        "app.write_first",  # (at 120 columns it does not fit: help and the palette have it)
        "app.priority",
        "app.tag",
        "app.sort",
    ),
    "detail": (
        "app.reply",
        "app.note",
        "detail.quotes",  # offered only where a mail of the thread quotes history
        "app.template",
        "app.knowledge",
        "app.history",
        "app.back",
        "app.assign",
        "app.status",
        "app.escalate",
        "app.priority",
        "app.tag",
        "app.take_next",
        "app.dashboard",
    ),
    "composer": ("app.send", "reply.templates", "reply.knowledge", "reply.discard", "app.back"),
    "template-picker": ("app.send", "reply.knowledge", "reply.discard", "app.back"),
    "kb-search": ("knowledge.to_results", "app.back"),
    "kb-results": (
        "knowledge.insert_excerpt",
        "knowledge.insert_reference",
        "app.reply",
        "app.note",
        "app.back",
        "app.template",
        "app.history",
    ),
}
# always shown where they work: help (the console's or a screen's own binding for it), and
# quit (in a text box `q` types: ctrl+q still quits there, unadvertised)
HELP_ACTIONS = ("help", "app.help")
QUIT = "app.quit"
PALETTE_FRAME = 1  # cells the palette key takes besides its own: its left border


class ContextFooter(Footer):
    """Textual's footer, choosing: the keys that matter where the focus is, in that order, as
    many as fit the width without cutting one, then help (and quit) always.  Keys that the
    focused text box would type are left out (they type), whatever the keymap says."""

    def _offered(self) -> dict[str, tuple[Binding, bool]]:
        """binding id -> (the binding of its first working key, enabled)."""
        screen = self.screen
        focused = screen.focused
        offered: dict[str, tuple[Binding, bool]] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.id or binding.id in offered:
                continue
            if (
                focused is not None
                and not binding.priority
                and focused.check_consume_key(key, typed_character(key))
            ):
                continue  # typed into the box, never reaches the binding
            offered[binding.id] = (binding, active.enabled)
        return offered

    def _order(self, offered: dict[str, tuple[Binding, bool]]) -> tuple[str, ...]:
        node: DOMNode | None = self.screen.focused
        while node is not None:
            if node.id in FOOTER_ORDERS:
                return FOOTER_ORDERS[node.id]
            node = node.parent
        if not self.screen.is_modal:  # the console, nothing focused: the queue's keys
            return FOOTER_ORDERS["queue"]
        return tuple(i for i, (binding, _) in offered.items() if binding.show)

    def _chosen(self) -> Iterator[tuple[Binding, bool]]:
        offered = self._offered()
        width = self.app.size.width - 1
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                width -= self._cost(palette.binding) + PALETTE_FRAME
        pinned = [i for i, (b, _) in offered.items() if b.action in HELP_ACTIONS][:1]
        pinned += [QUIT] if QUIT in offered else []
        for binding_id in pinned:
            width -= self._cost(offered[binding_id][0])
        chosen = []
        for binding_id in self._order(offered):
            if binding_id in offered and binding_id not in pinned and binding_id not in chosen:
                cost = self._cost(offered[binding_id][0])
                if cost <= width:
                    chosen.append(binding_id)
                    width -= cost
        for binding_id in [*chosen, *pinned]:
            yield offered[binding_id]

    def _cost(self, binding: Binding) -> int:
        """Cells a footer key takes: the key and the description, padded."""
        key = self.app.get_key_display(binding)
        padding = 2 if self.compact else 3
        return cell_len(key) + cell_len(binding.description) + padding

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        for binding, enabled in self._chosen():
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=binding.tooltip,
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                yield FooterKey(
                    palette.binding.key,
                    self.app.get_key_display(palette.binding),
                    palette.binding.description,
                    palette.binding.action,
                    classes="-command-palette",
                    disabled=not palette.enabled,
                    tooltip=palette.binding.tooltip or palette.binding.description,
                )

    def on_resize(self) -> None:
        if self._bindings_ready and self.is_attached:
            self.call_after_refresh(self.recompose)


# ---------------------------------------------------------------------- the command palette


def palette_commands(app: App[Any], owners: Iterable[DOMNode]) -> Iterator[SystemCommand]:
    """A palette entry for every described binding of `owners`, run on the owner its key would
    run it on."""
    for owner in owners:
        for binding in type(owner).BINDINGS:
            if not (isinstance(binding, Binding) and binding.id and binding.description):
                continue
            keys = ", ".join(
                app.get_key_display(binding.with_key(k.strip())) for k in binding.key.split(",")
            )
            yield SystemCommand(
                binding.description,
                f"{keys}  ({binding.id})",
                lambda a=binding.action, t=owner: app.run_action(a, t),
            )


def screen_commands(app: App[Any], screen: DOMNode, title: str) -> Iterator[SystemCommand]:
    """A palette entry for every shown binding of a full screen (the dashboard), run on it."""
    for binding in type(screen).BINDINGS:
        if isinstance(binding, Binding) and binding.id and binding.show:
            yield SystemCommand(
                f"{title}: {binding.description}",
                f"{app.get_key_display(binding)}  ({binding.id})",
                lambda a=binding.action: app.run_action(a, screen),
            )
