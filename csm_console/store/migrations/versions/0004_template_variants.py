"""reply templates: language variants share a name, unique per (name, language)

Revision ID: 0004
Revises: 0003

Names such as `billing-refund-ru` whose suffix is their own language become `billing-refund`,
unless that would collide with a template already named so in the same language.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW = "uq_reply_template_name_language"
OLD = "reply_template_name_key"  # what PostgreSQL called 0001's unnamed UNIQUE (name)
# SQLite reflects an unnamed unique constraint without a name: batch mode names it by this
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
MAX_NAME = 120


def _unique_on(bind: sa.engine.Connection, columns: list[str]) -> str:
    for constraint in sa.inspect(bind).get_unique_constraints("reply_template"):
        if list(constraint["column_names"]) == columns:
            return constraint["name"] or f"uq_reply_template_{columns[0]}"
    raise RuntimeError(f"reply_template has no unique constraint on {columns}")


def upgrade() -> None:
    bind = op.get_bind()
    old = _unique_on(bind, ["name"])
    with op.batch_alter_table("reply_template", naming_convention=NAMING) as batch:
        batch.drop_constraint(old, type_="unique")
    rows = bind.execute(sa.text("SELECT id, name, language FROM reply_template")).all()
    taken = {(r.name, r.language) for r in rows}
    for row in rows:
        suffix = f"-{row.language}"
        bare = row.name[: -len(suffix)]
        if row.name.endswith(suffix) and bare and (bare, row.language) not in taken:
            bind.execute(
                sa.text("UPDATE reply_template SET name = :name WHERE id = :id"),
                {"name": bare, "id": row.id},
            )
            taken.discard((row.name, row.language))
            taken.add((bare, row.language))
    with op.batch_alter_table("reply_template") as batch:
        batch.create_unique_constraint(NEW, ["name", "language"])


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("reply_template") as batch:
        batch.drop_constraint(NEW, type_="unique")
    # names are unique again: each variant takes its language as a suffix (if it has none)
    # (`hello-2` should the suffixed name be taken)
    rows = bind.execute(sa.text("SELECT id, name, language FROM reply_template ORDER BY id")).all()
    used = {r.name for r in rows if r.name.endswith(f"-{r.language}")}
    for row in rows:
        suffix = f"-{row.language}"
        if row.name.endswith(suffix):
            continue
        name, number = row.name[: MAX_NAME - len(suffix)] + suffix, 1
        while name in used:
            number += 1
            tail = f"{suffix}-{number}"
            name = row.name[: MAX_NAME - len(tail)] + tail
        used.add(name)
        bind.execute(
            sa.text("UPDATE reply_template SET name = :name WHERE id = :id"),
            {"name": name, "id": row.id},
        )
    with op.batch_alter_table("reply_template") as batch:
        batch.create_unique_constraint(OLD, ["name"])
