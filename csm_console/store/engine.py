"""The engine factory and the unit of work.

`Store` is built from a URL when a command starts (never at import time).  `store.read()` and
`store.write()` open one transaction each; on SQLite a write starts with `BEGIN IMMEDIATE`, so a
transaction that reads and then writes never fails with "database is locked" halfway through.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from csm_console.errors import ConfigError, StoreUnavailable
from csm_console.store.private_files import private_file

SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_STATEMENT_TIMEOUT_MS = 60_000
_BEGIN_OPTION = "csm_sqlite_begin"


def parse_store_url(raw: str) -> URL:
    """Parse and normalise a store URL: `postgresql://` means psycopg 3; SQLite paths expand `~`."""
    try:
        url = make_url(raw.strip())
    except exc.ArgumentError:
        raise ConfigError(
            f"bad store URL {_mask_unparsed(raw)!r}; use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None
    backend = url.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        driver = url.get_driver_name()
        if driver not in {"psycopg", "postgresql", "postgres", ""} and url.drivername not in {
            "postgresql",
            "postgres",
        }:
            raise ConfigError(
                f"unsupported PostgreSQL driver {driver!r} in {mask_url(url)}; csm uses psycopg 3"
            )
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if url.drivername not in {"sqlite", "sqlite+pysqlite"}:
            raise ConfigError(f"unsupported SQLite driver in {mask_url(url)}")
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            return url.set(database=str(Path(url.database).expanduser()))
        return url
    raise ConfigError(
        f"unsupported store {url.drivername!r} in {mask_url(url)}; use sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/DB"
    )


def mask_url(url: URL | str) -> str:
    """The URL with any password replaced by ***, safe to print."""
    if isinstance(url, str):
        raw = url
        try:
            url = make_url(raw)
        except exc.ArgumentError:
            return _mask_unparsed(raw)
    return url.render_as_string(hide_password=True)


def _mask_unparsed(raw: str) -> str:
    # user:secret@host → user:***@host, even when the rest does not parse
    import re

    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


SQLITE_AUTOCHECKPOINT = 1000  # pages: SQLite's default


class _Checkpoints:
    """While a bulk job runs (`Store.bulk`), SQLite's WAL is not checkpointed after every
    commit: a chunk of 500 tickets dirties more pages than the automatic checkpoint allows, so
    each chunk would pay for a checkpoint (and its fsync).  The job checkpoints once at the end."""

    def __init__(self) -> None:
        self.deferred = 0


def _configure_sqlite(engine: Engine, checkpoints: _Checkpoints) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below (pysqlite's own is not reliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Up to 32 MB of page cache (the default is 2 MB): a bulk chunk's pages, or a deep queue
        # scroll at a million tickets, stay in memory.  Filled only as pages are read.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        # Read the file through a memory map (up to 1 GiB of address space, not memory): pages
        # come from the OS page cache without a read() each, which halves a report's scans at a
        # million tickets.  Writes still go through the WAL.
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        wanted = 0 if checkpoints.deferred else SQLITE_AUTOCHECKPOINT
        info = connection.connection.info  # lives as long as the DBAPI connection
        if info.get("autocheckpoint", SQLITE_AUTOCHECKPOINT) != wanted:
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {wanted}")
            info["autocheckpoint"] = wanted
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """One store (SQLite file or PostgreSQL database) and its transactions."""

    def __init__(
        self,
        url: URL | str,
        *,
        echo: bool = False,
        statement_timeout_ms: int = POSTGRES_STATEMENT_TIMEOUT_MS,
    ) -> None:
        self.url = parse_store_url(url) if isinstance(url, str) else url
        self.dialect = self.url.get_backend_name()
        # shown as people write it: postgresql://, not the driver-qualified form
        self.display_url = mask_url(
            self.url.set(drivername="postgresql") if self.dialect == "postgresql" else self.url
        )
        self._checkpoints = _Checkpoints()
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                private_file(Path(database))  # 0600: customer data, and so its -wal/-shm
            self.engine = create_engine(self.url, echo=echo, hide_parameters=True)
            self._write_engine: Engine
            _configure_sqlite(self.engine, self._checkpoints)
            self._write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        else:
            self.engine = create_engine(
                self.url,
                echo=echo,
                pool_pre_ping=True,
                hide_parameters=True,
                pool_size=5,
                max_overflow=5,
                connect_args={
                    "connect_timeout": 5,
                    "application_name": "csm",
                    # no statement runs away with the store: a console's query, a report or one
                    # chunk of a bulk job takes far less; migrations lift it (store.migrate)
                    # kept alongside any `?options=` the URL gives (a search_path, ...)
                    "options": " ".join(
                        part
                        for part in (
                            str(self.url.query.get("options") or ""),
                            f"-c statement_timeout={int(statement_timeout_ms)}",
                        )
                        if part
                    ),
                },
            )
            self._write_engine = self.engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction."""
        with translate_errors(self), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Around a run of many write transactions (a bulk job's chunks).  On SQLite the WAL is
        checkpointed once when the run ends, not after nearly every commit; each transaction is
        still committed (and survives a crash of the job) as it ends."""
        self._checkpoints.deferred += 1
        try:
            yield
        finally:
            self._checkpoints.deferred -= 1
            if self.is_sqlite and not self._checkpoints.deferred:
                with translate_errors(self):
                    raw = self.engine.raw_connection()  # autocommit: no transaction around it
                    try:
                        raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
                    finally:
                        raw.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (`BEGIN IMMEDIATE` on SQLite); committed when the block ends."""
        with (
            translate_errors(self),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    def ping(self) -> None:
        with translate_errors(self), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def translate_errors(store: Store) -> Iterator[None]:
    """Turn driver failures into one-line `StoreUnavailable`/`SchemaError`, password masked."""
    try:
        yield
    except exc.OperationalError as error:
        raise classify_operational_error(store, error) from None
    except exc.InterfaceError as error:
        raise StoreUnavailable(
            f"lost the connection to {store.display_url}: {_reason(error)}"
        ) from None
    except exc.DatabaseError as error:
        reason = _reason(error)
        if "not a database" in reason or "malformed" in reason:  # a file that is no SQLite store
            raise StoreUnavailable(f"cannot use {store.display_url}: {reason}") from None
        raise


def classify_operational_error(store: Store, error: exc.DBAPIError) -> Exception:
    from csm_console.errors import SchemaError

    reason = _reason(error)
    lowered = reason.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return SchemaError(
            f"the store {store.display_url} has no csm schema ({reason}); run `csm init`"
        )
    if "database is locked" in lowered or "database is busy" in lowered:
        return StoreUnavailable(
            f"the store {store.display_url} stayed locked by another process for longer than "
            f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s; try again"
        )
    if "statement timeout" in lowered:
        return StoreUnavailable(
            f"the store {store.display_url} stopped a query that ran longer than the statement "
            "timeout; narrow it (a query, --since, --limit) and try again"
        )
    if "unable to open database" in lowered:
        return StoreUnavailable(f"cannot open {store.display_url}: {reason}")
    return StoreUnavailable(f"cannot use the store {store.display_url}: {reason}")


def _reason(error: exc.DBAPIError) -> str:
    """The driver's first line, without SQL, parameters or anything multi-line."""
    original = getattr(error, "orig", None) or error
    first = str(original).strip().splitlines()
    line = first[0] if first else type(original).__name__
    return line.strip().rstrip(".")
