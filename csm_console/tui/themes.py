"""Theme files (TOML) turned into Textual themes at start-up; a bad file is skipped, not fatal."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from textual.app import App
from textual.theme import Theme

FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "ansi",
    "variables",
)


def load_themes() -> tuple[list[Theme], list[str]]:
    """Every theme shipped in `themes/`, and a note for each file that could not be used."""
    themes: list[Theme] = []
    problems: list[str] = []
    folder = resources.files("csm_console.themes")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data: dict[str, Any] = tomllib.loads(entry.read_text(encoding="utf-8"))
            name = str(data.pop("name"))
            unknown = set(data) - set(FIELDS)
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            themes.append(Theme(name=name, **data))
        except (KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as error:
            problems.append(f"theme file {entry.name} skipped: {error}")
    return themes, problems


def register_themes(app: App[Any]) -> list[str]:
    themes, problems = load_themes()
    for theme in themes:
        app.register_theme(theme)
    return problems


def choose_theme(app: App[Any], name: str) -> None:
    """Use the theme `name`; an unknown name is said, with the names there are."""
    if name in app.available_themes:
        app.theme = name
        return
    names = ", ".join(sorted(app.available_themes))
    app.notify(f"unknown theme {name!r}; available: {names}", severity="warning", timeout=10)
