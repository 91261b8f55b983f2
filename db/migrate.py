"""Upgrades a database to the newest schema: idempotent, and safe when two app processes start."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_ID = 7_303_061_042


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, *, lock: bool = True) -> None:
    """Bring the schema to head; a second process waits for the first, then finds nothing to do.

    `lock=False` is for a caller that already holds `migration_lock` (the lock is not reentrant).
    """
    if lock:
        with _migration_lock(engine):
            upgrade(engine, lock=False)
        return
    if current_revision(engine) == head_revision():
        return
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating or seeding, so concurrent starts do it once, one after the other."""
    with _migration_lock(engine):
        yield


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_ID})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_ID})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # A lock file beside the database: SQLite DDL in Alembic's batch mode is not one transaction.
    with open(f"{database}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring the schema to `revision` (an older one than head: a backup being restored)."""
    with _migration_lock(engine):
        if current_revision(engine) == revision:
            return
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)


class AlembicSchema:
    """The migrations as crm_core.admin.backup asks for them (it does not import db/)."""

    def head(self) -> str:
        head = head_revision()
        assert head is not None
        return head

    def knows(self, revision: str) -> bool:
        script = ScriptDirectory.from_config(alembic_config())
        try:
            return script.get_revision(revision) is not None
        except Exception:  # noqa: BLE001 - Alembic raises several kinds for an unknown id
            return False

    def upgrade(self, engine: Engine, revision: str) -> None:
        if revision == self.head():
            upgrade(engine)
        else:
            upgrade_to(engine, revision)


SCHEMA = AlembicSchema()
