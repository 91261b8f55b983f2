"""A stand-in of Streamlit Community Cloud: `requirements.txt` alone (pinned by the lock) in a
fresh virtual environment, a copy of the app whose only configuration is a secrets file, and
a PostgreSQL. The app starts, migrates that database, creates the first admin from the
secrets, and serves its sign-in page; the first admin signs in and lands on the setup.

Slow by nature (an install): `-m "not cloud"` leaves it out of a quick local run. CI runs it
(the pip cache is warm there); RELASI_REQUIRE_PG=1 makes it fail instead of skip without a
PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from support import PG_URL

pytestmark = pytest.mark.cloud
ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "first-admin-password"
# What Community Cloud does not get: the tests, the docs, the benchmarks.
LEFT_OUT = ("tests/", "docs/", "bench/", ".ci/")
SIGN_IN = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=90).run()
print("TITLE:", at.title[0].value)
at.text_input[0].input("owner")
at.text_input[1].input("{password}")
at.button[0].click()
at.run()
print("SIGNED IN:", at.title[0].value)
"""


@pytest.fixture
def hosted_pg(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database: nothing migrated, as a hosted one starts."""
    request.getfixturevalue("pg_template")  # skips, or fails under RELASI_REQUIRE_PG=1
    name = f"relasi_cloud_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield str(make_url(PG_URL).set(database=name).set(drivername="postgresql"))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _copy_of_the_app(target: Path, database_url: str) -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        if not name.startswith(LEFT_OUT) and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    (target / ".streamlit" / "secrets.toml").write_text(
        f'[connections.crm]\nurl = "{database_url}"\n\n'
        f'[sign_in]\ncookie_key = "{secrets.token_urlsafe(48)}"\n\n'
        f'[bootstrap_admin]\nusername = "owner"\nname = "The Owner"\n'
        f'email = "owner@example.com"\npassword = "{ADMIN_PASSWORD}"\n'
    )


def _clean_env() -> dict[str, str]:
    """No CRM_* variable, no PYTHONPATH: only the secrets file configures the app (the
    machine's own pip settings, its index or wheel folder, stay)."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "XDG_CACHE_HOME")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith("PIP_")}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "RELASI_VALUE_REFRESH": "off"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the app server exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as answer:
                return answer.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the app server did not answer its health check")


def test_requirements_alone_and_a_secrets_file_start_the_app_against_postgresql(
    tmp_path: Path, hosted_pg: str
) -> None:
    started = time.perf_counter()
    app, venv = tmp_path / "app", tmp_path / "venv"
    app.mkdir()
    _copy_of_the_app(app, hosted_pg)
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = str(venv / "bin" / "python")
    subprocess.run(
        # --no-compile: Python compiles what it imports when it imports it; compiling every
        # file of pandas, scipy and plotly at install time took most of the install here.
        [python, "-m", "pip", "install", "-q", "--no-compile",
         "-r", "requirements.txt", "-c", "requirements.lock"],
        cwd=app, check=True, env=env,
    )  # fmt: skip
    installed = time.perf_counter()

    port = _free_port()
    server = subprocess.Popen(
        [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
        cwd=app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert _healthy(port, server) == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as page:
            assert b"<title>Streamlit</title>" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
    # One browser session of the app, run by the fresh environment's own Streamlit.
    session = subprocess.run(
        [python, "-c", SIGN_IN.format(password=ADMIN_PASSWORD)],
        cwd=app, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert session.returncode == 0, session.stderr[-3000:]
    assert "TITLE: Relasi" in session.stdout  # the sign-in page
    assert "SIGNED IN: Set up Relasi for your team" in session.stdout  # no demo: the setup
    engine = create_engine(hosted_pg.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT username FROM users")) == "owner"
        assert conn.scalar(text("SELECT COUNT(*) FROM customers")) == 0
    engine.dispose()
    print(f"install {installed - started:.0f} s, then {time.perf_counter() - installed:.0f} s")
