"""Hostile customer text: the shared cases (../shared/testdata, when present) plus ours."""

from __future__ import annotations

import json
from pathlib import Path

_OURS = Path(__file__).parent / "data" / "hostile_text.json"
_SHARED = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "hostile_text.json"


def hostile_cases() -> list[dict[str, str]]:
    cases: dict[str, dict[str, str]] = {}
    for source in (_SHARED, _OURS):
        if source.exists():
            for case in json.loads(source.read_text("utf-8")):
                cases.setdefault(case["text"], case)
    return list(cases.values())
