"""The engine factory and the unit of work.

`Store` is built from a URL when a command starts (never at import time).  `store.read()` and
`store.write()` open one transaction each; on SQLite a write starts with `BEGIN IMMEDIATE`, so a
transaction that reads and then writes never fails with "database is locked" halfway through.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, Connection, make_url

from csm_console.domain.mail import MailSettings
from csm_console.errors import ConfigError, StoreUnavailable, UsageError
from csm_console.store.audit_chain import register_sqlite_functions
from csm_console.store.bulk_turn import WritersTurn
from csm_console.store.private_files import private_file

# The ORM session is imported by `read()` and `write()` only: a process that reads in Core
# (`connection()`: the ticket list) never imports the ORM or SQLModel.
if TYPE_CHECKING:
    from sqlmodel import Session

SQLITE_CACHE_KIB = 32 * 1024
SQLITE_MMAP_BYTES = 1 << 30
# A lean store (the console: one long-lived process, several pooled connections) reads through
# a small page cache per connection and no memory map, except in a scan (`read(scan=True)`):
# see `Store.lean`.
SQLITE_LEAN_CACHE_KIB = 4 * 1024
SQLITE_LEAN_MMAP_BYTES = 0
_SCAN_OPTION = "csm_sqlite_scan"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# What a SQLite store's WAL file keeps on disk once it has been checkpointed and starts over:
# a burst (a bulk job, claims without a pause) may grow it to hundreds of MB, which SQLite
# would otherwise keep for reuse as long as any connection is open.
SQLITE_WAL_KEEP_BYTES = 64 * 1024 * 1024
POSTGRES_STATEMENT_TIMEOUT_MS = 60_000
# A pooled PostgreSQL connection is pinged at checkout only when it has sat idle this long:
# one given back moments ago is alive (HikariCP's "alive bypass window", 500 ms by default).
POSTGRES_PING_AFTER_IDLE_S = 0.5
_IDLE_FROM = "csm_idle_from"
_BEGIN_OPTION = "csm_sqlite_begin"


URL_HELP = "use a file path, sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# query parameters whose values are secrets (libpq's password, sslpassword, ...)
_SECRET_KEY = r"[^=&#]*(?:pass|secret|token)[^=&#]*"


def parse_store_url(raw: str) -> URL:
    """Parse and normalise a store URL: `postgresql://` (or `postgres://`) means psycopg 3; a
    plain file path, or `sqlite:///PATH`, is a SQLite file, made absolute (`~` expanded, a
    relative path from the current directory), so that every message names the real file."""
    text = raw.strip()
    if not text:
        raise ConfigError(f"empty store URL; {URL_HELP}")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ConfigError(f"the store URL {_mask_unparsed(text)!r} has control characters")
    if not _SCHEME.match(text):
        return URL.create("sqlite", database=_absolute(text))
    url = _make_url(text)
    scheme, _, driver = url.drivername.partition("+")
    if scheme in {"postgresql", "postgres"}:
        if driver not in {"psycopg", ""}:
            raise ConfigError(
                f"unsupported PostgreSQL driver {driver!r} in {mask_url(url)}; csm uses psycopg 3"
            )
        _check_port(url)
        return url.set(drivername="postgresql+psycopg")
    if scheme == "sqlite":
        if driver not in {"pysqlite", ""}:
            raise ConfigError(f"unsupported SQLite driver {driver!r} in {mask_url(url)}")
        if url.host or url.username or url.password or url.port:
            raise ConfigError(
                f"a SQLite store is a file, not a server: {mask_url(url)}; write sqlite:///PATH "
                "(sqlite:////abs/path for an absolute one) or just the file path"
            )
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            return url.set(database=_absolute(url.database))
        return url
    raise ConfigError(f"unsupported store {url.drivername!r} in {mask_url(url)}; {URL_HELP}")


def _absolute(path: str) -> str:
    return os.path.abspath(os.path.expanduser(path))  # `~nobody` stays as written


def relative_sqlite_path(raw: str) -> str | None:
    """The path as written when a SQLite URL gives a relative one (`sqlite:///home/me/x.db` is
    `home/me/x.db` in the current directory); None otherwise.  For messages."""
    text = raw.strip()
    if not text.lower().startswith(("sqlite://", "sqlite+pysqlite://")):
        return None
    path = text.split("://", 1)[1].split("?", 1)[0]
    if not path.startswith("/") or path.startswith("//") or path in {"/", "/:memory:"}:
        return None
    written = path[1:]
    return None if written.startswith(("~", "file:")) else written


def _make_url(text: str) -> URL:
    """SQLAlchemy's URL, also when the password holds an unescaped `@` (the user part ends at
    the last `@` before the host, as in a browser) and with a port that is a number."""
    scheme, rest = text.split("://", 1)
    netloc_end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    netloc, tail = rest[:netloc_end], rest[netloc_end:]
    if netloc.count("@") > 1:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        quoted = quote(unquote(user), safe="") + (
            colon + quote(unquote(password), safe="") if colon else ""
        )
        text = f"{scheme}://{quoted}@{hostport}{tail}"
    try:
        url = make_url(text)
    except (exc.ArgumentError, ValueError):
        raise ConfigError(f"bad store URL {_mask_unparsed(text)!r}; {URL_HELP}") from None
    return url


def _check_port(url: URL) -> None:
    if url.port is not None and not 0 < url.port < 65536:
        raise ConfigError(f"bad port {url.port} in {mask_url(url)}; a port is 1 to 65535")


def mask_url(url: URL | str) -> str:
    """The URL with any password replaced by ***, safe to print: the password of the user part
    (also one with an unescaped `@`) and secret query parameters (`?password=`)."""
    if isinstance(url, str):
        raw = url
        if "://" not in raw:
            return raw  # a file path has no password
        try:
            url = _make_url(raw.strip())
        except ConfigError:
            return _mask_unparsed(raw)
    return _mask_query(url.render_as_string(hide_password=True))


def display_url(url: URL) -> str:
    """A store URL as people write it (postgresql://, not the driver-qualified form), masked."""
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql")
    return mask_url(url)


def _mask_unparsed(raw: str) -> str:
    # user:secret@host → user:***@host up to the last @ (a password may hold one), and the
    # secret query parameters, even when the rest does not parse
    return _mask_query(re.sub(r"(://[^:/@]*:)[^/?]*@", r"\1***@", raw))


def _mask_query(rendered: str) -> str:
    return re.sub(
        rf"([?&]{_SECRET_KEY}=)[^&#]*",
        r"\1***",
        rendered,
        flags=re.IGNORECASE,
    )


def scrub_secrets(message: str, url: URL) -> str:
    """A driver's message with the URL's secrets (password, secret query values) taken out."""
    secrets = [str(url.password or "")] + [
        value
        for key, value in url.query.items()
        if re.fullmatch(_SECRET_KEY, key, re.IGNORECASE) and isinstance(value, str)
    ]
    for secret in secrets:
        if len(secret) >= 2:
            message = message.replace(secret, "***")
    return message


SQLITE_AUTOCHECKPOINT = 1000  # pages: SQLite's default


class _Checkpoints:
    """While a bulk job runs (`Store.bulk`), SQLite's WAL is not checkpointed after every
    commit: a chunk of 1,000 tickets dirties more pages than the automatic checkpoint allows, so
    each chunk would pay for a checkpoint (and its fsync).  The job checkpoints once at the end.
    `lean`: the store reads through a small cache and no memory map (`Store.lean`)."""

    def __init__(self) -> None:
        self.deferred = 0
        self.lean = False


def _set_pragma(connection: Any, name: str, value: int) -> None:
    """`PRAGMA name = value` on this connection, unless it holds that value already."""
    info = connection.connection.info  # lives as long as the DBAPI connection
    if info.get(name) != value:
        connection.exec_driver_sql(f"PRAGMA {name} = {value}")
        info[name] = value


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it has been idle for
    `POSTGRES_PING_AFTER_IDLE_S`: SQLAlchemy's `pool_pre_ping` pings at every checkout, a round
    trip (and a quarter of take-next's client CPU) before every transaction of a busy process.
    A dead connection found so is replaced (`DisconnectionError`: the pool reconnects); one that
    died inside the window fails its statement, which invalidates it, as any lost connection."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_FROM] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.get(_IDLE_FROM)
        if idle_from is not None and time.monotonic() - idle_from < POSTGRES_PING_AFTER_IDLE_S:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error
            raise


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
        cursor.execute(f"PRAGMA journal_size_limit = {SQLITE_WAL_KEEP_BYTES}")
        # Up to 32 MB of page cache (the default is 2 MB): a bulk chunk's pages, or a deep queue
        # scroll at a million tickets, stay in memory.  Filled only as pages are read.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        # Read the file through a memory map (up to 1 GiB of address space, not memory): pages
        # come from the OS page cache without a read() each, which halves a report's scans at a
        # million tickets.  Writes still go through the WAL.
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.close()
        _record.info.update(cache_size=-SQLITE_CACHE_KIB, mmap_size=SQLITE_MMAP_BYTES)
        register_sqlite_functions(dbapi_connection)  # the audit chain's hash

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        wanted = 0 if checkpoints.deferred else SQLITE_AUTOCHECKPOINT
        info = connection.connection.info  # lives as long as the DBAPI connection
        if info.get("autocheckpoint", SQLITE_AUTOCHECKPOINT) != wanted:
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {wanted}")
            info["autocheckpoint"] = wanted
        if info.get("temp_store", 0) != 0:  # a claim kept its statement journals in memory
            connection.exec_driver_sql("PRAGMA temp_store = DEFAULT")  # (store.claims)
            info["temp_store"] = 0
        options = connection.get_execution_options()
        if checkpoints.lean:  # between two transactions: no statement is running
            roomy = bool(checkpoints.deferred) or options.get(_SCAN_OPTION, False)
            _set_pragma(
                connection, "cache_size", -(SQLITE_CACHE_KIB if roomy else SQLITE_LEAN_CACHE_KIB)
            )
            mapped = options.get(_SCAN_OPTION, False)
            _set_pragma(
                connection, "mmap_size", SQLITE_MMAP_BYTES if mapped else SQLITE_LEAN_MMAP_BYTES
            )
        mode = options.get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """One store (SQLite file or PostgreSQL database) and its transactions.

    `mail` is the e-mail channel's settings as the face that built the store read them (the
    config file's `[[mailboxes]]`, `smtp_url` ...): the services that queue outgoing mail
    (a reply on an e-mail ticket, the acknowledgement, the survey when a ticket is solved, from
    the console, the CLI or a bulk change alike) learn the mailboxes here, never from the file.
    No mailbox configured: nothing is queued."""

    def __init__(
        self,
        url: URL | str,
        *,
        echo: bool = False,
        statement_timeout_ms: int = POSTGRES_STATEMENT_TIMEOUT_MS,
        mail: MailSettings | None = None,
    ) -> None:
        self.mail = mail if mail is not None else MailSettings()
        self.url = parse_store_url(url) if isinstance(url, str) else url
        self.dialect = self.url.get_backend_name()
        self._checkpoints = _Checkpoints()
        # SQLite: writers' turn between a bulk job's chunks (store.bulk_turn)
        self.turn = WritersTurn(self.url.database if self.is_sqlite else None)
        try:
            self._build(echo, statement_timeout_ms)
        except exc.ArgumentError as error:  # a URL option the dialect refuses (?port=x)
            raise ConfigError(f"bad store URL {self.display_url}: {error}") from None
        except OSError as error:  # the store's folder cannot be made
            raise StoreUnavailable(
                f"cannot create the folder of {self.display_url}: {error.strerror}"
            ) from None

    def _build(self, echo: bool, statement_timeout_ms: int) -> None:
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                private_file(Path(database))  # 0600: customer data, and so its -wal/-shm
            self.engine = create_engine(self.url, echo=echo, hide_parameters=True)
            self._write_engine: Engine
            self._scan_engine: Engine
            _configure_sqlite(self.engine, self._checkpoints)
            self._write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            self._scan_engine = self.engine.execution_options(**{_SCAN_OPTION: True})
        else:
            self.engine = create_engine(
                self.url,
                echo=echo,
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
            _ping_after_idle(self.engine)
            self._write_engine = self.engine
            self._scan_engine = self.engine

    @cached_property
    def display_url(self) -> str:
        """The URL as people write it, password masked, for messages: made when a message
        needs it (its masking patterns are compiled then, not at every start)."""
        return display_url(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def read(self, *, scan: bool = False) -> Iterator[Session]:
        """A read transaction.  `scan`: it reads much of the store (a report, the dashboard);
        on a lean SQLite store it gets the big cache and the memory map that halve such a scan,
        for this transaction only."""
        from sqlmodel import Session

        engine = self._scan_engine if scan else self.engine
        with translate_errors(self), Session(engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A read transaction on a plain connection, for reads written in SQLAlchemy Core
        (`services.ticket_list`): no ORM session, so such a process never imports the ORM.
        Rolled back when the block ends, as `read()` is."""
        with translate_errors(self), self.engine.connect() as conn:
            yield conn

    def lean(self) -> None:
        """Keep this process's resident memory flat (the console: it lives all day and keeps
        several pooled connections).  On SQLite every connection then reads through a small
        page cache (4 MB, not 32) and without the memory map: through a 1 GiB map, every page
        a query touches counts in the process's resident memory for as long as the connection
        lives, so that counting `assignee:me status:new,open,pending,on_hold` at a million
        tickets (96,000 row lookups) put 480 MB of the store into it.  Read from the OS page
        cache instead, the same pages cost a `read()` each and no resident memory.  Scans
        (`read(scan=True)`) and bulk jobs (`bulk()`) still get the big cache and the map."""
        self._checkpoints.lean = True

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
        """A write transaction (`BEGIN IMMEDIATE` on SQLite); committed when the block ends.
        Inside `bulk()`, the writers waiting meanwhile go first (`store.bulk_turn`)."""
        from sqlmodel import Session

        if self._checkpoints.deferred:
            self.turn.give_way()
        with (
            translate_errors(self),
            self.turn.writing(),
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
    except (exc.OperationalError, sqlite3.OperationalError) as error:
        # a raw sqlite3 error too: Store.bulk's checkpoint runs on the DBAPI connection
        raise classify_operational_error(store, error) from None
    except exc.InterfaceError as error:
        raise StoreUnavailable(
            f"lost the connection to {store.display_url}: {_reason(error, store)}"
        ) from None
    except exc.ProgrammingError as error:
        reason = _reason(error, store)
        if reason.startswith("invalid connection option"):  # the URL's ?name=value
            raise ConfigError(f"bad store URL {store.display_url}: {reason}") from None
        raise
    except exc.DataError as error:  # a value the database refuses: a NUL, a number too big
        raise UsageError(f"the store refused a value: {_reason(error, store)}") from None
    except OverflowError as error:  # SQLite: an integer past 64 bits; a date past year 9999
        raise UsageError(f"a value is out of range: {error}") from None
    except UnicodeEncodeError as error:  # a lone surrogate: bytes that were not UTF-8
        raise UsageError(
            f"text that is not valid UTF-8 (character {error.object[error.start : error.end]!r}); "
            "save it as UTF-8"
        ) from None
    except exc.DatabaseError as error:
        reason = _reason(error, store)
        if "not a database" in reason or "malformed" in reason:  # a file that is no SQLite store
            raise StoreUnavailable(f"cannot use {store.display_url}: {reason}") from None
        raise


def classify_operational_error(store: Store, error: Exception) -> Exception:
    from csm_console.errors import QueryError, SchemaError

    reason = _reason(error, store)
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
    if "disk is full" in lowered or "no space left" in lowered:
        return StoreUnavailable(
            f"the store {store.display_url} cannot grow: the disk is full ({reason}); "
            "nothing more was written"
        )
    if "expression tree is too large" in lowered or "too many sql variables" in lowered:
        return QueryError(f"the query is too complex for the store ({reason}); use fewer terms")
    if "unable to open database" in lowered:
        return StoreUnavailable(f"cannot open {store.display_url}: {reason}")
    return StoreUnavailable(f"cannot use the store {store.display_url}: {reason}")


def _reason(error: Exception, store: Store) -> str:
    """The driver's first line, without SQL, parameters, anything multi-line or a secret."""
    original = getattr(error, "orig", None) or error
    first = str(original).strip().splitlines()
    line = first[0] if first else type(original).__name__
    return scrub_secrets(line.strip().rstrip("."), store.url)
