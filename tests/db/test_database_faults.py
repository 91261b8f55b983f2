"""A PostgreSQL that goes away under the app and comes back: the page says so in words, and the
next action after the restart works without restarting the app. The test starts (and stops)
a PostgreSQL of its own, so the shared server of the other tests is never touched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from crm_core.models.enums import Role
from db.engine import make_engine
from db.migrate import upgrade
from pg_servers import PrivateServer, primary_in, private_root, running
from support import APP, make_user

DOWN = (
    "The database cannot be reached just now: nothing was saved. What you typed is kept; "
    "try again in a moment."
)


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    with private_root() as root, running(primary_in(root)) as server:
        yield server


def test_the_app_survives_postgresql_stopping_and_starting_again(
    private_server: PrivateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(private_server.url)
    upgrade(engine)
    make_user(engine, Role.MANAGER)
    engine.dispose()
    monkeypatch.setenv("CRM_DATABASE_URL", private_server.url)
    monkeypatch.setenv("CRM_COOKIE_KEY", "Vt4q-9ZxR2mLw_8bKc1Ne7Ys0HfJu3Dp5GaQ")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    private_server.ctl("stop", "-m", "fast")
    at.text_input[0].input("manager")
    at.text_input[1].input("correct horse")
    at.button[0].click().run()
    assert not at.exception
    assert DOWN in [e.value for e in at.error]
    private_server.ctl("start")
    at.run()  # the same session, the same app process: no restart
    at.text_input[0].input("manager")
    at.text_input[1].input("correct horse")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Business dashboard"  # where a manager lands
