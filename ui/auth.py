"""Sign-in behind a small interface: streamlit-authenticator for the form and the cookie,
our users table for roles, lockout and session validity (so logout ends every session).
"""

from __future__ import annotations

import os
import secrets as pysecrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from crm_core.admin import users
from crm_core.kernel.config import auth_config, check_cookie_key, is_demo
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.pages import can_open, page
from ui import cache, i18n
from ui.db import database_url, read_scope, secrets_dict, write_scope
from ui.i18n import N_, t

ACTOR = "relasi_actor"  # the signed-in Actor, set by the gate on every run
_VERSION = "relasi_session_version"
_NOTICE = "relasi_login_notice"
_AUTHENTICATOR = "relasi_authenticator"
_SET_COOKIE = "relasi_set_cookie"
_DELETE_COOKIE = "relasi_delete_cookie"


@st.cache_resource(show_spinner=False)
def _demo_cookie_key() -> str:
    # Demo mode only: a fresh random key per server process (remembered sign-ins end at restart).
    return pysecrets.token_urlsafe(48)


def _settings() -> tuple[str, str, float]:
    secrets = secrets_dict()
    config = auth_config(os.environ, secrets)
    demo = is_demo(os.environ, secrets, embedded_db=database_url()[1])
    check_cookie_key(config.cookie_key, demo)  # raises StartupRefused outside demo mode
    return config.cookie_name, config.cookie_key or _demo_cookie_key(), config.cookie_expiry_days


def signed_in_actor() -> Actor | None:
    """Run on every rerun before st.navigation: the signed-in, still valid user, or None."""
    cookie_name, key, days = _settings()
    with read_scope() as session:
        credentials = users.login_credentials(session, utcnow())
    team = cache.team_settings()  # held a minute; a settings save clears it at once
    st.session_state[i18n.TEAM_KEY] = team
    i18n.settle(None, team.default_language)  # before sign-in; the user's own choice below
    authenticator = stauth.Authenticate(
        {"usernames": credentials}, cookie_name, key, days, auto_hash=False, login_sleep_time=0
    )
    st.session_state[_AUTHENTICATOR] = (authenticator, credentials)
    if st.session_state.pop(_DELETE_COOKIE, False):
        # The sign-out run ended in st.rerun(); delete the cookie in a run that completes.
        authenticator.cookie_controller.delete_cookie()
    try:
        # Restores a remembered sign-in before navigation, so a reload keeps its page.
        authenticator.login(location="unrendered")
    except LoginError:
        _end(authenticator, N_("Please sign in again."))
        return None
    if not st.session_state.get("authentication_status"):
        st.session_state.pop(ACTOR, None)
        return None
    username = st.session_state["username"]
    if _VERSION not in st.session_state and not _resume_from_cookie(
        username, cookie_name, key, days
    ):
        _end(authenticator, N_("Your remembered sign-in has ended. Please sign in again."))
        return None
    with read_scope() as session:
        actor = users.session_actor(session, username, st.session_state[_VERSION])
        own_language = users.ui_language(session, actor.id) if actor else None
    if actor is None:
        _end(
            authenticator,
            N_(
                "Your session has ended (signed out, password changed or account "
                "deactivated). Please sign in again."
            ),
        )
        return None
    i18n.settle(own_language, team.default_language)
    st.session_state[ACTOR] = actor
    if st.session_state.pop(_SET_COOKIE, False):
        # Set in a run that is not cut short: the sign-in run ends in st.rerun(), which would
        # drop the cookie component before the browser ever ran it.
        authenticator.cookie_controller.set_cookie()
    return actor


def _resume_from_cookie(username: str, cookie_name: str, key: str, days: float) -> bool:
    token = st.context.cookies.get(cookie_name)
    try:
        claims = jwt.decode(token or "", key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    expires = datetime.fromtimestamp(float(claims["exp_date"]), tz=UTC).replace(tzinfo=None)
    issued_at_utc = expires - timedelta(days=days)
    with write_scope() as session:
        if not users.cookie_accepted(session, username, issued_at_utc):
            return False
        version = users.record_login(session, username, utcnow())
    if version is None:
        return False
    st.session_state[_VERSION] = version
    return True


def _end(authenticator: stauth.Authenticate, notice: str) -> None:
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
        st.session_state[_DELETE_COOKIE] = True
    for state_key in (ACTOR, _VERSION):
        st.session_state.pop(state_key, None)
    st.session_state[_NOTICE] = notice  # a msgid: shown in the language of the next run


def render_login_form() -> None:
    """The sign-in form (the only page before sign-in); counts failures per account."""
    authenticator, credentials = st.session_state[_AUTHENTICATOR]
    if st.session_state.get(_NOTICE):
        st.info(t(st.session_state[_NOTICE]))
    before = {name: entry.get("failed_login_attempts", 0) for name, entry in credentials.items()}
    try:
        authenticator.login(
            location="main",
            max_login_attempts=users.MAX_FAILED_LOGINS,
            fields={
                "Form name": t("Sign in to Relasi"),
                "Username": t("Username"),
                "Password": t("Password"),
                "Login": t("Sign in"),
            },
            key="relasi_login_form",
        )
    except LoginError:
        st.error(
            t(
                "Too many failed sign-ins for this account. Wait 15 minutes, or ask an "
                "admin to reset the password."
            )
        )
        return
    _record_failures(credentials, before)
    if st.session_state.get("authentication_status") and _VERSION not in st.session_state:
        with write_scope() as session:
            version = users.record_login(session, st.session_state["username"], utcnow())
        if version is not None:
            st.session_state[_VERSION] = version
            st.session_state[_SET_COOKIE] = True
            st.session_state.pop(_NOTICE, None)
            st.rerun()
    elif st.session_state.get("authentication_status") is False:
        st.error(t("Username or password is incorrect."))


def _record_failures(credentials: dict[str, Any], before: dict[str, int]) -> None:
    # The authenticator counts a wrong password in its credentials entry; persist that count
    # so the limit holds across browsers and restarts.
    for username, entry in credentials.items():
        if entry.get("failed_login_attempts", 0) > before.get(username, 0):
            with write_scope() as session:
                users.record_failed_login(session, username, utcnow())


def logout(actor: Actor) -> None:
    """End every session of this user (all browsers), then this one."""
    with write_scope() as session:
        users.logout(session, actor)
    authenticator, _ = st.session_state[_AUTHENTICATOR]
    _end(authenticator, N_("You have signed out."))


def require_page(key: str) -> Actor:
    """First line of every page: the signed-in actor, or the page stops with a refusal."""
    actor: Actor | None = st.session_state.get(ACTOR)
    if actor is None or not can_open(actor.role, key):
        title = t(page(key).title)
        st.error(t("You do not have access to {page}. Sign in with a role that does.", page=title))
        st.stop()
    return actor


def demo_mode() -> bool:
    return is_demo(os.environ, secrets_dict(), embedded_db=database_url()[1])
