"""The app's one cached engine (migrated; the embedded demo also seeded) and its sessions."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crm_core.admin.backup import Schema
from db import bootstrap
from db.engine import make_engine, pool_from, resolve_read_url, resolve_url
from db.migrate import SCHEMA
from db.session import session_scope
from ui import refresher


def secrets_dict() -> dict[str, Any]:
    """st.secrets as a plain dict; empty when there is no secrets file (the embedded demo)."""
    try:
        return {k: (dict(v) if hasattr(v, "items") else v) for k, v in st.secrets.items()}
    except (FileNotFoundError, KeyError, OSError):
        return {}
    except Exception as exc:
        if "secrets" in type(exc).__name__.lower() or "No secrets" in str(exc):
            return {}
        raise


def _plain_secrets() -> dict[str, Any]:
    secrets = secrets_dict()
    if "connections" in secrets:
        secrets["connections"] = {k: dict(v) for k, v in secrets["connections"].items()}
    return secrets


def database_url() -> tuple[str, bool]:
    return resolve_url(os.environ, _plain_secrets())


@st.cache_resource(show_spinner=False)
def _engine(url: str, embedded: bool) -> Engine:
    engine = make_engine(url, pool=pool_from(os.environ, _plain_secrets()))
    bootstrap.prepare(engine, seed_demo=embedded, admin=bootstrap.admin_from(secrets_dict()))
    # The value figures are filled (an empty table) and refreshed by a background thread.
    refresher.start(url, engine)
    return engine


def get_engine() -> Engine:
    url, embedded = database_url()
    return _engine(url, embedded)


@contextmanager
def write_scope() -> Iterator[Session]:
    """One user action: commits at the end, rolls back everything if anything fails."""
    with session_scope(get_engine()) as session:
        yield session


@contextmanager
def read_scope() -> Iterator[Session]:
    with session_scope(get_engine(), write=False) as session:
        yield session


@st.cache_resource(show_spinner=False)
def _replica_engine(url: str) -> Engine:
    """The read replica's engine: never migrated or seeded here (its primary is, and the
    replica follows), and its pool sized as the primary's."""
    return make_engine(url, pool=pool_from(os.environ, _plain_secrets()))


def _replica() -> Engine | None:
    """The replica when one is set and answers; else None, so a dashboard reads the primary
    rather than fail while the replica is down (it says so in the server log)."""
    url = resolve_read_url(os.environ, _plain_secrets())
    if url is None:
        return None
    engine = _replica_engine(url)
    try:
        engine.connect().close()  # the pool's pre-ping tries a kept connection, or a new one
    except OperationalError:
        logging.getLogger(__name__).warning("the read replica does not answer: reading the primary")
        return None
    return engine


@contextmanager
def report_scope() -> Iterator[Session]:
    """A dashboard's read, on the read replica when one is set. Only for what a page shows and
    never edits: a replica lags its primary by a moment, so a form (which saves against the
    version it read) and a change mark a cache compares with the primary's must read_scope().
    Read a dashboard's change mark here too, so that mark and figures come from one server."""
    engine = get_engine()  # the primary is migrated (and the refresher started) first
    with session_scope(_replica() or engine, write=False) as session:
        yield session


def schema() -> Schema:
    """The migrations, for a restore from the Admin page (pages do not import db/)."""
    return SCHEMA
