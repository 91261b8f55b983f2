"""Rows written column-wise through the driver (the full value refresh's write) read back as
the ORM wrote them: times found by the same filters, JSON and NULLs kept, on both engines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, insert, select

from crm_core.kernel.frames import insert_columns
from crm_core.models import table_of
from crm_core.models.value import StoredFigure
from db.session import session_scope

MIDNIGHT = datetime(2026, 11, 1)  # no microseconds: sqlite3's own adapter writes it shorter
LATER = datetime(2026, 11, 1, 9, 30, 15, 250)


def test_rows_written_column_wise_read_back_as_the_orms_do(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.execute(
            insert(StoredFigure),
            [{"name": "orm", "refresh_id": 1, "as_of": MIDNIGHT, "body": {"n": 1}}],
        )
        insert_columns(
            s,
            table_of(StoredFigure),
            {
                "name": ["fast", "fast-later"],
                "refresh_id": [2, 3],
                "as_of": [MIDNIGHT, LATER],
                "body": [{"lost": None, "cohorts": [1.5, 2]}, {}],
            },
        )
    with session_scope(engine, write=False) as s:
        at_midnight = s.scalars(
            select(StoredFigure.name).where(StoredFigure.as_of == MIDNIGHT).order_by("name")
        ).all()
        assert at_midnight == ["fast", "orm"]  # the same stored text as the ORM's
        assert s.scalar(select(func.max(StoredFigure.as_of))) == LATER
        fast = s.get(StoredFigure, "fast")
        assert fast is not None
        assert (fast.refresh_id, fast.body) == (2, {"lost": None, "cohorts": [1.5, 2]})


def test_no_rows_write_nothing(engine: Engine) -> None:
    with session_scope(engine) as s:
        insert_columns(s, table_of(StoredFigure), {"name": [], "refresh_id": []})
        insert_columns(s, table_of(StoredFigure), {})
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(StoredFigure)) == 0
