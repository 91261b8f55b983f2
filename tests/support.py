"""Helpers shared by tests of several layers (fixtures stay in conftest.py)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from crm_core.admin import users
from crm_core.customers import records as customers
from crm_core.kernel.permissions import Actor
from crm_core.models.enums import Role
from crm_core.pages import page
from db.engine import make_engine
from db.session import session_scope
from ui.plain import plain

PASSWORD = "correct horse"
PG_URL = os.environ.get(
    "RELASI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def make_user(engine: Engine, role: Role, username: str | None = None) -> Actor:
    username = username or role.value
    with session_scope(engine) as s:
        user = users.create_user(
            s,
            None,
            {
                "username": username,
                "name": username.title(),
                "email": f"{username}@example.com",
                "role": role,
                "password": PASSWORD,
            },
        )
        return users.actor_for(user)


def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new migrated database of `backend`, dropped after the test."""
    if backend == "sqlite":
        target = tmp_path / "relasi.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"relasi_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield str(make_url(PG_URL).set(database=name))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def signed_in(username: str) -> AppTest:
    """A fresh browser session of the whole app, signed in through the form."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    return at


def page_as(key: str, actor: Actor | None, **query: str) -> AppTest:
    """One page's render() run directly, as a URL would reach it, with the given actor."""
    module = page(key).module
    at = AppTest.from_string(
        f"from app_pages.{module} import render\nrender()\n", default_timeout=30
    )
    if actor is not None:
        at.session_state["relasi_actor"] = actor
    for key, value in query.items():
        at.query_params[key] = value
    return at


def a_customer(engine: Engine, owner: Actor, **data: object) -> int:
    """A customer created through the write path (name Budi Santoso unless given); a likely
    duplicate of another is created too, as tests of duplicates need them."""
    with session_scope(engine) as s:
        data = {"name": "Budi Santoso", **data}
        return customers.create_customer(s, owner, data, allow_duplicate=True).id


def red(message: str) -> str:
    """A field's error as the page writes it under the field: red, and escaped (a message may
    quote what the user typed)."""
    return f":red[{plain(message)}]"


def app_database(copy_of: Path, target: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The app (AppTest) on a copy of the SQLite file `copy_of`, configured as a hosted
    deployment, with no background value refresh: a test refreshes when it wants the figures
    (deterministic)."""
    shutil.copy(copy_of, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_COOKIE_KEY", "test-cookie-key-" + "x" * 40)
    monkeypatch.setenv("RELASI_VALUE_REFRESH", "off")
    return make_engine(url)


def shown_under(at: AppTest, key: str) -> str | None:
    """The text of the element drawn right after the box with `key` (where a page puts that
    box's error), or None when there is none."""
    leaves: list[Any] = []

    def walk(node: Any) -> None:
        children = getattr(node, "children", None)
        if children is None:
            leaves.append(node)
            return
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    at_box = [i for i, leaf in enumerate(leaves) if getattr(leaf, "key", None) == key]
    assert at_box, f"no box with the key {key}"
    after = at_box[0] + 1
    return getattr(leaves[after], "value", None) if after < len(leaves) else None


def shown_cells(table: Any) -> Any:
    """An AppTest table's cells as the reader sees them (the display values of its styler)."""
    from streamlit import dataframe_util

    return dataframe_util.convert_arrow_bytes_to_pandas_df(
        table.proto.arrow_data.styler.display_values
    )


def values_refreshed(engine: Engine) -> None:
    """What the app's background refresher does: the stored value figures catch up with the
    orders and tickets a test has just written (the refresher is off in tests)."""
    from functools import partial

    from crm_core.customers import value_store

    value_store.refresh(partial(session_scope, engine))
