"""take-next reads the head of its team's queue: the index of the claimable tickets

Revision ID: 0020
Revises: 0019

`ix_ticket_claimable`: the unassigned `new` and `open` tickets by tier, team and queue order
(`sla_due`, priority high first, id), partial, so it holds only the queue's unclaimed work.
Take-next (`store.claims`) read `ix_ticket_assignee`'s unassigned tickets in SLA order and
skipped, one heap row at a time, every more urgent one of another team or tier: about 1,400
rows a claim on a 1M or 10M store, 3 ms of the server's time (0.3 ms with this index).
Building it reads the whole `ticket` table once (15 s at 10,000,000 tickets) and holds writes
to it meanwhile.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# as it was at 0020 (store.models.CLAIMABLE_CONDITION)
CLAIMABLE = "assignee_id IS NULL AND status IN ('new', 'open')"


def upgrade() -> None:
    op.create_index(
        "ix_ticket_claimable",
        "ticket",
        ["tier", "team_id", "sla_due", sa.text("priority DESC"), "id"],
        sqlite_where=sa.text(CLAIMABLE),
        postgresql_where=sa.text(CLAIMABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_claimable", table_name="ticket")
