"""Company sign-in in a real browser: `streamlit run app.py` with a secrets file whose [auth]
table points at a local OpenID Connect provider (tests/oidc_provider.py) that this test starts.
An unknown email is refused with the reason and its identity cookie is deleted; the manager's
company account (in other letter case) lands signed in with the role Relasi gave; signing out
ends both."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

from crm_core.models.enums import Role
from db.engine import make_engine
from support import make_user
from tests.e2e.test_browser import ROOT, _free_port, _wait_healthy, browser, settle

pytestmark = pytest.mark.browser
__all__ = ["browser"]


def _secrets(provider: Provider, port: int) -> str:
    return f"""
[sign_in]
cookie_key = "{secrets.token_urlsafe(48)}"

[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(48)}"

[auth.google]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider.metadata_url}"
"""


@pytest.fixture
def company_server(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Provider]]:
    """The app on a database with one manager, its [auth] set to a provider of our own."""
    database = tmp_path / "relasi.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    make_user(engine, Role.MANAGER)  # email manager@example.com, as Relasi's admin typed it
    engine.dispose()
    with running_provider() as provider:
        port = _free_port()
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(_secrets(provider, port))
        env = {**os.environ, "CRM_DATABASE_URL": url, "RELASI_VALUE_REFRESH": "off"}
        env.pop("CRM_DEMO", None)
        args = ["--server.port", str(port), "--server.headless", "true"]
        args += ["--server.address", "127.0.0.1", "--secrets.files", str(secrets_file)]
        with (tmp_path / "streamlit.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, server)
            yield base, provider
        finally:
            server.terminate()
            try:
                server.wait(timeout=3)
            except subprocess.TimeoutExpired:  # a throwaway server: no need to wait it out
                server.kill()
                server.wait(timeout=10)


def _company_sign_in(page: object, base: str) -> None:
    """Click the company button and wait for the round trip through the provider and back."""
    page.goto(base)  # type: ignore[attr-defined]
    button = page.get_by_role("button", name="Sign in with Google")  # type: ignore[attr-defined]
    button.wait_for(timeout=30_000)
    settle(page)
    with page.expect_navigation(url=f"{base}/", timeout=30_000):  # type: ignore[attr-defined]
        button.click()


def _identity_cookie(page: object) -> list[str]:
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    return [c["name"] for c in cookies if c["name"].startswith("_streamlit_user")]


def test_a_company_account_signs_in_with_its_relasi_role_and_an_unknown_one_is_refused(
    browser: object, company_server: tuple[str, Provider]
) -> None:
    base, provider = company_server
    page = browser.new_page()  # type: ignore[attr-defined]
    provider.email = "nobody@example.com"
    # Back with the identity, the new session refuses it and sends the browser to st.logout,
    # which deletes the cookie and starts another session: the refusal must be shown there.
    _company_sign_in(page, base)
    with page.expect_navigation(url=f"{base}/", timeout=30_000):
        pass  # st.logout's: the refusing session takes a second to start, so none is missed
    assert _identity_cookie(page) == []
    refusal = page.get_by_text("is not the email of any Relasi user")
    refusal.wait_for(timeout=30_000)
    shown = refusal.inner_text().replace("\u2060", "")  # the joiner that keeps it from a link
    assert shown.startswith("nobody@example.com is not")
    assert page.locator("[data-testid='stAlert'] a").count() == 0
    assert "Signed in as" not in page.inner_text("body")
    assert provider.tokens_issued == 1

    provider.email, provider.name = "Manager@Example.COM", "Whatever The Provider Says"
    _company_sign_in(page, base)
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    # The sign-in lands on the manager's home: a click before that rerun ends can be lost.
    page.get_by_role("heading", name="Business dashboard").wait_for(timeout=30_000)
    settle(page)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "Signed in as Manager (manager)" in sidebar  # Relasi's name and role, not the IdP's
    assert "Audit log" in sidebar  # a manager's page
    assert _identity_cookie(page) != []

    page.get_by_role("button", name="Sign out").click()
    gone_by = time.monotonic() + 45
    while _identity_cookie(page) and time.monotonic() < gone_by:  # st.logout's redirect
        page.wait_for_timeout(250)
    assert _identity_cookie(page) == []  # a reload does not sign in again
    page.get_by_text("You have signed out.").wait_for(timeout=30_000)  # in the new session
    assert "Signed in as" not in page.inner_text("body")
    page.close()
