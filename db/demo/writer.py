"""Writes generated columns to the database in chunks of Core bulk inserts, ids included."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.orm import Session

from crm_core.models import Base, Customer, User, table_of
from db.session import read_scope

CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class Times:
    """Epoch seconds (int64; NO_TIME for NULL) written as naive UTC datetimes."""

    seconds: np.ndarray


@dataclass(frozen=True)
class Dates:
    """Epoch days (int64; NO_TIME for NULL) written as dates."""

    days: np.ndarray


@dataclass(frozen=True)
class Money:
    """Whole rupiah (int64) written as Decimal."""

    rupiah: np.ndarray


@dataclass(frozen=True)
class Coded:
    """Codes into a list of values: repeated strings, enums or JSON lists stored once."""

    codes: np.ndarray
    values: Sequence[Any]


@dataclass(frozen=True)
class Const:
    value: Any


Column = np.ndarray | Sequence[Any] | Times | Dates | Money | Coded | Const


@dataclass
class Rows:
    """One table's rows as columns of equal length (ids 1..n assigned by the generator)."""

    model: type[Base]
    n: int
    columns: dict[str, Column]

    @property
    def table(self) -> Table:
        return table_of(self.model)

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[dict[str, Any]]]:
        names = list(self.columns)
        for low in range(0, self.n, size):
            high = min(low + size, self.n)
            values = [_slice(self.columns[name], low, high) for name in names]
            yield [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def versioned(created: np.ndarray, updated: np.ndarray | None = None) -> dict[str, Column]:
    """The columns of a Versioned row: first version, created and last updated at."""
    return {
        "version": Const(1),
        "created_at": Times(created),
        "updated_at": Times(created if updated is None else np.maximum(created, updated)),
    }


def _slice(column: Column, low: int, high: int) -> list[Any]:
    count = high - low
    if isinstance(column, Const):
        return [column.value] * count
    if isinstance(column, Times):
        return _cells(column.seconds[low:high].astype("datetime64[s]"))
    if isinstance(column, Dates):
        return _cells(column.days[low:high].astype("datetime64[D]"))
    if isinstance(column, Money):
        return [Decimal(value) for value in column.rupiah[low:high].tolist()]
    if isinstance(column, Coded):
        values = column.values
        return [values[code] for code in column.codes[low:high].tolist()]
    if isinstance(column, np.ndarray):
        return _cells(column[low:high])
    return list(column[low:high])


def _cells(array: np.ndarray) -> list[Any]:
    """The array as Python values (datetime, int, str, None), as the driver takes them."""
    cells: list[Any] = array.tolist()
    return cells


def write(session: Session, rows: Rows) -> int:
    """Insert every row in chunks; returns how many were written."""
    statement = insert(rows.table)
    for chunk in rows.chunks():
        session.execute(statement, chunk)
    return rows.n


def reset_sequences(session: Session, tables: Sequence[Table]) -> None:
    """On PostgreSQL, move each id sequence past the ids written, so the app's inserts fit."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )


def counts(session: Session) -> tuple[int, int]:
    """How many customers and users there are."""
    customers = session.scalar(select(func.count()).select_from(Customer)) or 0
    users = session.scalar(select(func.count()).select_from(User)) or 0
    return customers, users


def is_empty(engine: Engine) -> bool:
    """True when the database has no customers and no users (demo data may go in)."""
    with read_scope(engine) as session:
        return counts(session) == (0, 0)
