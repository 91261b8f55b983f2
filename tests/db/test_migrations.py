"""Migrations: empty reaches head, twice is harmless, the schema matches the models."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from crm_core.models import Base
from db.engine import make_engine
from db.migrate import current_revision, head_revision, upgrade
from support import fresh_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database (no tables at all) of each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    for url in fresh_url("postgresql", request, tmp_path):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        yield url


def test_an_empty_database_is_migrated_to_head_with_every_table(empty_url: str) -> None:
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_migrating_twice_changes_nothing_and_the_schema_matches_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
    engine.dispose()


def test_two_processes_starting_at_once_migrate_once_without_error(empty_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        engine = make_engine(empty_url)
        try:
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            engine.dispose()

    starters = [threading.Thread(target=start) for _ in range(3)]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    assert errors == []
    engine = make_engine(empty_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert make_url(empty_url).database  # a real, named database was used
