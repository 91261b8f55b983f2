"""Company sign-in through the real app.py (AppTest plays st.user): the button only where
[auth] is set up, and an unknown identity refused with its reason and logged out. Signing in
with a known one, and out of both, is the browser's (e2e/test_company_sign_in_journey.py)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from crm_core.models.enums import Role
from support import APP, make_user
from ui.plain import plain

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "Vt4q-9ZxR2mLw_8bKc1Ne7Ys0HfJu3Dp5GaQ",
    "google": {
        "client_id": "relasi.apps.example",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
    },
}


def app(user: dict[str, Any] | None = None, auth: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if auth:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    return at


def identity(email: str) -> dict[str, Any]:
    return {"is_logged_in": True, "provider": "google", "email": email, "iat": int(time.time())}


def company_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.label.startswith("Sign in with")]


def test_the_button_shows_only_where_auth_is_set_up_and_an_unknown_email_is_logged_out(
    app_engine: Engine,
) -> None:
    make_user(app_engine, Role.SALES)
    assert company_buttons(app(auth=False).run()) == []
    at = app(identity("nobody@example.com")).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        plain(
            "nobody@example.com is not the email of any Relasi user. Ask an admin to add it to "
            "your user, or sign in with another account."
        ).replace("@", "@\u2060")  # shown as text, not as a mailto link
    ]
    assert at.user == {"is_logged_in": False}  # st.logout: the identity cookie goes
    assert "relasi_actor" not in at.session_state
    assert company_buttons(at) == ["Sign in with Google"]  # to try another account
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # or a password
