"""Alembic migrations shipped inside the package, run on the store's own connection."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect

from csm_console.errors import SchemaError
from csm_console.store.engine import Store, parse_store_url, translate_errors

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    with translate_errors(store), store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _refuse_unknown_revision(store: Store, current: str | None) -> None:
    if current is None:
        return
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaError(
            f"the store {store.display_url} is at schema {current}, newer than this csm "
            f"({head_revision()}); upgrade csm"
        )


def upgrade(store: Store, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; return (revision before, revision after)."""
    before = current_revision(store)
    _refuse_unknown_revision(store, before)
    cfg = alembic_config()
    with translate_errors(store), store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(store) or "base"


def check_schema(store: Store) -> None:
    """Raise `SchemaError` with the command to run unless the store is at the head revision."""
    current = current_revision(store)
    head = head_revision()
    if current == head:
        return
    if current is None:
        with translate_errors(store), store.engine.connect() as conn:
            has_tables = bool(inspect(conn).get_table_names())
        what = "is not a csm store" if has_tables else "has no csm schema"
        raise SchemaError(f"the store {store.display_url} {what}; run `csm init` to create it")
    _refuse_unknown_revision(store, current)
    raise SchemaError(
        f"the store {store.display_url} is at schema {current}, csm needs {head}; "
        "run `csm db upgrade`"
    )


def refuse_missing_sqlite_file(url: str) -> None:
    """A SQLite store that does not exist yet is an error, not an empty file made by reading."""
    parsed = parse_store_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    in_memory = database == ":memory:" or database.startswith("file:")
    if database and not in_memory and not Path(database).exists():
        raise SchemaError(
            f"there is no store at {database}; run `csm init` to create it "
            "(or `csm --db URL ...` to use another)"
        )
