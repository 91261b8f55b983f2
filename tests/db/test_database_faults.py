"""A PostgreSQL that goes away under the app and comes back: the page says so in words, and the
next action after the restart works without restarting the app. The test starts (and stops)
a PostgreSQL of its own, so the shared server of the other tests is never touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crm_core.models.enums import Role
from db.engine import make_engine
from db.migrate import upgrade
from support import APP, make_user

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
DOWN = (
    "The database cannot be reached just now: nothing was saved. What you typed is kept; "
    "try again in a moment."
)


def _as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)


class PrivateServer:
    def __init__(self, root: Path) -> None:
        self.data = root / "pgdata"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        assert BIN is not None
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / "server.log")  # not our pipe: the server outlives pg_ctl
        _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", *args
        )


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    if BIN is None or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL binaries to start a private server with")
    # Not under pytest's tmp_path: its folders are private to root, and the server runs as
    # the postgres user.
    root = Path(tempfile.mkdtemp(prefix="relasi-pg-"))
    shutil.chown(root, "postgres")
    server = PrivateServer(root)
    _as_postgres(str(BIN / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres")
    server.ctl("start")
    try:
        yield server
    finally:
        server.ctl("stop", "-m", "immediate")
        shutil.rmtree(root, ignore_errors=True)


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
