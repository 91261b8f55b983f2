"""Builds the engine from one URL, with the SQLite settings that make it safe to share."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "relasi.db"
DEFAULT_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
# Connections of a write session carry this option; their BEGIN takes the write lock at once.
WRITE_OPTION = "relasi_write"


def resolve_url(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> tuple[str, bool]:
    """The database URL and whether it is the embedded default (environment, secrets, default)."""
    environ = os.environ if environ is None else environ
    if environ.get("CRM_DATABASE_URL"):
        return normalise_url(environ["CRM_DATABASE_URL"]), False
    crm = ((secrets or {}).get("connections") or {}).get("crm") or {}
    if crm.get("url"):
        return normalise_url(str(crm["url"])), False
    return DEFAULT_URL, True


def resolve_read_url(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> str | None:
    """The read replica's URL for the dashboards (CRM_DATABASE_READ_URL, else `read_url` under
    [connections.crm] in secrets), or None: then every read goes to the database itself."""
    environ = os.environ if environ is None else environ
    crm = ((secrets or {}).get("connections") or {}).get("crm") or {}
    url = environ.get("CRM_DATABASE_READ_URL") or crm.get("read_url")
    return normalise_url(str(url).strip()) if url and str(url).strip() else None


@dataclass(frozen=True)
class PoolSize:
    """Connections one app process keeps to PostgreSQL (SQLite has no pool to size).

    The defaults suit a small hosted PostgreSQL (the free and hobby plans allow 20 to 100
    connections in all): 3 kept open and 2 more at a peak, 5 per app replica, so several
    replicas, the command line and a psql session fit. `recycle` closes a connection idle
    longer than that many seconds before a hosted proxy or a scaled-to-zero server drops it.
    """

    size: int = 3
    overflow: int = 2
    timeout: float = 30.0
    recycle: int = 300


_POOL_KEYS = {"size": "pool_size", "overflow": "max_overflow", "timeout": "pool_timeout",
              "recycle": "pool_recycle"}  # fmt: skip


def pool_from(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> PoolSize:
    """CRM_DB_POOL_SIZE, CRM_DB_MAX_OVERFLOW, CRM_DB_POOL_TIMEOUT, CRM_DB_POOL_RECYCLE, else
    the same keys (lower case, without CRM_DB_) under [connections.crm] in secrets."""
    environ = os.environ if environ is None else environ
    crm = ((secrets or {}).get("connections") or {}).get("crm") or {}
    chosen: dict[str, Any] = {}
    for field, key in _POOL_KEYS.items():
        raw = environ.get(f"CRM_DB_{key.upper()}") or crm.get(key)
        if raw is not None and str(raw).strip():
            kind = float if field == "timeout" else int
            value = kind(str(raw).strip())
            if value < (1 if field == "size" else 0):
                raise ValueError(f"{key} must be at least {1 if field == 'size' else 0}")
            chosen[field] = value
    return PoolSize(**chosen)


def normalise_url(url: str) -> str:
    """`postgres://` (as hosts print it) and `postgresql://` both mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, echo: bool = False, pool: PoolSize | None = None) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        pool = pool or PoolSize()
        # JIT compilation costs more than it saves on a CRM's short queries: measured here it
        # added 0.6 to 3.9 s to a 0.4 s data-quality query at 100,000 customers.
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=pool.size,
            max_overflow=pool.overflow,
            pool_timeout=pool.timeout,
            pool_recycle=pool.recycle,
            connect_args={"options": "-c jit=off"},
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 15})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (SQLAlchemy docs,
        # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-then-write transactions that begin deferred deadlock into "database is locked";
        # taking the write lock at BEGIN makes writers queue on the busy timeout instead.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
