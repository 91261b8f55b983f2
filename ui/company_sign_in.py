"""Company sign-in through Streamlit's st.login (OpenID Connect), set up in the secrets' [auth]
table: the buttons, the identity st.user holds, and st.logout. Matching the identity to a
Relasi user is crm_core's (crm_core.admin.company_sign_in); the gate in ui.auth calls both.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import streamlit as st

from crm_core.kernel.config import DEFAULT_PROVIDER, company_providers
from crm_core.kernel.messages import Message
from ui.db import secrets_dict
from ui.i18n import t

# How providers are spelled on the button; any other [auth.NAME] shows its name capitalised.
_BRANDS = {"google": "Google", "microsoft": "Microsoft", "okta": "Okta", "auth0": "Auth0"}
_XSRF_COOKIE = "_streamlit_xsrf"
_NOTICE_SECONDS = 600.0
_LEFT = "relasi_company_left"  # this session sent its browser through st.logout

Notice = str | Message


def providers() -> list[str]:
    return company_providers(secrets_dict())


def button_label(provider: str) -> str:
    if provider == DEFAULT_PROVIDER:
        return t("Sign in with your company account")
    return t("Sign in with {provider}", provider=_BRANDS.get(provider, provider.capitalize()))


def render_buttons() -> None:
    """One "Sign in with ..." button per configured provider; none when none is set up."""
    for provider in providers():
        key = f"relasi_oidc_{provider}"
        if st.button(button_label(provider), key=key, icon=":material/badge:"):
            st.login(provider)


def identity_claims() -> dict[str, Any] | None:
    """The claims of the identity st.login left in this browser, when company sign-in is set up
    (elsewhere st.user may hold what a host knows of a viewer, which is no sign-in)."""
    if not providers():
        return None
    claims = st.user.to_dict()
    return claims if claims.get("is_logged_in") is True else None


def leave(notice: Notice) -> bool:
    """End the identity in this browser (st.logout deletes its cookie and starts a new
    session), keeping `notice` for the sign-in page the new session shows. True when the
    browser is being sent through st.logout: the run must then end without st.rerun(),
    whose next run drops the queued redirect before it reaches the browser."""
    if identity_claims() is None:
        return False
    key, now, notices = _browser_key(), time.monotonic(), _notices()
    for stale in [k for k, (_, until) in list(notices.items()) if until < now]:
        notices.pop(stale, None)  # a browser that never came back
    if key is not None:
        notices[key] = (notice, now + _NOTICE_SECONDS)
    st.session_state[_LEFT] = True  # the notice is for the next session, not this one
    st.logout()
    return True


def carried_notice() -> Notice | None:
    """The notice `leave` kept for this browser, once."""
    key = None if st.session_state.get(_LEFT) else _browser_key()
    if key is None:
        return None
    notice, until = _notices().pop(key, (None, 0.0))
    return notice if time.monotonic() < until else None


@st.cache_resource(show_spinner=False)
def _notices() -> dict[str, tuple[Notice, float]]:
    # One process's memory: behind several replicas a notice may be lost, never misplaced.
    return {}


def _browser_key() -> str | None:
    return browser_key(st.context.cookies.get(_XSRF_COOKIE) or "")


def browser_key(xsrf_cookie: str) -> str | None:
    """This browser across its Streamlit sessions: the token of Streamlit's XSRF cookie (on
    whenever [auth] is set; "2|mask|masked token|time", re-masked on every page load, the
    token itself kept), hashed; None for anything else."""
    parts = xsrf_cookie.strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if not mask or not masked:
        return None
    token = bytes(byte ^ mask[i % len(mask)] for i, byte in enumerate(masked))
    return hashlib.sha256(token).hexdigest()
