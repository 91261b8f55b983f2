"""The remember-me cookie in the browser: a JWT (HS256) naming the user and its expiry.

It is read from the request that opened the session (`st.context.cookies`), and written or
deleted by extra-streamlit-components' cookie component, drawn only in the runs that write or
delete. streamlit-authenticator drew that component on every run to read every cookie, and its
first answer reran the app a moment after each page load: a sign-in typed meanwhile came back
as an empty form (Extra-Streamlit-Components issue #58), one session in four under load. The
server's record of the cookie (crm_core.admin.sign_in) decides whether a valid one still counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import jwt
import streamlit as st

# The component itself; its CookieManager wrapper would draw a "getAll" on construction.
from extra_streamlit_components.CookieManager import _component_func as _cookie_component

_READ = "relasi_cookie_read"  # the session has read its cookie: it is never read twice


@dataclass(frozen=True)
class Remembered:
    username: str
    expires: datetime  # naive UTC, as the server's record holds it


def read_once(cookie_name: str, key: str) -> Remembered | Literal[False] | None:
    """The session's first run only: the cookie's claims when we signed it and it has not
    expired; False when there is a cookie we cannot trust (forged, tampered, expired, another
    key's), which the caller deletes; None when there is none, or the session read it already
    (the request's cookies do not change in a session: after a sign-out they still hold it)."""
    if st.session_state.get(_READ):
        return None
    st.session_state[_READ] = True
    token = st.context.cookies.get(cookie_name)
    if not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
        expires = datetime.fromtimestamp(float(claims["exp_date"]), tz=UTC)
        username = str(claims["username"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError, OverflowError):
        return False
    if expires <= datetime.now(UTC):
        return False
    return Remembered(username, expires.replace(tzinfo=None))


def token_for(username: str, expires: float, key: str) -> str:
    return jwt.encode({"username": username, "exp_date": expires}, key, "HS256")


def write(cookie_name: str, token: str, expires: float) -> bool:
    """Draw the component that stores the cookie; True once the browser says it holds it."""
    stored = _cookie_component(
        method="set",
        cookie=cookie_name,
        value=token,
        options={
            "path": "/",
            "expires": datetime.fromtimestamp(expires, UTC).isoformat(),
            "sameSite": "strict",
        },
        key="relasi_cookie_set",
        default=False,
    )
    return bool(stored)


def delete(cookie_name: str) -> None:
    _cookie_component(
        method="delete", cookie=cookie_name, key="relasi_cookie_delete", default=False
    )
