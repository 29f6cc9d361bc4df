"""Bulk writes inside one transaction, for `csm import tickets` (`services.importing`).

The ids of many new rows are drawn at once (`new_ids`); rows are inserted (`insert_rows`) and
changed (`update_rows`) a chunk at a time straight through the driver: on SQLite `executemany`
of one prepared statement (in-process, no round trips); on PostgreSQL the chunk's rows are
copied (binary `COPY`, the driver's C row writer) into a temporary table of the transaction and
go in with one statement from it (`INSERT ... SELECT`, `UPDATE ... FROM`), not a statement per
row: the server plans it once, and the audit chain's statement trigger (`store.audit_chain`)
updates its shard's head once instead of once per row.  (COPY straight into the table is
refused where row security applies, as it does to agent logins; the temporary table has none,
and the INSERT from it passes the table's policies like any other.)  An array per column
(`unnest`) did the same before, but the driver builds arrays in Python: about 2 microseconds a
value, against 0.05 for a binary COPY.  Values pass the same column types as through the ORM
(aware UTC times become the store's text on SQLite), so the rows are the ones the ORM would
write; triggers (the audit hash chain) and constraints work as for any insert or update.
`among` is a chunk's `IN (...)` read: on PostgreSQL `= ANY(array)`, one parameter (an IN list
of 500 is a new statement for the driver to parse each time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, cast, exc, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from csm_console.store.types import UTCDateTime, sqlite_timestamp

Processor = Callable[[Any], Any] | None

_LOADS = "csm_import_loads"  # session.info: this transaction's temporary tables, by columns


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` ids for new rows of `table` (an integer primary key `id`), in order.

    SQLite: the rows the store would number next (after the largest id); the transaction
    holds the write lock (BEGIN IMMEDIATE), so nobody else can take them.  PostgreSQL: drawn
    from the table's sequence, as inserts one by one would draw them.
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "sqlite":
        last = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar_one()
        return list(range(int(last) + 1, int(last) + 1 + count))
    drawn = session.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            " ORDER BY 1"
        ),
        {"table": table.name, "n": count},
    )
    return [int(row[0]) for row in drawn]


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)` bound as one parameter: on PostgreSQL `column = ANY(:array)`; on
    SQLite a JSON array read by `json_each` (bound one by one, the 1,000 ids of a bulk chunk
    cost SQLAlchemy a millisecond or two to expand into parameters, in each statement)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        array = ARRAY(column.type)
        any_of: ColumnElement[bool] = column == any_(
            cast(bindparam(None, list(values), type_=array), array)
        )
        return any_of
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String()))
        in_json: ColumnElement[bool] = column.in_(select(listed.table_valued("value").c.value))
        return in_json
    in_: ColumnElement[bool] = column.in_(list(values))
    return in_


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in `columns` order, as Python values the columns take) into
    `table` in the session's transaction, in their order; a column left out takes the
    model's default."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    # the columns left out that have a default in the model (version 1, counters 0 ...)
    defaults = [
        (c.name, c.default.arg)  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in columns and c.default is not None and c.default.is_scalar
    ]
    if defaults:
        columns = (*columns, *(name for name, _ in defaults))
        constants = tuple(value for _, value in defaults)
        rows = [(*row, *constants) for row in rows]
    bound = _bound(table, dialect, columns, rows)
    names = ", ".join(columns)
    driver: Any = connection.connection.driver_connection
    statement = [""]
    with _translated(dialect, statement):
        if dialect.name == "sqlite":
            marks = ", ".join("?" for _ in columns)
            statement[0] = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            driver.executemany(statement[0], bound)
            return
        with driver.cursor() as cursor:
            statement[0] = f"COPY into a temporary table for {table.name}"
            # one statement for all the rows: the audit chain's statement trigger runs once
            loaded = _copied(session, cursor, table, columns, bound)
            statement[0] = (
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {loaded}"
                f" ORDER BY csm_n; TRUNCATE {loaded}"
            )
            cursor.execute(statement[0])


def update_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `columns` of the rows of `table` whose `id` is each row's first value (then the
    values in `columns` order, as Python values the columns take), in the session's
    transaction: SQLite `executemany` of one prepared UPDATE, PostgreSQL one
    `UPDATE ... FROM` the rows copied into a temporary table, not a statement per row.
    Triggers and row security work as for any UPDATE."""
    if not rows or not columns:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = ("id", *columns)
    bound = _bound(table, dialect, names, rows)
    driver: Any = connection.connection.driver_connection
    statement = [""]
    with _translated(dialect, statement):
        if dialect.name == "sqlite":
            sets = ", ".join(f"{c} = ?" for c in columns)
            statement[0] = f"UPDATE {table.name} SET {sets} WHERE id = ?"
            driver.executemany(statement[0], [(*r[1:], r[0]) for r in bound])
            return
        with driver.cursor() as cursor:
            statement[0] = f"COPY into a temporary table for {table.name}"
            loaded = _copied(session, cursor, table, names, bound)
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            statement[0] = (
                f"UPDATE {table.name} AS t SET {sets} FROM {loaded} AS u WHERE t.id = u.id;"
                f" TRUNCATE {loaded}"
            )
            cursor.execute(statement[0])


def _copied(
    session: Session, cursor: Any, table: Table, columns: Sequence[str], rows: Sequence[Any]
) -> str:
    """PostgreSQL: `rows` copied into a temporary table of `columns` of `table` (their types,
    lengths included, so that a value too long is refused as by the table) with each row's
    place in `csm_n`; its name.  Made at the first use in the transaction, dropped at its end;
    empty when a statement has taken its rows."""
    loads: dict[tuple[str, tuple[str, ...]], tuple[str, list[int]]]
    loads = session.info.setdefault(_LOADS, {})
    key = (table.name, tuple(columns))
    names = ", ".join(columns)
    if key not in loads:
        name = f"csm_load_{len(loads)}"
        cursor.execute(
            f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {names}, 0::bigint AS csm_n"
            f" FROM {table.name} WITH NO DATA"
        )
        cursor.execute(
            "SELECT atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [name],
        )
        loads[key] = (name, [int(row[0]) for row in cursor.fetchall()])
    name, types = loads[key]
    _refuse_nul(table, columns, rows)
    with cursor.copy(f"COPY {name} ({names}, csm_n) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for n, row in enumerate(rows):
            copy.write_row((*row, n))
    return name


def _refuse_nul(table: Table, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """PostgreSQL text cannot hold a NUL: refused as the driver refuses it in a parameter (a
    binary COPY would leave it to the server, which names only an invalid byte)."""
    from psycopg import DataError

    texts = [i for i, c in enumerate(columns) if table.c[c].type.python_type is str]
    for row in rows:
        for i in texts:
            value = row[i]
            if value is not None and "\x00" in value:
                raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")


def _bound(
    table: Table, dialect: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """The rows' values as the driver takes them (the columns' bind processors applied)."""
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor: Processor = _processor(table.c[name].type, dialect)
        if processor is not None:
            processors.append((index, processor))
    if not processors:
        return list(rows)
    bound: list[Sequence[Any]] = []
    for row in rows:
        values = list(row)
        for index, processor in processors:
            values[index] = processor(values[index])
        bound.append(values)
    return bound


def _processor(column_type: Any, dialect: Any) -> Processor:
    """The column's bind processor; for a time on SQLite the store's text in one step (the
    ORM's path, `UTCDateTime` then SQLAlchemy's SQLite `DATETIME`, gives the same text in two
    Python calls with a dict built per value: about a microsecond a time, and a new ticket
    writes eleven)."""
    if dialect.name == "sqlite" and isinstance(column_type, UTCDateTime):
        return _sqlite_time
    processor: Processor = column_type._cached_bind_processor(dialect)
    return processor


def _sqlite_time(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    return sqlite_timestamp(value)


@contextmanager
def _translated(dialect: Any, statement: list[str]) -> Iterator[None]:
    """Driver errors raised as SQLAlchemy raises them (DataError for a NUL on PostgreSQL ...),
    so that the store's error translation gives the same message as for any other write;
    `statement`: the one running, as it is set."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            statement[0], None, error, dialect.loaded_dbapi.Error
        ) from error
