"""What every check shares: the allowed values and the report the checks write into."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .words import read_text

CHANNELS = {"email", "phone", "chat", "web"}
STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent"]
TIERS = ["L1", "L2", "L3"]
LANGUAGES = ("en", "ru", "lv")
CATEGORIES = {"billing", "connectivity", "account", "hardware", "tv", "mobile", "cancellation",
              "other"}  # fmt: skip
CYRILLIC = re.compile(r"[а-яё]", re.I)
LV_CHARS = re.compile(r"[āčēģīķļņšūž]", re.I)


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def err(self, msg: str) -> None:
        self.errors.append(msg)

    def need(self, cond: object, msg: str) -> None:
        if not cond:
            self.err(msg)


def read_json(path: Path) -> Any:
    return json.loads(read_text(path))
