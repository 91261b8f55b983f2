"""Sign-in: our form, checked by crm_core against our users table (roles, lockout, session
validity, so a sign-out ends every session), and a remember-me cookie (ui/remember_me.py) that
counts only while the server keeps its record.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from crm_core.admin import company_sign_in, sign_in, users
from crm_core.kernel.config import auth_config, check_cookie_key, check_cookie_secret, is_demo
from crm_core.kernel.errors import PermissionDenied
from crm_core.kernel.messages import Message
from crm_core.kernel.permissions import Actor
from crm_core.models import utcnow
from crm_core.pages import can_open, page
from ui import cache, i18n, remember_me
from ui import company_sign_in as company
from ui.db import database_url, read_scope, secrets_dict, write_scope
from ui.i18n import N_, say, t
from ui.plain import plain

T = TypeVar("T")
ACTOR = "relasi_actor"  # the signed-in Actor, set by the gate on every run
_USERNAME = "relasi_username"  # who signed in to this session (form, cookie or company)
_VERSION = "relasi_session_version"
_NOTICE = "relasi_login_notice"
_SET_COOKIE = "relasi_set_cookie"
_DELETE_COOKIE = "relasi_delete_cookie"
_MUST_CHANGE = "relasi_must_change_password"


@st.cache_resource(show_spinner=False)
def _demo_cookie_key() -> str:
    # Demo mode only: a fresh random key per server process (remembered sign-ins end at restart).
    return pysecrets.token_urlsafe(48)


def _settings() -> tuple[str, str, float]:
    secrets = secrets_dict()
    config = auth_config(os.environ, secrets)
    demo = is_demo(os.environ, secrets, embedded_db=database_url()[1])
    check_cookie_key(config.cookie_key, demo)  # raises StartupRefused outside demo mode
    check_cookie_secret(secrets, demo)
    return config.cookie_name, config.cookie_key or _demo_cookie_key(), config.cookie_expiry_days


def signed_in_actor() -> Actor | None:
    """Run on every rerun before st.navigation: the signed-in, still valid user, or None."""
    cookie_name, key, days = _settings()
    team = cache.team_settings()  # held a minute; a settings save clears it at once
    st.session_state[i18n.TEAM_KEY] = team
    i18n.settle(None, team.default_language)  # before sign-in; the user's own choice below
    if st.session_state.pop(_DELETE_COOKIE, False):
        # Set by a run that ended in st.rerun(); deleted in a run that completes.
        remember_me.delete(cookie_name)
    if _USERNAME not in st.session_state and not _signed_in_elsewhere(cookie_name, key, days):
        st.session_state.pop(ACTOR, None)
        return None
    with read_scope() as session:
        actor = users.session_actor(
            session, st.session_state[_USERNAME], st.session_state[_VERSION]
        )
        own_language = users.ui_language(session, actor.id) if actor else None
    if actor is None:
        _end(
            N_(
                "Your session has ended (signed out, password changed or account "
                "deactivated). Please sign in again."
            )
        )
        return None
    i18n.settle(own_language, team.default_language)
    st.session_state[ACTOR] = actor
    _remember_in_browser(actor, cookie_name, key, days)
    return actor


def _signed_in_elsewhere(cookie_name: str, key: str, days: float) -> bool:
    """A session that has not signed in through the form: signed in by a company identity,
    or by the browser's remembered sign-in (read on the session's first run only)."""
    if _company_sign_in(days):
        return True
    remembered = remember_me.read_once(cookie_name, key)
    if remembered is False:  # forged, tampered or expired: signed out, and the cookie goes
        st.session_state[_DELETE_COOKIE] = True
        return False
    if remembered is None:
        return False
    if not _resume(remembered):
        st.session_state[_DELETE_COOKIE] = True
        st.session_state[_NOTICE] = N_("Your remembered sign-in has ended. Please sign in again.")
        return False
    return True


def _remember_in_browser(actor: Actor, cookie_name: str, key: str, days: float) -> None:
    """Set the remember-me cookie, and set it again run after run until the browser answers
    that it holds it. Not in the sign-in run: it ends in st.rerun(), which drops the cookie
    component unsent; and not once only: a menu click right after sign-in starts a new run
    before the browser ran the last one's component, and the remembered sign-in was lost
    (1 sign-in in 4 when clicked at once)."""
    pending = st.session_state.get(_SET_COOKIE)
    if not pending:
        return
    if days <= 0:  # remembering is turned off
        st.session_state.pop(_SET_COOKIE, None)
        return
    if pending is True:  # the first run after sign-in: the token and its server-side record
        expires = (datetime.now(UTC) + timedelta(days=days)).timestamp()
        with write_scope() as session:
            sign_in.remember(session, actor.username, _utc(expires), utcnow())
        pending = {"token": remember_me.token_for(actor.username, expires, key), "expires": expires}
        st.session_state[_SET_COOKIE] = pending
    if remember_me.write(cookie_name, pending["token"], pending["expires"]):
        st.session_state.pop(_SET_COOKIE, None)


def _resume(remembered: remember_me.Remembered) -> bool:
    with write_scope() as session:
        # Good only while the server keeps its record: a sign-out, a password change or a
        # deactivation drops it, whatever expiry the cookie claims.
        if not sign_in.remembered(session, remembered.username, remembered.expires, utcnow()):
            return False
        version = users.record_login(session, remembered.username, utcnow())
    if version is None:
        return False
    st.session_state.update({_USERNAME: remembered.username, _VERSION: version})
    return True


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC).replace(tzinfo=None)


def _company_sign_in(days: float) -> bool:
    """A company identity (st.login) that crm_core matches to an active Relasi user signs this
    session in as that user; Relasi's own cookie is not set (the identity's is remembered)."""
    claims = company.identity_claims()
    if claims is None:
        return False
    identity = company_sign_in.identity_from_claims(claims)
    max_age = timedelta(days=days)
    with write_scope() as session:
        outcome = company_sign_in.sign_in(session, identity, utcnow(), max_age)
    if isinstance(outcome, Message):
        # Refused: the identity cookie goes too, or every new session would try it again.
        st.session_state[_NOTICE] = outcome
        company.leave(outcome)
        return False
    st.session_state.update(
        {_USERNAME: outcome.actor.username, _VERSION: outcome.session_version, _MUST_CHANGE: False}
    )
    st.session_state.pop(_NOTICE, None)
    return True


def _end(notice: str) -> bool:
    if st.session_state.get(_USERNAME):
        st.session_state[_DELETE_COOKIE] = True
    for state_key in (ACTOR, _USERNAME, _VERSION, _MUST_CHANGE, _SET_COOKIE):
        st.session_state.pop(state_key, None)
    st.session_state[_NOTICE] = notice  # a msgid: shown in the language of the next run
    return company.leave(notice)  # a company identity ends with the Relasi session


def render_login_form() -> None:
    """The sign-in form (the only page before sign-in). The password is checked by crm_core,
    as typed (spaces included), after the try is counted."""
    carried = company.carried_notice()  # kept across st.logout's new session
    if carried is not None:
        st.session_state[_NOTICE] = carried
    notice = st.session_state.get(_NOTICE)
    if isinstance(notice, Message):  # a company identity refused: say why, as a warning
        # It quotes the provider's email: no markup, and no mailto link (plain() leaves bare
        # emails to GFM's autolinks; a word joiner after the "@" keeps it text).
        st.warning(plain(say(notice)).replace("@", "@\u2060"))
    elif notice:
        st.info(t(notice))
    with st.form("relasi_login_form"):
        st.subheader(t("Sign in to Relasi"))
        username = st.text_input(t("Username"), autocomplete="username")
        password = st.text_input(t("Password"), type="password", autocomplete="current-password")
        pressed = st.form_submit_button(t("Sign in"))
    if not pressed:
        return
    if not username.strip() or not password:
        st.error(t("Type your username and your password."))
        return
    now = utcnow()
    with write_scope() as session:
        counted = sign_in.count_try(session, username, now)
    with write_scope() as session:
        signed = sign_in.check_password(session, username, password, counted, now)
    if signed is None:
        # One answer for a wrong password, an unknown username and a locked account alike.
        st.error(
            t(
                "Username or password is incorrect. After {n:n} failed tries an account waits "
                "15 minutes.",
                n=sign_in.MAX_FAILED_TRIES,
            )
        )
        return
    st.session_state.update(
        {
            _USERNAME: signed.actor.username,
            _VERSION: signed.session_version,
            _SET_COOKIE: True,
            _MUST_CHANGE: signed.must_change_password,
        }
    )
    st.session_state.pop(_NOTICE, None)
    st.rerun()


def must_change_password() -> bool:
    """An admin chose this user's password: they choose their own before anything else."""
    return bool(st.session_state.get(_MUST_CHANGE))


def password_changed(session_version: int) -> None:
    st.session_state[_VERSION] = session_version
    st.session_state[_MUST_CHANGE] = False


def logout(actor: Actor) -> None:
    """End every session of this user (all browsers), then this one, and end the run."""
    with write_scope() as session:
        users.logout(session, actor)
    if _end(N_("You have signed out.")):
        st.stop()  # st.logout's redirect is queued: a rerun would drop it, and sign back in
    st.rerun()


def require_page(key: str) -> Actor:
    """First line of every page: the signed-in actor, or the page stops with a refusal."""
    actor: Actor | None = st.session_state.get(ACTOR)
    if actor is None or not can_open(actor.role, key):
        title = t(page(key).title)
        st.error(t("You do not have access to {page}. Sign in with a role that does.", page=title))
        st.stop()
    return actor


def _still_valid(actor: Actor | None, version: int | None) -> bool:
    if actor is None or version is None:
        return False
    with read_scope() as session:
        return users.session_actor(session, actor.username, version) is not None


def deferred(build: Callable[[], T]) -> Callable[[], T]:
    """A deferred download's builder that checks the session again when the file is built:
    it runs on Streamlit's download thread, after (and outside) the gated page run."""
    actor, version = st.session_state.get(ACTOR), st.session_state.get(_VERSION)

    def checked() -> T:
        if not _still_valid(actor, version):
            raise PermissionDenied("Your session has ended. Please sign in again.")
        return build()

    return checked


def recheck() -> None:
    """First line of every fragment: a fragment's own rerun skips app.py's gate, so a user
    signed out (or deactivated) meanwhile is sent through the gate again."""
    ctx = get_script_run_ctx()
    in_fragment_rerun = ctx is not None and bool(ctx.fragment_ids_this_run)
    actor, version = st.session_state.get(ACTOR), st.session_state.get(_VERSION)
    if in_fragment_rerun and not _still_valid(actor, version):
        st.session_state.pop(ACTOR, None)
        st.rerun(scope="app")


def demo_mode() -> bool:
    return is_demo(os.environ, secrets_dict(), embedded_db=database_url()[1])
