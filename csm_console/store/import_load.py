"""Bulk writes inside one transaction, for `csm import tickets` (`services.importing`).

The ids of many new rows are drawn at once (`new_ids`); rows are inserted (`insert_rows`) and
changed (`update_rows`) a chunk at a time straight through the driver: on SQLite `executemany`
of one prepared statement (in-process, no round trips); on PostgreSQL one statement for the
whole chunk, its values passed as one array per column (`INSERT ... SELECT FROM unnest(...)`,
`UPDATE ... FROM unnest(...)`), not a statement per row: the server plans it once, and the
audit chain's statement trigger (`store.audit_chain`) updates its shard's head once instead of
once per row.  (COPY would skip the arrays, but PostgreSQL refuses COPY FROM into a table with
row security, as agent logins have.)  Values pass the same column types as through the ORM
(aware UTC times become the store's text on SQLite), so the rows are the ones the ORM would
write; triggers (the audit hash chain) and constraints work as for any insert or update.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, exc, text
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


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


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in `columns` order, as Python values the columns take) into
    `table` in the session's transaction; a column left out takes the model's default."""
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
    if dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        statements: list[tuple[str, Sequence[Any]]] = [
            (f"INSERT INTO {table.name} ({names}) VALUES ({marks})", bound)
        ]
    else:  # one statement for all the rows: the audit chain's statement trigger runs once
        statement = (
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest("
            f"{_arrays(table, dialect, columns)}) WITH ORDINALITY AS u({names}, csm_n)"
            " ORDER BY csm_n"
        )
        statements = [(statement, [_columnwise(bound, len(columns))])]
    _run(dialect, driver, statements)


def _bound(
    table: Table, dialect: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """The rows' values as the driver takes them (the columns' bind processors applied)."""
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor: Processor = table.c[name].type._cached_bind_processor(dialect)
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


def _arrays(table: Table, dialect: Any, columns: Sequence[str]) -> str:
    """A parameter per column, an array of the column's type: without a length, so that a
    value too long is refused by the column as in any INSERT, not cut by the cast."""
    types = (re.sub(r"\(.*\)", "", table.c[c].type.compile(dialect=dialect)) for c in columns)
    return ", ".join(f"%s::{t}[]" for t in types)


def _columnwise(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _run(dialect: Any, driver: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Each statement straight through the driver: on SQLite `executemany` of its rows, on
    PostgreSQL once, with its columns' arrays."""
    statement = ""
    try:
        if dialect.name == "sqlite":
            for statement, params in statements:
                driver.executemany(statement, params)
        else:
            with driver.cursor() as cursor:
                for statement, params in statements:  # one set of parameters: arrays
                    (arrays,) = params
                    cursor.execute(statement, arrays)
    except dialect.loaded_dbapi.Error as error:
        # as SQLAlchemy raises it (DataError for a NUL on PostgreSQL ...), so that the store's
        # error translation gives the same message as for any other write
        raise exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error


def update_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `columns` of the rows of `table` whose `id` is each row's first value (then the
    values in `columns` order, as Python values the columns take), in the session's
    transaction: SQLite `executemany` of one prepared UPDATE, PostgreSQL one
    `UPDATE ... FROM (VALUES ...)` per 1,000 rows or so, not a statement per row.  Triggers
    and row security work as for any UPDATE."""
    if not rows or not columns:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = ("id", *columns)
    bound = _bound(table, dialect, names, rows)
    driver: Any = connection.connection.driver_connection
    if dialect.name == "sqlite":
        sets = ", ".join(f"{c} = ?" for c in columns)
        statements: list[tuple[str, Sequence[Any]]] = [
            (f"UPDATE {table.name} SET {sets} WHERE id = ?", [(*r[1:], r[0]) for r in bound])
        ]
    else:
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        statement = (
            f"UPDATE {table.name} AS t SET {sets} FROM unnest({_arrays(table, dialect, names)})"
            f" AS u({', '.join(names)}) WHERE t.id = u.id"
        )
        statements = [(statement, [_columnwise(bound, len(names))])]
    _run(dialect, driver, statements)
