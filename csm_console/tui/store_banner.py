"""The banner under the panes that says the store is away (and that drafts are kept)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from csm_console.domain.text import sanitize


class StoreBanner(Static):
    """Hidden while the store answers; the reason (sanitised, one line) while it does not."""

    def _show(self, words: str) -> None:
        self.update(Text(words, style="bold"))
        self.remove_class("hidden")

    def lost(self, message: str) -> None:
        """An action failed because the store is away: the probe is trying it again."""
        self._show(
            f" ⚠ {sanitize(message, single_line=True)}  — your draft is kept; "
            "checking the store again by itself "
        )

    def unreachable(self, problem: str) -> None:
        """The change feed lost the store: it retries by itself."""
        self._show(
            f" ⚠ the store is unreachable: {sanitize(problem, single_line=True)}"
            " — retrying by itself; your drafts are kept "
        )

    def clear(self) -> bool:
        """Hide the banner; True when it was showing."""
        shown = not self.has_class("hidden")
        self.add_class("hidden")
        return shown
