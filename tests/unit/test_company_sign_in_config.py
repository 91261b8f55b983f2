"""Company sign-in's settings and the identity read from st.user's claims."""

from __future__ import annotations

from datetime import datetime

import pytest

from crm_core.admin.company_sign_in import Identity, identity_from_claims
from crm_core.kernel.config import StartupRefused, check_cookie_secret, company_providers

CLIENT = {"client_id": "id", "client_secret": "s", "server_metadata_url": "https://x/.well-known"}
SHARED = {"redirect_uri": "https://crm.example.com/oauth2callback", "cookie_secret": "k"}
STRONG = "Vt4q-9ZxR2mLw_8bKc1Ne7Ys0HfJu3Dp5GaQ"


def test_providers_are_the_complete_auth_tables_and_none_without_the_shared_keys() -> None:
    secrets = {"auth": {**SHARED, "google": CLIENT, "microsoft": {**CLIENT, "client_id": ""}}}
    assert company_providers(secrets) == ["google"]  # microsoft lacks its client id
    assert company_providers({"auth": {**SHARED, **CLIENT, "okta": CLIENT}}) == ["default", "okta"]
    assert company_providers({"auth": {**SHARED, "my_idp": CLIENT}}) == []  # st.login refuses "_"
    assert company_providers({"auth": {"cookie_secret": "k", "google": CLIENT}}) == []
    assert company_providers({"sign_in": {"cookie_key": "k"}}) == []


def test_outside_demo_mode_the_identity_cookie_secret_must_be_strong() -> None:
    for weak in ("xxx", "short", "ab" * 20):
        secrets = {"auth": {**SHARED, "cookie_secret": weak, "google": CLIENT}}
        with pytest.raises(StartupRefused, match="cookie_secret"):
            check_cookie_secret(secrets, demo=False)
        check_cookie_secret(secrets, demo=True)
    check_cookie_secret({"auth": {**SHARED, "cookie_secret": STRONG, "google": CLIENT}}, False)
    check_cookie_secret({"auth": {"cookie_secret": "xxx"}}, False)  # no provider: not in use


def test_the_identity_keeps_the_email_in_lower_case_and_the_issue_time_in_utc() -> None:
    claims = {
        "is_logged_in": True,
        "provider": "google",
        "email": " Ayu@Example.COM ",
        "email_verified": "false",
        "iat": 1_796_000_000,
        "name": "Ayu",
    }
    assert identity_from_claims(claims) == Identity(
        "google",
        "ayu@example.com",
        False,
        datetime(2026, 11, 30, 0, 53, 20),  # 20787 days and 3200 s
    )
    bare = identity_from_claims({"is_logged_in": True, "iat": "yesterday"})
    assert bare == Identity("default", "", None, None)


def test_a_browser_is_known_by_its_xsrf_token_however_streamlit_masks_it() -> None:
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from ui.company_sign_in import browser_key

    token, other = b"0123456789abcdef", b"fedcba9876543210"
    first, second = (generate_xsrf_token_string(token, 1_796_000_000) for _ in range(2))
    assert first != second  # a fresh mask on every page load
    assert browser_key(first) == browser_key(f'"{second}"') is not None
    assert browser_key(generate_xsrf_token_string(other)) != browser_key(first)
    assert [browser_key(bad) for bad in ("", "2|zz|00|1", "1|00|00|1", "abc")] == [None] * 4
