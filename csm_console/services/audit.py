"""The audit trail's hash chain: verify it, and remember when it was last verified.

`verify` walks every audit row in chain order, recomputing each hash (`domain.audit_chain`) from
the row as read, and checks that the chain ends at the row `audit_chain_head` names (rows
removed from the end) and, when asked, that a head noted earlier (`--expect ID:HASH`, kept
outside the store) is still in it, which a rewrite of the whole chain cannot fake.  An admin's
verification is recorded in `store_info`, for the console to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from csm_console.domain.audit_chain import GENESIS, Break, check_link
from csm_console.domain.model import Role, as_id
from csm_console.domain.rights import Actor
from csm_console.errors import UsageError
from csm_console.services.clock import utcnow
from csm_console.store import store_info
from csm_console.store.audit_chain import iter_chain
from csm_console.store.engine import Store
from csm_console.store.models import StoreInfo

VERIFIED_KEY = "audit_verified"  # store_info: "<ISO time> <rows> <intact|broken at #id>"


@dataclass(frozen=True, slots=True)
class ChainReport:
    rows: int
    head_id: int | None  # the last row of the chain, and its hash
    head_hash: str | None
    broken: Break | None
    verified_at: datetime

    @property
    def intact(self) -> bool:
        return self.broken is None


@dataclass(frozen=True, slots=True)
class LastVerified:
    at: datetime
    rows: int
    result: str  # "intact" or "broken at #id"


def parse_expect(text_: str) -> tuple[int, str]:
    """`ID:HASH`, a head printed by an earlier `csm audit verify`."""
    row_id, _, digest = text_.strip().partition(":")
    if (
        as_id(row_id) is None  # ASCII digits: str.isdigit takes `²`
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise UsageError(f"--expect takes ID:HASH as `csm audit verify` prints it, not {text_!r}")
    return int(row_id), digest


def verify(
    store: Store,
    *,
    actor: Actor | None,
    expect: tuple[int, str] | None = None,
    now: datetime | None = None,
) -> ChainReport:
    now = now or utcnow()
    prev_hash, prev_id, rows = GENESIS, None, 0
    broken: Break | None = None
    seen_expected = expect is None
    with store.read() as session:
        conn = session.connection()
        for row, stored_prev, stored_hash in iter_chain(conn):
            broken = check_link(
                row,
                prev_hash=prev_hash,
                prev_id=prev_id,
                stored_prev=stored_prev,
                stored_hash=stored_hash,
            )
            if broken is not None:
                break
            assert stored_hash is not None
            if expect is not None and row.id == expect[0]:
                if stored_hash != expect[1]:
                    broken = Break(row.id, "its hash is not the one noted earlier (--expect)")
                    break
                seen_expected = True
            prev_hash, prev_id, rows = stored_hash, row.id, rows + 1
        if broken is None:
            broken = _check_head(conn, prev_id, prev_hash)
        if broken is None and not seen_expected and expect is not None:
            broken = Break(expect[0], "the row noted earlier (--expect) is no longer in the chain")
    head_hash = prev_hash if prev_id is not None else None
    report = ChainReport(rows, prev_id, head_hash, broken, now)
    if actor is not None and actor.role == Role.ADMIN:
        _record(store, report)
    return report


def _check_head(conn: Connection, last_id: int | None, last_hash: str) -> Break | None:
    head = conn.execute(text("SELECT last_id, last_hash FROM audit_chain_head")).first()
    if head is None or (head[0] == (last_id or 0) and head[1] == last_hash):
        return None
    return Break(
        head[0],
        f"the chain's head names row #{head[0]}, but it ends at "
        f"{f'row #{last_id}' if last_id else 'no row'}: rows at the end were removed",
    )


def _record(store: Store, report: ChainReport) -> None:
    result = "intact" if report.broken is None else f"broken at #{report.broken.row_id}"
    value = f"{report.verified_at.isoformat(timespec='seconds')} {report.rows} {result}"
    with store.write() as session:
        store_info.put(session, VERIFIED_KEY, value)


def last_verified(store: Store) -> LastVerified | None:
    """When an admin last verified the chain, and what they found (None: never)."""
    with store.read() as session:
        row = session.get(StoreInfo, VERIFIED_KEY)
        if row is None:
            return None
        try:
            at, rows, result = row.value.split(" ", 2)
            return LastVerified(at=datetime.fromisoformat(at), rows=int(rows), result=result)
        except ValueError:
            return None  # not written by csm
