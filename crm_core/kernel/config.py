"""Deployment settings that decide how the app may start (cookie key, demo mode)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Keys that appear in examples (streamlit-authenticator's docs, copied widely, and ours):
# never accepted.
KNOWN_EXAMPLE_KEYS = frozenset(
    {"some_key", "some_signature_key", "abcdef", "random_signature_key", "change-me", ""}
)
MIN_COOKIE_KEY_LENGTH = 32
MIN_COOKIE_KEY_BITS = 96
MIN_DISTINCT_KEY_CHARACTERS = 10


class StartupRefused(Exception):
    """The deployment is not safe to serve; the message says what to set."""


@dataclass(frozen=True)
class AuthConfig:
    cookie_key: str | None
    cookie_name: str = "relasi_auth"
    cookie_expiry_days: float = 7.0


# The secrets table of our sign-in (the remember-me cookie). Not `[auth]`: Streamlit's own
# st.login reads that table and expects its OIDC keys there.
SIGN_IN_TABLE = "sign_in"


def auth_config(environ: Mapping[str, str], secrets: Mapping[str, Any]) -> AuthConfig:
    """The cookie settings from the environment, else the secrets' [sign_in] table."""
    table = secrets.get(SIGN_IN_TABLE) or {}
    key = environ.get("CRM_COOKIE_KEY") or table.get("cookie_key")
    days = float(environ.get("CRM_COOKIE_EXPIRY_DAYS") or table.get("cookie_expiry_days") or 7)
    return AuthConfig(cookie_key=str(key) if key else None, cookie_expiry_days=days)


def is_demo(environ: Mapping[str, str], secrets: Mapping[str, Any], embedded_db: bool) -> bool:
    """Demo mode: the embedded SQLite database, or CRM_DEMO=1 / [app] demo = true."""
    flag = environ.get("CRM_DEMO") or str((secrets.get("app") or {}).get("demo", ""))
    return embedded_db or flag.lower() in ("1", "true", "yes")


def check_cookie_key(key: str | None, demo: bool) -> None:
    """Outside demo mode a real secret key is required; raise StartupRefused otherwise."""
    if demo:
        return
    if key is None or key in KNOWN_EXAMPLE_KEYS:
        raise StartupRefused(
            "Relasi will not start without a secret cookie key. Set CRM_COOKIE_KEY, or "
            f"cookie_key in the [{SIGN_IN_TABLE}] table of .streamlit/secrets.toml (not under "
            "[auth], which is Streamlit's st.login table), to a random string of at least "
            f"{MIN_COOKIE_KEY_LENGTH} characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        raise StartupRefused(
            f"The cookie key is too short ({len(key)} characters); use at least "
            f"{MIN_COOKIE_KEY_LENGTH} random characters."
        )
    if _guessable(key):
        raise StartupRefused(
            "The cookie key is too predictable (a repeated pattern or too few different "
            "characters); use a random one: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'."
        )


def _guessable(key: str) -> bool:
    """A key whose characters carry under 96 bits by their frequencies (Shannon), uses fewer
    than 10 different characters, or repeats itself ("abcabc...")."""
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    periodic = key in (key + key)[1:-1]
    return len(counts) < MIN_DISTINCT_KEY_CHARACTERS or bits < MIN_COOKIE_KEY_BITS or periodic


# --- company sign-in: Streamlit's st.login, configured in the secrets' [auth] table ---------

AUTH_TABLE = "auth"
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
DEFAULT_PROVIDER = "default"  # st.login()'s name for the provider set in [auth] itself


def company_providers(secrets: Mapping[str, Any]) -> list[str]:
    """The OpenID Connect providers st.login can use, in the order the secrets give them:
    none unless [auth] has redirect_uri and cookie_secret; "default" when [auth] itself holds
    the client keys, and each [auth.NAME] table that holds them (Streamlit refuses names with
    an underscore)."""
    table = secrets.get(AUTH_TABLE)
    if not isinstance(table, Mapping) or not table.get("redirect_uri"):
        return []
    if not table.get("cookie_secret"):
        return []

    def complete(section: Mapping[str, Any]) -> bool:
        return all(section.get(key) for key in _PROVIDER_KEYS)

    named = [
        name
        for name, section in table.items()
        if isinstance(section, Mapping) and "_" not in name and complete(section)
    ]
    return ([DEFAULT_PROVIDER] if complete(table) else []) + named


def check_cookie_secret(secrets: Mapping[str, Any], demo: bool) -> None:
    """Outside demo mode, [auth] cookie_secret (which signs the identity cookie) must be as
    strong as Relasi's own cookie key; raise StartupRefused otherwise."""
    if demo or not company_providers(secrets):
        return
    secret = str(secrets[AUTH_TABLE]["cookie_secret"])
    if secret in KNOWN_EXAMPLE_KEYS | {"xxx"} or len(secret) < MIN_COOKIE_KEY_LENGTH:
        raise StartupRefused(
            f"The [{AUTH_TABLE}] cookie_secret (it signs the company sign-in cookie) must be a "
            f"random string of at least {MIN_COOKIE_KEY_LENGTH} characters, not an example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if _guessable(secret):
        raise StartupRefused(
            f"The [{AUTH_TABLE}] cookie_secret is too predictable; use a random one: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
