"""Worker processes for the automation process tests:
`python -m tests.automation_workers run URL START` waits until the time START (seconds since
the epoch, so that the workers begin together), then runs the enabled automations until a run
finds nothing left to do; prints the ids it acted on (JSON)."""

from __future__ import annotations

import json
import sys
import time

from csm_console.services import automations
from csm_console.store.engine import Store


def run(url: str, start: str) -> None:
    store = Store(url)
    time.sleep(max(0.0, float(start) - time.time()))
    acted: list[int] = []
    runs = 0
    while True:
        report = automations.run(store)
        runs += 1
        done = [t for r in report.runs for t in r.acted]
        acted += done
        if not done and all(r.matched == 0 for r in report.runs):
            break
    store.dispose()
    print(json.dumps({"acted": acted, "runs": runs}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"run": run}[command](*args)
