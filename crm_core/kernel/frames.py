"""Core query results as DataFrames, built column-wise (several times faster than row-wise)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session


def query_frame(
    session: Session, stmt: Select[*tuple[Any, ...]], columns: list[str]
) -> pd.DataFrame:
    """Run `stmt` and return its rows as a DataFrame with `columns`.

    pd.DataFrame(rows) of a million SQLAlchemy rows took about 4.9 s here; transposing the
    tuples first and building each column at once takes a fraction of that.
    """
    rows = session.execute(stmt).all()
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))


def core_frame(
    session: Session, stmt: Select[*tuple[Any, ...]], columns: list[str]
) -> pd.DataFrame:
    """query_frame through Core: no ORM result machinery (several times faster for wide
    reads). Select times as `type_coerce(column, String)` to skip a datetime per value on
    SQLite; pandas parses the text at once."""
    rows = session.connection().execute(stmt).all()
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))


def driver_rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them (plain tuples), in the session's transaction: no
    result object per row (at 0.4 M orders that was a third of the read). Only for statements
    whose parameters are the code's own (times, codes, ids: rendered inline) and whose
    columns need no conversion (integers, text)."""
    connection = session.connection()
    sql = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(sql))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def driver_frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    """driver_rows as a DataFrame with `columns` (built column-wise), under driver_rows' terms."""
    rows = driver_rows(session, stmt)
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))


def driver_integers(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    """driver_frame for columns that are all integers, never NULL: the values go from the
    rows into one int64 array without a list per column (a million co-purchase lines: the
    lists took longer than the query)."""
    rows = driver_rows(session, stmt)
    flat = np.fromiter(chain.from_iterable(rows), dtype="int64", count=len(rows) * len(columns))
    return pd.DataFrame(flat.reshape(len(rows), len(columns)), columns=columns)


def count_per(
    session: Session, key: Any, when: Any, as_of: datetime, among: Collection[int] | None = None
) -> pd.Series:
    """How many rows each `key` (a customer id column, say) has with `when` before `as_of`;
    only the keys `among` when given."""
    stmt = select(key, func.count()).where(when < as_of).group_by(key)
    if among is not None:
        stmt = stmt.where(key.in_(list(among)))
    # From the driver: a result row per key cost more than the query at 100,000 keys.
    return pd.Series(dict(driver_rows(session, stmt)), dtype="int64")


def change_mark(session: Session, *models: Any) -> tuple[Any, ...]:
    """A cheap mark of the tables' state: each one's newest `updated_at` and highest id (index
    reads; a count would scan the table). A write, an edit or a soft delete moves the first,
    a new row the second; hard deletes come only from reverting an import, which the caller
    marks by the import batches' newest revert. Unchanged marks: a cached figure still holds."""
    marks: list[Any] = []
    for model in models:
        newest = session.scalar(select(func.max(model.updated_at)))
        highest = session.scalar(select(func.max(model.id)))
        marks += [str(newest), highest]
    return tuple(marks)


def insert_columns(session: Session, table: Table, columns: dict[str, list[Any]]) -> None:
    """Insert rows given column-wise (equal-length lists, None for NULL) through the driver's
    executemany, each column converted by its type's bind processor at once: SQLAlchemy's
    per-row parameters were most of a 100,000-row write (3.3 of 6 s besides the driver's)."""
    if not columns or not next(iter(columns.values())):
        return
    connection = session.connection()
    dialect = connection.dialect
    converted = []
    for name, values in columns.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        converted.append(values if process is None else [process(v) for v in values])
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))
