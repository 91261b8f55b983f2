"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL for each test that asks.

PostgreSQL tests need a server (RELASI_TEST_PG_URL, default the local trust-auth one). On a
developer's machine without one they skip with the reason; with RELASI_REQUIRE_PG=1 (as in CI)
they fail instead. Nothing here touches data/: every database is a throwaway.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from db.engine import make_engine
from db.migrate import upgrade
from db.session import session_scope
from support import PG_URL, app_database, fresh_url, make_user

REQUIRE_PG = os.environ.get("RELASI_REQUIRE_PG") == "1"
_default_gensalt = bcrypt.gensalt


def _cheap_salt(rounds: int = 4, prefix: bytes = b"2b") -> bytes:
    return _default_gensalt(rounds, prefix)


# Each user a test made had its password hashed at bcrypt's default cost of 12, 0.3 s apiece:
# about a fifth of the suite. Tests hash at the lowest cost; a check reads the cost from the
# hash itself, so nothing a test asserts changes. The app passes no cost, so gets the default.
bcrypt.gensalt = _cheap_salt
BACKENDS = ("sqlite", "postgresql")


def pg_unavailable_reason() -> str | None:
    try:
        probe = create_engine(PG_URL)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means there is no server to test on
        return f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__})"
    return None


def _admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


# CI draws the same examples on every run (derived from each test's name), so that a red CI
# means a change broke something; a run elsewhere explores new ones each time, and a defect it
# finds gets its @example (as the property tests' NUL and year-1 cases have).
settings.register_profile("ci", derandomize=True)
if os.environ.get("RELASI_REQUIRE_PG") == "1":
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    reason = pg_unavailable_reason()
    if reason:
        if REQUIRE_PG:
            pytest.fail(reason + "; RELASI_REQUIRE_PG=1 makes PostgreSQL tests required")
        pytest.skip(reason)
    name = f"relasi_tpl_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(str(make_url(PG_URL).set(database=name)))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_url(request.param, request, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and asserting; commits when the test ends without error."""
    with session_scope(engine) as s:
        yield s


@pytest.fixture
def admin(engine: Engine) -> Actor:
    return make_user(engine, Role.ADMIN)


@pytest.fixture
def manager(engine: Engine) -> Actor:
    return make_user(engine, Role.MANAGER)


@pytest.fixture
def sales(engine: Engine) -> Actor:
    return make_user(engine, Role.SALES)


@pytest.fixture
def support(engine: Engine) -> Actor:
    return make_user(engine, Role.SUPPORT)


@pytest.fixture
def app_engine(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The app (AppTest) on a throwaway SQLite database, configured as a hosted deployment."""
    engine = app_database(sqlite_template, tmp_path / "app.db", monkeypatch)
    yield engine
    engine.dispose()


@pytest.fixture
def staff(app_engine: Engine) -> dict[Role, Actor]:
    return {role: make_user(app_engine, role) for role in Role}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser journeys and the Cloud stand-in each start a server and most a Chromium: they
    run one at a time, on one worker (`--dist loadgroup`), while the other runs the rest. Two at
    once on two cores made pages that take a second take ten, past the journeys' timeouts."""
    for item in items:
        if {"e2e", "deploy"} & set(item.path.parts):
            item.add_marker(pytest.mark.xdist_group("servers"))
