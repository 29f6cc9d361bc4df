"""Bulk writes inside one transaction, for `csm import tickets` (`services.importing`).

The ids of many new rows are drawn at once (`new_ids`), and rows are inserted a chunk at a
time straight through the driver (`insert_rows`): `executemany` of one prepared INSERT on
SQLite, and on PostgreSQL psycopg's `executemany`, which pipelines the statements (COPY would
be faster, but PostgreSQL refuses COPY FROM into a table with row security, as agent logins
have).  Values pass the same column types as through the ORM (aware UTC times become the
store's text on SQLite), so the rows are the ones the ORM would write; triggers (the audit
hash chain) and constraints work as for any insert.
"""

from __future__ import annotations

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
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor: Processor = table.c[name].type._cached_bind_processor(dialect)
        if processor is not None:
            processors.append((index, processor))
    if processors:
        bound = []
        for row in rows:
            values = list(row)
            for index, processor in processors:
                values[index] = processor(values[index])
            bound.append(values)
        rows = bound
    names = ", ".join(columns)
    driver: Any = connection.connection.driver_connection
    mark = "?" if dialect.name == "sqlite" else "%s"
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(mark for _ in columns)})"
    try:
        if dialect.name == "sqlite":
            driver.executemany(statement, rows)
        else:
            with driver.cursor() as cursor:
                cursor.executemany(statement, rows)
    except dialect.loaded_dbapi.Error as error:
        # as SQLAlchemy raises it (DataError for a NUL on PostgreSQL ...), so that the store's
        # error translation gives the same message as for any other write
        raise exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error
