"""The audit trail's hash chain: verify it, and remember when it was last verified.

`verify` walks every audit row in id order, following each chain (the trunk written before
migration 0017 and the shards after it, `store.audit_chain`) and recomputing each hash
(`domain.audit_chain`) from the row as read; it checks that every chain ends at the row its head
in `audit_chain_head` names (rows removed from the end) and, when asked, that a head noted
earlier (`--expect ID:HASH`, kept outside the store) is still in it, which a rewrite of a whole
chain cannot fake.  The head printed is `ID:HASH` with ID the newest settled row (no running
transaction can still add a row below it) and HASH one hash of where every chain stood then
(with a single chain, that row's own hash, as before 0017); a head noted before 0017 (the row's
hash) is still accepted.  On PostgreSQL the walk reads one snapshot (REPEATABLE READ).  An admin's
verification is recorded in `store_info`, for the console to show.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from csm_console.domain.audit_chain import GENESIS, Break, check_link
from csm_console.domain.model import Role, as_id
from csm_console.domain.rights import Actor
from csm_console.errors import UsageError
from csm_console.services.clock import utcnow
from csm_console.store import audit_chain, store_info
from csm_console.store.audit_chain import TRUNK
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
    with store.read() as session:  # first, outside the snapshot the walk reads
        settled = audit_chain.settled_id(session.connection())
    walk = _Walk(expect)
    with store.read() as session:
        conn = session.connection(
            execution_options={"isolation_level": "REPEATABLE READ"} if store.is_postgres else {}
        )  # on PostgreSQL one snapshot: every chain and its head as of one moment
        heads = audit_chain.heads(conn)
        for link in audit_chain.iter_links(conn):
            if walk.step(link, settled):
                break
        walk.finish(heads)
    report = ChainReport(walk.rows, walk.head_id, walk.head_hash, walk.broken, now)
    if actor is not None and actor.role == Role.ADMIN:
        _record(store, report)
    return report


class _Walk:
    """The chains (the trunk and each shard) followed row by row in id order."""

    def __init__(self, expect: tuple[int, str] | None) -> None:
        self.expect = expect
        self.ends: dict[int, tuple[int, str]] = {}  # chain: (its last row, that row's hash)
        self.rows = 0
        self.broken: Break | None = None
        self.head_id: int | None = None  # the head printed: every chain as of the settled row
        self.head_hash: str | None = None
        self.expected: tuple[str, str] | None = None  # --expect's row: its hash, the head then
        self.noted = False

    def _end(self, chain: int) -> tuple[int | None, str]:
        """Where `chain` stands: its last row and hash (a shard with no row yet: the trunk's)."""
        if chain in self.ends:
            return self.ends[chain]
        if chain == TRUNK:
            return None, GENESIS
        return self.ends.get(TRUNK, (None, GENESIS))

    def _note(self) -> None:
        """The head as of the settled rows (called once, when the walk passes them)."""
        if not self.noted:
            self.noted = True
            if self.ends:  # named by its newest row: the one --expect looks for next time
                self.head_id = max(row_id for row_id, _ in self.ends.values())
                self.head_hash = chain_digest(self.ends)

    def step(self, link: audit_chain.ShardLink, settled: int) -> bool:
        """Follow one row; True when the chain breaks there."""
        row, chain, stored_prev, stored_hash = link
        if row.id > settled:
            self._note()
        prev_id, prev_hash = self._end(chain)
        self.broken = check_link(
            row, prev_hash=prev_hash, prev_id=prev_id, stored_prev=stored_prev,
            stored_hash=stored_hash,
        )  # fmt: skip
        if self.broken is not None:
            return True
        assert stored_hash is not None
        self.ends[chain] = (row.id, stored_hash)
        self.rows += 1
        if self.expect is not None and row.id == self.expect[0]:
            self.expected = (stored_hash, chain_digest(self.ends))
        return False

    def finish(self, heads: dict[int, tuple[int, str]]) -> None:
        self._note()
        if self.broken is None:
            self.broken = self._check_heads(heads)
        if self.broken is None and self.expect is not None:
            row_id, digest = self.expect
            if self.expected is None:
                self.broken = Break(
                    row_id, "the row noted earlier (--expect) is no longer in the chain"
                )
            elif digest not in self.expected:  # the head printed, or (before 0017) the row's hash
                self.broken = Break(row_id, "its hash is not the one noted earlier (--expect)")

    def _check_heads(self, heads: dict[int, tuple[int, str]]) -> Break | None:
        """Each chain must end at the row its head names: else rows at its end were removed."""
        for chain in sorted(set(heads) | set(self.ends)):
            last_id, last_hash = self.ends.get(chain, (0, self._end(chain)[1]))
            if chain not in heads:
                return Break(last_id, f"{_name(chain)} has no head: rows at its end were removed")
            head_id, head_hash = heads[chain]
            if (head_id, head_hash) != (last_id, last_hash):
                return Break(
                    head_id,
                    f"the chain's head names row #{head_id}, but {_name(chain)} ends at "
                    f"{f'row #{last_id}' if last_id else 'no row'}: rows at the end were removed",
                )
        return None


def _name(chain: int) -> str:
    return "the trunk" if chain == TRUNK else f"shard {chain}"


def chain_digest(ends: dict[int, tuple[int, str]]) -> str:
    """One hash for where every chain stands: what `csm audit verify` prints as the head."""
    if len(ends) == 1:  # one chain: its last row's own hash, as before 0017
        return next(iter(ends.values()))[1]
    text_ = "\n".join(
        f"{chain}:{row_id}:{digest}" for chain, (row_id, digest) in sorted(ends.items())
    )
    return hashlib.sha256(text_.encode()).hexdigest()


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
