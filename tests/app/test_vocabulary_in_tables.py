"""Every page of the demo business read in Bahasa Indonesia writes the vocabulary inside its
tables in Indonesian too: a stored code (a tier, a churn band, a stage, a status) put into a
table as it is stored reads as English ("Most Growable", "High") among Indonesian words. The
text test (test_bahasa_indonesia.py) reads headings and labels, not the cells."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from crm_core.customers import value_store
from crm_core.kernel.messages import Message, Renderer
from crm_core.kernel.permissions import Actor
from crm_core.models import User
from crm_core.models.enums import Role
from crm_core.pages import PAGES
from db import demo
from db.engine import make_engine
from db.migrate import upgrade
from db.session import session_scope
from support import app_database, page_as

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 11, 1)


@cache  # the catalogues are read once for the 76 cases
def english_words() -> dict[str, str]:
    """Each vocabulary value's English label whose Indonesian label differs -> the latter."""
    codes = re.findall(r'N_\("([a-z_]+\.[^"]+)"\)', (ROOT / "ui" / "labels.py").read_text())
    english, indonesian = Renderer("en"), Renderer("id")
    pairs = {english.render(Message(c)): indonesian.render(Message(c)) for c in codes}
    return {en: id_ for en, id_ in pairs.items() if en != id_ and len(en) > 3}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vocabulary") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    demo.seed(engine, demo.size_for(300), as_of=AS_OF)
    value_store.refresh(partial(session_scope, engine), full=True, as_of=AS_OF)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_engine(
    demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    engine = app_database(demo_file, tmp_path / "demo.db", monkeypatch)
    yield engine
    engine.dispose()


def demo_user(engine: Engine, role: Role) -> Actor:
    with session_scope(engine, write=False) as s:
        user = s.scalars(select(User).where(User.username == role.value)).one()
        return Actor(user.id, user.username, user.name, user.role)


# What users typed: a username may be "sales" or "manager" as well as a role.
TYPED = {"username", "name", "email", "subject", "title"}


def shown_columns(table: Any) -> list[str]:
    """A table's columns that the reader sees (not the hidden ones) and that are not typed."""
    config = json.loads(table.proto.columns or "{}")
    return [
        str(c) for c in table.value.columns
        if not config.get(str(c), {}).get("hidden") and str(c) not in TYPED
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "role"),
    sorted((p.key, r) for p in PAGES if not p.public for r in Role if r in p.roles),
)
def test_a_page_s_tables_write_their_vocabulary_in_indonesian(
    key: str, role: Role, demo_engine: Engine
) -> None:
    query = {"id": "1"} if key in ("customer", "account", "lead", "ticket") else {}
    at = page_as(key, demo_user(demo_engine, role), **query)
    at.session_state["relasi_language"] = "id"
    at.run(timeout=60)
    assert not at.exception, at.exception
    english = english_words()
    left = {
        (column, cell, english[cell])
        for table in at.dataframe
        for column in shown_columns(table)
        for cell in table.value[column].dropna().astype(str).unique()
        if cell in english
    }
    assert left == set()
