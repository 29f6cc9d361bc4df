"""The console's modules stay small and import downward: `tui/app.py` builds the panes and
helpers, and none of them imports the app back (not even inside a function or for typing)."""

from __future__ import annotations

import ast
from pathlib import Path

import csm_console.tui as tui

TUI = Path(tui.__file__).parent
MODULE_LINES = 800


def _imported(path: Path) -> set[str]:
    """Every module `path` imports, wherever the import statement stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_tui_module_imports_the_app() -> None:
    back = sorted(
        path.name
        for path in TUI.glob("*.py")
        if path.name != "app.py" and "csm_console.tui.app" in _imported(path)
    )
    assert back == [], f"import the console back (a cycle): {back}"


def test_tui_modules_stay_small() -> None:
    sizes = {
        path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in TUI.glob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n >= MODULE_LINES} == {}
