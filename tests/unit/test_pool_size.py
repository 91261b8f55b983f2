"""Connection pool sizes for a small hosted PostgreSQL, changed from the environment or secrets."""

from __future__ import annotations

import pytest

from db.engine import PoolSize, make_engine, pool_from

PG = "postgresql+psycopg://relasi@db.example.com/relasi"


def test_the_defaults_keep_one_replica_within_five_connections() -> None:
    engine = make_engine(PG)  # no connection is made until the first query
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)  # type: ignore[attr-defined]
    assert engine.pool._recycle == 300  # type: ignore[attr-defined]


def test_the_environment_wins_over_secrets_and_both_change_the_pool() -> None:
    secrets = {"connections": {"crm": {"url": PG, "pool_size": 8, "max_overflow": "4"}}}
    assert pool_from({}, secrets) == PoolSize(size=8, overflow=4)
    chosen = pool_from({"CRM_DB_POOL_SIZE": "2", "CRM_DB_POOL_RECYCLE": "60"}, secrets)
    assert chosen == PoolSize(size=2, overflow=4, recycle=60)
    engine = make_engine(PG, pool=chosen)
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 4)  # type: ignore[attr-defined]
    assert pool_from({}, {}) == PoolSize()
    with pytest.raises(ValueError, match="pool_size must be at least 1"):
        pool_from({"CRM_DB_POOL_SIZE": "0"}, {})


def test_a_read_replica_is_set_from_the_environment_or_secrets_and_off_without_either() -> None:
    from db.engine import resolve_read_url

    secrets = {"connections": {"crm": {"url": PG, "read_url": "postgres://r@replica/relasi"}}}
    assert resolve_read_url({}, secrets) == "postgresql+psycopg://r@replica/relasi"
    chosen = resolve_read_url({"CRM_DATABASE_READ_URL": "postgresql://e@other/relasi"}, secrets)
    assert chosen == "postgresql+psycopg://e@other/relasi"
    assert resolve_read_url({}, {"connections": {"crm": {"url": PG, "read_url": " "}}}) is None
    assert resolve_read_url({}, {}) is None
