"""A second console in its own process, for processes/test_live_console.py: it opens a ticket as
`handle`, starts writing a reply, and then prints, every half second, who else it sees at that
ticket, until it is killed.

    python -m tests.live_console_worker URL HANDLE TICKET_ID DRAFTS_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from csm_console.services.drafts import DraftBox
from csm_console.store.engine import Store
from tests.tui_support import make_app


async def main(url: str, handle: str, ticket_id: int, drafts: Path) -> None:
    store = Store(url)
    box = DraftBox(drafts, store=store.display_url, agent=handle)
    app = make_app(store, handle, live=True, draft_box=box)
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_ticket(ticket_id)
        while app.detail is None or app.detail.ticket.id != ticket_id:
            await pilot.pause(0.1)
        app.action_compose("reply")
        await pilot.press(*"On it")
        print("replying", flush=True)
        while True:
            await pilot.pause(0.5)
            seen = ",".join(p.describe() for p in app.others.get(ticket_id, []))
            print(f"others {seen}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])))
