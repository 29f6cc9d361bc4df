"""Alembic migrations shipped inside the package, run on the store's own connection.

Checking a store's schema, which every command does, reads `alembic_version` with plain SQL
against `HEAD`, so everyday commands do not pay for importing Alembic (about a third of a
second); only upgrades import it.  A test keeps `HEAD` equal to the newest migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc, inspect, text

from csm_console.errors import SchemaError
from csm_console.store.engine import (
    Store,
    parse_store_url,
    relative_sqlite_path,
    translate_errors,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HEAD = "0022"  # the newest revision in migrations/versions (tests/services/test_store.py checks)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return HEAD


def script_head() -> str:
    """The newest revision as Alembic sees the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    with translate_errors(store), store.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        try:
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except exc.ProgrammingError:
            return None
        return str(value) if value is not None else None


def _refuse_unknown_revision(store: Store, current: str | None) -> None:
    if current is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

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
    from alembic import command

    cfg = alembic_config()
    with translate_errors(store), store.engine.begin() as conn:
        _no_statement_timeout(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(store) or "base"


def downgrade(store: Store, revision: str) -> str:
    """Undo migrations down to `revision` (for going back to an older csm); returns it."""
    from alembic import command

    cfg = alembic_config()
    with translate_errors(store), store.engine.begin() as conn:
        _no_statement_timeout(conn)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return current_revision(store) or "base"


def _no_statement_timeout(conn: Connection) -> None:
    """A migration may rewrite a big table: it is not bound by the everyday statement timeout."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL statement_timeout = 0"))


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
        written = relative_sqlite_path(url)
        note = (
            f" ({url.strip()} is the relative path {written} in the current directory; "
            f"for /{written} write sqlite:////{written} or just --db /{written})"
            if written
            else ""
        )
        raise SchemaError(
            f"there is no store at {database}{note}; run `csm init` to create it "
            "(or `csm --db PATH|URL ...` to use another)"
        )
